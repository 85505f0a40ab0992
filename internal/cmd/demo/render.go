package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/assume-role/assume-role/internal/filecmd"
	"github.com/assume-role/assume-role/internal/inputs"
	"github.com/assume-role/assume-role/internal/runnertest"
)

// annotation prefixes, as the web log shows annotation commands.
var annotation = map[string]string{"error": "Error: ", "warning": "Warning: ", "notice": "Notice: "}

// show writes the step as a workflow author would see it: the with: block
// (every input with a value, in action.yml's order), the log, the exit
// code, and what the runner took from the file commands.
func show(w io.Writer, m *runnertest.Manifest, values map[string]string, r *runnertest.Result, debug bool) {
	fmt.Fprintf(w, "== The step's log, as the runner shows it ==\n")
	fmt.Fprintf(w, "Run ./\n  with:\n")
	for _, name := range m.InputNames {
		v := values[name]
		if v == "" {
			continue
		}
		if slices.Contains(inputs.SecretInputs, name) {
			// In a workflow these come from secrets, which the runner masks
			// before the step starts.
			v = "***"
		}
		fmt.Fprintf(w, "    %s: %s\n", name, strings.ReplaceAll(v, "\n", "\n      "))
	}

	// Masks apply from the line after the ::add-mask:: on.
	masker := runnertest.NewMasker()
	for _, line := range strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n") {
		c, ok := runnertest.ParseCommand(line)
		if !ok {
			fmt.Fprintln(w, masker.Mask(line))
			continue
		}
		switch c.Name {
		case "add-mask":
			masker.Add(c.Data)
		case "debug":
			if debug {
				writeLines(w, "##[debug]", masker.Mask(c.Data))
			}
		case "error", "warning", "notice":
			writeLines(w, annotation[c.Name], masker.Mask(c.Data))
		case "group":
			writeLines(w, "▾ ", masker.Mask(c.Data))
		case "endgroup":
		default:
			fmt.Fprintln(w, masker.Mask(line))
		}
	}
	fmt.Fprintf(w, "Exit code %d (%s)\n", r.ExitCode, exitName(r.ExitCode))

	// What the runner shows after the step, such as the env block in later
	// steps' headers, is masked with every value the step registered.
	masker = runnertest.NewMasker(r.Masks...)
	fmt.Fprintf(w, "\n== GITHUB_ENV: the environment of every later step ==\n")
	writeEntries(w, masker, r.EnvFile)
	fmt.Fprintf(w, "\n== GITHUB_OUTPUT: the step's outputs ==\n")
	writeEntries(w, masker, r.OutputFile)
	fmt.Fprintf(w, "\n== GITHUB_STEP_SUMMARY ==\n")
	if r.Summary == "" {
		fmt.Fprintln(w, "(nothing)")
	}
	fmt.Fprint(w, masker.Mask(r.Summary))
}

// writeEntries writes a file command's entries in file order, which the
// runner has already read without error (Result.ParseErr).
func writeEntries(w io.Writer, m *runnertest.Masker, raw string) {
	entries, _ := filecmd.Parse([]byte(raw))
	if len(entries) == 0 {
		fmt.Fprintln(w, "(nothing)")
	}
	for _, e := range entries {
		fmt.Fprintf(w, "%s=%s\n", e.Name, m.Mask(e.Value))
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
