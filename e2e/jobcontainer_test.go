//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// jobContainerID is what job.container.id looks like: a Docker container ID.
const jobContainerID = "3f1c0a9be2d64c1e8a7b5d0c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f"

// inJobContainer runs the AWS CLI as a later run: step of a job with
// `container:` runs it: inside the job container, with the exported
// environment translated by the runner.
func inJobContainer(t *testing.T, job *runnertest.Job, endpoint string, args ...string) (arn string, code int, stderr string) {
	t.Helper()
	requireTool(t, awsCLI, "awscli")
	job.Env["AWS_EC2_METADATA_DISABLED"] = "true"
	argv := append([]string{awsCLI, "sts", "get-caller-identity", "--endpoint-url", endpoint, "--output", "text", "--query", "Arn"}, args...)
	stdout, stderr, code := job.ContainerShell(t, 60*time.Second, argv...)
	return strings.TrimSpace(stdout), code, stderr
}

// TestJobContainer runs the action in a job with `container:` in each
// layout a runner gives it, and uses each kind of export from a later step
// inside the job container: the environment, a named profile with keys and
// a profile that renews its session (credential_process), whose command
// must name the binary where the job container sees it.
func TestJobContainer(t *testing.T) {
	t.Parallel()
	runnertest.RequireIsolation(t)
	want := "arn:aws:sts::222222222222:assumed-role/deploy/GitHubActions"
	for _, layout := range []struct {
		name   string
		launch func(t *testing.T) runnertest.Launcher
		// dir is the profile's directory as the job container sees it, and
		// host under the job's work directory.
		dir, host string
		// only limits the flows, for layouts whose paths another one shares.
		only string
	}{
		{"container action", isolated(runnertest.ContainerMounts),
			"/github/home/.assume-role-aws", "_temp/_github_home/.assume-role-aws", ""},
		// No /github/home in the action's pod: the runner's work volume at /__w.
		{"kubernetes mode", isolated(runnertest.KubernetesActionMounts),
			"/__w/_temp/assume-role-aws", "_temp/assume-role-aws", ""},
		// The image itself, run by buildah with the runner's mounts.
		{"image", container, "/github/home/.assume-role-aws", "_temp/_github_home/.assume-role-aws", "refresh"},
		// The same image through the runner's own docker run command line.
		{"docker", func(t *testing.T) runnertest.Launcher { return dockerLauncher(t, "") },
			"/github/home/.assume-role-aws", "_temp/_github_home/.assume-role-aws", "refresh"},
		// The action on the host sees the job's home as HOME too.
		{"binary", func(*testing.T) runnertest.Launcher { return runnertest.Binary(binary) },
			"/github/home/.assume-role-aws", "_temp/_github_home/.assume-role-aws", "refresh"},
	} {
		for _, flow := range []struct {
			name string
			with []string
		}{
			{"env", nil},
			{"profile", []string{"aws-profile", "prod"}},
			{"refresh", []string{"aws-profile", "prod", "refresh-credentials", "true"}},
		} {
			if layout.only != "" && flow.name != layout.only {
				continue
			}
			t.Run(layout.name+"/"+flow.name, func(t *testing.T) {
				t.Parallel()
				e, url := world(t)
				job := runnertest.NewJob(t, manifest)
				job.ContainerID = jobContainerID
				r := job.Run(t, layout.launch(t), runnertest.Step{Inputs: with(url, append([]string{"role-to-assume", ststest.DemoRole.ARN}, flow.with...)...)})
				if r.ExitCode != 0 {
					t.Fatalf("exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
				}
				runnertest.CheckNoLeak(t, r, false, append(secretsOf(lastIssued(t, e)), ststest.DemoUser.SecretAccessKey)...)
				var args []string
				if flow.with != nil {
					args = []string{"--profile", "prod"}
					// Exported as the runner knows them, host paths, which it
					// translates for the job container.
					if got, want := r.Env["AWS_CONFIG_FILE"], filepath.Join(job.Dirs.Work, layout.host, "config"); got != want {
						t.Errorf("AWS_CONFIG_FILE = %q, want %q", got, want)
					}
					if !strings.Contains(r.Stdout, layout.dir+" in the job container") {
						t.Errorf("the log does not say where the job container finds the profile:\n%s", r.Stdout)
					}
				}
				if flow.name == "refresh" {
					config, err := os.ReadFile(filepath.Join(job.Dirs.Work, layout.host, "config"))
					if err != nil {
						t.Fatal(err)
					}
					if want := "credential_process = " + layout.dir + "/assume-role credential-process "; !strings.Contains(string(config), want) {
						t.Errorf("config lacks %q:\n%s", want, config)
					}
					if strings.Contains(string(config), job.Dirs.Root) {
						t.Errorf("config names a host path:\n%s", config)
					}
				}
				calls := e.CallCount("AssumeRole")
				if got, code, stderr := inJobContainer(t, job, url, args...); code != 0 || got != want {
					t.Fatalf("aws in the job container: %q, exit %d %s", got, code, stderr)
				}
				if flow.name == "refresh" {
					// The step's own session first, from the cache; with the
					// cache gone, credential_process renews it in the container.
					if n := e.CallCount("AssumeRole") - calls; n != 0 {
						t.Errorf("the later step made %d AssumeRole calls, want 0 (the cached session)", n)
					}
					if err := os.Remove(filepath.Join(job.Dirs.Work, layout.host, "prod.session.json")); err != nil {
						t.Fatal(err)
					}
					if got, code, stderr := inJobContainer(t, job, url, args...); code != 0 || got != want {
						t.Fatalf("aws in the job container, renewing: %q, exit %d %s", got, code, stderr)
					}
					if n := e.CallCount("AssumeRole") - calls; n != 1 {
						t.Errorf("the later step made %d AssumeRole calls, want 1 (through credential_process)", n)
					}
				}
			})
		}
	}
}

func isolated(mounts func(runnertest.Dirs) []runnertest.Mount) func(*testing.T) runnertest.Launcher {
	return func(*testing.T) runnertest.Launcher { return runnertest.Isolated(binary, mounts) }
}

// TestJobContainerPost: the post stage, in its own container with the
// same mounts, deletes the profile's files that the main stage wrote in the
// job's home, and a later step in the job container finds no session.
func TestJobContainerPost(t *testing.T) {
	t.Parallel()
	runnertest.RequireIsolation(t)
	_, url := world(t)
	job := runnertest.NewJob(t, manifest)
	job.ContainerID = jobContainerID
	inputs := with(url, "role-to-assume", ststest.DemoRole.ARN, "aws-profile", "prod", "refresh-credentials", "true")
	main := job.Run(t, runnertest.Isolated(binary, runnertest.ContainerMounts), runnertest.Step{Inputs: inputs})
	if main.ExitCode != 0 {
		t.Fatalf("main: exit %d\n%s", main.ExitCode, main.Stdout)
	}
	files := strings.Split(main.State["files"], "\n")
	if len(files) < 3 {
		t.Fatalf("state files %q", main.State["files"])
	}
	r := job.Run(t, runnertest.IsolatedAs(binary, "/cleanup", runnertest.ContainerMounts), postStep(main, inputs))
	if r.ExitCode != 0 {
		t.Fatalf("post: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	for _, f := range files {
		if !strings.Contains(r.Stdout, "Deleted "+f) {
			t.Errorf("post log lacks Deleted %s:\n%s", f, r.Stdout)
		}
		host := filepath.Join(job.Dirs.Temp, strings.TrimPrefix(f, "/github/runner_temp/"))
		if _, err := os.Lstat(host); !os.IsNotExist(err) {
			t.Errorf("the post stage left %s (%v)", host, err)
		}
	}
	if got, code, _ := inJobContainer(t, job, url, "--profile", "prod"); code == 0 {
		t.Errorf("aws --profile prod still works in the job container after the post stage: %s", got)
	}
}

// TestProfileNotShared: where no directory of the action's container is
// shared with the later steps (a Kubernetes-mode pod without the runner's
// work volume, a runner that keeps its temp directory out of the action's
// container), aws-profile fails with one clear error and exports nothing,
// rather than write where no later step can read; the environment export
// still works there.
func TestProfileNotShared(t *testing.T) {
	t.Parallel()
	runnertest.RequireIsolation(t)
	launch := runnertest.Isolated(binary, runnertest.UnsharedTempMounts)
	for _, container := range []bool{false, true} {
		t.Run(map[bool]string{false: "host job", true: "container job"}[container], func(t *testing.T) {
			t.Parallel()
			e, url := world(t)
			job := runnertest.NewJob(t, manifest)
			if container {
				job.ContainerID = jobContainerID
			}
			r := job.Run(t, launch, runnertest.Step{Inputs: with(url, "role-to-assume", ststest.DemoRole.ARN, "aws-profile", "prod")})
			if r.ExitCode != 2 {
				t.Errorf("exit %d, want 2\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
			}
			if r.EnvFile != "" || r.OutputFile != "" || r.Summary != "" {
				t.Errorf("a failed step exported something: env %q outputs %q summary %q", r.EnvFile, r.OutputFile, r.Summary)
			}
			if errs := r.Errors(); len(errs) != 1 {
				t.Fatalf("want one ::error::, got %q", errs)
			}
			// Found before the STS call: no session was made to be lost.
			if n := e.CallCount(""); n != 0 {
				t.Errorf("%d STS calls before the refusal", n)
			}
			runnertest.CheckNoLeak(t, r, false, ststest.DemoUser.SecretAccessKey)
			golden(t, "errors/profile-not-shared.golden", normalize(strings.Join(r.Errors(), "\n")+"\n", url, nil))

			// Without aws-profile the same runner works.
			r = job.Run(t, launch, runnertest.Step{Inputs: with(url, "role-to-assume", ststest.DemoRole.ARN)})
			if r.ExitCode != 0 || r.Env["AWS_SESSION_TOKEN"] == "" {
				t.Fatalf("env export: exit %d env %v\n%s", r.ExitCode, r.Env, r.Stdout)
			}
		})
	}
}
