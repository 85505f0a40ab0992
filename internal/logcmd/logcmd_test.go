package logcmd

import (
	"errors"
	"strings"
	"testing"
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
