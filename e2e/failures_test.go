package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// failure runs one step that must fail and checks what every failure must
// hold: the exit code, exactly one ::error::, nothing exported, no leak.
func failure(t *testing.T, e *ststest.Emulator, url string, step runnertest.Step, exit int, secrets ...string) *runnertest.Result {
	t.Helper()
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), step)
	if r.ExitCode != exit {
		t.Errorf("exit code %d, want %d\n%s%s", r.ExitCode, exit, r.Stdout, r.Stderr)
	}
	if errs := r.Errors(); len(errs) != 1 {
		t.Errorf("want exactly one ::error::, got %d: %q", len(errs), errs)
	}
	if r.EnvFile != "" || r.OutputFile != "" || r.Summary != "" {
		t.Errorf("a failed step exported something:\nGITHUB_ENV=%q\nGITHUB_OUTPUT=%q\nsummary=%q", r.EnvFile, r.OutputFile, r.Summary)
	}
	if r.Stderr != "" {
		t.Errorf("stderr is not empty: %q", r.Stderr)
	}
	for _, c := range e.Issued() {
		secrets = append(secrets, c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
	}
	runnertest.CheckNoLeak(t, r, false, append(secrets, ststest.DemoUser.SecretAccessKey, ststest.DemoUser.AccessKeyID)...)
	return r
}

func TestFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		setup  func(e *ststest.Emulator)
		inputs []string
		exit   int
		calls  int
		within time.Duration
	}{
		{name: "access-denied", inputs: []string{"role-to-assume", "arn:aws:iam::222222222222:role/not-trusting"},
			setup: func(e *ststest.Emulator) {
				e.AddRole(ststest.Role{ARN: "arn:aws:iam::222222222222:role/not-trusting", Trust: []string{"arn:aws:iam::999999999999:root"}})
			}, exit: 3, calls: 1},
		{name: "unknown-role", inputs: []string{"role-to-assume", "arn:aws:iam::222222222222:role/typo"}, exit: 3, calls: 1},
		{name: "wrong-external-id", inputs: []string{"role-to-assume", ststest.DemoExternalIDRole.ARN, "role-external-id", "wrong-id"}, exit: 3, calls: 1},
		{name: "wrong-secret", inputs: []string{"role-to-assume", ststest.DemoRole.ARN, "aws-secret-access-key", "wJalrXUtnFEMI/K7MDENG+bPxRfiCY=WRONGKEY1"}, exit: 3, calls: 1},
		{name: "unknown-key", inputs: []string{"role-to-assume", ststest.DemoRole.ARN, "aws-access-key-id", "AKIAUNKNOWNUNKNOWN01"}, exit: 3, calls: 1},
		{name: "duration-above-role-max", inputs: []string{"role-to-assume", ststest.DemoExternalIDRole.ARN, "role-external-id", ststest.DemoExternalID, "role-duration-seconds", "7200"}, exit: 3, calls: 1},
		{name: "account-not-allowed", inputs: []string{"role-to-assume", ststest.DemoRole.ARN, "allowed-account-ids", "333333333333,444444444444"}, exit: 3, calls: 1},
		{name: "bad-input-region", inputs: []string{"aws-region", "US East"}, exit: 2, calls: 0},
		{name: "bad-input-boolean", inputs: []string{"role-to-assume", ststest.DemoRole.ARN, "output-credentials", "yes"}, exit: 2, calls: 0},
		{name: "bad-input-injection", inputs: []string{"role-to-assume", "x\n::add-mask::a\n::set-env name=LD_PRELOAD::/tmp/x.so"}, exit: 2, calls: 0},
		{name: "no-credentials", inputs: []string{"aws-access-key-id", "", "aws-secret-access-key", "", "role-to-assume", ststest.DemoRole.ARN, "role-chaining", "true"}, exit: 2, calls: 0},
		{name: "no-credentials-anywhere", inputs: []string{"aws-access-key-id", "", "aws-secret-access-key", "", "role-to-assume", ststest.DemoRole.ARN}, exit: 2, calls: 0},
		{name: "unavailable-after-retries", inputs: []string{"role-to-assume", ststest.DemoRole.ARN, "retry-max-attempts", "3"},
			setup: func(e *ststest.Emulator) {
				e.Inject("AssumeRole", ststest.Unavailable, ststest.InternalError, ststest.Unavailable, ststest.Unavailable)
			}, exit: 4, calls: 3, within: 5 * time.Second},
		{name: "disable-retry", inputs: []string{"role-to-assume", ststest.DemoRole.ARN, "disable-retry", "true"},
			setup: func(e *ststest.Emulator) { e.Inject("AssumeRole", ststest.Unavailable) }, exit: 4, calls: 1},
		{name: "timeout", inputs: []string{"role-to-assume", ststest.DemoRole.ARN, "action-timeout-s", "1"},
			setup: func(e *ststest.Emulator) { e.Inject("AssumeRole", ststest.Hang) }, exit: 4, calls: 1, within: 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, url := world(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			start := time.Now()
			env := map[string]string{"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true"}
			r := failure(t, e, url, runnertest.Step{Inputs: with(url, tc.inputs...), Env: env}, tc.exit)
			if d := time.Since(start); tc.within > 0 && d > tc.within {
				t.Errorf("took %s, want under %s", d, tc.within)
			}
			if got := e.CallCount(""); got != tc.calls {
				t.Errorf("STS saw %d calls, want %d", got, tc.calls)
			}
			golden(t, "errors/"+tc.name+".golden", normalize(strings.Join(r.Errors(), "\n")+"\n", url, nil))
		})
	}
}

