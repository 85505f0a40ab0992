package filecmd_test

import (
	"os"
	"path/filepath"
	"testing"
)

// seqReader yields the bytes 0, 1, 2, ... (wrapping at 256), so the n-th
// delimiter Format draws from a fresh seqReader is known in advance.
type seqReader struct{ next byte }

func (r *seqReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

// Delimiters drawn from a fresh seqReader: the first entry gets seqDelim0,
// the second seqDelim1.
const (
	seqDelim0 = "ghadelimiter_000102030405060708090a0b0c0d0e0f"
	seqDelim1 = "ghadelimiter_101112131415161718191a1b1c1d1e1f"
)

// naiveDelimiter is the fixed delimiter go-githubactions v1.3.2 writes.
const naiveDelimiter = "_GitHubActionsFileCommandDelimeter_"

// naiveFormat renders an entry the way go-githubactions v1.3.2 SetEnv and
// SetOutput do: a fixed delimiter and no checks at all.
func naiveFormat(name, value string) string {
	return name + "<<" + naiveDelimiter + "\n" + value + "\n" + naiveDelimiter + "\n"
}

// tempFile creates a file holding content in a fresh temporary directory, as
// the runner creates the file-command files before each step.
func tempFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "set_env_0b5a6ed6")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
