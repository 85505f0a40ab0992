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
	temp := t.TempDir() // RUNNER_TEMP
	envFile := filepath.Join(temp, "set_env")
	ours := filepath.Join(temp, profileDir)
	if err := os.MkdirAll(filepath.Join(ours, "config"), 0o700); err != nil { // a directory where a file was
		t.Fatal(err)
	}
	profile := filepath.Join(ours, "credentials")
	spec := filepath.Join(ours, "deploy.refresh.json") // a refreshing profile's
	for _, p := range []string{envFile, profile, spec} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var out strings.Builder
	err := Cleanup(context.Background(), Env{Stdout: &out, Environ: []string{
		"GITHUB_ENV=" + envFile, "RUNNER_TEMP=" + temp,
		"STATE_files=" + profile + "\n" + spec + "\n" + filepath.Join(ours, "assume-role") + "\n\n" + filepath.Join(ours, "config") + "\nrelative/path",
	}})
	if err == nil || !strings.Contains(err.Error(), "not a regular file") || !strings.Contains(err.Error(), "not an absolute path") {
		t.Errorf("want errors for the directory and the relative path, got %v", err)
	}
	for _, p := range []string{profile, spec} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("the recorded %s was not deleted", p)
		}
	}
	if _, err := os.Stat(filepath.Join(ours, "config")); err != nil {
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

// TestCleanupDeletesOnlyItsOwnFiles: an earlier step can set STATE_files
// through GITHUB_ENV when this action saved no state, so the post stage
// must delete nothing but the files it writes, in its own directory, and
// follow no link out of it.
func TestCleanupDeletesOnlyItsOwnFiles(t *testing.T) {
	t.Parallel()
	temp := t.TempDir()
	ws := filepath.Join(temp, "workspace")
	envFile := filepath.Join(temp, "set_env")
	for _, d := range []string{ws, filepath.Join(temp, "_github_home"), filepath.Join(temp, "not-ours")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	victims := []string{
		filepath.Join(ws, "main.go"),                                 // any file
		filepath.Join(ws, "credentials"),                             // one of our names, elsewhere
		filepath.Join(temp, "not-ours", "config"),                    // our name, another directory
		filepath.Join(temp, "_github_home", ".assume-role-aws", "x"), // our directory's name, not our file
		filepath.Join(ws, profileDir, "credentials"),                 // our directory's name in the wrong place
	}
	for _, v := range append(victims, envFile, filepath.Join(ws, "config")) {
		if err := os.MkdirAll(filepath.Dir(v), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(v, []byte("keep"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Our directory, made a link to the workspace by an earlier step.
	if err := os.Symlink(ws, filepath.Join(temp, profileDir)); err != nil {
		t.Fatal(err)
	}
	linked := filepath.Join(temp, profileDir, "config") // = ws/config
	// Our file, made a link to a workspace file.
	ours := filepath.Join(temp, "_github_home", homeProfileDir)
	if err := os.Symlink(filepath.Join(ws, "main.go"), filepath.Join(ours, "credentials")); err != nil {
		t.Fatal(err)
	}
	forged := append(append([]string{}, victims...), linked, filepath.Join(ours, "credentials"),
		filepath.Join(ours, "..", "..", "workspace", "main.go"))
	var out strings.Builder
	err := Cleanup(context.Background(), Env{Stdout: &out, Environ: []string{
		"GITHUB_ENV=" + envFile, "RUNNER_TEMP=" + temp, "STATE_files=" + strings.Join(forged, "\n"),
	}})
	if err == nil {
		t.Error("a forged state must fail the post stage")
	}
	for _, v := range append(victims, filepath.Join(ws, "config")) {
		if b, err := os.ReadFile(v); err != nil || string(b) != "keep" {
			t.Errorf("%s was deleted or changed (%v); post stage said:\n%s", v, err, out.String())
		}
	}
	if strings.Contains(out.String(), "Deleted") {
		t.Errorf("the log claims a deletion:\n%s", out.String())
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
