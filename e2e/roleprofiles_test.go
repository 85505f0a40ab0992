package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// Roles of role-profiles tests besides the demo world's: one in another
// account, one in the caller's own account (for a bare name), and one that
// trusts nobody of ours.
var (
	auditRole  = ststest.Role{ARN: "arn:aws:iam::333333333333:role/readonly", Trust: []string{"arn:aws:iam::111111111111:root"}, AllowTagSession: true}
	callerRole = ststest.Role{ARN: "arn:aws:iam::111111111111:role/ci", Trust: []string{"arn:aws:iam::111111111111:root"}, AllowTagSession: true}
	closedRole = ststest.Role{ARN: "arn:aws:iam::444444444444:role/closed", Trust: []string{"arn:aws:iam::999999999999:root"}, AllowTagSession: true}
)

// oidcRole is a role GitHub's tokens for octo-org/octo-repo may assume.
func oidcRole(arn string) ststest.Role {
	return ststest.Role{ARN: arn, WebIdentity: &ststest.WebIdentityTrust{
		Provider: "token.actions.githubusercontent.com", Audience: ststest.DefaultAudience,
		Subjects: []string{"repo:octo-org/octo-repo:*"},
	}}
}

// roleProfilesOutput parses the role-profiles output.
func roleProfilesOutput(t *testing.T, r *runnertest.Result) map[string]map[string]string {
	t.Helper()
	var out map[string]map[string]string
	if err := json.Unmarshal([]byte(r.Outputs["role-profiles"]), &out); err != nil {
		t.Fatalf("role-profiles output %q: %v", r.Outputs["role-profiles"], err)
	}
	return out
}

// checkProfilesWork checks what a step with role-profiles left: the shared
// files' variables and the region but no session in the environment, the
// output, the summary, and each profile usable by the AWS CLI.
func checkProfilesWork(t *testing.T, e *ststest.Emulator, job *runnertest.Job, r *runnertest.Result, url string, want map[string]string) {
	t.Helper()
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	for _, name := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"} {
		if _, ok := r.Env[name]; ok {
			t.Errorf("with role-profiles %s must not be exported: %v", name, r.Env)
		}
	}
	if r.Env["AWS_REGION"] != "us-east-1" || r.Env["AWS_CONFIG_FILE"] == "" || r.Env["AWS_SHARED_CREDENTIALS_FILE"] == "" {
		t.Errorf("env %v", r.Env)
	}
	out := roleProfilesOutput(t, r)
	if len(out) != len(want) {
		t.Errorf("role-profiles output %v, want %d profiles", out, len(want))
	}
	for profile, arn := range want {
		if got := out[profile]["authenticated-arn"]; got != arn {
			t.Errorf("output of %s: %v, want %s", profile, out[profile], arn)
		}
		if acct := strings.Split(arn, ":")[4]; out[profile]["aws-account-id"] != acct {
			t.Errorf("account of %s: %v", profile, out[profile])
		}
		if !strings.Contains(r.Summary, "`"+profile+"`") || !strings.Contains(r.Summary, "`"+arn+"`") {
			t.Errorf("the summary lacks profile %s (%s):\n%s", profile, arn, r.Summary)
		}
		if got, code, stderr := profileIdentity(t, job, url, profile); code != 0 || got != arn {
			t.Errorf("--profile %s: %q, exit %d %s", profile, got, code, stderr)
		}
	}
	var secrets []string
	for _, c := range e.Issued() {
		secrets = append(secrets, secretsOf(c)...)
	}
	secrets = append(secrets, tokensSent(e)...)
	runnertest.CheckNoLeak(t, r, false, secrets...)
}

