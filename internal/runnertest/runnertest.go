// Package runnertest runs the built action the way the GitHub runner runs a
// container action: the runner's environment contract (INPUT_* with hyphens
// kept and action.yml defaults filled in, GITHUB_* file commands in fresh
// files, HOME, CI), then the runner's own reading of what the step wrote,
// and a job environment that later steps inherit.
//
// It is the one runner simulation of the project. The core (NewJobAt,
// Job.Exec, Job.Command) returns errors, for the demo and the bench under
// internal/cmd; NewJob, Job.Run and Job.Shell wrap it for the end-to-end
// tests and fail the test instead.
//
// See ../shared/runner-contract.md §1.4 and §3 for the rules followed here.
package runnertest

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
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/assume-role/assume-role/internal/filecmd"
)

// Manifest is the part of action.yml the runner reads.
type Manifest struct {
	Name   string           `yaml:"name"`
	Inputs map[string]Input `yaml:"inputs"`
	// InputNames are the names of Inputs in action.yml's order, the order
	// in which the runner's log shows a step's with: values.
	InputNames []string `yaml:"-"`
	Outputs    map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
	Runs struct {
		Using          string   `yaml:"using"`
		Image          string   `yaml:"image"`
		Entrypoint     string   `yaml:"entrypoint"`
		PostEntrypoint string   `yaml:"post-entrypoint"`
		PostIf         string   `yaml:"post-if"`
		Args           []string `yaml:"args"`
	} `yaml:"runs"`
}

// Input is one input of action.yml.
type Input struct {
	Description string `yaml:"description"`
	Required    bool   `yaml:"required"`
	Default     string `yaml:"default"`
}

