package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/assume-role/assume-role/internal/runnertest"
)

// stepTimeout bounds one run; a healthy run takes milliseconds.
const stepTimeout = 30 * time.Second

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

// exec runs bin once as a step of a fresh job, with runnertest, and
// measures it. The files of the run are removed before it returns.
//
// The times come from the launcher, which takes them around its own exec
// and wait of bin, and from the server: what runnertest does before the
// launcher starts (the job's files, the environment) and after it exits
// (reading the file commands) is outside every measured span.
func (b *bencher) exec(ctx context.Context, bin string, f *flow) (*sample, error) {
	root, err := os.MkdirTemp(b.tmp, "job-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(root)
	job, err := runnertest.NewJobAt(root, b.manifest)
	if err != nil {
		return nil, err
	}
	if f.prepare != nil {
		if err := f.prepare(job.Dirs); err != nil {
			return nil, err
		}
	}
	// The launcher writes its report to its file descriptor 3.
	reportPath := filepath.Join(root, "report")
	report, err := os.Create(reportPath)
	if err != nil {
		return nil, err
	}
	defer report.Close()

	callsBefore := len(b.world.emu.Calls())
	b.world.take()
	r, err := job.Exec(ctx, b.launch(bin, report), runnertest.Step{Inputs: f.with, Env: f.env, Timeout: stepTimeout})
	got := b.world.take()
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %w", f.name, err)
	case r.ExitCode != 0:
		return nil, fmt.Errorf("%s: exit %d\n%s%s", f.name, r.ExitCode, r.Stdout, r.Stderr)
	case r.ParseErr != nil:
		return nil, fmt.Errorf("%s: the runner would fail the step %w", f.name, r.ParseErr)
	}
	line, err := os.ReadFile(reportPath)
	if err != nil {
		return nil, err
	}
	var startNs, wallNs, userNs, sysNs int64
	var code int
	s := &sample{stderr: r.Stderr, served: got.busy, sts: got.sts, tokens: got.tokens, env: r.Env}
	if _, err := fmt.Sscan(string(line), &startNs, &wallNs, &s.maxRSSKiB, &userNs, &sysNs, &code, &s.floorKiB, &s.minflt); err != nil {
		return nil, fmt.Errorf("%s: reading the launcher's report %q: %w", f.name, line, err)
	}
	start := time.Unix(0, startNs)
	s.wall, s.user, s.sys = time.Duration(wallNs), time.Duration(userNs), time.Duration(sysNs)
	s.toRequest, s.afterAnswer = got.first.Sub(start), start.Add(s.wall).Sub(got.last)
	for _, c := range b.world.emu.Calls()[callsBefore:] {
		s.actions = append(s.actions, c.Action)
	}
	if err := f.check(s); err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", f.name, err, r.Stdout)
	}
	return s, nil
}

// launch runs bin under the launcher (see launcher/main.go for why the
// bench does not run bin itself), which writes its report to report. The
// launcher and bin get a process group of their own, killed as one when
// the run's time is up.
func (b *bencher) launch(bin string, report *os.File) runnertest.Launcher {
	binary := runnertest.Binary(b.launcher, bin)
	return func(ctx context.Context, j *runnertest.Job, env map[string]string) *exec.Cmd {
		cmd := binary(ctx, j, env)
		cmd.ExtraFiles = []*os.File{report}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		return cmd
	}
}