func TestRoleProfilesWithKeys(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	e.AddRole(auditRole)
	e.AddRole(callerRole)
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url,
		"role-profiles", "# one step, three accounts\n\nprod="+ststest.DemoRole.ARN+"\n  audit = "+auditRole.ARN+"\n\nci=ci\n",
		"allowed-account-ids", "111111111111,222222222222,333333333333",
		"role-session-name", "release", "role-duration-seconds", "1800")})
	assumes, identities, all := e.CallCount("AssumeRole"), e.CallCount("GetCallerIdentity"), e.CallCount("")
	checkProfilesWork(t, e, job, r, url, map[string]string{
		"prod":  "arn:aws:sts::222222222222:assumed-role/deploy/release",
		"audit": "arn:aws:sts::333333333333:assumed-role/readonly/release",
		"ci":    "arn:aws:sts::111111111111:assumed-role/ci/release",
	})
	// Three AssumeRole calls, and one GetCallerIdentity for the bare name.
	if assumes != 3 || identities != 1 || all != 4 {
		t.Errorf("calls: %d AssumeRole, %d GetCallerIdentity, %d in all", assumes, identities, all)
	}
	// Every call carried the inputs for every role.
	for _, c := range e.Calls() {
		if c.Action == "AssumeRole" && (c.Params.Get("DurationSeconds") != "1800" || c.Params.Get("RoleSessionName") != "release" || c.Params.Get("Tags.member.1.Key") == "") {
			t.Errorf("AssumeRole %s: %v", c.Params.Get("RoleArn"), c.Params)
		}
	}
	// Each session was masked before anything was printed.
	masked := strings.Join(r.Masks, "\n")
	for _, c := range e.Issued() {
		if !strings.Contains(masked, c.SecretAccessKey) || !strings.Contains(masked, c.SessionToken) {
			t.Errorf("session %s was not masked", c.ARN)
		}
	}

	// The post stage deletes the files.
	pr := job.Run(t, cleanupLauncher(binary), runnertest.Step{Env: map[string]string{"STATE_files": r.State["files"]}})
	if pr.ExitCode != 0 {
		t.Fatalf("post: exit %d\n%s", pr.ExitCode, pr.Stdout)
	}
	if _, err := os.Stat(filepath.Join(job.Dirs.Temp, "assume-role-aws", "credentials")); !os.IsNotExist(err) {
		t.Errorf("the post stage left the credentials file: %v", err)
	}
}

func TestRoleProfilesWithOIDCMintOneToken(t *testing.T) {
	t.Parallel()
	e, url, issuer, job := oidcWorld(t)
	for _, arn := range []string{"arn:aws:iam::222222222222:role/gh-dev", "arn:aws:iam::222222222222:role/gh-prod"} {
		e.AddRole(oidcRole(arn))
	}
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: keyless(url, "role-profiles",
		"dev=arn:aws:iam::222222222222:role/gh-dev\nprod=arn:aws:iam::222222222222:role/gh-prod\ndeploy="+ststest.DemoOIDCRole.ARN)})
	web, all := e.CallCount("AssumeRoleWithWebIdentity"), e.CallCount("")
	checkProfilesWork(t, e, job, r, url, map[string]string{
		"dev":    "arn:aws:sts::222222222222:assumed-role/gh-dev/GitHubActions",
		"prod":   "arn:aws:sts::222222222222:assumed-role/gh-prod/GitHubActions",
		"deploy": "arn:aws:sts::222222222222:assumed-role/github-deploy/GitHubActions",
	})
	if issuer.Requests() != 1 || web != 3 || all != 3 {
		t.Errorf("%d token requests and %d STS calls (%d AssumeRoleWithWebIdentity): want one token for three calls",
			issuer.Requests(), all, web)
	}
	if jwt := tokensSent(e); len(jwt) != 3 || jwt[0] != jwt[1] || jwt[1] != jwt[2] || !strings.Contains(strings.Join(r.Masks, "\n"), jwt[0]) {
		t.Errorf("the three calls must send the one masked token")
	}
}

func TestRoleProfilesWithTokenFile(t *testing.T) {
	t.Parallel()
	e, url, issuer, job := oidcWorld(t)
	e.AddRole(oidcRole("arn:aws:iam::222222222222:role/gh-dev"))
	token := issuer.Mint("sts.amazonaws.com")
	if err := os.WriteFile(filepath.Join(job.Dirs.Workspace, "token.jwt"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: keyless(url, "web-identity-token-file", "token.jwt",
		"role-profiles", "dev=arn:aws:iam::222222222222:role/gh-dev\ndeploy="+ststest.DemoOIDCRole.ARN)})
	sent := tokensSent(e)
	if len(sent) != 2 {
		t.Fatalf("tokens sent: %d, want 2", len(sent))
	}
	checkProfilesWork(t, e, job, r, url, map[string]string{
		"dev":    "arn:aws:sts::222222222222:assumed-role/gh-dev/GitHubActions",
		"deploy": "arn:aws:sts::222222222222:assumed-role/github-deploy/GitHubActions",
	})
	if issuer.Requests() != 0 || sent[0] != token || sent[1] != token {
		t.Errorf("a token file must not fetch an ID token (%d requests), and both calls send its token", issuer.Requests())
	}
}

