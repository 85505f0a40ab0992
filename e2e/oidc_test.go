package e2e

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// oidcWorld is the emulator with GitHub's OIDC provider and a token
// endpoint, and a job that has permission id-token: write.
func oidcWorld(t *testing.T, opts ...ststest.IssuerOption) (*ststest.Emulator, string, *ststest.TokenIssuer, *runnertest.Job) {
	t.Helper()
	e, url := world(t)
	issuer, reqURL, reqToken := ststest.NewTokenServer(t, opts...)
	e.SeedDemoOIDC(issuer)
	job := runnertest.NewJob(t, manifest)
	job.Env["ACTIONS_ID_TOKEN_REQUEST_URL"] = reqURL
	job.Env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = reqToken
	// The runner masks the request token (it is ACTIONS_RUNTIME_TOKEN).
	job.Masks = append(job.Masks, reqToken)
	return e, url, issuer, job
}

// keyless is the inputs of a workflow that has no AWS keys at all.
func keyless(url string, kv ...string) map[string]string {
	return with(url, append([]string{"aws-access-key-id", "<unset>", "aws-secret-access-key", "<unset>"}, kv...)...)
}

// tokensSent returns the web identity tokens STS received.
func tokensSent(e *ststest.Emulator) []string {
	var out []string
	for _, c := range e.Calls() {
		if tok := c.Params.Get("WebIdentityToken"); tok != "" {
			out = append(out, tok)
		}
	}
	return out
}

func TestOIDC(t *testing.T) {
	t.Parallel()
	e, url, issuer, job := oidcWorld(t)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: keyless(url, "role-to-assume", ststest.DemoOIDCRole.ARN)})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	if e.CallCount("") != 1 || e.CallCount("AssumeRoleWithWebIdentity") != 1 || issuer.Requests() != 1 {
		t.Errorf("STS calls %d, token requests %d: want one of each", e.CallCount(""), issuer.Requests())
	}
	if aud := issuer.Audiences(); len(aud) != 1 || aud[0] != "sts.amazonaws.com" {
		t.Errorf("audiences requested: %v", aud)
	}
	if !strings.Contains(r.Stdout, "Flow: OIDC: role-to-assume is set, no keys are given and the job may mint an ID token") {
		t.Errorf("the log must name the flow and why:\n%s", r.Stdout)
	}
	s := lastIssued(t, e)
	jwt := tokensSent(e)
	runnertest.CheckNoLeak(t, r, false, append(secretsOf(s), jwt...)...)
	masked := strings.Join(r.Masks, "\n")
	if !strings.Contains(masked, jwt[0]) {
		t.Error("the JWT was not masked")
	}
	if r.Outputs["authenticated-arn"] != "arn:aws:sts::222222222222:assumed-role/github-deploy/GitHubActions" {
		t.Errorf("outputs %v", r.Outputs)
	}
	if got := callerIdentity(t, job, url); got != s.ARN {
		t.Errorf("the AWS CLI is %s, want %s", got, s.ARN)
	}
}

func TestOIDCThenRoleChaining(t *testing.T) {
	t.Parallel()
	e, url, _, job := oidcWorld(t)
	if r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: keyless(url, "role-to-assume", ststest.DemoOIDCRole.ARN)}); r.ExitCode != 0 {
		t.Fatalf("OIDC step: exit %d\n%s", r.ExitCode, r.Stdout)
	}
	first := lastIssued(t, e)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: keyless(url, "role-to-assume", ststest.DemoRole.ARN, "role-chaining", "true")})
	if r.ExitCode != 0 {
		t.Fatalf("chained step: exit %d\n%s", r.ExitCode, r.Stdout)
	}
	calls := e.Calls()
	if len(calls) != 2 || calls[1].Action != "AssumeRole" || calls[1].AccessKeyID != first.AccessKeyID {
		t.Errorf("the chained AssumeRole must be signed with the OIDC session: %+v", calls)
	}
	if got := r.Outputs["authenticated-arn"]; got != "arn:aws:sts::222222222222:assumed-role/deploy/GitHubActions" {
		t.Errorf("authenticated-arn %s", got)
	}
}

