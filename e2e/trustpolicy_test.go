package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// pastedRole is the role the tests create with the printed trust policy.
const pastedRole = "arn:aws:iam::222222222222:role/pasted"

// trustPolicyCLI runs the binary's trust-policy command and returns the
// policy it printed, after checking that it succeeded and that stdout is
// the policy alone.
func trustPolicyCLI(t *testing.T, env []string, args ...string) string {
	t.Helper()
	stdout, stderr, code := cli(t, env, "", append([]string{"trust-policy"}, args...)...)
	if code != 0 {
		t.Fatalf("trust-policy %v: exit %d\n%s", args, code, stderr)
	}
	if !json.Valid([]byte(stdout)) {
		t.Fatalf("stdout is not the policy alone:\n%s", stdout)
	}
	if !strings.Contains(stderr, "aws iam create-open-id-connect-provider --url https://token.actions.githubusercontent.com") {
		t.Errorf("stderr lacks the provider command:\n%s", stderr)
	}
	return stdout
}

// assumePasted runs the action in job for the pasted role and returns its
// exit code; on success a later step's AWS CLI must be that role.
func assumePasted(t *testing.T, e *ststest.Emulator, url string, job *runnertest.Job, kv ...string) int {
	t.Helper()
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: keyless(url, append([]string{"role-to-assume", pastedRole}, kv...)...)})
	if r.ExitCode != 0 {
		if r.EnvFile != "" || r.OutputFile != "" {
			t.Errorf("exported on failure: %q %q", r.EnvFile, r.OutputFile)
		}
		return r.ExitCode
	}
	if got := callerIdentity(t, job, url); got != lastIssued(t, e).ARN || !strings.Contains(got, ":assumed-role/pasted/") {
		t.Errorf("the AWS CLI is %s", got)
	}
	return 0
}

// TestTrustPolicyIsAcceptedForItsJobOnly pastes the printed policy into a
// role of the emulator, which evaluates it as IAM does: the job it
// describes gets in, another repository, branch or sub form does not.
func TestTrustPolicyIsAcceptedForItsJobOnly(t *testing.T) {
	t.Parallel()
	type job struct {
		name string
		job  ststest.Job
		ok   bool
	}
	tests := []struct {
		name string
		args []string
		jobs []job
	}{
		{"branch", []string{"--repository", "octo-org/octo-repo", "--branch", "main"}, []job{
			{"the branch", ststest.Job{}, true},
			{"another repository", ststest.Job{Repository: "octo-org/other-repo"}, false},
			{"a fork's name", ststest.Job{Repository: "octo-org/octo-repo-fork"}, false},
			{"another owner", ststest.Job{Repository: "evil-org/octo-repo"}, false},
			{"another branch", ststest.Job{Ref: "refs/heads/dev"}, false},
			{"a pull request", ststest.Job{EventName: "pull_request", Ref: "refs/pull/1/merge"}, false},
		}},
		{"tags and environment", []string{"--repository", "octo-org/octo-repo", "--tag", "v*", "--environment", "production"}, []job{
			{"a release tag", ststest.Job{Ref: "refs/tags/v1.2.3"}, true},
			{"the environment", ststest.Job{Environment: "production"}, true},
			{"another environment", ststest.Job{Environment: "staging"}, false},
			{"the main branch", ststest.Job{}, false},
			{"a tag of another repository", ststest.Job{Repository: "octo-org/other-repo", Ref: "refs/tags/v1"}, false},
		}},
		{"reusable workflow", []string{"--repository", "octo-org/octo-repo", "--branch", "main",
			"--job-workflow-ref", "octo-org/deploy/.github/workflows/deploy.yml@refs/heads/main"}, []job{
			{"through the workflow", ststest.Job{JobWorkflowRef: "octo-org/deploy/.github/workflows/deploy.yml@refs/heads/main"}, true},
			{"its own workflow", ststest.Job{}, false},
			{"the workflow at another ref", ststest.Job{JobWorkflowRef: "octo-org/deploy/.github/workflows/deploy.yml@refs/heads/dev"}, false},
		}},
		{"immutable sub", []string{"--repository", "octo-org/octo-repo", "--branch", "main",
			"--owner-id", ststest.NewTokenIssuer().Claims("")["repository_owner_id"].(string),
			"--repository-id", ststest.NewTokenIssuer().Claims("")["repository_id"].(string)}, []job{
			{"the branch", ststest.Job{ImmutableSubject: true}, true},
			{"the old sub form", ststest.Job{}, false},
			{"another repository", ststest.Job{ImmutableSubject: true, Repository: "octo-org/other-repo"}, false},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := trustPolicyCLI(t, nil, append([]string{"--account", "222222222222"}, tc.args...)...)
			for _, j := range tc.jobs {
				t.Run(j.name, func(t *testing.T) {
					t.Parallel()
					e, url, _, job := oidcWorld(t, ststest.WithJob(j.job))
					e.AddRole(ststest.Role{ARN: pastedRole, TrustPolicy: doc})
					want := 3
					if j.ok {
						want = 0
					}
					if code := assumePasted(t, e, url, job); code != want {
						t.Errorf("exit %d, want %d; policy:\n%s", code, want, doc)
					}
				})
			}
		})
	}
}