// LoadManifest reads action.yml.
func LoadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	// A second pass for what a Go map forgets: the order of the inputs.
	var order struct {
		Inputs yaml.Node `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(b, &order); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	for i := 0; i+1 < len(order.Inputs.Content); i += 2 {
		m.InputNames = append(m.InputNames, order.Inputs.Content[i].Value)
	}
	return &m, nil
}

// InputValues returns what the runner gives each declared input of a step
// with these with: values: the with: value, else action.yml's default, else
// "". A with: value for an input action.yml does not declare is an error:
// the runner only warns about it, which would hide a renamed input.
func (m *Manifest) InputValues(with map[string]string) (map[string]string, error) {
	return m.inputValues(with, nil)
}

// inputValues is InputValues with the contexts an input's default may use
// (runner-contract §1.4), flattened to property paths such as
// job.container.id. A default that is one ${{ path }} expression gets the
// path's value, or "" when the context lacks it, as the runner evaluates a
// missing property; any other expression is an error, so that a default the
// simulation cannot evaluate never reaches the action as literal text.
func (m *Manifest) inputValues(with, contexts map[string]string) (map[string]string, error) {
	names := make([]string, 0, len(with))
	for name := range with {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, ok := m.Inputs[name]; !ok {
			return nil, fmt.Errorf("input %q is not declared in action.yml", name)
		}
	}
	values := make(map[string]string, len(m.Inputs))
	for name, in := range m.Inputs {
		v, err := evalDefault(in.Default, contexts)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", name, err)
		}
		values[name] = v
	}
	for name, v := range with {
		values[name] = v
	}
	return values, nil
}

var defaultExpr = regexp.MustCompile(`^\$\{\{\s*([a-z_]+(?:\.[a-z_]+)*)\s*\}\}$`)

func evalDefault(def string, contexts map[string]string) (string, error) {
	if !strings.Contains(def, "${{") {
		return def, nil
	}
	m := defaultExpr.FindStringSubmatch(def)
	if m == nil {
		return "", fmt.Errorf("the simulation evaluates only a default of one ${{ context.property }}, not %q", def)
	}
	return contexts[m[1]], nil
}

// inputEnv is the variable the runner passes an input in: INPUT_ and the
// name upper-cased, spaces turned to '_' and hyphens kept.
func inputEnv(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// Dirs are the host directories of one job, as the runner lays them out
// under its _work directory.
type Dirs struct {
	Root         string
	Work         string // the runner's _work directory, /__w in a job container
	Workspace    string // GITHUB_WORKSPACE
	Temp         string // RUNNER_TEMP
	Home         string // _temp/_github_home, HOME of container actions
	Workflow     string // _temp/_github_workflow
	FileCommands string // _temp/_runner_file_commands
	HostHome     string // HOME of run: steps (Command, Shell)
}

// Job is one job: its directories and the environment that GITHUB_ENV
// exports have built up, which every later step inherits.
type Job struct {
	Manifest *Manifest
	Dirs     Dirs
	// Env is the job's environment: what the workflow set plus every
	// GITHUB_ENV export so far.
	Env map[string]string
	// Masks is every value registered with ::add-mask:: so far, as the
	// runner's masker keeps them for the rest of the job.
	Masks []string
	// ContainerID, when set, makes this a job with `container:`, as the
	// runner runs it: job.container.id in input defaults, and the later
	// steps of ContainerCommand inside the job container's layout.
	ContainerID string
}

// NewJob makes a job in a fresh temporary directory of the test.
func NewJob(t testing.TB, manifest *Manifest) *Job {
	t.Helper()
	j, err := NewJobAt(t.TempDir(), manifest)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// NewJobAt makes a job whose directories are root/work (the runner's
// layout, with an empty event payload) and root/home, with the workflow's
// environment. The caller removes them.
func NewJobAt(root string, manifest *Manifest) (*Job, error) {
	d := Dirs{
		Root:      root,
		Work:      filepath.Join(root, "work"),
		Workspace: filepath.Join(root, "work", "repo", "repo"),
		// The runner's layout: _work/<repo>/<repo> and _work/_temp.
		Temp:         filepath.Join(root, "work", "_temp"),
		Home:         filepath.Join(root, "work", "_temp", "_github_home"),
		Workflow:     filepath.Join(root, "work", "_temp", "_github_workflow"),
		FileCommands: filepath.Join(root, "work", "_temp", "_runner_file_commands"),
		HostHome:     filepath.Join(root, "home"),
	}
	for _, dir := range []string{d.Workspace, d.Home, d.Workflow, d.FileCommands, d.HostHome} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(d.Workflow, "event.json"), []byte("{}\n"), 0o644); err != nil {
		return nil, err
	}
	return &Job{Manifest: manifest, Dirs: d, Env: map[string]string{
		"GITHUB_REPOSITORY":   "octo-org/octo-repo",
		"GITHUB_WORKFLOW":     "deploy",
		"GITHUB_RUN_ID":       "1234567890",
		"GITHUB_RUN_ATTEMPT":  "1",
		"GITHUB_SHA":          "0123456789abcdef0123456789abcdef01234567",
		"GITHUB_REF":          "refs/heads/main",
		"GITHUB_REF_NAME":     "main",
		"GITHUB_ACTOR":        "octocat",
		"GITHUB_EVENT_NAME":   "push",
		"GITHUB_JOB":          "deploy",
		"GITHUB_SERVER_URL":   "https://github.com",
		"GITHUB_API_URL":      "https://api.github.com",
		"RUNNER_OS":           "Linux",
		"RUNNER_ARCH":         "X64",
		"RUNNER_NAME":         "GitHub Actions 1",
		"RUNNER_ENVIRONMENT":  "github-hosted",
		"ACTIONS_RUNTIME_URL": "http://127.0.0.1:1/",
		"PATH":                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	}}, nil
}

// Step is one run of the action.
type Step struct {
	// Inputs are the with: values; unset inputs get action.yml's default,
	// or an empty string, as the runner does.
	Inputs map[string]string
	// Env is the step's env: block.
	Env map[string]string
	// Debug turns on step debug (RUNNER_DEBUG=1).
	Debug bool
	// Timeout bounds the process (default 60 s).
	Timeout time.Duration
	// CombinedOutput sends stderr to Result.Stdout too, interleaved as
	// written, as the runner's log shows the two streams; Result.Stderr is
	// then empty.
	CombinedOutput bool
}

// Launcher starts the action with the runner's environment: env holds host
// paths, and a container launcher translates them as the runner does.
type Launcher func(ctx context.Context, j *Job, env map[string]string) *exec.Cmd

// Binary runs the program at path with args directly, with the workspace
// as working directory.
func Binary(path string, args ...string) Launcher {
	return func(ctx context.Context, j *Job, env map[string]string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, path, args...)
		cmd.Env = Environ(env)
		cmd.Dir = j.Dirs.Workspace
		return cmd
	}
}

// Result is what one step did, read the way the runner reads it.
type Result struct {
	ExitCode int
	Stdout   string
	Stderr   string
	Duration time.Duration
	// EnvFile, OutputFile and Summary are the raw bytes of the step's files.
	EnvFile, OutputFile, StateFile, Summary string
	// Env, Outputs and State are the files parsed with the runner's rules.
	Env, Outputs, State map[string]string
	// ParseErr is set when the runner would fail the step reading a file.
	ParseErr error
	// Masks are the values this step registered.
	Masks []string
	// Commands are the workflow commands on stdout (name and data), in order.
	Commands []Command
}

// Errors returns the data of the ::error:: commands.
func (r *Result) Errors() []string {
	var out []string
	for _, c := range r.Commands {
		if c.Name == "error" {
			out = append(out, c.Data)
		}
	}
	return out
}

// Run is Exec for a test, without a deadline of its own: it fails the test
// if the step cannot be run.
func (j *Job) Run(t testing.TB, launch Launcher, s Step) *Result {
	t.Helper()
	r, err := j.Exec(context.Background(), launch, s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Exec runs the action's main stage as a step of the job, with fresh
// file-command files, then applies its GITHUB_ENV exports and masks to the
// job as the runner would, even when the step failed. A non-zero exit is
// the Result's ExitCode; an error means the step could not be run or its
// files not read.
func (j *Job) Exec(ctx context.Context, launch Launcher, s Step) (*Result, error) {
	env, err := j.stepEnv(s)
	if err != nil {
		return nil, err
	}
	files := map[string]string{}
	for _, v := range []struct{ name, prefix string }{
		{"GITHUB_ENV", "set_env_"}, {"GITHUB_OUTPUT", "set_output_"}, {"GITHUB_STATE", "save_state_"},
		{"GITHUB_PATH", "add_path_"}, {"GITHUB_STEP_SUMMARY", "step_summary_"},
	} {
		p := filepath.Join(j.Dirs.FileCommands, v.prefix+newGUID())
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			return nil, err
		}
		files[v.name] = p
		env[v.name] = p
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := launch(ctx, j, env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if s.CombinedOutput {
		// One writer for both: os/exec then gives the two streams one
		// pipe, which keeps their lines in order.
		cmd.Stderr = &stdout
	}
	start := time.Now()
	err = cmd.Run()
	r := &Result{Duration: time.Since(start), Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.ExitCode = exit.ExitCode()
	case err != nil:
		return nil, fmt.Errorf("running the action: %w\nstderr: %s", err, stderr.String())
	}
	for _, f := range []struct {
		name string
		raw  *string
	}{{"GITHUB_ENV", &r.EnvFile}, {"GITHUB_OUTPUT", &r.OutputFile}, {"GITHUB_STATE", &r.StateFile}, {"GITHUB_STEP_SUMMARY", &r.Summary}} {
		b, err := os.ReadFile(files[f.name])
		if err != nil {
			return nil, err
		}
		*f.raw = string(b)
	}
	r.Env, r.ParseErr = parseFile("GITHUB_ENV", r.EnvFile)
	if r.ParseErr == nil {
		r.Outputs, r.ParseErr = parseFile("GITHUB_OUTPUT", r.OutputFile)
	}
	if r.ParseErr == nil {
		r.State, r.ParseErr = parseFile("GITHUB_STATE", r.StateFile)
	}
	r.Commands = parseCommands(r.Stdout)
	for _, c := range r.Commands {
		if c.Name == "add-mask" {
			r.Masks = append(r.Masks, c.Data)
		}
	}
	j.Masks = append(j.Masks, r.Masks...)
	// The runner processes file commands even when the step failed.
	for k, v := range r.Env {
		j.Env[k] = v
	}
	return r, nil
}

// runEnv is the environment of a later run: step on the host: the job's
// (the workflow's plus every export so far) and the runner's directories.
func (j *Job) runEnv() map[string]string {
	env := make(map[string]string, len(j.Env)+3)
	for k, v := range j.Env {
		env[k] = v
	}
	env["GITHUB_WORKSPACE"] = j.Dirs.Workspace
	env["RUNNER_TEMP"] = j.Dirs.Temp
	return env
}

// Command returns argv as a later run: step would run it: in the
// workspace, with the job's environment (the workflow's plus every export
// so far) and HOME of the host. Entries the caller appends to its Env win,
// since os/exec uses the last value of a name.
func (j *Job) Command(ctx context.Context, argv ...string) *exec.Cmd {
	env := j.runEnv()
	env["HOME"] = j.Dirs.HostHome
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = Environ(env)
	cmd.Dir = j.Dirs.Workspace
	return cmd
}

// Shell runs Command for a test and returns what it wrote and its exit
// code; it fails the test if the command cannot be run.
func (j *Job) Shell(t testing.TB, timeout time.Duration, argv ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runTest(t, timeout, argv, j.Command)
}

// runTest runs the command that mk makes of argv with a deadline, for a
// test: what it wrote and its exit code, or the test fails.
func runTest(t testing.TB, timeout time.Duration, argv []string, mk func(context.Context, ...string) *exec.Cmd) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := mk(ctx, argv...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %v: %v", argv, err)
	}
	return out.String(), errb.String(), code
}

// stepEnv builds the environment the runner gives a container action
// (runner-contract §1.4): job env, step env, inputs, then the fixed
// variables, which win.
func (j *Job) stepEnv(s Step) (map[string]string, error) {
	inputs, err := j.Manifest.inputValues(s.Inputs, map[string]string{"job.container.id": j.ContainerID})
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for k, v := range j.Env {
		env[k] = v
	}
	for k, v := range s.Env {
		env[k] = v
	}
	for name, v := range inputs {
		env[inputEnv(name)] = v
	}
	env["HOME"] = j.Dirs.Home
	env["GITHUB_WORKSPACE"] = j.Dirs.Workspace
	env["GITHUB_EVENT_PATH"] = filepath.Join(j.Dirs.Workflow, "event.json")
	env["RUNNER_TEMP"] = j.Dirs.Temp
	env["RUNNER_WORKSPACE"] = filepath.Dir(j.Dirs.Workspace)
	env["GITHUB_ACTIONS"] = "true"
	env["CI"] = "true"
	if s.Debug {
		env["RUNNER_DEBUG"] = "1"
	}
	return env, nil
}

// Environ turns a map into sorted NAME=value pairs.
func Environ(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// parseFile reads a file command's file with the runner's rules; the error
// names the file, as the runner's failure of the step does.
func parseFile(name, s string) (map[string]string, error) {
	entries, err := filecmd.Parse([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	m := map[string]string{}
	for _, e := range entries {
		m[e.Name] = e.Value
	}
	return m, nil
}

// newGUID names a file-command file as the runner does.
func newGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
