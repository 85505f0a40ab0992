package logcmd

import (
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/runnertest"
)

// FuzzNoInjection checks logcmd against the runner simulation, which is
// written from the runner's rules: whatever text a message holds, an Info
// line never reads as a workflow command, and a warning or error is read as
// exactly one command of its own name, whose data is the message with only
// the legacy "##[" broken up.
func FuzzNoInjection(f *testing.F) {
	for _, s := range []string{
		"plain", "a\r::save-state name=files::/x", "\u00a0::add-mask::y", "x\r\n\u3000::set-output name=a::b",
		"##[add-mask]z", "%0A::error::%25", "\u2028::debug::\u0085", "::", "\r\r\n\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		var b strings.Builder
		l := New(&b)
		l.Info(msg)
		for _, line := range runnertest.Lines(b.String()) {
			if c, ok := runnertest.ParseCommand(line); ok {
				t.Fatalf("Info(%q) wrote %q, read as ::%s::", msg, line, c.Name)
			}
		}
		for _, name := range []string{"warning", "error"} {
			b.Reset()
			if name == "warning" {
				l.Warning(msg)
			} else {
				l.Error("assume-role failed", msg)
			}
			lines := runnertest.Lines(b.String())
			if len(lines) != 1 {
				t.Fatalf("%s(%q) wrote %d lines: %q", name, msg, len(lines), lines)
			}
			c, ok := runnertest.ParseCommand(lines[0])
			if !ok || c.Name != name || c.Legacy {
				t.Fatalf("%s(%q) wrote %q, read as %+v", name, msg, lines[0], c)
			}
			if want := strings.ReplaceAll(msg, "##[", "#\u200b#["); c.Data != want {
				t.Fatalf("%s(%q): the runner reads the message as %q", name, msg, c.Data)
			}
		}
		b.Reset()
		NewPlain(&b, true).Error("t", msg)
		for _, line := range runnertest.Lines(b.String()) {
			if c, ok := runnertest.ParseCommand(line); ok {
				t.Fatalf("plain Error(%q) wrote %q, read as ::%s::", msg, line, c.Name)
			}
		}
	})
}
