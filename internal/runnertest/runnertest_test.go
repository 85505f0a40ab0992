package runnertest

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func loadManifest(t *testing.T) *Manifest {
	t.Helper()
	m, err := LoadManifest("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLoadManifestKeepsInputOrder(t *testing.T) {
	t.Parallel()
	m := loadManifest(t)
	if len(m.InputNames) != len(m.Inputs) {
		t.Fatalf("%d input names for %d inputs", len(m.InputNames), len(m.Inputs))
	}
	for _, name := range m.InputNames {
		if _, ok := m.Inputs[name]; !ok {
			t.Errorf("input name %q is not an input", name)
		}
	}
	if got := m.InputNames[:2]; !slices.Equal(got, []string{"aws-region", "role-to-assume"}) {
		t.Errorf("first inputs = %q, want action.yml's order", got)
	}
}

func TestStepEnvIsTheRunners(t *testing.T) {
	t.Parallel()
	j := &Job{Manifest: loadManifest(t), Env: map[string]string{"GITHUB_ACTOR": "octocat", "AWS_REGION": "us-west-2"},
		Dirs: Dirs{Workspace: "/w/repo/repo", Temp: "/w/_temp", Home: "/w/_temp/_github_home", Workflow: "/w/_temp/_github_workflow"}}
	env, err := j.stepEnv(Step{
		Env:    map[string]string{"HOME": "/root", "AWS_REGION": "eu-west-1"},
		Inputs: map[string]string{"role-to-assume": "arn:aws:iam::222222222222:role/deploy"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"INPUT_ROLE-TO-ASSUME":        "arn:aws:iam::222222222222:role/deploy",
		"INPUT_ROLE-DURATION-SECONDS": "3600",      // action.yml's default
		"INPUT_AWS-ACCESS-KEY-ID":     "",          // declared, not set: present and empty
		"HOME":                        j.Dirs.Home, // the runner's value wins
		"AWS_REGION":                  "eu-west-1", // the step's env over the job's
		"GITHUB_ACTOR":                "octocat",   // the job's
		"GITHUB_EVENT_PATH":           "/w/_temp/_github_workflow/event.json",
		"GITHUB_ACTIONS":              "true",
		"RUNNER_WORKSPACE":            "/w/repo",
	} {
		if got, ok := env[k]; !ok || got != want {
			t.Errorf("%s = %q (set %v), want %q", k, got, ok, want)
		}
	}
	if _, ok := env["RUNNER_DEBUG"]; ok {
		t.Error("RUNNER_DEBUG is set without Debug")
	}
	_, err = j.stepEnv(Step{Inputs: map[string]string{"no-such-input": "x"}})
	if err == nil || !strings.Contains(err.Error(), `input "no-such-input" is not declared`) {
		t.Errorf("an undeclared input: error %v", err)
	}
}

// script is an action written in bash (which, unlike dash, passes on the
// INPUT_ variables with hyphens), enough to exercise Exec without
// building the real one.
const script = `echo "::add-mask::s3cret-value"
echo "using s3cret-value"
echo "to stderr" >&2
echo "::error title=t::bad%0Athing"
printf 'AWS_REGION=eu-west-1\nSECRET=s3cret-value\n' >>"$GITHUB_ENV"
echo "out=$(printenv INPUT_ROLE-SESSION-NAME)" >>"$GITHUB_OUTPUT"
echo "# summary" >>"$GITHUB_STEP_SUMMARY"
exit 3
`

func TestExec(t *testing.T) {
	t.Parallel()
	j, err := NewJobAt(t.TempDir(), loadManifest(t))
	if err != nil {
		t.Fatal(err)
	}
	r, err := j.Exec(context.Background(), Binary("bash", "-c", script), Step{})
	if err != nil {
		t.Fatal(err)
	}
	if r.ExitCode != 3 {
		t.Errorf("exit code %d, want 3", r.ExitCode)
	}
	if r.Stderr != "to stderr\n" || strings.Contains(r.Stdout, "to stderr") {
		t.Errorf("stdout %q, stderr %q: want the streams apart", r.Stdout, r.Stderr)
	}
	if r.Env["AWS_REGION"] != "eu-west-1" || r.Outputs["out"] != "GitHubActions" || r.Summary != "# summary\n" || r.ParseErr != nil {
		t.Errorf("files: env %v, outputs %v, summary %q, parse error %v", r.Env, r.Outputs, r.Summary, r.ParseErr)
	}
	if got := r.Errors(); !slices.Equal(got, []string{"bad\nthing"}) {
		t.Errorf("errors %q", got)
	}
	// The job keeps the exports and the masks of a failed step.
	if j.Env["SECRET"] != "s3cret-value" || !slices.Equal(j.Masks, []string{"s3cret-value"}) {
		t.Errorf("job env SECRET=%q, masks %q", j.Env["SECRET"], j.Masks)
	}
	if got, want := MaskedLog(r, nil), "using ***\n::error title=t::bad%0Athing\n"; got != want {
		t.Errorf("masked log %q, want %q", got, want)
	}

	r, err = j.Exec(context.Background(), Binary("bash", "-c", script), Step{CombinedOutput: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Stdout, "using s3cret-value\nto stderr\n::error") || r.Stderr != "" {
		t.Errorf("combined: stdout %q, stderr %q", r.Stdout, r.Stderr)
	}

	if _, err := j.Exec(context.Background(), Binary("/no/such/program"), Step{}); err == nil {
		t.Error("a program that cannot start: no error")
	}
}

func TestCommand(t *testing.T) {
	t.Parallel()
	j, err := NewJobAt(t.TempDir(), loadManifest(t))
	if err != nil {
		t.Fatal(err)
	}
	j.Env["EXPORTED"] = "yes"
	out, err := j.Command(context.Background(), "/bin/sh", "-c", `echo "$EXPORTED $HOME $PWD"`).Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "yes " + j.Dirs.HostHome + " " + j.Dirs.Workspace + "\n"; string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestParseCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line string
		want Command
		ok   bool
	}{
		{"::add-mask::abc", Command{Name: "add-mask", Data: "abc"}, true},
		{"  \t::Error file=a.go,line=1::x%0Ay%25%0D", Command{Name: "error", Props: "file=a.go,line=1", Data: "x\ny%\r"}, true},
		{"::endgroup::", Command{Name: "endgroup"}, true},
		{"text ::error::x", Command{}, false},
		{"::no-end", Command{}, false},
		// String.TrimStart drops every Unicode white space, not only space and tab.
		{"\u00a0::save-state name=files::/x", Command{Name: "save-state", Props: "name=files", Data: "/x"}, true},
		{"\u3000\u2003\v\f::warning::w", Command{Name: "warning", Data: "w"}, true},
		{"\u0085\u2028\u2029\u202f\u205f\u1680::debug::d", Command{Name: "debug", Data: "d"}, true},
		// A zero-width space is no white space: it keeps "::" off the start.
		{"\u200b::add-mask::x", Command{}, false},
		{"\ufeff::add-mask::x", Command{}, false},
		// The legacy form counts anywhere in a line.
		{"see ##[add-mask]a%3Bb%5D", Command{Name: "add-mask", Data: "a;b]", Legacy: true}, true},
		{"##[set-output name=x;k=v]y", Command{Name: "set-output", Props: "name=x;k=v", Data: "y", Legacy: true}, true},
		{"#\u200b#[add-mask]x", Command{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseCommand(tt.line)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseCommand(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func TestLinesEndWhereTheRunnersDo(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{"a\n", []string{"a"}},
		{"a\rb", []string{"a", "b"}},
		{"a\r\nb\n", []string{"a", "b"}},
		{"a\n\rb", []string{"a", "", "b"}},
		{"a\r\rb\r", []string{"a", "", "b"}},
		{"a\n\nb", []string{"a", "", "b"}},
		// Only CR and LF end a line for StreamReader.ReadLine.
		{"a\u0085b\u2028c\vd\fe", []string{"a\u0085b\u2028c\vd\fe"}},
	} {
		if got := Lines(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Lines(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCommandsAfterACarriageReturn(t *testing.T) {
	t.Parallel()
	got := parseCommands("Assumed arn:aws:sts::1:assumed-role/r/s\r::save-state name=files::/etc/passwd\r\n\u00a0::set-output name=injected::yes\n")
	want := []Command{{Name: "save-state", Props: "name=files", Data: "/etc/passwd"}, {Name: "set-output", Props: "name=injected", Data: "yes"}}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestMaskerLongestFirst(t *testing.T) {
	t.Parallel()
	m := NewMasker("abc", "abcdef", "  ")
	if got := m.Mask("x abcdef abc y"); got != "x *** *** y" {
		t.Errorf("Mask = %q", got)
	}
}

func TestInputDefaultExpressions(t *testing.T) {
	t.Parallel()
	m := &Manifest{Inputs: map[string]Input{
		"plain":     {Default: "x"},
		"container": {Default: "${{ job.container.id }}"},
	}}
	for _, tc := range []struct {
		contexts map[string]string
		want     string
	}{
		{nil, ""},
		{map[string]string{"job.container.id": "abc"}, "abc"},
	} {
		got, err := m.inputValues(nil, tc.contexts)
		if err != nil || got["container"] != tc.want || got["plain"] != "x" {
			t.Errorf("%v: %v %v", tc.contexts, got, err)
		}
	}
	m.Inputs["bad"] = Input{Default: "${{ github.ref == 'x' }}"}
	if _, err := m.InputValues(nil); err == nil {
		t.Error("an expression the simulation cannot evaluate was passed on")
	}
}
