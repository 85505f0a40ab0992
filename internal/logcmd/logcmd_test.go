package logcmd

import (
	"errors"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/runnertest"
)

func TestWorkflowCommands(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	l := New(&b)
	l.Mask("s3cr%t\nline2", "", "  ", "s3cr%t\nline2")
	l.Info("::set-env name=X::y is quoted text\n  ::add-mask::z")
	l.Info("see ##[error]x")
	l.Debug("100% done\r\n")
	l.Warning("w")
	l.Error("assume-role failed", "bad\n::error::injected")
	l.Group("g")
	l.EndGroup()
	want := "::add-mask::s3cr%25t%0Aline2\n" +
		"\u200b::set-env name=X::y is quoted text\n" +
		"\u200b  ::add-mask::z\n" +
		"see #\u200b#[error]x\n" +
		"::debug::100%25 done%0D%0A\n" +
		"::warning::w\n" +
		"::error title=assume-role failed::bad%0A::error::injected\n" +
		"::group::g\n" +
		"::endgroup::\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}

// TestNoCommandThroughLineBreaksOrUnicodeSpace covers what the runner
// reads that a "\n" split and a space-and-tab trim miss: a bare "\r" ends a
// line, and TrimStart drops every Unicode white space before "::".
func TestNoCommandThroughLineBreaksOrUnicodeSpace(t *testing.T) {
	t.Parallel()
	for _, msg := range []string{
		"Assumed x as arn:aws:sts::1:assumed-role/r/s\r::save-state name=files::/etc/passwd",
		"busy\r::warning title=injected::from STS\r",
		"a\r\n\u00a0::set-output name=injected::yes",
		"\u00a0::add-mask::GitHubActions",
		"\u3000::stop-commands::tok",
		"\u2003\u2009\u202f\u205f\u1680\u0085\v\f::error::x",
		"x\n\u2028::debug::d",
		"ok ##[add-mask]x\r##[set-output name=y]z",
	} {
		for name, l := range map[string]func(*Logger){
			"action": func(l *Logger) { l.Info(msg) },
			"plain":  func(l *Logger) { l.Info(msg) },
			"plain-error": func(l *Logger) {
				l.Error("t", msg)
			},
		} {
			var b strings.Builder
			lg := New(&b)
			if name != "action" {
				lg = NewPlain(&b, true)
			}
			l(lg)
			for _, line := range runnertest.Lines(b.String()) {
				if c, ok := runnertest.ParseCommand(line); ok {
					t.Errorf("%s: %q printed %q, which the runner reads as ::%s::", name, msg, line, c.Name)
				}
			}
		}
	}
}

func TestPlain(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	l := NewPlain(&b, false)
	l.Mask("secret")
	l.Info("hello")
	l.Debug("hidden")
	l.Warning("w")
	l.Error("t", "e")
	if got, want := b.String(), "hello\nwarning: w\nerror: e\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	b.Reset()
	NewPlain(&b, true).Debug("shown")
	if b.String() != "debug: shown\n" {
		t.Errorf("verbose: %q", b.String())
	}
}

type brokenWriter struct{ n int }

func (w *brokenWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("closed")
}

func TestStickyError(t *testing.T) {
	t.Parallel()
	w := &brokenWriter{}
	l := New(w)
	l.Info("a")
	l.Mask("bbbbbbbb")
	if l.Err() == nil || w.n != 1 {
		t.Errorf("err %v after %d writes", l.Err(), w.n)
	}
}
