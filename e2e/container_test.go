//go:build linux

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

var imageBuild struct {
	once     sync.Once
	tag      string
	err      error
	log      string
	duration time.Duration
}

// container builds the image from ./Dockerfile once per test binary and
// returns a launcher that runs it as the runner would. It skips under
// -short, and when buildah or root is missing, except under CI=true, where
// .ci/run installs buildah and busybox-static and the test must run.
func container(t *testing.T) runnertest.Launcher {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: building and running the image takes seconds")
	}
	why := ""
	if _, err := exec.LookPath("buildah"); err != nil {
		why = "buildah is missing: install the Debian packages buildah and busybox-static to run this test"
	} else if os.Geteuid() != 0 {
		why = "not root: buildah's chroot isolation without a user namespace needs root"
	}
	if why != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (CI=true: .ci/run must provide it)", why)
		}
		t.Skip(why)
	}
	imageBuild.once.Do(func() {
		// A tag of this process's own: a concurrent `go test` from another
		// tree must not retag the image under our feet. The script drops
		// the tags of processes that are gone.
		imageBuild.tag = fmt.Sprintf("localhost/assume-role:e2e-%d", os.Getpid())
		start := time.Now()
		out, err := exec.Command("bash", "../scripts/container-test.sh", imageBuild.tag).CombinedOutput()
		imageBuild.err, imageBuild.log, imageBuild.duration = err, string(out), time.Since(start)
	})
	if imageBuild.err != nil {
		t.Fatalf("scripts/container-test.sh: %v\n%s", imageBuild.err, imageBuild.log)
	}
	t.Logf("image %s built in %s", imageBuild.tag, imageBuild.duration.Round(time.Millisecond))
	return runnertest.Container(imageBuild.tag)
}

func TestContainerKeysAndRole(t *testing.T) {
	t.Parallel()
	launch := container(t)
	e, url := world(t)
	job := runnertest.NewJob(t, manifest)
	start := time.Now()
	r := job.Run(t, launch, runnertest.Step{Inputs: with(url,
		"role-to-assume", ststest.DemoRole.ARN, "role-duration-seconds", "1800")})
	t.Logf("the container step took %s", time.Since(start).Round(time.Millisecond))
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	if r.Stderr != "" {
		t.Errorf("stderr is not empty: %q", r.Stderr)
	}
	s := lastIssued(t, e)
	if got := e.CallCount(""); got != 1 || e.CallCount("AssumeRole") != 1 {
		t.Errorf("STS calls = %d, want exactly one AssumeRole", got)
	}
	want := map[string]string{
		"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": s.AccessKeyID, "AWS_SECRET_ACCESS_KEY": s.SecretAccessKey,
		"AWS_SESSION_TOKEN": s.SessionToken, "AWS_CREDENTIAL_EXPIRATION": s.Expiration.UTC().Format(time.RFC3339),
	}
	for k, v := range want {
		if r.Env[k] != v {
			t.Errorf("GITHUB_ENV %s = %q, want %q", k, r.Env[k], v)
		}
	}
	if len(r.Env) != len(want) {
		t.Errorf("GITHUB_ENV has %d entries, want %d: %v", len(r.Env), len(want), r.Env)
	}
	if r.Outputs["aws-account-id"] != "222222222222" || r.Outputs["authenticated-arn"] != s.ARN || len(r.Outputs) != 2 {
		t.Errorf("outputs = %v", r.Outputs)
	}
	if !strings.Contains(r.Summary, s.ARN) {
		t.Errorf("the summary, written through /github/file_commands, lacks the identity:\n%s", r.Summary)
	}
	runnertest.CheckNoLeak(t, r, false, append(secretsOf(s), ststest.DemoUser.SecretAccessKey, ststest.DemoUser.AccessKeyID)...)
	if got := callerIdentity(t, job, url); got != s.ARN {
		t.Errorf("the AWS CLI on the host is %s, want %s", got, s.ARN)
	}
}

func TestContainerBadInputFails(t *testing.T) {
	t.Parallel()
	launch := container(t)
	e, url := world(t)
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, launch, runnertest.Step{Inputs: with(url,
		"role-to-assume", ststest.DemoRole.ARN, "output-credentials", "yes")})
	if r.ExitCode != 2 {
		t.Errorf("exit code %d, want 2 (bad input)\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	if r.EnvFile != "" || r.OutputFile != "" || r.Summary != "" {
		t.Errorf("a failed step exported something:\nGITHUB_ENV=%q\nGITHUB_OUTPUT=%q\nsummary=%q", r.EnvFile, r.OutputFile, r.Summary)
	}
	if r.Stderr != "" {
		t.Errorf("stderr is not empty: %q", r.Stderr)
	}
	if got := e.CallCount(""); got != 0 {
		t.Errorf("STS saw %d calls, want none", got)
	}
	// The same error as the binary's, pinned by TestFailures.
	want, err := os.ReadFile("testdata/errors/bad-input-boolean.golden")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Errors(), "\n") + "\n"; got != string(want) {
		t.Errorf("::error:: = %q, want %q", got, want)
	}
	runnertest.CheckNoLeak(t, r, false, ststest.DemoUser.SecretAccessKey, ststest.DemoUser.AccessKeyID)
}

// TestContainerPaths pins the runner's path translation (runner-contract
// §1.3) that the container launcher applies; it needs no buildah.
func TestContainerPaths(t *testing.T) {
	t.Parallel()
	d := runnertest.Dirs{
		Workspace:    "/h/work/repo/repo",
		Temp:         "/h/_temp",
		Home:         "/h/_temp/_github_home",
		Workflow:     "/h/_temp/_github_workflow",
		FileCommands: "/h/_temp/_runner_file_commands",
	}
	env := runnertest.ContainerEnv(map[string]string{
		"GITHUB_WORKSPACE":  "/h/work/repo/repo",
		"GITHUB_ENV":        "/h/_temp/_runner_file_commands/set_env_1",
		"GITHUB_EVENT_PATH": "/h/_temp/_github_workflow/event.json",
		"RUNNER_TEMP":       "/h/_temp",
		"RUNNER_WORKSPACE":  "/h/work/repo",
		"HOME":              "/h/_temp/_github_home",
		"SIBLING":           "/h/_temp2/x",
		"INPUT_X":           "see /h/_temp/y",
	}, runnertest.ContainerMounts(d))
	for k, want := range map[string]string{
		"GITHUB_WORKSPACE":  "/github/workspace",
		"GITHUB_ENV":        "/github/file_commands/set_env_1",
		"GITHUB_EVENT_PATH": "/github/workflow/event.json",
		"RUNNER_TEMP":       "/github/runner_temp",
		"RUNNER_WORKSPACE":  "/h/work/repo", // not mounted: stays a host path
		"HOME":              "/github/home",
		"SIBLING":           "/h/_temp2/x",    // a prefix, not a parent directory
		"INPUT_X":           "see /h/_temp/y", // only whole values that start with a path
	} {
		if env[k] != want {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}
}
