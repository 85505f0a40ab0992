package runnertest

import (
	"sort"
	"strings"
)

// Command is one workflow command the step printed: ::name props::data.
type Command struct {
	Name, Props, Data string
}

// ParseCommand reads a log line as the runner does: a workflow command is
// a line that starts with "::" after leading white space. The name is
// lower-cased and the data unescaped.
func ParseCommand(line string) (Command, bool) {
	l := strings.TrimLeft(line, " \t\r")
	if !strings.HasPrefix(l, "::") {
		return Command{}, false
	}
	head, data, ok := strings.Cut(l[2:], "::")
	if !ok {
		return Command{}, false
	}
	name, props, _ := strings.Cut(head, " ")
	data = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(strings.TrimRight(data, "\r"))
	return Command{Name: strings.ToLower(name), Props: props, Data: data}, true
}

// parseCommands finds the workflow commands in a log, in order.
func parseCommands(log string) []Command {
	var out []Command
	for _, line := range strings.Split(log, "\n") {
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
	for _, line := range strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n") {
		if c, ok := ParseCommand(line); ok && c.Name == "add-mask" {
			m.Add(c.Data)
			continue
		}
		out.WriteString(m.Mask(line) + "\n")
	}
	return out.String()
}