func TestThrottlingIsRetried(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	e.Inject("AssumeRole", ststest.Throttle, ststest.Throttle)
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, "role-to-assume", ststest.DemoRole.ARN, "retry-max-attempts", "3")})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	if got := e.CallCount("AssumeRole"); got != 3 {
		t.Errorf("AssumeRole calls = %d, want 3", got)
	}
	if n := strings.Count(r.Stdout, "retrying in"); n != 2 {
		t.Errorf("want 2 retry lines in the log, got %d:\n%s", n, r.Stdout)
	}
}

func TestDebugModeLeaksNothing(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	e.Inject("AssumeRole", ststest.InternalError)
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Debug: true, Env: map[string]string{"ACTIONS_STEP_DEBUG": "true"},
		Inputs: with(url, "role-to-assume", ststest.DemoRole.ARN, "output-credentials", "true")})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	s := lastIssued(t, e)
	runnertest.CheckNoLeak(t, r, true, append(secretsOf(s), ststest.DemoUser.SecretAccessKey, ststest.DemoUser.AccessKeyID)...)
	if r.Outputs["aws-secret-access-key"] != s.SecretAccessKey || r.Outputs["aws-expiration"] != s.Expiration.UTC().Format(time.RFC3339) {
		t.Errorf("output-credentials outputs = %v", r.Outputs)
	}
}

// TestLogGolden pins the whole log of a successful step as the runner shows
// it (masks applied), and the exact bytes written to GITHUB_ENV,
// GITHUB_OUTPUT and the summary.
func TestLogGolden(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, "role-to-assume", ststest.DemoRole.ARN, "output-credentials", "true")})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	s := lastIssued(t, e)
	secrets := map[string]string{
		"<SESSION_ACCESS_KEY_ID>": s.AccessKeyID, "<SESSION_SECRET>": s.SecretAccessKey, "<SESSION_TOKEN>": s.SessionToken,
		"<INPUT_ACCESS_KEY_ID>": ststest.DemoUser.AccessKeyID, "<INPUT_SECRET>": ststest.DemoUser.SecretAccessKey,
	}
	golden(t, "success/stdout.golden", normalize(r.Stdout, url, secrets))
	golden(t, "success/masked-log.golden", normalize(runnertest.MaskedLog(r, nil), url, nil))
	golden(t, "success/github_env.golden", normalize(r.EnvFile, url, secrets))
	golden(t, "success/github_output.golden", normalize(r.OutputFile, url, secrets))
	golden(t, "success/summary.golden", normalize(r.Summary, url, secrets))
}
