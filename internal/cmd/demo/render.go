package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/assume-role/assume-role/internal/filecmd"
)

// masker replaces registered values with ***, as the runner's secret masker
// does for every log line written after the value was registered.
type masker struct {
	values []string // longest first, so that a value inside another is not left half-masked
}

func (m *masker) add(v string) {
	if strings.TrimSpace(v) == "" {
		return
	}
	m.values = append(m.values, v)
	sort.SliceStable(m.values, func(i, j int) bool { return len(m.values[i]) > len(m.values[j]) })
}

func (m *masker) mask(s string) string {
	for _, v := range m.values {
		s = strings.ReplaceAll(s, v, "***")
	}
	return s
}

// masker returns a masker holding every value the step registered: what the
// runner applies to everything after the step, including the env block it
// prints in later steps' headers.
func (s *stepResult) masker() *masker {
	m := &masker{}
	for _, line := range strings.Split(s.log, "\n") {
		if c, ok := parseCommand(line); ok && c.name == "add-mask" {
			m.add(c.data)
		}
	}
	return m
}

// command is one workflow command: ::name props::data.
type command struct {
	name, props, data string
}

// parseCommand reads a line as the runner does: a workflow command is a line
// that starts with "::" after leading white space; its data is unescaped.
func parseCommand(line string) (command, bool) {
	l := strings.TrimLeft(line, " \t")
	if !strings.HasPrefix(l, "::") {
		return command{}, false
	}
	head, data, ok := strings.Cut(l[2:], "::")
	if !ok {
		return command{}, false
	}
	name, props, _ := strings.Cut(head, " ")
	data = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(strings.TrimRight(data, "\r"))
	return command{name: strings.ToLower(name), props: props, data: data}, true
}

// annotation prefixes, as the web log shows annotation commands.
var annotation = map[string]string{"error": "Error: ", "warning": "Warning: ", "notice": "Notice: "}

// show writes the step as a workflow author would see it: the log, the exit
// code, and what the runner took from the file commands.
func show(w io.Writer, s *stepResult, debug bool) {
	fmt.Fprintf(w, "== The step's log, as the runner shows it ==\n")
	fmt.Fprintf(w, "Run ./\n  with:\n")
	for _, in := range s.with {
		if in.value == "" {
			continue
		}
		v := in.value
		if s.secretInputs[in.name] {
			// In a workflow these come from secrets, which the runner masks
			// before the step starts.
			v = "***"
		}
		fmt.Fprintf(w, "    %s: %s\n", in.name, strings.ReplaceAll(v, "\n", "\n      "))
	}

	m := &masker{}
	for _, line := range strings.Split(strings.TrimSuffix(s.log, "\n"), "\n") {
		c, ok := parseCommand(line)
		if !ok {
			fmt.Fprintln(w, m.mask(line))
			continue
		}
		switch c.name {
		case "add-mask":
			m.add(c.data)
		case "debug":
			if debug {
				writeLines(w, "##[debug]", m.mask(c.data))
			}
		case "error", "warning", "notice":
			writeLines(w, annotation[c.name], m.mask(c.data))
		case "group":
			writeLines(w, "▾ ", m.mask(c.data))
		case "endgroup":
		default:
			fmt.Fprintln(w, m.mask(line))
		}
	}
	fmt.Fprintf(w, "Exit code %d (%s)\n", s.exitCode, exitName(s.exitCode))

	m = s.masker()
	fmt.Fprintf(w, "\n== GITHUB_ENV: the environment of every later step ==\n")
	writeEntries(w, m, s.env, "(nothing)")
	fmt.Fprintf(w, "\n== GITHUB_OUTPUT: the step's outputs ==\n")
	writeEntries(w, m, s.outputs, "(nothing)")
	fmt.Fprintf(w, "\n== GITHUB_STEP_SUMMARY ==\n")
	if s.summary == "" {
		fmt.Fprintln(w, "(nothing)")
	}
	fmt.Fprint(w, m.mask(s.summary))
}

func writeEntries(w io.Writer, m *masker, entries []filecmd.Entry, none string) {
	if len(entries) == 0 {
		fmt.Fprintln(w, none)
	}
	for _, e := range entries {
		fmt.Fprintf(w, "%s=%s\n", e.Name, m.mask(e.Value))
	}
}

// writeLines writes a possibly multi-line message with prefix on its first
// line and the others indented to match.
func writeLines(w io.Writer, prefix, msg string) {
	indent := strings.Repeat(" ", len([]rune(prefix)))
	for i, line := range strings.Split(msg, "\n") {
		if i == 0 {
			fmt.Fprintln(w, prefix+line)
		} else {
			fmt.Fprintln(w, indent+line)
		}
	}
}
