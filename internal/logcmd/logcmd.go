// Package logcmd writes the action's log: plain lines and GitHub workflow
// commands (add-mask, debug, notice, warning, error, group) on one stream.
//
// It exists instead of go-githubactions' printers because those panic on I/O
// errors and treat every message as a format string, which alters a value
// containing '%' so that its mask no longer matches.
package logcmd

import (
	"io"
	"strings"
	"sync"
	"unicode"

	githubactions "github.com/sethvargo/go-githubactions"
)

// Logger writes to one stream. The runner reads workflow commands from stdout
// and stderr with two independent readers, so masks issued on one stream do not
// reliably precede a secret written on the other: everything goes to one.
// The first write error is kept (see Err) and later writes are skipped, so
// callers can log freely and check once before exporting anything.
type Logger struct {
	mu     sync.Mutex
	w      io.Writer
	err    error
	masked map[string]bool
	// plain is set outside GitHub Actions: no workflow commands, since
	// nothing would act on them and ::add-mask:: would print the secret.
	plain   bool
	verbose bool
}

// New returns a Logger that writes GitHub workflow commands to w.
func New(w io.Writer) *Logger {
	return &Logger{w: w, masked: map[string]bool{}}
}

// NewPlain returns a Logger for other CI systems and terminals: messages are
// plain lines ("warning: ...", "error: ..."), debug lines appear only when
// verbose, and Mask prints nothing. Nothing masks secrets there, so the
// callers' rule is simply never to print one.
func NewPlain(w io.Writer, verbose bool) *Logger {
	return &Logger{w: w, masked: map[string]bool{}, plain: true, verbose: verbose}
}

// Err reports the first write error, if any.
func (l *Logger) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Mask registers each non-blank value with the runner's secret masker
// (::add-mask::). Only lines written after this are masked, so call it before
// anything that could contain the value is printed or written to a file.
// A value is sent once; blank values are skipped because the runner warns on
// them and masking whitespace would mangle the whole log.
func (l *Logger) Mask(values ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, v := range values {
		if strings.TrimSpace(v) == "" || l.masked[v] {
			continue
		}
		l.masked[v] = true
		if l.plain {
			continue
		}
		l.writeLocked((&githubactions.Command{Name: "add-mask", Message: v}).String())
	}
}

// Info writes a plain log line (or several, if msg holds line breaks).
func (l *Logger) Info(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range Lines(msg) {
		l.writeLocked(neutralize(line))
	}
}

// Lines splits s into lines where the runner does: .NET's
// StreamReader.ReadLine ends a line at "\r\n", "\r" or "\n", so a bare
// carriage return starts a new line in the runner's eyes although a terminal
// shows none. No other character (U+0085, U+2028) ends a line there.
func Lines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Split(strings.ReplaceAll(s, "\r", "\n"), "\n")
}

// Debug writes a ::debug:: line, shown by the runner only with step debug on.
func (l *Logger) Debug(msg string) { l.command("debug", "", msg) }

// Notice writes a notice annotation.
func (l *Logger) Notice(msg string) { l.command("notice", "", msg) }

// Warning writes a warning annotation.
func (l *Logger) Warning(msg string) { l.command("warning", "", msg) }

// Error writes an error annotation. title must be a constant: the runner does
// not mask annotation properties.
func (l *Logger) Error(title, msg string) { l.command("error", title, msg) }

// Group starts a collapsible group in the log; EndGroup ends it.
func (l *Logger) Group(title string) { l.command("group", "", title) }

// EndGroup ends the group started by Group.
func (l *Logger) EndGroup() { l.command("endgroup", "", "") }

func (l *Logger) command(name, title, msg string) {
	if l.plain {
		l.plainLine(name, msg)
		return
	}
	cmd := &githubactions.Command{Name: name, Message: noLegacy(msg)}
	if title != "" {
		cmd.Properties = githubactions.CommandProperties{"title": title}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writeLocked(cmd.String())
}

func (l *Logger) writeLocked(line string) {
	if l.err != nil {
		return
	}
	_, l.err = io.WriteString(l.w, line+"\n")
}

// neutralize keeps one line of text we print (which may quote user input,
// an STS answer or a token's claims) from being read as a workflow command.
// The runner drops every leading Unicode white space (String.TrimStart:
// U+00A0, U+2003, U+3000 as well as space and tab) before it looks for "::",
// so a line that would start with "::" after that gets a zero-width space
// first, which TrimStart keeps. The legacy "##[" form is honoured anywhere
// in a line, so it is broken up wherever it appears.
func neutralize(s string) string {
	s = noLegacy(s)
	if strings.HasPrefix(strings.TrimLeftFunc(s, unicode.IsSpace), "::") {
		s = "\u200b" + s
	}
	return s
}

func noLegacy(s string) string { return strings.ReplaceAll(s, "##[", "#\u200b#[") }

func (l *Logger) plainLine(name, msg string) {
	prefix := ""
	switch name {
	case "debug":
		if !l.verbose {
			return
		}
		prefix = "debug: "
	case "notice":
		prefix = "notice: "
	case "warning":
		prefix = "warning: "
	case "error":
		prefix = "error: "
	case "endgroup":
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// The CLI's stderr may still be a GitHub log (the binary run in a run:
	// step), so its lines are neutralized like Info's.
	for _, line := range Lines(msg) {
		l.writeLocked(neutralize(prefix + line))
	}
}
