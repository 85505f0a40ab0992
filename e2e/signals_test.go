package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// startCLI starts the binary as a command outside GitHub Actions and
// waits until its stdout has a line equal to ready (none: do not wait).
func startCLI(t *testing.T, env []string, ready string, args ...string) (cmd *exec.Cmd, stdout *bufio.Reader, stderr *bytes.Buffer) {
	t.Helper()
	cmd = exec.Command(binary, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}, env...)
	// A group of its own, so that the cleanup below reaches a child left
	// running by a broken exec.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr = &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })
	stdout = bufio.NewReader(out)
	if ready != "" {
		line, err := stdout.ReadString('\n')
		if strings.TrimSpace(line) != ready {
			t.Fatalf("the command did not start: %q, %v\n%s", line, err, stderr)
		}
	}
	return cmd, stdout, stderr
}

// waitExit waits at most d for cmd and returns its exit code.
func waitExit(t *testing.T, cmd *exec.Cmd, d time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(d):
		t.Fatalf("still running %s after the signal", d)
	}
	return -1
}

// TestExecPassesSignalsOn: docker stop, a cancelled job, a closed
// terminal or Ctrl-\ reach the command exec runs, which decides what to
// do; exec waits for it and exits with its status.
func TestExecPassesSignalsOn(t *testing.T) {
	t.Parallel()
	_, url := world(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT} {
		t.Run(signalNames[sig], func(t *testing.T) {
			t.Parallel()
			name := strings.TrimPrefix(signalNames[sig], "SIG")
			// The trap runs once the shell's wait is interrupted.
			script := `trap 'kill $!; echo got-` + name + `; exit 7' ` + name + `; echo started; sleep 30 & wait`
			cmd, out, stderr := startCLI(t, userEnv(url), "started", "exec", "--role-to-assume", ststest.DemoRole.ARN, "--", "sh", "-c", script)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			rest, _ := io.ReadAll(out)
			if code := waitExit(t, cmd, 10*time.Second); code != 7 {
				t.Errorf("exit %d, want the command's 7\n%s", code, stderr)
			}
			if got := strings.TrimSpace(string(rest)); got != "got-"+name {
				t.Errorf("the command printed %q after the signal, want got-%s", got, name)
			}
		})
	}
	// A command that does not handle the signal ends by it; exec then
	// exits as a shell would report it.
	t.Run("unhandled", func(t *testing.T) {
		t.Parallel()
		cmd, _, stderr := startCLI(t, userEnv(url), "started", "exec", "--role-to-assume", ststest.DemoRole.ARN, "--",
			"sh", "-c", "echo started; exec sleep 30")
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := waitExit(t, cmd, 10*time.Second); code != 143 {
			t.Errorf("exit %d, want 143 (128 + SIGTERM)\n%s", code, stderr)
		}
	})
	// Without a terminal the signal reaches the command's whole process
	// group, as Ctrl-C does at one: a shell's foreground command stops too,
	// instead of running on orphaned and holding the output open (this
	// test's stderr pipe, a CI job's log).
	t.Run("grandchild", func(t *testing.T) {
		t.Parallel()
		cmd, _, stderr := startCLI(t, userEnv(url), "started", "exec", "--role-to-assume", ststest.DemoRole.ARN, "--",
			"sh", "-c", "echo started; sleep 30; echo finished")
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := waitExit(t, cmd, 10*time.Second); code != 143 {
			t.Errorf("exit %d, want 143\n%s", code, stderr)
		}
	})
}

var signalNames = map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT", syscall.SIGHUP: "SIGHUP", syscall.SIGQUIT: "SIGQUIT"}

// TestCancelledIsNotATimeout: SIGTERM or SIGINT while STS has not answered
// is a cancellation, reported as one with the shell's exit status for the
// signal, not an STS time-out (exit 4), in the action and in the CLI.
func TestCancelledIsNotATimeout(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		want := 128 + int(sig)
		t.Run("action/"+signalNames[sig], func(t *testing.T) {
			t.Parallel()
			e, url := world(t)
			e.Inject("AssumeRole", ststest.Hang)
			job := runnertest.NewJob(t, manifest)
			// Once the action waits for STS, the command's context ends and
			// os/exec calls Cancel, which sends the signal.
			waiting, waited := context.WithCancel(context.Background())
			defer waited()
			go func() {
				// At most 15 s: a step that never calls STS is signalled then.
				for end := time.Now().Add(15 * time.Second); e.CallCount("AssumeRole") == 0 && time.Now().Before(end); {
					time.Sleep(10 * time.Millisecond)
				}
				waited()
			}()
			signalled := func(_ context.Context, j *runnertest.Job, env map[string]string) *exec.Cmd {
				cmd := runnertest.Binary(binary)(waiting, j, env)
				cmd.Cancel = func() error { return cmd.Process.Signal(sig) }
				cmd.WaitDelay = 15 * time.Second
				return cmd
			}
			r := job.Run(t, signalled, runnertest.Step{Inputs: with(url, "role-to-assume", ststest.DemoRole.ARN), Timeout: 20 * time.Second})
			errs := strings.Join(r.Errors(), "")
			if r.ExitCode != want || !strings.Contains(errs, "cancelled ("+signalNames[sig]+")") || strings.Contains(errs, "time") {
				t.Errorf("exit %d, error %q; want %d and a cancellation\n%s", r.ExitCode, errs, want, r.Stdout)
			}
			if r.EnvFile != "" || r.OutputFile != "" {
				t.Error("a cancelled step exported")
			}
		})
		t.Run("cli/"+signalNames[sig], func(t *testing.T) {
			t.Parallel()
			e, url := world(t)
			e.Inject("AssumeRole", ststest.Hang)
			cmd, out, stderr := startCLI(t, userEnv(url), "", "--role-to-assume", ststest.DemoRole.ARN)
			for e.CallCount("AssumeRole") == 0 {
				time.Sleep(10 * time.Millisecond)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			printed, _ := io.ReadAll(out)
			if code := waitExit(t, cmd, 10*time.Second); code != want || !strings.Contains(stderr.String(), "cancelled ("+signalNames[sig]+")") {
				t.Errorf("exit %d, stderr %q; want %d and a cancellation", code, stderr, want)
			}
			if len(printed) != 0 {
				t.Errorf("a cancelled run printed %q", printed)
			}
		})
	}
}
