//go:build linux

package e2e

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
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

// containerImage builds the image from ./Dockerfile once per test binary
// and returns its tag. It skips under -short, and when buildah or root is
// missing, except under CI=true, where .ci/run installs buildah and
// busybox-static and the test must run.
func containerImage(t *testing.T) string {
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
	return imageBuild.tag
}

// container returns a launcher that runs the image's main stage as the
// runner would: its own ENTRYPOINT.
func container(t *testing.T) runnertest.Launcher {
	t.Helper()
	return runnertest.Container(containerImage(t))
}

// containerPost returns a launcher that runs the post stage as the runner
// would: the same image started with action.yml's post-entrypoint.
func containerPost(t *testing.T) runnertest.Launcher {
	t.Helper()
	image := containerImage(t)
	if manifest.Runs.PostEntrypoint == "" {
		t.Fatal("action.yml has no runs.post-entrypoint")
	}
	return runnertest.ContainerEntrypoint(image, manifest.Runs.PostEntrypoint)
}

// runtime is one way to run the image as the runner does: buildah (no
// engine, the mounts and env of §1.2) or a Docker engine with the runner's
// own `docker run` command line.
type runtime struct {
	name string
	// main and post return the launchers of the main stage (the image's
	// ENTRYPOINT) and of the post stage (action.yml's post-entrypoint).
	main, post func(t *testing.T) runnertest.Launcher
}

var runtimes = []runtime{
	{"buildah", container, containerPost},
	{"docker", func(t *testing.T) runnertest.Launcher { return dockerLauncher(t, "") }, dockerPost},
}

// dockerPost is containerPost through Docker: --entrypoint <post-entrypoint>.
func dockerPost(t *testing.T) runnertest.Launcher {
	t.Helper()
	if manifest.Runs.PostEntrypoint == "" {
		t.Fatal("action.yml has no runs.post-entrypoint")
	}
	return dockerLauncher(t, manifest.Runs.PostEntrypoint)
}

// eachRuntime runs test once per runtime, as parallel subtests named for it.
func eachRuntime(t *testing.T, test func(t *testing.T, rt runtime)) {
	t.Helper()
	for _, rt := range runtimes {
		t.Run(rt.name, func(t *testing.T) {
			t.Parallel()
			test(t, rt)
		})
	}
}

// postStep is the step the runner makes of the action's post stage
// (runner-contract §2): the inputs again, re-evaluated, and every entry the
// main stage saved to GITHUB_STATE as STATE_<name>, name case kept.
func postStep(main *runnertest.Result, inputs map[string]string) runnertest.Step {
	env := map[string]string{}
	for k, v := range main.State {
		env["STATE_"+k] = v
	}
	return runnertest.Step{Inputs: inputs, Env: env}
}

func TestContainerKeysAndRole(t *testing.T) {
	t.Parallel()
	eachRuntime(t, testContainerKeysAndRole)
}

func testContainerKeysAndRole(t *testing.T, rt runtime) {
	launch := rt.main(t)
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
	s := checkOneAssumeRole(t, e, r)
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
	eachRuntime(t, testContainerBadInputFails)
}

