package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/release"
)

func TestRunRefusesBadInvocations(t *testing.T) {
	t.Parallel()
	for name, args := range map[string][]string{
		"no version":     {},
		"bad version":    {"-version", "1.2.3"},
		"extra argument": {"-version", "v1.2.3", "now"},
		"unknown flag":   {"-version", "v1.2.3", "-push"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := run(t.Context(), args, io.Discard, io.Discard); err == nil {
				t.Error("run succeeded, want an error")
			}
		})
	}
}

// The release commit is HEAD plus the pinned action.yml and nothing else,
// tagged, and the work tree and index are left as they were.
func TestReleaseCommit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	git := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid", "GIT_CONFIG_GLOBAL=/dev/null")
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	yml := "name: x\nruns:\n  using: docker\n  # built from source on main\n  image: Dockerfile\n"
	for name, body := range map[string]string{"action.yml": yml, "main.go": "package main\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("", "init", "-q", "-b", "main")
	git("", "add", ".")
	git("", "commit", "-qm", "source")
	source := git("", "rev-parse", "HEAD")

	const ref = "ghcr.io/assume-role/assume-role@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	pinned, err := release.PinImage([]byte(yml), ref)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := release.ParseVersion("v1.2.3")
	var out bytes.Buffer
	o := &options{version: v, gitDir: dir, stdout: &out, stderr: &out, gitEnv: []string{
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid", "GIT_CONFIG_GLOBAL=/dev/null",
	}}
	commit, err := o.releaseCommit(t.Context(), source, pinned, "image: docker://"+ref)
	if err != nil {
		t.Fatalf("releaseCommit: %v\n%s", err, out.String())
	}

	if got := git("", "rev-parse", "v1.2.3^{commit}"); got != commit {
		t.Errorf("tag v1.2.3 -> %s, want the release commit %s", got, commit)
	}
	if got := git("", "rev-parse", commit+"^"); got != source {
		t.Errorf("release commit's parent = %s, want %s", got, source)
	}
	if got := git("", "diff", "--name-only", source, commit); got != "action.yml" {
		t.Errorf("release commit changes %q, want action.yml only", got)
	}
	if got := git("", "show", commit+":action.yml"); got+"\n" != string(pinned) {
		t.Errorf("release commit's action.yml =\n%s\nwant\n%s", got, pinned)
	}
	if got := git("", "cat-file", "-t", "v1.2.3"); got != "tag" {
		t.Errorf("v1.2.3 is a %s, want an annotated tag", got)
	}
	if msg := git("", "log", "-1", "--format=%B", commit); !strings.Contains(msg, "image: docker://"+ref) {
		t.Errorf("commit message does not quote the image line:\n%s", msg)
	}
	// HEAD, the index and the work tree are untouched.
	if got := git("", "rev-parse", "HEAD"); got != source {
		t.Errorf("HEAD moved to %s", got)
	}
	if got := git("", "status", "--porcelain"); got != "" {
		t.Errorf("work tree or index changed:\n%s", got)
	}
	if _, err := o.releaseCommit(t.Context(), source, pinned, "image: docker://"+ref); err == nil {
		t.Error("a second release of v1.2.3 succeeded; the tag exists")
	}
}