// TestTrustPolicyFromTheJobsToken runs trust-policy inside a job, where it
// reads the job's own claims: the policy admits that job and no other, and
// neither the token nor the request token reaches the output.
func TestTrustPolicyFromTheJobsToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		job   ststest.Job
		other ststest.Job
	}{
		{"environment", ststest.Job{Environment: "production"}, ststest.Job{Environment: "staging"}},
		{"immutable sub", ststest.Job{ImmutableSubject: true}, ststest.Job{ImmutableSubject: true, Repository: "octo-org/other-repo"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, url, issuer, job := oidcWorld(t, ststest.WithJob(tc.job))
			env := []string{"GITHUB_ACTIONS=true", "ACTIONS_ID_TOKEN_REQUEST_URL=" + job.Env["ACTIONS_ID_TOKEN_REQUEST_URL"],
				"ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + job.Env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]}
			stdout, stderr, code := cli(t, env, "", "trust-policy", "--account", "222222222222")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			sub := tc.job.Subject()
			if !strings.Contains(stdout, `"token.actions.githubusercontent.com:sub": "`+sub+`"`) {
				t.Errorf("the policy does not name the job's sub %s:\n%s", sub, stdout)
			}
			if issuer.Requests() != 1 || issuer.Audiences()[0] != "sts.amazonaws.com" {
				t.Errorf("token requests %d for %v, want one for sts.amazonaws.com", issuer.Requests(), issuer.Audiences())
			}
			for _, secret := range []string{job.Env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"], ".eyJ"} {
				if strings.Contains(stdout+stderr, secret) {
					t.Errorf("the output holds a token (%.12s…)", secret)
				}
			}

			e.AddRole(ststest.Role{ARN: pastedRole, TrustPolicy: stdout})
			if code := assumePasted(t, e, url, job); code != 0 {
				t.Errorf("the job the policy was made in: exit %d", code)
			}
			issuer.SetJob(tc.other)
			if code := assumePasted(t, e, url, job); code != 3 {
				t.Errorf("another job: exit %d, want 3", code)
			}
		})
	}
}

// TestTrustPolicyRefusesAnyRepository checks the refusal end to end: exit 2,
// one line on stderr naming the flag, nothing on stdout.
func TestTrustPolicyRefusesAnyRepository(t *testing.T) {
	t.Parallel()
	args := []string{"trust-policy", "--account", "222222222222", "--repository", "octo-org/*", "--branch", "main"}
	stdout, stderr, code := cli(t, nil, "", args...)
	if code != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "--repository") ||
		!strings.Contains(stderr, "--allow-any-repository-of-owner") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	doc := trustPolicyCLI(t, nil, append(args[1:], "--allow-any-repository-of-owner")...)
	for _, tc := range []struct {
		job ststest.Job
		ok  bool
	}{{ststest.Job{Repository: "octo-org/any-repo"}, true}, {ststest.Job{Repository: "evil-org/any-repo"}, false}} {
		e, url, _, job := oidcWorld(t, ststest.WithJob(tc.job))
		e.AddRole(ststest.Role{ARN: pastedRole, TrustPolicy: doc})
		if code := assumePasted(t, e, url, job); (code == 0) != tc.ok {
			t.Errorf("%s: exit %d", tc.job.Repository, code)
		}
	}
}
