package action

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/ststest"
)

// breaksOn is a log that fails from the first line that contains word.
type breaksOn struct {
	word   string
	broken bool
}

func (w *breaksOn) Write(p []byte) (int, error) {
	if w.broken || strings.Contains(string(p), w.word) {
		w.broken = true
		return 0, errors.New("broken pipe")
	}
	return len(p), nil
}

// TestNoPartialExport: the runner applies a failed step's file commands,
// so a failure while exporting must leave no session in GITHUB_ENV: env
// is written last, and what was written before a failure is taken back.
func TestNoPartialExport(t *testing.T) {
	t.Parallel()
	e, url := ststest.NewTestServer(t)
	e.SeedDemo()
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	t.Run("outputs-fail", func(t *testing.T) {
		t.Parallel()
		s := newStep(t, demo(url, "role-to-assume", ststest.DemoRole.ARN)...)
		s.env["GITHUB_OUTPUT"] = "/dev/full" // ENOSPC on write, as a full disk
		err := s.run(context.Background(), nil)
		if err == nil || !strings.Contains(err.Error(), "GITHUB_OUTPUT") {
			t.Fatalf("want the GITHUB_OUTPUT write error, got %v", err)
		}
		if got := read(s.envPath); got != "" {
			t.Errorf("GITHUB_ENV of the failed step holds %q", got)
		}
	})

	t.Run("log-fails-after-the-exports", func(t *testing.T) {
		t.Parallel()
		s := newStep(t, demo(url, "role-to-assume", ststest.DemoRole.ARN)...)
		if err := os.WriteFile(s.envPath, []byte("EARLIER=kept\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		var environ []string
		for k, v := range s.env {
			environ = append(environ, k+"="+v)
		}
		// The closing "Assumed ..." line comes after the exports.
		err := Run(context.Background(), Env{Environ: environ, Stdout: &breaksOn{word: "Assumed "}, DialContext: loopbackOnly(nil, nil)})
		if err == nil || !strings.Contains(err.Error(), "broken pipe") {
			t.Fatalf("want the log's write error, got %v", err)
		}
		if got := read(s.envPath); got != "EARLIER=kept\n" {
			t.Errorf("GITHUB_ENV is %q, want only what was there before the step", got)
		}
		if got := read(s.out); got != "" {
			t.Errorf("GITHUB_OUTPUT holds %q", got)
		}
	})
}