func TestTokenFile(t *testing.T) {
	t.Parallel()
	e, url, issuer, job := oidcWorld(t)
	token := issuer.Mint("sts.amazonaws.com")
	// Written with a trailing newline, as `echo "$TOKEN" > token.jwt` does.
	if err := os.WriteFile(filepath.Join(job.Dirs.Workspace, "token.jwt"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: keyless(url,
		"role-to-assume", ststest.DemoOIDCRole.ARN, "web-identity-token-file", "token.jwt", "custom-tags", `{"Team": "payments"}`)})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	if issuer.Requests() != 0 {
		t.Error("a token file must not fetch an ID token")
	}
	if sent := tokensSent(e); len(sent) != 1 || sent[0] != token {
		t.Errorf("STS got %q, want the file's token without its newline", sent)
	}
	var warned bool
	for _, c := range r.Commands {
		warned = warned || (c.Name == "warning" && strings.Contains(c.Data, "custom-tags"))
	}
	if !warned {
		t.Error("custom tags with a web identity token must give a warning")
	}
	runnertest.CheckNoLeak(t, r, false, append(secretsOf(lastIssued(t, e)), token)...)
}

func TestIDTokenEndpointHiccupsAreRetried(t *testing.T) {
	t.Parallel()
	e, url, issuer, job := oidcWorld(t)
	issuer.InjectToken(500, 503)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: keyless(url, "role-to-assume", ststest.DemoOIDCRole.ARN)})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	if issuer.Requests() != 3 || e.CallCount("") != 1 {
		t.Errorf("token requests %d, STS calls %d", issuer.Requests(), e.CallCount(""))
	}
}

func TestPackedPolicyTooLargeDropsOptionalTags(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	// Room for the kept tags (134 bytes of keys and values here) but not for all (171).
	e.AddRole(ststest.Role{ARN: "arn:aws:iam::222222222222:role/tight", Trust: []string{"arn:aws:iam::111111111111:root"},
		AllowTagSession: true, MaxPackedTagBytes: 150})
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, "role-to-assume", "arn:aws:iam::222222222222:role/tight")})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	calls := e.Calls()
	if len(calls) != 2 || calls[0].ErrorCode != "PackedPolicyTooLarge" {
		t.Fatalf("want a refused call and one retry, got %+v", calls)
	}
	if calls[1].Params.Get("Tags.member.7.Key") != "" || calls[1].Params.Get("Tags.member.6.Key") != "Branch" {
		t.Errorf("the retry must keep only GitHub, Repository, Workflow, Actor, Commit, Branch: %v", calls[1].Params)
	}
}

