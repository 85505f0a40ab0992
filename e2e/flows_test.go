package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

func world(t *testing.T) (*ststest.Emulator, string) {
	t.Helper()
	e, url := ststest.NewTestServer(t)
	e.SeedDemo()
	return e, url
}

// with merges input pairs into a base of the demo user's keys and the
// emulator endpoint.
func with(url string, kv ...string) map[string]string {
	m := map[string]string{
		"aws-region":            "us-east-1",
		"sts-endpoint":          url,
		"aws-access-key-id":     ststest.DemoUser.AccessKeyID,
		"aws-secret-access-key": ststest.DemoUser.SecretAccessKey,
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "<unset>" {
			delete(m, kv[i])
			continue
		}
		m[kv[i]] = kv[i+1]
	}
	return m
}

func lastIssued(t *testing.T, e *ststest.Emulator) ststest.Credentials {
	t.Helper()
	issued := e.Issued()
	if len(issued) == 0 {
		t.Fatal("the emulator issued no session")
	}
	return issued[len(issued)-1]
}

func secretsOf(c ststest.Credentials) []string {
	return []string{c.AccessKeyID, c.SecretAccessKey, c.SessionToken}
}

// checkOneAssumeRole checks a step that assumed DemoRole with one
// AssumeRole: the session exported to GITHUB_ENV, exactly, and the outputs.
func checkOneAssumeRole(t *testing.T, e *ststest.Emulator, r *runnertest.Result) ststest.Credentials {
	t.Helper()
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
	return s
}

func TestKeysAndRole(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url,
		"role-to-assume", ststest.DemoRole.ARN, "role-duration-seconds", "1800")})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	s := checkOneAssumeRole(t, e, r)
	if d := time.Until(s.Expiration); d < 29*time.Minute || d > 31*time.Minute {
		t.Errorf("session lasts %s, want 30m", d)
	}
	runnertest.CheckNoLeak(t, r, false, append(secretsOf(s), ststest.DemoUser.SecretAccessKey, ststest.DemoUser.AccessKeyID)...)
	if !strings.Contains(r.Summary, s.ARN) || !strings.Contains(r.Summary, "222222222222") {
		t.Errorf("summary lacks the identity:\n%s", r.Summary)
	}
	if got := callerIdentity(t, job, url); got != s.ARN {
		t.Errorf("the AWS CLI is %s, want %s", got, s.ARN)
	}
}

func TestRoleChainingUsesTheEarlierStep(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	e.AddRole(ststest.Role{ARN: "arn:aws:iam::333333333333:role/release", Trust: []string{ststest.DemoRole.ARN}, AllowTagSession: true})
	job := runnertest.NewJob(t, manifest)
	first := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, "role-to-assume", ststest.DemoRole.ARN)})
	if first.ExitCode != 0 {
		t.Fatalf("first step: exit %d\n%s", first.ExitCode, first.Stdout)
	}
	s1 := lastIssued(t, e)
	second := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url,
		"aws-access-key-id", "", "aws-secret-access-key", "",
		"role-to-assume", "arn:aws:iam::333333333333:role/release", "role-chaining", "true")})
	if second.ExitCode != 0 {
		t.Fatalf("second step: exit %d\n%s", second.ExitCode, second.Stdout)
	}
	s2 := lastIssued(t, e)
	calls := e.Calls()
	if len(calls) != 2 || calls[1].AccessKeyID != s1.AccessKeyID {
		t.Fatalf("the chained call must be signed with the first session: %+v", calls)
	}
	if !strings.Contains(second.Stdout, "role-chaining is true") {
		t.Errorf("the log must say why the earlier step's credentials were used:\n%s", second.Stdout)
	}
	runnertest.CheckNoLeak(t, second, false, append(secretsOf(s1), secretsOf(s2)...)...)
	if got := callerIdentity(t, job, url); got != s2.ARN {
		t.Errorf("the AWS CLI is %s, want %s", got, s2.ARN)
	}
}

func TestKeysAloneExportsThemAfterOneCheck(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, "output-credentials", "true")})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	if e.CallCount("GetCallerIdentity") != 1 || e.CallCount("") != 1 {
		t.Errorf("calls = %+v, want one GetCallerIdentity", e.Calls())
	}
	if r.Env["AWS_ACCESS_KEY_ID"] != ststest.DemoUser.AccessKeyID || r.Env["AWS_SECRET_ACCESS_KEY"] != ststest.DemoUser.SecretAccessKey {
		t.Errorf("env = %v", r.Env)
	}
	if v, ok := r.Env["AWS_SESSION_TOKEN"]; !ok || v != "" {
		t.Errorf("AWS_SESSION_TOKEN must be blanked so no stale token pairs with the keys, got %q, %v", v, ok)
	}
	if r.Outputs["authenticated-arn"] != ststest.DemoUser.ARN || r.Outputs["aws-account-id"] != "111111111111" {
		t.Errorf("outputs = %v", r.Outputs)
	}
	runnertest.CheckNoLeak(t, r, true, ststest.DemoUser.AccessKeyID, ststest.DemoUser.SecretAccessKey)
	if got := callerIdentity(t, job, url); got != ststest.DemoUser.ARN {
		t.Errorf("the AWS CLI is %s", got)
	}
}

