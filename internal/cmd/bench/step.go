package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/assume-role/assume-role/internal/filecmd"
	"github.com/assume-role/assume-role/internal/runnertest"
)

// stepTimeout bounds one run; a healthy run takes milliseconds.
const stepTimeout = 30 * time.Second

// jobDirs are one job's directories, laid out as the runner lays them out
// under its _work directory (see runnertest.NewJob).
type jobDirs struct {
	root, workspace, temp, home, workflow, fileCommands string
}

func newJobDirs(parent string) (*jobDirs, error) {
	root, err := os.MkdirTemp(parent, "job-")
	if err != nil {
		return nil, err
	}
	d := &jobDirs{
		root:         root,
		workspace:    filepath.Join(root, "work", "repo", "repo"),
		temp:         filepath.Join(root, "work", "_temp"),
		home:         filepath.Join(root, "work", "_temp", "_github_home"),
		workflow:     filepath.Join(root, "work", "_temp", "_github_workflow"),
		fileCommands: filepath.Join(root, "work", "_temp", "_runner_file_commands"),
	}
	for _, p := range []string{d.workspace, d.home, d.workflow, d.fileCommands} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(d.workflow, "event.json"), []byte("{}\n"), 0o644); err != nil {
		return nil, err
	}
	return d, nil
}

// jobEnv is the environment the workflow gives every step of the job, as in
// runnertest.NewJob.
func jobEnv() map[string]string {
	return map[string]string{
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
	}
}

// stepEnv builds a container action's environment as the runner does (and
// as runnertest's Job.stepEnv does): the job's env, then INPUT_* for every
// input of the manifest (its default, or the with: value), then the
// variables the runner fixes, which win.
func stepEnv(m *runnertest.Manifest, d *jobDirs, extra, with map[string]string) (map[string]string, error) {
	env := jobEnv()
	for k, v := range extra {
		env[k] = v
	}
	for name, in := range m.Inputs {
		env["INPUT_"+strings.ToUpper(strings.ReplaceAll(name, " ", "_"))] = in.Default
	}
	for name, v := range with {
		if _, ok := m.Inputs[name]; !ok {
			return nil, fmt.Errorf("input %q is not declared in action.yml", name)
		}
		env["INPUT_"+strings.ToUpper(name)] = v
	}
	env["HOME"] = d.home
	env["GITHUB_WORKSPACE"] = d.workspace
	env["GITHUB_EVENT_PATH"] = filepath.Join(d.workflow, "event.json")
	env["RUNNER_TEMP"] = d.temp
	env["RUNNER_WORKSPACE"] = filepath.Dir(d.workspace)
	env["GITHUB_ACTIONS"] = "true"
	env["CI"] = "true"
	return env, nil
}

// sample is one measured run.
type sample struct {
	wall   time.Duration // exec to exit
	served time.Duration // time the emulator and token endpoint spent answering
	// toRequest is from exec to the first request's arrival, afterAnswer
	// from the last answer to exit.
	toRequest, afterAnswer time.Duration
	user, sys              time.Duration
	maxRSSKiB              int64 // the child's ru_maxrss
	floorKiB               int64 // the launcher's, below which maxRSSKiB means nothing
	minflt                 int64 // minor page faults
	sts                    int   // STS requests
	tokens                 int   // token endpoint requests
	actions                []string
	env                    map[string]string // GITHUB_ENV as the runner reads it
	stderr                 string
}

// exec runs bin once as a step of a fresh job and measures it. The files
// of the run are removed before it returns.
func (b *bencher) exec(ctx context.Context, bin string, f *flow) (*sample, error) {
	d, err := newJobDirs(b.tmp)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(d.root)
	if f.prepare != nil {
		if err := f.prepare(d); err != nil {
			return nil, err
		}
	}
	env, err := stepEnv(b.manifest, d, f.env, f.with)
	if err != nil {
		return nil, err
	}
	for k, v := range f.extraEnv {
		env[k] = v
	}
	files := map[string]string{}
	for _, v := range []struct{ name, prefix string }{
		{"GITHUB_ENV", "set_env_"}, {"GITHUB_OUTPUT", "set_output_"}, {"GITHUB_STATE", "save_state_"},
		{"GITHUB_PATH", "add_path_"}, {"GITHUB_STEP_SUMMARY", "step_summary_"},
	} {
		p := filepath.Join(d.fileCommands, v.prefix+rand.Text())
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			return nil, err
		}
		files[v.name], env[v.name] = p, p
	}

	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	// The launcher runs bin and measures it; see launcher/main.go for why
	// the bench does not run bin itself.
	cmd := exec.CommandContext(ctx, b.launcher, bin)
	cmd.Env = runnertest.Environ(env)
	cmd.Dir = d.workspace
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	reportR, reportW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer reportR.Close()
	cmd.ExtraFiles = []*os.File{reportW}

	callsBefore := len(b.world.emu.Calls())
	b.world.take()
	err = cmd.Start()
	reportW.Close()
	if err == nil {
		err = cmd.Wait()
	}
	got := b.world.take()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return nil, fmt.Errorf("%s: exit %d\n%s%s", f.name, exit.ExitCode(), stdout.String(), stderr.String())
	case err != nil:
		return nil, fmt.Errorf("%s: %w", f.name, err)
	}
	line, err := io.ReadAll(reportR)
	if err != nil {
		return nil, err
	}
	var startNs, wallNs, userNs, sysNs int64
	var code int
	s := &sample{stderr: stderr.String(), served: got.busy, sts: got.sts, tokens: got.tokens}
	if _, err := fmt.Sscan(string(line), &startNs, &wallNs, &s.maxRSSKiB, &userNs, &sysNs, &code, &s.floorKiB, &s.minflt); err != nil {
		return nil, fmt.Errorf("%s: reading the launcher's report %q: %w", f.name, line, err)
	}
	start := time.Unix(0, startNs)
	s.wall, s.user, s.sys = time.Duration(wallNs), time.Duration(userNs), time.Duration(sysNs)
	s.toRequest, s.afterAnswer = got.first.Sub(start), start.Add(s.wall).Sub(got.last)
	for _, c := range b.world.emu.Calls()[callsBefore:] {
		s.actions = append(s.actions, c.Action)
	}
	raw, err := os.ReadFile(files["GITHUB_ENV"])
	if err != nil {
		return nil, err
	}
	entries, err := filecmd.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: the runner could not read GITHUB_ENV: %w", f.name, err)
	}
	s.env = map[string]string{}
	for _, e := range entries {
		s.env[e.Name] = e.Value
	}
	if err := f.check(s); err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", f.name, err, stdout.String())
	}
	return s, nil
}
