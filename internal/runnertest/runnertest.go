// Package runnertest runs the built action the way the GitHub runner runs a
// container action, for end-to-end tests: the runner's environment contract
// (INPUT_* with hyphens kept and action.yml defaults filled in, GITHUB_* file
// commands in fresh files, HOME, CI), then the runner's own reading of what
// the step wrote, and a job environment that later steps inherit.
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
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/assume-role/assume-role/internal/filecmd"
)

// Manifest is the part of action.yml the runner reads.
type Manifest struct {
	Name   string `yaml:"name"`
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
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
	return &m, nil
}

// Dirs are the host directories of one job, as the runner lays them out
// under its _temp directory.
type Dirs struct {
	Root         string
	Workspace    string // GITHUB_WORKSPACE
	Temp         string // RUNNER_TEMP
	Home         string // _temp/_github_home, HOME of container actions
	Workflow     string // _temp/_github_workflow
	FileCommands string // _temp/_runner_file_commands
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
}

// NewJob makes a job in a fresh temporary directory.
func NewJob(t testing.TB, manifest *Manifest) *Job {
	t.Helper()
	root := t.TempDir()
	d := Dirs{
		Root:      root,
		Workspace: filepath.Join(root, "work", "repo", "repo"),
		// The runner's layout: _work/<repo>/<repo> and _work/_temp.
		Temp:         filepath.Join(root, "work", "_temp"),
		Home:         filepath.Join(root, "work", "_temp", "_github_home"),
		Workflow:     filepath.Join(root, "work", "_temp", "_github_workflow"),
		FileCommands: filepath.Join(root, "work", "_temp", "_runner_file_commands"),
	}
	for _, dir := range []string{d.Workspace, d.Home, d.Workflow, d.FileCommands} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(d.Workflow, "event.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
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
	}}
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
}

// Launcher starts the action with the runner's environment: env holds host
// paths, and a container launcher translates them as the runner does.
type Launcher func(ctx context.Context, j *Job, env map[string]string) *exec.Cmd

// Binary runs the built binary directly, with the workspace as working directory.
func Binary(path string) Launcher {
	return func(ctx context.Context, j *Job, env map[string]string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, path)
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

// Command is one workflow command the step printed.
type Command struct {
	Name, Props, Data string
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

// Run runs the action's main stage as a step of the job, then applies its
// GITHUB_ENV exports to the job as the runner would.
func (j *Job) Run(t testing.TB, launch Launcher, s Step) *Result {
	t.Helper()
	env := j.stepEnv(t, s)
	files := map[string]string{}
	for _, v := range []struct{ name, prefix string }{
		{"GITHUB_ENV", "set_env_"}, {"GITHUB_OUTPUT", "set_output_"}, {"GITHUB_STATE", "save_state_"},
		{"GITHUB_PATH", "add_path_"}, {"GITHUB_STEP_SUMMARY", "step_summary_"},
	} {
		p := filepath.Join(j.Dirs.FileCommands, v.prefix+newGUID())
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		files[v.name] = p
		env[v.name] = p
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := launch(ctx, j, env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := &Result{Duration: time.Since(start), Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.ExitCode = exit.ExitCode()
	case err != nil:
		t.Fatalf("running the action: %v\nstderr: %s", err, stderr.String())
	}
	read := func(name string) string {
		b, err := os.ReadFile(files[name])
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	r.EnvFile, r.OutputFile, r.StateFile, r.Summary = read("GITHUB_ENV"), read("GITHUB_OUTPUT"), read("GITHUB_STATE"), read("GITHUB_STEP_SUMMARY")
	r.Env, r.ParseErr = parseFile(r.EnvFile)
	if r.ParseErr == nil {
		r.Outputs, r.ParseErr = parseFile(r.OutputFile)
	}
	if r.ParseErr == nil {
		r.State, r.ParseErr = parseFile(r.StateFile)
	}
	r.Commands = parseCommands(r.Stdout)
	for _, c := range r.Commands {
		if strings.EqualFold(c.Name, "add-mask") {
			r.Masks = append(r.Masks, c.Data)
		}
	}
	j.Masks = append(j.Masks, r.Masks...)
	// The runner processes file commands even when the step failed.
	for k, v := range r.Env {
		j.Env[k] = v
	}
	return r
}

// Shell runs a command as a later run: step would: with the job's
// environment (the workflow's plus every export so far) and HOME of the host.
func (j *Job) Shell(t testing.TB, timeout time.Duration, argv ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	env := map[string]string{}
	for k, v := range j.Env {
		env[k] = v
	}
	env["HOME"] = filepath.Join(j.Dirs.Root, "home")
	env["GITHUB_WORKSPACE"] = j.Dirs.Workspace
	env["RUNNER_TEMP"] = j.Dirs.Temp
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = Environ(env)
	cmd.Dir = j.Dirs.Workspace
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
func (j *Job) stepEnv(t testing.TB, s Step) map[string]string {
	t.Helper()
	env := map[string]string{}
	for k, v := range j.Env {
		env[k] = v
	}
	for k, v := range s.Env {
		env[k] = v
	}
	for name, in := range j.Manifest.Inputs {
		env["INPUT_"+strings.ToUpper(strings.ReplaceAll(name, " ", "_"))] = in.Default
	}
	for name, v := range s.Inputs {
		if _, ok := j.Manifest.Inputs[name]; !ok {
			t.Fatalf("input %q is not declared in action.yml", name)
		}
		env["INPUT_"+strings.ToUpper(name)] = v
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
	return env
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

func parseFile(s string) (map[string]string, error) {
	entries, err := filecmd.Parse([]byte(s))
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, e := range entries {
		m[e.Name] = e.Value
	}
	return m, nil
}

// parseCommands finds the v2 workflow commands in a log as the runner does
// (a line that starts with "::" after leading white space) and unescapes
// their data.
func parseCommands(log string) []Command {
	var out []Command
	for _, line := range strings.Split(log, "\n") {
		l := strings.TrimLeft(line, " \t\r")
		if !strings.HasPrefix(l, "::") {
			continue
		}
		rest := l[2:]
		end := strings.Index(rest, "::")
		if end < 0 {
			continue
		}
		head, data := rest[:end], rest[end+2:]
		name, props, _ := strings.Cut(head, " ")
		data = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(data)
		out = append(out, Command{Name: strings.ToLower(name), Props: props, Data: data})
	}
	return out
}

func newGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