func TestBareRoleNameCostsOneMoreCall(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	e.AddRole(ststest.Role{ARN: "arn:aws:iam::111111111111:role/deploy", Trust: []string{"arn:aws:iam::111111111111:root"}, AllowTagSession: true})
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, "role-to-assume", "deploy")})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	if e.CallCount("GetCallerIdentity") != 1 || e.CallCount("AssumeRole") != 1 {
		t.Errorf("calls = %d", e.CallCount(""))
	}
	if got := r.Outputs["authenticated-arn"]; got != "arn:aws:sts::111111111111:assumed-role/deploy/GitHubActions" {
		t.Errorf("authenticated-arn = %s", got)
	}
}

func TestSessionParametersReachSTS(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url,
		"role-to-assume", ststest.DemoExternalIDRole.ARN,
		"role-external-id", ststest.DemoExternalID,
		"role-session-name", "release-42",
		"inline-session-policy", "{\n \"Version\": \"2012-10-17\",\n \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}]\n}",
		"managed-session-policies", "arn:aws:iam::aws:policy/ReadOnlyAccess\narn:aws:iam::222222222222:policy/extra\n",
		"custom-tags", `{"Team": "payments"}`,
		"transitive-tag-keys", "Team\nRepository",
	)})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	p := e.Calls()[0].Params
	for k, want := range map[string]string{
		"RoleSessionName":         "release-42",
		"ExternalId":              ststest.DemoExternalID,
		"Policy":                  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
		"PolicyArns.member.1.arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
		"PolicyArns.member.2.arn": "arn:aws:iam::222222222222:policy/extra",
		"DurationSeconds":         "3600",
		"Tags.member.1.Key":       "GitHub", "Tags.member.1.Value": "Actions",
		"Tags.member.2.Key": "Repository", "Tags.member.2.Value": "octo-org/octo-repo",
		"Tags.member.3.Key": "Workflow", "Tags.member.3.Value": "deploy",
		"Tags.member.6.Key": "Branch", "Tags.member.6.Value": "refs/heads/main",
		"Tags.member.10.Key": "Team", "Tags.member.10.Value": "payments",
		"Tags.member.11.Key":         "",
		"TransitiveTagKeys.member.1": "Team",
		"TransitiveTagKeys.member.2": "Repository",
	} {
		if got := p.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if got := r.Outputs["authenticated-arn"]; got != "arn:aws:sts::222222222222:assumed-role/audit/release-42" {
		t.Errorf("authenticated-arn = %s", got)
	}
}

func TestStaleCredentialsInTheJobAreNotUsedByAccident(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	job := runnertest.NewJob(t, manifest)
	job.Env["AWS_ACCESS_KEY_ID"] = "ASIASTALESTALESTALE1"
	job.Env["AWS_SECRET_ACCESS_KEY"] = "stale-secret-stale-secret"
	job.Env["AWS_SESSION_TOKEN"] = "stale-token-stale-token"
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, "role-to-assume", ststest.DemoRole.ARN)})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	if got := e.Calls()[0].AccessKeyID; got != ststest.DemoUser.AccessKeyID {
		t.Errorf("signed with %s, want the input keys", got)
	}
}

func TestMaskAccountID(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url,
		"role-to-assume", ststest.DemoRole.ARN, "mask-aws-account-id", "true")})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	_ = e
	masked := false
	for _, m := range r.Masks {
		masked = masked || m == "222222222222"
	}
	if !masked {
		t.Error("the account ID was not masked")
	}
	if strings.Contains(r.Summary, "222222222222") {
		t.Errorf("the summary shows the masked account:\n%s", r.Summary)
	}
	if log := runnertest.MaskedLog(r, nil); strings.Contains(log, "222222222222") {
		t.Errorf("the masked log shows the account:\n%s", log)
	}
}

func TestUseExistingCredentials(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	job := runnertest.NewJob(t, manifest)
	first := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, "role-to-assume", ststest.DemoRole.ARN)})
	if first.ExitCode != 0 {
		t.Fatalf("first: exit %d", first.ExitCode)
	}
	second := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url,
		"role-to-assume", ststest.DemoRole.ARN, "use-existing-credentials", "true")})
	if second.ExitCode != 0 {
		t.Fatalf("second: exit %d\n%s", second.ExitCode, second.Stdout)
	}
	if e.CallCount("AssumeRole") != 1 || e.CallCount("GetCallerIdentity") != 1 {
		t.Errorf("the valid session must be kept: %d AssumeRole, %d GetCallerIdentity", e.CallCount("AssumeRole"), e.CallCount("GetCallerIdentity"))
	}
	if _, ok := second.Env["AWS_ACCESS_KEY_ID"]; ok {
		t.Errorf("kept credentials must not be re-exported: %v", second.Env)
	}
}
