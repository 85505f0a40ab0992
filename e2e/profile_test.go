package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// profileIdentity runs the AWS CLI with --profile as a later step would,
// finding the files only through what the action exported.
func profileIdentity(t *testing.T, job *runnertest.Job, endpoint, profile string) (arn string, code int, stderr string) {
	t.Helper()
	requireTool(t, awsCLI, "awscli")
	job.Env["AWS_EC2_METADATA_DISABLED"] = "true"
	stdout, stderr, code := job.Shell(t, 60*time.Second, awsCLI, "sts", "get-caller-identity", "--profile", profile,
		"--endpoint-url", endpoint, "--output", "text", "--query", "Arn")
	return strings.TrimSpace(stdout), code, stderr
}

func TestProfilesForTwoAccounts(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	e.AddRole(ststest.Role{ARN: "arn:aws:iam::333333333333:role/readonly", Trust: []string{"arn:aws:iam::111111111111:root"}, AllowTagSession: true})
	job := runnertest.NewJob(t, manifest)
	for _, step := range [][]string{
		{"aws-profile", "prod", "role-to-assume", ststest.DemoRole.ARN},
		{"aws-profile", "audit", "role-to-assume", "arn:aws:iam::333333333333:role/readonly"},
	} {
		r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, step...)})
		if r.ExitCode != 0 {
			t.Fatalf("%v: exit %d\n%s", step, r.ExitCode, r.Stdout)
		}
		if _, ok := r.Env["AWS_ACCESS_KEY_ID"]; ok {
			t.Errorf("with aws-profile the keys go to the profile, not the env: %v", r.Env)
		}
		if r.Env["AWS_PROFILE"] != "" || r.Env["AWS_SHARED_CREDENTIALS_FILE"] != filepath.Join(job.Dirs.Temp, "assume-role-aws", "credentials") {
			t.Errorf("env %v", r.Env)
		}
		if !strings.Contains(r.State["files"], "credentials") {
			t.Errorf("state %v", r.State)
		}
		runnertest.CheckNoLeak(t, r, false, secretsOf(lastIssued(t, e))...)
	}
	creds := filepath.Join(job.Dirs.Temp, "assume-role-aws", "credentials")
	fi, err := os.Stat(creds)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", fi, err)
	}
	if di, _ := os.Stat(filepath.Dir(creds)); di.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v", di.Mode())
	}
	for profile, want := range map[string]string{
		"prod":  "arn:aws:sts::222222222222:assumed-role/deploy/GitHubActions",
		"audit": "arn:aws:sts::333333333333:assumed-role/readonly/GitHubActions",
	} {
		if got, code, stderr := profileIdentity(t, job, url, profile); code != 0 || got != want {
			t.Errorf("--profile %s: %q, exit %d %s", profile, got, code, stderr)
		}
	}

	// The same name again fails without overwrite-aws-profile, exporting nothing.
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, "aws-profile", "prod", "role-to-assume", ststest.DemoRole.ARN)})
	if r.ExitCode != 2 || r.EnvFile != "" || !strings.Contains(strings.Join(r.Errors(), ""), "overwrite-aws-profile") {
		t.Errorf("existing profile: exit %d, %q, env %q", r.ExitCode, r.Errors(), r.EnvFile)
	}
	r = job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, "aws-profile", "prod", "role-to-assume", ststest.DemoRole.ARN,
		"overwrite-aws-profile", "true", "output-env-credentials", "true")})
	if r.ExitCode != 0 || r.Env["AWS_PROFILE"] != "prod" || r.Env["AWS_ACCESS_KEY_ID"] == "" {
		t.Errorf("overwrite with env output: exit %d env %v", r.ExitCode, r.Env)
	}

	// The post stage deletes the files and blanks the variables.
	stepEnv := map[string]string{"STATE_files": r.State["files"]}
	pr := job.Run(t, cleanupLauncher(binary), runnertest.Step{Env: stepEnv})
	if pr.ExitCode != 0 {
		t.Fatalf("post: exit %d\n%s", pr.ExitCode, pr.Stdout)
	}
	if _, err := os.Stat(creds); !os.IsNotExist(err) {
		t.Errorf("the post stage left %s", creds)
	}
	if v, ok := pr.Env["AWS_SECRET_ACCESS_KEY"]; !ok || v != "" {
		t.Errorf("post env %v", pr.Env)
	}
}

// cleanupLauncher runs the binary as the post stage, through the name the
// image's /cleanup link gives it.
func cleanupLauncher(bin string) runnertest.Launcher {
	return func(ctx context.Context, j *runnertest.Job, env map[string]string) *exec.Cmd {
		link := filepath.Join(j.Dirs.Root, "cleanup")
		_ = os.Symlink(bin, link)
		cmd := exec.CommandContext(ctx, link)
		cmd.Env = runnertest.Environ(env)
		cmd.Dir = j.Dirs.Workspace
		return cmd
	}
}