// A refusal of any one role, by STS or by allowed-account-ids, leaves
// nothing: no env, no outputs, no state, no profile files.
func TestRoleProfilesAllOrNothing(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		inputs []string
		want   string
	}{
		"access denied": {[]string{"role-profiles", "prod=" + ststest.DemoRole.ARN + "\naudit=" + auditRole.ARN + "\nclosed=" + closedRole.ARN}, "AccessDenied"},
		// A bare name's account is known only after the calls.
		"account not allowed": {[]string{"role-profiles", "prod=" + ststest.DemoRole.ARN + "\naudit=" + auditRole.ARN + "\nci=ci",
			"allowed-account-ids", "222222222222,333333333333"}, "the role of profile ci is in account 111111111111, which allowed-account-ids (222222222222, 333333333333) does not list; nothing was exported. Check role-profiles"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, url := world(t)
			e.AddRole(auditRole)
			e.AddRole(callerRole)
			e.AddRole(closedRole)
			job := runnertest.NewJob(t, manifest)
			r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, tc.inputs...)})
			if r.ExitCode == 0 || r.EnvFile != "" || r.OutputFile != "" || r.StateFile != "" || r.Summary != "" {
				t.Errorf("exit %d, env %q, outputs %q, state %q, summary %q", r.ExitCode, r.EnvFile, r.OutputFile, r.StateFile, r.Summary)
			}
			if errs := r.Errors(); len(errs) != 1 || !strings.Contains(errs[0], tc.want) || !strings.Contains(errs[0], "profile ") {
				t.Errorf("errors %q, want one naming %s", errs, tc.want)
			}
			if entries, err := os.ReadDir(filepath.Join(job.Dirs.Temp, "assume-role-aws")); err == nil && len(entries) > 0 {
				t.Errorf("files left behind: %v", entries)
			}
			var secrets []string
			for _, c := range e.Issued() {
				secrets = append(secrets, secretsOf(c)...)
			}
			runnertest.CheckNoLeak(t, r, false, secrets...)
		})
	}
}

func TestRoleProfilesInputErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		inputs []string
		want   []string
		code   int // 2 (bad input) when zero
	}{
		"with role-to-assume": {[]string{"role-profiles", "prod=" + ststest.DemoRole.ARN, "role-to-assume", ststest.DemoRole.ARN},
			[]string{"input role-profiles", "conflicts with role-to-assume"}, 0},
		"with aws-profile": {[]string{"role-profiles", "prod=" + ststest.DemoRole.ARN, "aws-profile", "prod"},
			[]string{"input role-profiles", "conflicts with aws-profile"}, 0},
		"duplicate": {[]string{"role-profiles", "prod=" + ststest.DemoRole.ARN + "\nprod=" + auditRole.ARN},
			[]string{"input role-profiles", "line 2 names profile prod again (first on line 1)"}, 0},
		// An ARN's account is checked before any call.
		"account of an ARN not allowed": {[]string{"role-profiles", "prod=" + ststest.DemoRole.ARN + "\naudit=" + auditRole.ARN, "allowed-account-ids", "222222222222"},
			[]string{"the role of profile audit is in account 333333333333"}, 3},
		"no equals": {[]string{"role-profiles", "prod " + ststest.DemoRole.ARN},
			[]string{"input role-profiles", "line 1 is not PROFILE=ROLE"}, 0},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, url := world(t)
			job := runnertest.NewJob(t, manifest)
			r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, tc.inputs...)})
			errs := r.Errors()
			want := tc.code
			if want == 0 {
				want = 2
			}
			if r.ExitCode != want || len(errs) != 1 || e.CallCount("") != 0 || r.EnvFile != "" || r.OutputFile != "" {
				t.Fatalf("exit %d, errors %q, %d STS calls, env %q", r.ExitCode, errs, e.CallCount(""), r.EnvFile)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs[0], w) {
					t.Errorf("error %q lacks %q", errs[0], w)
				}
			}
		})
	}
}

// A throttled call of role-profiles is retried as any STS call is, and the
// step succeeds with every profile.
func TestRoleProfilesRetryThrottledCalls(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	e.AddRole(auditRole)
	e.AddRole(callerRole)
	e.Inject("AssumeRole", ststest.Throttle, ststest.Throttle)
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url,
		"role-profiles", "prod="+ststest.DemoRole.ARN+"\naudit="+auditRole.ARN+"\nci="+callerRole.ARN)})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	if n := e.CallCount("AssumeRole"); n != 5 {
		t.Errorf("%d AssumeRole calls, want 3 and 2 retries", n)
	}
	if out := roleProfilesOutput(t, r); len(out) != 3 {
		t.Errorf("output %v", out)
	}
	if !strings.Contains(r.Stdout, "Throttling") {
		t.Errorf("the retries are not logged:\n%s", r.Stdout)
	}
}