func TestKeylessFailures(t *testing.T) {
	t.Parallel()
	noIMDS := map[string]string{"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true"}
	for _, tc := range []struct {
		name    string
		opts    []ststest.IssuerOption
		setup   func(e *ststest.Emulator, issuer *ststest.TokenIssuer, job *runnertest.Job)
		inputs  []string
		exit    int
		details bool // claims and a trust statement are printed
		// closed points sts-endpoint at a port nothing listens on.
		closed bool
	}{
		// Only STS refusing the token may blame the trust policy; an
		// outage, a proxy's page or an unreadable answer says what happened.
		{name: "oidc-sts-503", setup: func(e *ststest.Emulator, _ *ststest.TokenIssuer, _ *runnertest.Job) {
			e.Inject("AssumeRoleWithWebIdentity", ststest.Unavailable, ststest.Unavailable)
		}, inputs: []string{"retry-max-attempts", "2"}, exit: 4},
		{name: "oidc-sts-502-page", setup: func(e *ststest.Emulator, _ *ststest.TokenIssuer, _ *runnertest.Job) {
			e.Inject("AssumeRoleWithWebIdentity", ststest.BadGateway, ststest.BadGateway)
		}, inputs: []string{"retry-max-attempts", "2"}, exit: 4},
		{name: "oidc-sts-malformed", setup: func(e *ststest.Emulator, _ *ststest.TokenIssuer, _ *runnertest.Job) {
			e.Inject("AssumeRoleWithWebIdentity", ststest.MalformedXML)
		}, exit: 4},
		{name: "oidc-sts-connection-refused", closed: true, inputs: []string{"retry-max-attempts", "2"}, exit: 4},
		{name: "oidc-wrong-audience", inputs: []string{"audience", "example.com"}, exit: 3, details: true},
		{name: "oidc-wrong-sub", opts: []ststest.IssuerOption{ststest.WithJob(ststest.Job{Repository: "octo-org/other-repo", Environment: "prod"})}, exit: 3, details: true},
		{name: "oidc-no-permission", setup: func(_ *ststest.Emulator, _ *ststest.TokenIssuer, job *runnertest.Job) {
			delete(job.Env, "ACTIONS_ID_TOKEN_REQUEST_URL")
			delete(job.Env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
		}, exit: 2},
		{name: "oidc-token-refused", setup: func(_ *ststest.Emulator, issuer *ststest.TokenIssuer, _ *runnertest.Job) { issuer.InjectToken(401) }, exit: 3},
		{name: "oidc-token-garbage", setup: func(_ *ststest.Emulator, issuer *ststest.TokenIssuer, _ *runnertest.Job) {
			issuer.InjectToken(ststest.GarbageBody)
		}, exit: 4},
		{name: "oidc-bare-role-name", inputs: []string{"role-to-assume", "github-deploy"}, exit: 2},
		{name: "token-file-symlink", setup: func(_ *ststest.Emulator, issuer *ststest.TokenIssuer, job *runnertest.Job) {
			p := filepath.Join(job.Dirs.Root, "real.jwt")
			if err := os.WriteFile(p, []byte(issuer.Mint("sts.amazonaws.com")), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(p, filepath.Join(job.Dirs.Workspace, "token.jwt")); err != nil {
				t.Fatal(err)
			}
		}, inputs: []string{"web-identity-token-file", "token.jwt"}, exit: 2},
		{name: "tags-not-allowed", setup: func(e *ststest.Emulator, _ *ststest.TokenIssuer, _ *runnertest.Job) {
			e.AddRole(ststest.Role{ARN: "arn:aws:iam::222222222222:role/no-tags", Trust: []string{"arn:aws:iam::111111111111:root"}})
		}, inputs: []string{"aws-access-key-id", ststest.DemoUser.AccessKeyID, "aws-secret-access-key", ststest.DemoUser.SecretAccessKey,
			"role-to-assume", "arn:aws:iam::222222222222:role/no-tags"}, exit: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, url, issuer, job := oidcWorld(t, tc.opts...)
			if tc.setup != nil {
				tc.setup(e, issuer, job)
			}
			inputs := keyless(url, append([]string{"role-to-assume", ststest.DemoOIDCRole.ARN}, tc.inputs...)...)
			closed := ""
			if tc.closed {
				closed = closedURL(t)
				inputs["sts-endpoint"] = closed
			}
			r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: inputs, Env: noIMDS})
			if r.ExitCode != tc.exit {
				t.Errorf("exit %d, want %d\n%s", r.ExitCode, tc.exit, r.Stdout)
			}
			if errs := r.Errors(); len(errs) != 1 {
				t.Errorf("want one ::error::, got %q", errs)
			}
			if r.EnvFile != "" || r.OutputFile != "" {
				t.Errorf("exported on failure: %q %q", r.EnvFile, r.OutputFile)
			}
			runnertest.CheckNoLeak(t, r, false, append(tokensSent(e), ststest.DemoUser.SecretAccessKey)...)
			log := runnertest.MaskedLog(r, job.Masks)
			if got := strings.Contains(log, "A trust policy statement of"); got != tc.details {
				t.Errorf("trust statement shown = %v, want %v:\n%s", got, tc.details, log)
			}
			out := strings.Join(r.Errors(), "\n") + "\n"
			if tc.details {
				start := strings.Index(log, "::group::")
				out = log[start:]
			}
			if !tc.details && strings.HasPrefix(tc.name, "oidc-") && strings.Contains(out, "trust policy") {
				t.Errorf("the trust policy is blamed for a failure that is not a refusal of the token:\n%s", out)
			}
			if closed != "" {
				out = strings.ReplaceAll(out, strings.TrimPrefix(closed, "http://"), "<CLOSED>")
			}
			golden(t, "keyless/"+tc.name+".golden", normalize(out, url, nil))
		})
	}
}

// closedURL is an http:// URL of a loopback port that nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}
