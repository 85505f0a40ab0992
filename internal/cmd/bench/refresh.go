package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/assume-role/assume-role/internal/devtool"
	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// awsCLI is the caller of the refreshing profile: Debian's AWS CLI v2.
const awsCLI = "/usr/bin/aws"

// refreshProfile is the profile the refresh bench writes.
const refreshProfile = "bench"

// refreshBench measures a refreshing profile (aws-profile with
// refresh-credentials) as later steps use it, with the AWS CLI as the
// caller: how many AssumeRole calls N sequential commands cost, 32 parallel
// commands with no cached session, sessions that expire every few seconds,
// and the wall time per command. With -before it measures another build of
// the action the same way (an older commit, for the figures before a
// change).
func refreshBench(ctx context.Context, o options, progress io.Writer) (string, error) {
	if _, err := os.Stat(awsCLI); err != nil {
		return "", fmt.Errorf("the refresh bench needs the AWS CLI at %s (Debian package awscli)", awsCLI)
	}
	root, err := devtool.ModuleRoot(ctx)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp("", "assume-role-bench-refresh-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "assume-role")
	fmt.Fprintln(progress, "building the action")
	if err := devtool.Build(ctx, root, bin, "."); err != nil {
		return "", err
	}
	manifest, err := runnertest.LoadManifest(filepath.Join(root, "action.yml"))
	if err != nil {
		return "", err
	}
	w, err := newWorld(ctx)
	if err != nil {
		return "", err
	}
	defer w.close()
	w.emu.SetLatency(o.latency)
	rb := &refresher{w: w, manifest: manifest, tmp: tmp, progress: progress, calls: o.calls}

	builds := []struct{ name, bin string }{{"this build", bin}}
	if o.before != "" {
		builds = append([]struct{ name, bin string }{{"before (" + filepath.Base(o.before) + ")", o.before}}, builds...)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### Refreshing profile, the AWS CLI as the caller\n\n")
	flags := fmt.Sprintf(" -calls %d", o.calls)
	if o.before != "" {
		flags += " -before " + o.before
	}
	if o.latency > 0 {
		flags += " -latency " + o.latency.String()
	}
	fmt.Fprintf(&b, "`go run ./internal/cmd/bench -refresh%s` on %s (%d CPUs), %s, load %s.\n\n",
		flags, procField("/proc/cpuinfo", "model name"), describeMachine().nproc,
		time.Now().UTC().Format("2006-01-02"), loadAverage())
	b.WriteString("| build | scenario | commands | AssumeRole calls: the step's + the commands' | wall per command, median | p95 | failed |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, build := range builds {
		for _, sc := range []func(context.Context, string) (*scenario, error){rb.processAlone, rb.sequential, rb.parallel, rb.expiring} {
			s, err := sc(ctx, build.bin)
			if err != nil {
				return "", fmt.Errorf("%s: %w", build.name, err)
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %d + %d | %s | %s | %d |\n", build.name, s.name, len(s.walls), s.stepCalls, s.assumeRoles, ms(median(s.walls)), ms(p95(s.walls)), s.failed)
			fmt.Fprintf(progress, "  %s, %s: %d commands, %d AssumeRole, median %s, %d failed\n", build.name, s.name, len(s.walls), s.assumeRoles, ms(median(s.walls)), s.failed)
		}
	}
	b.WriteString("\n")
	return b.String(), nil
}

// refresher runs the refresh scenarios.
type refresher struct {
	w        *world
	manifest *runnertest.Manifest
	tmp      string
	progress io.Writer
	calls    int
}

// scenario is one measured scenario.
type scenario struct {
	name        string
	walls       []time.Duration
	assumeRoles int // AssumeRole calls after the step that wrote the profile
	stepCalls   int // AssumeRole calls of that step
	failed      int // AWS CLI commands that did not exit 0
}

// job writes the refreshing profile with keys and a role, as a step would,
// and returns the job for the later steps.
func (rb *refresher) job(ctx context.Context, bin string) (*runnertest.Job, error) {
	root, err := os.MkdirTemp(rb.tmp, "job-")
	if err != nil {
		return nil, err
	}
	job, err := runnertest.NewJobAt(root, rb.manifest)
	if err != nil {
		return nil, err
	}
	r, err := job.Exec(ctx, runnertest.Binary(bin), runnertest.Step{Inputs: map[string]string{
		"aws-region": ststest.DemoRegion, "sts-endpoint": rb.w.url,
		"aws-access-key-id": ststest.DemoUser.AccessKeyID, "aws-secret-access-key": ststest.DemoUser.SecretAccessKey,
		"role-to-assume": ststest.DemoRole.ARN, "aws-profile": refreshProfile, "refresh-credentials": "true",
	}})
	if err != nil {
		return nil, err
	}
	if r.ExitCode != 0 {
		return nil, fmt.Errorf("the step that writes the profile: exit %d\n%s", r.ExitCode, r.Stdout)
	}
	job.Env["AWS_EC2_METADATA_DISABLED"] = "true"
	return job, nil
}

// aws runs one AWS CLI command with the profile, as a later step.
func (rb *refresher) aws(ctx context.Context, job *runnertest.Job) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := job.Command(ctx, awsCLI, "sts", "get-caller-identity", "--profile", refreshProfile, "--endpoint-url", rb.w.url, "--output", "text", "--query", "Arn")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start)
	if err == nil && !strings.Contains(string(out), "assumed-role/deploy/") {
		err = fmt.Errorf("the AWS CLI printed %q", out)
	}
	if err != nil {
		return wall, fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return wall, nil
}

func (rb *refresher) assumeRoles() int { return rb.w.emu.CallCount("AssumeRole") }

// sequential: N commands one after the other.
func (rb *refresher) sequential(ctx context.Context, bin string) (*scenario, error) {
	start := rb.assumeRoles()
	job, err := rb.job(ctx, bin)
	if err != nil {
		return nil, err
	}
	s := &scenario{name: fmt.Sprintf("%d sequential", rb.calls)}
	before := rb.assumeRoles()
	s.stepCalls = before - start
	for range rb.calls {
		wall, err := rb.aws(ctx, job)
		if err != nil {
			return nil, err
		}
		s.walls = append(s.walls, wall)
	}
	s.assumeRoles = rb.assumeRoles() - before
	return s, nil
}

// parallel: 32 commands at once with no cached session.
func (rb *refresher) parallel(ctx context.Context, bin string) (*scenario, error) {
	start := rb.assumeRoles()
	job, err := rb.job(ctx, bin)
	if err != nil {
		return nil, err
	}
	cache := filepath.Join(job.Dirs.Temp, "assume-role-aws", refreshProfile+".session.json")
	if err := os.Remove(cache); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	s := &scenario{name: "32 parallel, empty cache"}
	before := rb.assumeRoles()
	s.stepCalls = before - start
	var mu sync.Mutex
	var wg sync.WaitGroup
	var first error
	for range 32 {
		wg.Go(func() {
			wall, err := rb.aws(ctx, job)
			mu.Lock()
			defer mu.Unlock()
			s.walls = append(s.walls, wall)
			if err != nil {
				s.failed++
				if first == nil {
					first = err
				}
			}
		})
	}
	wg.Wait()
	if first != nil && s.failed == 32 {
		return nil, first
	}
	s.assumeRoles = rb.assumeRoles() - before
	return s, nil
}

// expiringLifetime is how long the sessions of the expiry scenario last.
const expiringLifetime = 20 * time.Second

// expiring: sessions that expire every few seconds, two callers in a
// loop for a minute. A command that was handed an expired session fails.
func (rb *refresher) expiring(ctx context.Context, bin string) (*scenario, error) {
	rb.w.emu.SetSessionLifetime(expiringLifetime)
	defer rb.w.emu.SetSessionLifetime(0)
	start := rb.assumeRoles()
	job, err := rb.job(ctx, bin)
	if err != nil {
		return nil, err
	}
	const span = 60 * time.Second
	s := &scenario{name: fmt.Sprintf("sessions of %s, 2 callers for %s", expiringLifetime, span)}
	before := rb.assumeRoles()
	s.stepCalls = before - start
	deadline := time.Now().Add(span)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				wall, err := rb.aws(ctx, job)
				mu.Lock()
				s.walls = append(s.walls, wall)
				if err != nil {
					s.failed++
					fmt.Fprintln(rb.progress, "   ", err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	s.assumeRoles = rb.assumeRoles() - before
	slices.Sort(s.walls)
	return s, nil
}

// processAlone: the profile's credential_process command itself, run N
// times one after the other as the AWS CLI runs it (its line from the
// config file, through sh -c as the Go SDK runs it), without the CLI's own
// start-up around it.
func (rb *refresher) processAlone(ctx context.Context, bin string) (*scenario, error) {
	start := rb.assumeRoles()
	job, err := rb.job(ctx, bin)
	if err != nil {
		return nil, err
	}
	config, err := os.ReadFile(filepath.Join(job.Dirs.Temp, "assume-role-aws", "config"))
	if err != nil {
		return nil, err
	}
	var line string
	for _, l := range strings.Split(string(config), "\n") {
		if v, ok := strings.CutPrefix(l, "credential_process = "); ok {
			line = v
		}
	}
	if line == "" {
		return nil, fmt.Errorf("no credential_process in\n%s", config)
	}
	s := &scenario{name: fmt.Sprintf("%d sequential, credential_process alone", rb.calls)}
	before := rb.assumeRoles()
	s.stepCalls = before - start
	for range rb.calls {
		cmd := job.Command(ctx, "/bin/sh", "-c", line)
		t0 := time.Now()
		out, err := cmd.Output()
		wall := time.Since(t0)
		if err != nil || !strings.Contains(string(out), `"SessionToken"`) {
			return nil, fmt.Errorf("credential_process: %v %q", err, out)
		}
		s.walls = append(s.walls, wall)
	}
	s.assumeRoles = rb.assumeRoles() - before
	return s, nil
}