// With refresh-credentials each profile renews its own role, as a step
// with role-to-assume and aws-profile would write it: a renewal assumes
// that role again (a bare name as the ARN it became).
func TestRoleProfilesRefreshing(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	e.AddRole(auditRole)
	e.AddRole(callerRole)
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, "refresh-credentials", "true",
		"role-profiles", "prod="+ststest.DemoRole.ARN+"\naudit="+auditRole.ARN+"\nci=ci")})
	want := map[string]string{
		"prod":  "arn:aws:sts::222222222222:assumed-role/deploy/GitHubActions",
		"audit": "arn:aws:sts::333333333333:assumed-role/readonly/GitHubActions",
		"ci":    "arn:aws:sts::111111111111:assumed-role/ci/GitHubActions",
	}
	checkProfilesWork(t, e, job, r, url, want)
	config, _ := os.ReadFile(filepath.Join(refreshDir(job), "config"))
	for profile := range want {
		line := "credential_process = " + filepath.Join(refreshDir(job), "assume-role") + " credential-process --spec " + specOf(job, profile) + "\n"
		if !strings.Contains(string(config), line) {
			t.Errorf("profile %s lacks %q:\n%s", profile, line, config)
		}
		if !strings.Contains(r.State["files"], specOf(job, profile)) {
			t.Errorf("the post stage is not told of %s's spec: %q", profile, r.State["files"])
		}
	}
	if n := strings.Count(r.State["files"], filepath.Join(refreshDir(job), "assume-role")+"\n"); n != 1 {
		t.Errorf("the binary is listed %d times in the state: %q", n, r.State["files"])
	}
	// The CLI used the step's sessions; without them each profile
	// assumes its own role again.
	before := e.CallCount("AssumeRole")
	for profile := range want {
		if err := os.Remove(filepath.Join(refreshDir(job), profile+".session.json")); err != nil {
			t.Fatal(err)
		}
	}
	for profile, arn := range want {
		if got, code, stderr := profileIdentity(t, job, url, profile); code != 0 || got != arn {
			t.Errorf("renewed --profile %s: %q, exit %d %s", profile, got, code, stderr)
		}
	}
	renewed := map[string]bool{}
	for _, c := range assumeRoleCalls(e)[before:] {
		renewed[c.Params.Get("RoleArn")] = true
	}
	for _, arn := range []string{ststest.DemoRole.ARN, auditRole.ARN, callerRole.ARN} {
		if !renewed[arn] {
			t.Errorf("no renewal assumed %s: %v", arn, renewed)
		}
	}
}

// role-chaining: an earlier step's OIDC session assumes every role; with
// mask-aws-account-id each role's account is masked and kept out of the
// summary.
func TestRoleProfilesChainedAndMasked(t *testing.T) {
	t.Parallel()
	e, url, _, job := oidcWorld(t)
	e.AddRole(ststest.Role{ARN: "arn:aws:iam::333333333333:role/chain", Trust: []string{ststest.DemoOIDCRole.ARN}, AllowTagSession: true})
	if r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: keyless(url, "role-to-assume", ststest.DemoOIDCRole.ARN)}); r.ExitCode != 0 {
		t.Fatalf("OIDC step: exit %d\n%s", r.ExitCode, r.Stdout)
	}
	first := lastIssued(t, e)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: keyless(url, "role-chaining", "true", "mask-aws-account-id", "true",
		"role-profiles", "prod="+ststest.DemoRole.ARN+"\naudit=arn:aws:iam::333333333333:role/chain")})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	for _, c := range e.Calls()[1:] {
		if c.Action != "AssumeRole" || c.AccessKeyID != first.AccessKeyID {
			t.Errorf("every call must be AssumeRole signed by the OIDC session: %+v", c)
		}
	}
	if got := e.CallCount("AssumeRole"); got != 2 {
		t.Errorf("%d AssumeRole calls, want 2", got)
	}
	masked := strings.Join(r.Masks, "\n")
	for _, acct := range []string{"222222222222", "333333333333"} {
		if !strings.Contains(masked, acct) || strings.Contains(r.Summary, acct) {
			t.Errorf("account %s: masked %v, in the summary %v", acct, strings.Contains(masked, acct), strings.Contains(r.Summary, acct))
		}
	}
	for profile, arn := range map[string]string{"prod": "arn:aws:sts::222222222222:assumed-role/deploy/GitHubActions", "audit": "arn:aws:sts::333333333333:assumed-role/chain/GitHubActions"} {
		if got, code, stderr := profileIdentity(t, job, url, profile); code != 0 || got != arn {
			t.Errorf("--profile %s: %q, exit %d %s", profile, got, code, stderr)
		}
	}
}
