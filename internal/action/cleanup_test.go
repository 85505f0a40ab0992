package action

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/filecmd"
)

func TestCleanup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	envFile := filepath.Join(dir, "set_env")
	profile := filepath.Join(dir, "credentials")
	for _, p := range []string{envFile, profile} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err := Cleanup(context.Background(), Env{Stdout: &out, Environ: []string{
		"GITHUB_ENV=" + envFile,
		"STATE_files=" + profile + "\n" + filepath.Join(dir, "gone") + "\n\n" + sub + "\nrelative/path",
	}})
	if err == nil || !strings.Contains(err.Error(), "not a regular file") || !strings.Contains(err.Error(), "not an absolute path") {
		t.Errorf("want errors for the directory and the relative path, got %v", err)
	}
	if _, err := os.Stat(profile); !os.IsNotExist(err) {
		t.Error("the recorded file was not deleted")
	}
	if _, err := os.Stat(sub); err != nil {
		t.Error("a directory must never be deleted")
	}
	b, _ := os.ReadFile(envFile)
	entries, err := filecmd.Parse(b)
	if err != nil || len(entries) != len(exportedVars) {
		t.Fatalf("GITHUB_ENV: %v %v", entries, err)
	}
	for _, e := range entries {
		if e.Value != "" {
			t.Errorf("%s not blanked", e.Name)
		}
	}
}

func TestCleanupSkipped(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	envFile := filepath.Join(dir, "set_env")
	if err := os.WriteFile(envFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := Cleanup(context.Background(), Env{Stdout: &out, Environ: []string{"GITHUB_ENV=" + envFile, "AWS_SKIP_CLEANUP_STEP=true"}}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(envFile); len(b) != 0 {
		t.Errorf("skipped cleanup wrote %q", b)
	}
}
