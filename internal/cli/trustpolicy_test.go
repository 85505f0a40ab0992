package cli

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/action"
	"github.com/assume-role/assume-role/internal/ststest"
)

func TestTrustPolicyCommand(t *testing.T) {
	t.Parallel()
	custom := func(c map[string]any) {
		c["sub"] = "repo:octo-org/octo-repo:job_workflow_ref:o/d/.github/workflows/d.yml@refs/heads/main"
	}
	tests := []struct {
		name      string
		args      []string
		job       *ststest.Job // a job that may mint an ID token
		edit      func(map[string]any)
		fault     int
		code      int // 0: success
		stdout    string
		stderrHas string
	}{
		{name: "flags", args: []string{"--account", "111111111111", "--repository", "o/r", "--branch", "main"},
			stdout: `"repo:o/r:ref:refs/heads/main"`, stderrHas: "aws iam create-open-id-connect-provider"},
		{name: "--flag=value and repeats", args: []string{"--account=111111111111", "--repository=o/r", "--tag=v1", "--tag", "v2"},
			stdout: `"repo:o/r:ref:refs/tags/v2"`},
		{name: "custom audience needs adding to the provider", args: []string{"--account", "111111111111", "--repository", "o/r", "--pull-request", "--audience", "sigstore"},
			stdout: `"sigstore"`, stderrHas: "aws iam add-client-id-to-open-id-connect-provider"},
		{name: "aws-cn", args: []string{"--account", "111111111111", "--repository", "o/r", "--branch", "main", "--partition", "aws-cn"},
			stdout: `"arn:aws-cn:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"`, stderrHas: "--region cn-north-1"},
		{name: "the job's own token", args: []string{"--account", "111111111111"}, job: &ststest.Job{Environment: "prod"},
			stdout: `"repo:octo-org/octo-repo:environment:prod"`, stderrHas: "Read from the job's ID token: repository octo-org/octo-repo"},
		{name: "the job's repository, the flags' branch", args: []string{"--account", "111111111111", "--branch", "release/*"}, job: &ststest.Job{},
			stdout: `"repo:octo-org/octo-repo:ref:refs/heads/release/*"`},
		{name: "--repository wins over the token", args: []string{"--account", "111111111111", "--repository", "o/r", "--branch", "main"}, job: &ststest.Job{},
			stdout: `"repo:o/r:ref:refs/heads/main"`},
		{name: "a customized sub cannot take flags", args: []string{"--account", "111111111111", "--branch", "main"}, job: &ststest.Job{}, edit: custom,
			code: action.ExitBadInput, stderrHas: "customized"},
		{name: "token refused", args: []string{"--account", "111111111111"}, job: &ststest.Job{}, fault: 403,
			code: action.ExitBadInput, stderrHas: "permissions: id-token: write"},
		{name: "token service down", args: []string{"--account", "111111111111"}, job: &ststest.Job{}, fault: 503,
			code: action.ExitUnavailable, stderrHas: "HTTP 503"},
		{name: "no repository outside a job", args: []string{"--account", "111111111111", "--branch", "main"},
			code: action.ExitBadInput, stderrHas: "--repository is missing"},
		{name: "any repository", args: []string{"--account", "111111111111", "--repository", "o/*", "--branch", "main"},
			code: action.ExitBadInput, stderrHas: "--allow-any-repository-of-owner"},
		{name: "unknown flag", args: []string{"--acount", "1"}, code: action.ExitBadInput, stderrHas: "unknown flag --acount; did you mean --account?"},
		{name: "missing value", args: []string{"--account"}, code: action.ExitBadInput, stderrHas: "--account needs a value"},
		{name: "stray argument", args: []string{"--account", "111111111111", "main"}, code: action.ExitBadInput, stderrHas: `unexpected argument "main"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var environ []string
			var secrets []string
			if tt.job != nil {
				issuer, reqURL, reqToken := ststest.NewTokenServer(t, ststest.WithJob(*tt.job))
				issuer.EditClaims(tt.edit)
				if tt.fault != 0 {
					issuer.InjectToken(tt.fault, tt.fault, tt.fault, tt.fault, tt.fault)
				}
				environ = []string{"ACTIONS_ID_TOKEN_REQUEST_URL=" + reqURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + reqToken}
				secrets = append(secrets, reqToken, ".eyJ")
			}
			stdout, stderr, err := run(t, false, environ, append([]string{"trust-policy"}, tt.args...)...)
			if err != nil {
				var ee *ExitError
				if !errors.As(err, &ee) || ee.Code != tt.code {
					t.Fatalf("error %v (%T), want exit %d", err, err, tt.code)
				}
				stderr += ee.Error() + "\n"
				if stdout != "" {
					t.Errorf("a failure printed on stdout: %q", stdout)
				}
				if strings.Contains(ee.Error(), "\n") {
					t.Errorf("the error is not one line: %q", ee.Error())
				}
			} else if tt.code != 0 {
				t.Fatalf("succeeded, want exit %d\n%s", tt.code, stdout)
			}
			if tt.code == 0 && (!json.Valid([]byte(stdout)) || !strings.Contains(stdout, tt.stdout)) {
				t.Errorf("stdout lacks %s or is not the policy alone:\n%s", tt.stdout, stdout)
			}
			if !strings.Contains(stderr, tt.stderrHas) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderrHas, stderr)
			}
			for _, s := range secrets {
				if strings.Contains(stdout+stderr, s) {
					t.Errorf("the output holds a secret (%.10s…)", s)
				}
			}
		})
	}
}

// TestTrustPolicyOutputGolden pins every byte of stdout and stderr for a
// custom audience in aws-cn, which prints both provider commands.
func TestTrustPolicyOutputGolden(t *testing.T) {
	t.Parallel()
	stdout, stderr, err := run(t, false, nil, "trust-policy", "--account", "111111111111", "--partition", "aws-cn",
		"--repository", "octo-org/octo-repo", "--environment", "production", "--audience", "https://github.com/octo-org")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "trust-policy.golden", "--- stdout\n"+stdout+"--- stderr\n"+stderr)
}

func TestTrustPolicyHelpGoesToStdout(t *testing.T) {
	t.Parallel()
	stdout, stderr, err := run(t, false, nil, "trust-policy", "--help")
	if !errors.Is(err, ErrHelp) || stderr != "" {
		t.Fatalf("err %v, stderr %q", err, stderr)
	}
	golden(t, "trust-policy-help.golden", stdout)
	for _, flag := range []string{"--account", "--repository", "--branch", "--tag", "--environment", "--pull-request",
		"--job-workflow-ref", "--owner-id", "--repository-id", "--partition", "--audience", "--allow-any-repository-of-owner"} {
		if !strings.Contains(stdout, "\n  "+flag+" ") && !strings.Contains(stdout, "\n  "+flag+"\n") {
			t.Errorf("--help does not list %s:\n%s", flag, stdout)
		}
	}
}