func testContainerBadInputFails(t *testing.T, rt runtime) {
	launch := rt.main(t)
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
	// The runner's layout: <work>/<repo>/<repo> and <work>/_temp.
	d := runnertest.Dirs{
		Workspace:    "/h/work/repo/repo",
		Temp:         "/h/work/_temp",
		Home:         "/h/work/_temp/_github_home",
		Workflow:     "/h/work/_temp/_github_workflow",
		FileCommands: "/h/work/_temp/_runner_file_commands",
	}
	env := runnertest.ContainerEnv(map[string]string{
		"GITHUB_WORKSPACE":  "/h/work/repo/repo",
		"GITHUB_ENV":        "/h/work/_temp/_runner_file_commands/set_env_1",
		"GITHUB_EVENT_PATH": "/h/work/_temp/_github_workflow/event.json",
		"RUNNER_TEMP":       "/h/work/_temp",
		"RUNNER_WORKSPACE":  "/h/work/repo",
		"HOME":              "/h/work/_temp/_github_home",
		"SIBLING":           "/h/work/_temp2/x",
		"INPUT_X":           "see /h/work/_temp/y",
		"STATE_files":       "/github/runner_temp/assume-role-aws/credentials\n/github/runner_temp/assume-role-aws/config",
		"CREDS":             "/h/work/_temp/assume-role-aws/credentials",
	}, runnertest.ContainerMounts(d))
	for k, want := range map[string]string{
		"GITHUB_WORKSPACE":  "/github/workspace",
		"GITHUB_ENV":        "/github/file_commands/set_env_1",
		"GITHUB_EVENT_PATH": "/github/workflow/event.json",
		"RUNNER_TEMP":       "/github/runner_temp",
		"RUNNER_WORKSPACE":  "/h/work/repo", // a parent of the workspace, not under a mount: stays a host path
		"HOME":              "/github/home",
		"SIBLING":           "/h/work/_temp2/x",    // a prefix, not a parent directory
		"INPUT_X":           "see /h/work/_temp/y", // only whole values that start with a path
		"STATE_files":       "/github/runner_temp/assume-role-aws/credentials\n/github/runner_temp/assume-role-aws/config",
		"CREDS":             "/github/runner_temp/assume-role-aws/credentials",
	} {
		if env[k] != want {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}
	// What the main stage relies on to export host paths for aws-profile.
	if got := filepath.Join(filepath.Dir(env["RUNNER_WORKSPACE"]), "_temp"); got != d.Temp {
		t.Errorf("the host temp directory inferred from RUNNER_WORKSPACE is %s, want %s", got, d.Temp)
	}
}

// profileInContainer runs the main stage through the image with
// aws-profile prod in a job whose work directory, as on a real runner,
// belongs to the runner's user and not to the container's root, and checks
// what a later step on the host gets. It returns the job, the step's
// inputs (the post stage gets them again) and its result.
func profileInContainer(t *testing.T, launch runnertest.Launcher, jobEnv map[string]string) (*runnertest.Job, map[string]string, *runnertest.Result, string) {
	t.Helper()
	e, url := world(t)
	job := runnertest.NewJob(t, manifest)
	for k, v := range jobEnv {
		job.Env[k] = v
	}
	if err := os.Chown(job.Dirs.Temp, runnerUID, runnerUID); err != nil {
		t.Fatal(err)
	}
	inputs := with(url, "aws-profile", "prod", "role-to-assume", ststest.DemoRole.ARN)
	r := job.Run(t, launch, runnertest.Step{Inputs: inputs})
	t.Logf("the main stage took %s", r.Duration.Round(time.Millisecond))
	if r.ExitCode != 0 {
		t.Fatalf("main: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	if r.Stderr != "" {
		t.Errorf("main: stderr is not empty: %q", r.Stderr)
	}
	runnertest.CheckNoLeak(t, r, false, append(secretsOf(lastIssued(t, e)), ststest.DemoUser.SecretAccessKey)...)

	// Exported for the host: <work>/_temp, found through RUNNER_WORKSPACE.
	dir := filepath.Join(job.Dirs.Temp, "assume-role-aws")
	files := []string{filepath.Join(dir, "credentials"), filepath.Join(dir, "config")}
	if r.Env["AWS_SHARED_CREDENTIALS_FILE"] != files[0] || r.Env["AWS_CONFIG_FILE"] != files[1] {
		t.Errorf("exported AWS_SHARED_CREDENTIALS_FILE=%q AWS_CONFIG_FILE=%q, want the host paths %s",
			r.Env["AWS_SHARED_CREDENTIALS_FILE"], r.Env["AWS_CONFIG_FILE"], files)
	}
	if _, ok := r.Env["AWS_ACCESS_KEY_ID"]; ok {
		t.Errorf("with aws-profile the keys go to the profile, not the env: %v", r.Env)
	}
	// Recorded for the post stage, which runs in a container with the same
	// mounts: the container's paths.
	if want := "/github/runner_temp/assume-role-aws/credentials\n/github/runner_temp/assume-role-aws/config"; r.State["files"] != want {
		t.Errorf("state files = %q, want %q", r.State["files"], want)
	}
	for _, f := range append([]string{dir}, files...) {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", f, fi.Mode().Perm(), want)
		}
		// Written by root in the container, handed to the owner of _temp so
		// that the runner's later steps can read them.
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != runnerUID || st.Gid != runnerUID {
			t.Errorf("%s: owner %d:%d, want the runner's %d:%d", f, st.Uid, st.Gid, runnerUID, runnerUID)
		}
	}
	if got, code, stderr := profileIdentity(t, job, url, "prod"); code != 0 || got != "arn:aws:sts::222222222222:assumed-role/deploy/GitHubActions" {
		t.Errorf("aws --profile prod on the host: %q, exit %d %s", got, code, stderr)
	}
	return job, inputs, r, url
}

// runnerUID is the uid (and gid) of the runner's user on GitHub-hosted
// Ubuntu runners, who owns the work directory there.
const runnerUID = 1001

// TestContainerProfileAndPost runs both stages of the action through the
// image as the runner does: the main stage writes the profile, the post
// stage (post-entrypoint /cleanup, STATE_files) deletes it and blanks the
// AWS_* variables for the rest of the job.
func TestContainerProfileAndPost(t *testing.T) {
	t.Parallel()
	eachRuntime(t, testContainerProfileAndPost)
}

func testContainerProfileAndPost(t *testing.T, rt runtime) {
	job, inputs, main, url := profileInContainer(t, rt.main(t), nil)
	creds, config := main.Env["AWS_SHARED_CREDENTIALS_FILE"], main.Env["AWS_CONFIG_FILE"]

	start := time.Now()
	r := job.Run(t, rt.post(t), postStep(main, inputs))
	t.Logf("the post stage took %s", time.Since(start).Round(time.Millisecond))
	if r.ExitCode != 0 {
		t.Fatalf("post: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	if r.Stderr != "" {
		t.Errorf("post: stderr is not empty: %q", r.Stderr)
	}
	for _, f := range []string{creds, config} {
		if _, err := os.Lstat(f); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the post stage left %s (%v)", f, err)
		}
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		if v, ok := r.Env[k]; !ok || v != "" {
			t.Errorf("post GITHUB_ENV %s = %q (set %v), want it blanked", k, v, ok)
		}
	}
	if r.OutputFile != "" || r.StateFile != "" || r.Summary != "" {
		t.Errorf("post wrote outputs %q, state %q, summary %q", r.OutputFile, r.StateFile, r.Summary)
	}
	for _, f := range []string{"credentials", "config"} {
		if want := "Deleted /github/runner_temp/assume-role-aws/" + f; !strings.Contains(r.Stdout, want) {
			t.Errorf("post log lacks %q:\n%s", want, r.Stdout)
		}
	}
	runnertest.CheckNoLeak(t, r, false, ststest.DemoUser.SecretAccessKey)
	// A later (post) step of another action no longer finds the session.
	if got, code, _ := profileIdentity(t, job, url, "prod"); code == 0 {
		t.Errorf("aws --profile prod still works after the post stage: %s", got)
	}
}

// TestContainerPostSkipped: AWS_SKIP_CLEANUP_STEP=true in the job's env
// makes the post stage leave the files and the variables alone.
func TestContainerPostSkipped(t *testing.T) {
	t.Parallel()
	eachRuntime(t, testContainerPostSkipped)
}

func testContainerPostSkipped(t *testing.T, rt runtime) {
	job, inputs, main, _ := profileInContainer(t, rt.main(t), map[string]string{"AWS_SKIP_CLEANUP_STEP": "true"})
	before := maps.Clone(job.Env)
	r := job.Run(t, rt.post(t), postStep(main, inputs))
	if r.ExitCode != 0 {
		t.Fatalf("post: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	if r.EnvFile != "" || r.OutputFile != "" || r.StateFile != "" {
		t.Errorf("post wrote env %q, outputs %q, state %q", r.EnvFile, r.OutputFile, r.StateFile)
	}
	if !maps.Equal(job.Env, before) {
		t.Errorf("the job's env changed: %v, was %v", job.Env, before)
	}
	for _, f := range []string{main.Env["AWS_SHARED_CREDENTIALS_FILE"], main.Env["AWS_CONFIG_FILE"]} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("the skipped post stage removed %s: %v", f, err)
		}
	}
	if !strings.Contains(r.Stdout, "AWS_SKIP_CLEANUP_STEP") {
		t.Errorf("post log does not say why it did nothing:\n%s", r.Stdout)
	}
}
