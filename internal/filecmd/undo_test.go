package filecmd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAppendUndoable(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "set_env")
	const earlier = "EARLIER=1"
	if err := os.WriteFile(path, []byte(earlier), 0o644); err != nil {
		t.Fatal(err)
	}
	undo, err := AppendUndoable(Env, path, []Entry{{Name: "AWS_SECRET_ACCESS_KEY", Value: "s"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "AWS_SECRET_ACCESS_KEY") {
		t.Fatalf("not appended: %q", b)
	}
	if err := undo(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != earlier {
		t.Errorf("after undo %q, want %q", b, earlier)
	}

	// Someone appended after us: cutting would remove their lines.
	undo, err = AppendUndoable(Env, path, []Entry{{Name: "A", Value: "1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Append(Env, path, []Entry{{Name: "B", Value: "2"}}, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	var fe *FileError
	if err := undo(); !errors.As(err, &fe) || !errors.Is(err, errNotUndone) {
		t.Errorf("undo after a later append: %v, want a refusal", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("a refused undo changed the file: %q", after)
	}
}
