package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/assume-role/assume-role/internal/filecmd"
	"github.com/assume-role/assume-role/internal/inputs"
)

// input is one of action.yml's inputs, or a with: value for one.
type input struct {
	name     string
	value    string // the default, in a manifest
	required bool
}

// loadManifest reads action.yml's inputs in file order, so that the demo
// keeps working, and keeps showing every default, as inputs are added.
func loadManifest(path string) ([]input, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Inputs yaml.Node `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	if doc.Inputs.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: inputs is not a mapping", path)
	}
	var ins []input
	for i := 0; i+1 < len(doc.Inputs.Content); i += 2 {
		var spec struct {
			Default  string `yaml:"default"`
			Required bool   `yaml:"required"`
		}
		if err := doc.Inputs.Content[i+1].Decode(&spec); err != nil {
			return nil, fmt.Errorf("%s: input %s: %w", path, doc.Inputs.Content[i].Value, err)
		}
		ins = append(ins, input{name: doc.Inputs.Content[i].Value, value: spec.Default, required: spec.Required})
	}
	return ins, nil
}

// checkDeclared fails for a with: value of an input action.yml does not
// declare: the runner only warns about it, which would hide a renamed input.
func checkDeclared(manifest, with []input) error {
	declared := map[string]bool{}
	for _, in := range manifest {
		declared[in.name] = true
	}
	for _, in := range with {
		if !declared[in.name] {
			return fmt.Errorf("input %q is not declared in action.yml", in.name)
		}
	}
	return nil
}

// envName is the variable the runner passes an input in: INPUT_ and the name
// upper-cased, spaces turned to '_' and hyphens kept.
func envName(in string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(in, " ", "_"))
}

// dirs are the runner's directories of one job, laid out as under the
// runner's _temp directory.
type dirs struct {
	workspace    string // GITHUB_WORKSPACE
	temp         string // RUNNER_TEMP
	home         string // HOME of a container action (_temp/_github_home)
	hostHome     string // HOME of a run: step
	workflow     string // _temp/_github_workflow, holds the event payload
	fileCommands string // _temp/_runner_file_commands
}

type job struct {
	dirs dirs
}

func newJob(root string) (*job, error) {
	d := dirs{
		workspace:    filepath.Join(root, "work", "repo", "repo"),
		temp:         filepath.Join(root, "_temp"),
		home:         filepath.Join(root, "_temp", "_github_home"),
		hostHome:     filepath.Join(root, "home"),
		workflow:     filepath.Join(root, "_temp", "_github_workflow"),
		fileCommands: filepath.Join(root, "_temp", "_runner_file_commands"),
	}
	for _, p := range []string{d.workspace, d.home, d.hostHome, d.workflow, d.fileCommands} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(d.workflow, "event.json"), []byte("{}\n"), 0o644); err != nil {
		return nil, err
	}
	return &job{dirs: d}, nil
}

// stepResult is what one step did, read the way the runner reads it.
type stepResult struct {
	with     []input // every input the step got, in action.yml order
	exitCode int
	log      string // stdout and stderr, interleaved as written
	// envFile and outputFile are the raw file commands; env and outputs are
	// their entries as the runner parses them.
	envFile, outputFile, summary string
	env, outputs                 []filecmd.Entry
	secretInputs                 map[string]bool
}

// run runs the action binary as the runner runs a container action's main
// stage: a clean environment of GITHUB_*, RUNNER_*, HOME and INPUT_*, with
// every declared input present (its default when with: does not set it).
func (j *job) run(ctx context.Context, bin string, manifest []input, with []input, debug bool) (*stepResult, error) {
	if err := checkDeclared(manifest, with); err != nil {
		return nil, err
	}
	values := map[string]string{}
	for _, in := range manifest {
		values[in.name] = in.value
	}
	for _, in := range with {
		values[in.name] = in.value
	}

	env := map[string]string{
		"GITHUB_ACTIONS":          "true",
		"CI":                      "true",
		"HOME":                    j.dirs.home,
		"PATH":                    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"GITHUB_WORKSPACE":        j.dirs.workspace,
		"GITHUB_EVENT_PATH":       filepath.Join(j.dirs.workflow, "event.json"),
		"GITHUB_EVENT_NAME":       "push",
		"GITHUB_REPOSITORY":       "octo-org/octo-repo",
		"GITHUB_WORKFLOW":         "deploy",
		"GITHUB_JOB":              "deploy",
		"GITHUB_RUN_ID":           "1234567890",
		"GITHUB_RUN_ATTEMPT":      "1",
		"GITHUB_SHA":              "0123456789abcdef0123456789abcdef01234567",
		"GITHUB_REF":              "refs/heads/main",
		"GITHUB_ACTOR":            "octocat",
		"GITHUB_TRIGGERING_ACTOR": "octocat",
		"GITHUB_ACTION":           "__self", // the runner's id for a uses: ./ step without an id
		"GITHUB_SERVER_URL":       "https://github.com",
		"GITHUB_API_URL":          "https://api.github.com",
		"RUNNER_OS":               "Linux",
		"RUNNER_ARCH":             "X64",
		"RUNNER_TEMP":             j.dirs.temp,
		"RUNNER_WORKSPACE":        filepath.Dir(j.dirs.workspace),
	}
	if debug {
		env["RUNNER_DEBUG"] = "1"
	}
	res := &stepResult{secretInputs: map[string]bool{}}
	for _, in := range manifest {
		env[envName(in.name)] = values[in.name]
		res.with = append(res.with, input{name: in.name, value: values[in.name]})
	}
	for _, name := range inputs.SecretInputs {
		res.secretInputs[name] = true
	}

	files := map[string]string{}
	for _, f := range []struct{ name, prefix string }{
		{"GITHUB_ENV", "set_env_"}, {"GITHUB_OUTPUT", "set_output_"}, {"GITHUB_STATE", "save_state_"},
		{"GITHUB_PATH", "add_path_"}, {"GITHUB_STEP_SUMMARY", "step_summary_"},
	} {
		p := filepath.Join(j.dirs.fileCommands, f.prefix+newGUID())
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			return nil, err
		}
		files[f.name] = p
		env[f.name] = p
	}

	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = environ(env)
	cmd.Dir = j.dirs.workspace
	var log bytes.Buffer
	// One writer for both streams keeps their lines in order, as the
	// runner's log shows them.
	cmd.Stdout, cmd.Stderr = &log, &log
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.exitCode = exit.ExitCode()
	case err != nil:
		return nil, fmt.Errorf("running the action: %w", err)
	}
	res.log = log.String()

	read := func(name string) (string, error) {
		b, err := os.ReadFile(files[name])
		return string(b), err
	}
	if res.envFile, err = read("GITHUB_ENV"); err != nil {
		return nil, err
	}
	if res.outputFile, err = read("GITHUB_OUTPUT"); err != nil {
		return nil, err
	}
	if res.summary, err = read("GITHUB_STEP_SUMMARY"); err != nil {
		return nil, err
	}
	// A file the runner cannot read fails the step: say so rather than
	// showing half of it.
	if res.env, err = filecmd.Parse([]byte(res.envFile)); err != nil {
		return nil, fmt.Errorf("the runner would fail reading GITHUB_ENV: %w", err)
	}
	if res.outputs, err = filecmd.Parse([]byte(res.outputFile)); err != nil {
		return nil, fmt.Errorf("the runner would fail reading GITHUB_OUTPUT: %w", err)
	}
	return res, nil
}

// environ turns a map into sorted NAME=value pairs.
func environ(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// newGUID names a file-command file as the runner does.
func newGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
