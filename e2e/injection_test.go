package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// payloads try to add an env var, an output or a workflow command, or to
// change the masking, through a value that reaches a log line, a file
// command or the summary.
var payloads = []string{
	"x\n::add-mask::GitHubActions",
	"x\r\n::set-env name=LD_PRELOAD::/tmp/evil.so",
	"x%0A::add-mask::a%0D",
	"x\nLD_PRELOAD=/tmp/evil.so\n_GitHubActionsFileCommandDelimeter_\nNODE_OPTIONS=--require=/tmp/x",
	"x\u2028::add-mask::y\u0085z",
	"x ##[add-mask]us-east-1",
	"::stop-commands::token",
	strings.Repeat("A", 70000),
	// The runner also ends a line at a bare CR, and trims every Unicode
	// white space (not only space and tab) before it looks for "::".
	"x\r::set-output name=injected::yes",
	"x\r\u00a0::save-state name=files::/etc/passwd",
	"\u00a0::set-env name=LD_PRELOAD::/tmp/evil.so",
	"x\n\u3000::add-mask::GitHubActions",
	"x\r\n\u2003\u202f\u205f\u1680\v\f::notice::injected",
}

// NUL cannot travel in an environment variable, so the runner cannot hand
// one to the action; internal/filecmd's tests cover NUL in values.

// TestInjectionThroughEveryInput sends each payload through each input that
// can reach the log, GITHUB_ENV, GITHUB_OUTPUT or the summary. Whatever the
// outcome (refused, or accepted as a harmless value), the step may write
// only the variables and outputs it always writes, and only the workflow
// commands it always issues, masking only real secrets.
func TestInjectionThroughEveryInput(t *testing.T) {
	t.Parallel()
	targets := []string{
		"role-to-assume", "role-session-name", "role-external-id", "aws-region", "audience", "custom-tags",
		"inline-session-policy", "managed-session-policies", "allowed-account-ids", "sts-endpoint", "http-proxy",
		"aws-profile", "transitive-tag-keys", "web-identity-token-file", "role-duration-seconds", "output-credentials",
	}
	allowedEnv := map[string]bool{"AWS_REGION": true, "AWS_DEFAULT_REGION": true, "AWS_ACCESS_KEY_ID": true,
		"AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_CREDENTIAL_EXPIRATION": true}
	allowedOut := map[string]bool{"aws-account-id": true, "authenticated-arn": true}
	allowedCmd := map[string]bool{"add-mask": true, "debug": true, "error": true, "warning": true, "group": true, "endgroup": true}
	var tried int
	for _, input := range targets {
		for i, p := range payloads {
			tried++
			t.Run(fmt.Sprintf("%s/%d", input, i), func(t *testing.T) {
				t.Parallel()
				e, url := world(t)
				inputs := with(url, "role-to-assume", ststest.DemoRole.ARN)
				inputs[input] = p
				job := runnertest.NewJob(t, manifest)
				r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: inputs})
				if r.ExitCode != 0 && r.ExitCode != 2 && r.ExitCode != 3 {
					t.Errorf("exit %d, want 0, 2 (bad input) or 3 (STS refused)\n%s", r.ExitCode, r.Stdout)
				}
				if r.ParseErr != nil {
					t.Fatalf("the runner could not read the files: %v", r.ParseErr)
				}
				for k := range r.Env {
					if !allowedEnv[k] {
						t.Errorf("injected env %s", k)
					}
				}
				for k := range r.Outputs {
					if !allowedOut[k] {
						t.Errorf("injected output %s", k)
					}
				}
				secrets := map[string]bool{ststest.DemoUser.AccessKeyID: true, ststest.DemoUser.SecretAccessKey: true}
				for _, c := range e.Issued() {
					secrets[c.AccessKeyID], secrets[c.SecretAccessKey], secrets[c.SessionToken] = true, true, true
				}
				for _, c := range r.Commands {
					if !allowedCmd[c.Name] {
						t.Errorf("injected workflow command %q", c.Name)
					}
					if c.Name == "add-mask" && !secrets[c.Data] {
						t.Errorf("masked a value that is not a secret: %.40q", c.Data)
					}
				}
				for _, line := range runnertest.Lines(r.Stdout) {
					if strings.Contains(line, "##[") {
						t.Errorf("a legacy command reached the log: %.80q", line)
					}
				}
				if r.ExitCode != 0 && r.EnvFile != "" {
					t.Errorf("failed but exported")
				}
				if r.ExitCode == 2 && (r.EnvFile != "" || len(e.Calls()) != 0) {
					t.Errorf("refused input but called STS or exported")
				}
			})
		}
	}
	t.Logf("injection: %d inputs × %d payloads = %d runs", len(targets), len(payloads), tried)
}
