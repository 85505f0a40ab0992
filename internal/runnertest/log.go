package runnertest

import (
	"sort"
	"strings"
	"unicode"
)

// Command is one workflow command the step printed: ::name props::data,
// or the legacy ##[name props]data.
type Command struct {
	Name, Props, Data string
	// Legacy is set for the ##[ form.
	Legacy bool
}

// ParseCommand reads one log line as the runner does
// (Runner.Common/ActionCommand.cs): a v2 workflow command is a line that
// starts with "::" once String.TrimStart has dropped every leading Unicode
// white space (U+00A0 and U+3000 too, not only space and tab); failing
// that, a legacy "##[name k=v;k=v]data" command anywhere in the line. The
// name is lower-cased and the data unescaped. Like the rest of this
// package it is written from the runner's rules, not from the action's
// code, so that it can catch the action's mistakes.
func ParseCommand(line string) (Command, bool) {
	if c, ok := parseV2(line); ok {
		return c, true
	}
	return parseLegacy(line)
}

func parseV2(line string) (Command, bool) {
	l := strings.TrimLeftFunc(line, unicode.IsSpace)
	if !strings.HasPrefix(l, "::") {
		return Command{}, false
	}
	head, data, ok := strings.Cut(l[2:], "::")
	if !ok {
		return Command{}, false
	}
	name, props, _ := strings.Cut(head, " ")
	data = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(data)
	return Command{Name: strings.ToLower(name), Props: props, Data: data}, true
}

func parseLegacy(line string) (Command, bool) {
	i := strings.Index(line, "##[")
	if i < 0 {
		return Command{}, false
	}
	head, data, ok := strings.Cut(line[i+3:], "]")
	if !ok {
		return Command{}, false
	}
	name, props, _ := strings.Cut(head, " ")
	data = strings.NewReplacer("%3B", ";", "%0D", "\r", "%0A", "\n", "%5D", "]", "%25", "%").Replace(data)
	return Command{Name: strings.ToLower(name), Props: props, Data: data, Legacy: true}, true
}

// Lines splits a stream into the lines the runner reads from it: .NET's
// StreamReader.ReadLine ends a line at "\n", at "\r", and at "\r\n" (one
// line end, not two). A final line end does not start an empty line.
func Lines(log string) []string {
	var out []string
	start := 0
	for i := 0; i < len(log); i++ {
		switch log[i] {
		case '\n':
			out = append(out, log[start:i])
			start = i + 1
		case '\r':
			out = append(out, log[start:i])
			if i+1 < len(log) && log[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	if start < len(log) {
		out = append(out, log[start:])
	}
	return out
}

// parseCommands finds the workflow commands in a log, in order.
func parseCommands(log string) []Command {
	var out []Command
	for _, line := range Lines(log) {
		if c, ok := ParseCommand(line); ok {
			out = append(out, c)
		}
	}
	return out
}

// Masker replaces registered values with ***, as the runner's secret masker
// does in every log line written after the value was registered.
type Masker struct {
	values []string // longest first, so that a value inside another is not left half-masked
}

// NewMasker returns a Masker holding values.
func NewMasker(values ...string) *Masker {
	m := &Masker{}
	for _, v := range values {
		m.Add(v)
	}
	return m
}

// Add registers v. Like the runner, it ignores a value of white space only.
func (m *Masker) Add(v string) {
	if strings.TrimSpace(v) == "" {
		return
	}
	m.values = append(m.values, v)
	sort.SliceStable(m.values, func(i, j int) bool { return len(m.values[i]) > len(m.values[j]) })
}

// Mask returns s with every registered value replaced by ***.
func (m *Masker) Mask(s string) string {
	for _, v := range m.values {
		s = strings.ReplaceAll(s, v, "***")
	}
	return s
}

// MaskedLog is stdout as the runner would show it: the ::add-mask::
// commands, which it consumes, are dropped and every value masked so far
// becomes ***. Masks apply only to lines after the one that registered
// them; earlier are the job's masks from before the step.
func MaskedLog(r *Result, earlier []string) string {
	m := NewMasker(earlier...)
	var out strings.Builder
	for _, line := range Lines(r.Stdout) {
		if c, ok := ParseCommand(line); ok && c.Name == "add-mask" {
			m.Add(c.Data)
			continue
		}
		out.WriteString(m.Mask(line) + "\n")
	}
	return out.String()
}
