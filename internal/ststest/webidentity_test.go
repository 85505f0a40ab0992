//lint:file-ignore SA1019 real STS still sends PackedPolicySize, so the emulator must too and its tests read it

package ststest_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/assume-role/assume-role/internal/ststest"
)

// anonClient is an SDK STS client that signs nothing, as for
// AssumeRoleWithWebIdentity, with retries off unless an option turns them on.
func anonClient(url string, optFns ...func(*sts.Options)) *sts.Client {
	return sts.New(sts.Options{
		Region:       ststest.DemoRegion,
		BaseEndpoint: aws.String(url),
		Credentials:  aws.AnonymousCredentials{},
		Retryer:      aws.NopRetryer{},
	}, optFns...)
}

// oidcWorld starts an emulator with the demo world and a token server whose
// provider it trusts.
func oidcWorld(t *testing.T, opts ...ststest.Option) (emu *ststest.Emulator, stsURL string, issuer *ststest.TokenIssuer, reqURL, reqToken string) {
	t.Helper()
	emu, stsURL = demoServer(t, opts...)
	issuer, reqURL, reqToken = ststest.NewTokenServer(t)
	emu.SeedDemoOIDC(issuer)
	return emu, stsURL, issuer, reqURL, reqToken
}

func webIdentity(role, token string) *sts.AssumeRoleWithWebIdentityInput {
	return &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(role),
		RoleSessionName:  aws.String("gha"),
		WebIdentityToken: aws.String(token),
	}
}

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC().Truncate(time.Second)
	emu, url, issuer, reqURL, reqToken := oidcWorld(t, ststest.WithClock(func() time.Time { return now }))

	token := fetchToken(t, reqURL, reqToken, "sts.amazonaws.com")
	out, err := anonClient(url).AssumeRoleWithWebIdentity(t.Context(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(ststest.DemoOIDCRole.ARN),
		RoleSessionName:  aws.String("GitHubActions"),
		WebIdentityToken: aws.String(token),
		DurationSeconds:  aws.Int32(900),
	})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	wantARN := "arn:aws:sts::222222222222:assumed-role/github-deploy/GitHubActions"
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != wantARN {
		t.Errorf("Arn = %q, want %q", got, wantARN)
	}
	if id := aws.ToString(out.AssumedRoleUser.AssumedRoleId); !roleIDRe.MatchString(id) || !strings.HasSuffix(id, ":GitHubActions") {
		t.Errorf("AssumedRoleId = %q", id)
	}
	if got := aws.ToString(out.SubjectFromWebIdentityToken); got != "repo:octo-org/octo-repo:ref:refs/heads/main" {
		t.Errorf("SubjectFromWebIdentityToken = %q", got)
	}
	if got := aws.ToString(out.Provider); got != "token.actions.githubusercontent.com" {
		t.Errorf("Provider = %q", got)
	}
	if got := aws.ToString(out.Audience); got != "sts.amazonaws.com" {
		t.Errorf("Audience = %q", got)
	}
	if got := aws.ToTime(out.Credentials.Expiration); !got.Equal(now.Add(15 * time.Minute)) {
		t.Errorf("Expiration = %v, want %v", got, now.Add(15*time.Minute))
	}
	if out.PackedPolicySize != nil {
		t.Errorf("PackedPolicySize = %d without a session policy", *out.PackedPolicySize)
	}
	if !accessKeyIDRe.MatchString(aws.ToString(out.Credentials.AccessKeyId)) {
		t.Errorf("AccessKeyId = %q", aws.ToString(out.Credentials.AccessKeyId))
	}

	issued := emu.Issued()
	if len(issued) != 1 || issued[0].ARN != wantARN || issued[0].AccessKeyID != aws.ToString(out.Credentials.AccessKeyId) {
		t.Fatalf("Issued() = %+v", issued)
	}
	calls := emu.Calls()
	if c := calls[0]; len(calls) != 1 || c.Action != "AssumeRoleWithWebIdentity" || c.AccessKeyID != "" || c.Status != http.StatusOK ||
		c.Params.Get("WebIdentityToken") != token || c.Params.Get("RoleSessionName") != "GitHubActions" {
		t.Errorf("Calls() = %+v", calls)
	}
	if issuer.Requests() != 1 {
		t.Errorf("token requests = %d, want 1", issuer.Requests())
	}
}

// TestWebIdentitySessionChains uses the web identity session like a
// long-term key would be used: for GetCallerIdentity, then to assume
// DemoRole with session tags (role chaining, so at most one hour).
func TestWebIdentitySessionChains(t *testing.T) {
	t.Parallel()
	emu, url, issuer, _, _ := oidcWorld(t)
	out, err := anonClient(url).AssumeRoleWithWebIdentity(t.Context(), webIdentity(ststest.DemoOIDCRole.ARN, issuer.Mint("sts.amazonaws.com")))
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	oidcSession := sessionCreds(emu.Issued()[0])

	id, err := newClient(url, oidcSession).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if aws.ToString(id.Arn) != aws.ToString(out.AssumedRoleUser.Arn) || aws.ToString(id.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) || aws.ToString(id.Account) != "222222222222" {
		t.Errorf("GetCallerIdentity = %s %s %s", aws.ToString(id.Arn), aws.ToString(id.UserId), aws.ToString(id.Account))
	}

	chained, err := newClient(url, oidcSession).AssumeRole(t.Context(), &sts.AssumeRoleInput{
		RoleArn:         aws.String(ststest.DemoRole.ARN),
		RoleSessionName: aws.String("chained"),
		Tags:            []types.Tag{{Key: aws.String("Repository"), Value: aws.String("octo-org/octo-repo")}},
	})
	if err != nil {
		t.Fatalf("chained AssumeRole: %v", err)
	}
	if got := aws.ToString(chained.AssumedRoleUser.Arn); got != "arn:aws:sts::222222222222:assumed-role/deploy/chained" {
		t.Errorf("chained Arn = %q", got)
	}
	if c := emu.Calls()[2]; c.AccessKeyID != oidcSession.AccessKeyID || c.Params.Get("Tags.member.1.Value") != "octo-org/octo-repo" {
		t.Errorf("chained call = %+v", c)
	}

	_, err = newClient(url, oidcSession).AssumeRole(t.Context(), &sts.AssumeRoleInput{
		RoleArn: aws.String(ststest.DemoRole.ARN), RoleSessionName: aws.String("long"), DurationSeconds: aws.Int32(7200),
	})
	if got := asAPIError(t, err); got.code != "ValidationError" || !strings.Contains(got.message, "role chaining") {
		t.Errorf("chaining for 2 hours: %+v, want the role-chaining ValidationError", got)
	}
}

func TestAssumeRoleWithWebIdentityTrust(t *testing.T) {
	t.Parallel()
	emu, url, issuer, _, _ := oidcWorld(t)
	emu.AddOIDCProvider(issuer.Provider("333333333333", "sts.amazonaws.com", "sigstore"))
	roles := map[string]*ststest.WebIdentityTrust{
		"prod":     {Provider: "token.actions.githubusercontent.com", Audience: "sts.amazonaws.com", Subjects: []string{"repo:octo-org/octo-repo:environment:prod"}, Claims: map[string]string{"environment": "prod", "ref_protected": "true"}},
		"prs":      {Provider: "token.actions.githubusercontent.com/", Subjects: []string{"repo:octo-org/*:pull_request"}},
		"tags":     {Provider: "token.actions.githubusercontent.com", Audience: "sts.amazonaws.com", Subjects: []string{"repo:octo-org/octo-repo:ref:refs/heads/main", "repo:octo-org/octo-repo:ref:refs/tags/v?.*"}},
		"sigstore": {Provider: "token.actions.githubusercontent.com", Audience: "sigstore"},
		"gitlab":   {Provider: "gitlab.com", Audience: "sts.amazonaws.com"},
	}
	for name, w := range roles {
		emu.AddRole(ststest.Role{ARN: "arn:aws:iam::333333333333:role/" + name, WebIdentity: w})
	}
	emu.AddRole(ststest.Role{ARN: "arn:aws:iam::333333333333:role/keys-only", Trust: []string{"*"}})

	mint := func(j ststest.Job, aud string) string {
		ti := ststest.NewTokenIssuer(ststest.WithJob(j))
		return ti.Mint(aud)
	}
	prodJob := ststest.Job{Environment: "prod", RefProtected: true}
	tests := []struct {
		name, role, token string
		ok                bool
	}{
		{"environment and claims", "prod", mint(prodJob, "sts.amazonaws.com"), true},
		{"environment claim missing", "prod", mint(ststest.Job{RefProtected: true}, "sts.amazonaws.com"), false},
		{"claim differs", "prod", mint(ststest.Job{Environment: "prod"}, "sts.amazonaws.com"), false},
		{"pull request with a wildcard and no audience condition", "prs", mint(ststest.Job{EventName: "pull_request"}, "sigstore"), true},
		{"other repository of the org", "prs", mint(ststest.Job{EventName: "pull_request", Repository: "octo-org/other"}, "sts.amazonaws.com"), true},
		{"other org", "prs", mint(ststest.Job{EventName: "pull_request", Repository: "evil-org/octo-repo"}, "sts.amazonaws.com"), false},
		{"push is not a pull request", "prs", mint(ststest.Job{}, "sts.amazonaws.com"), false},
		{"first subject", "tags", mint(ststest.Job{}, "sts.amazonaws.com"), true},
		{"second subject with ?", "tags", mint(ststest.Job{Ref: "refs/tags/v1.2.3"}, "sts.amazonaws.com"), true},
		{"? is one character", "tags", mint(ststest.Job{Ref: "refs/tags/v10.0.0"}, "sts.amazonaws.com"), false},
		{"other branch", "tags", mint(ststest.Job{Ref: "refs/heads/dev"}, "sts.amazonaws.com"), false},
		{"audience the provider accepts but the role does not", "tags", mint(ststest.Job{}, "sigstore"), false},
		{"audience condition met", "sigstore", mint(ststest.Job{}, "sigstore"), true},
		{"another provider's role", "gitlab", mint(ststest.Job{}, "sts.amazonaws.com"), false},
		{"role without web identity trust", "keys-only", mint(ststest.Job{}, "sts.amazonaws.com"), false},
		{"unknown role", "nope", mint(ststest.Job{}, "sts.amazonaws.com"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			role := "arn:aws:iam::333333333333:role/" + tc.role
			out, err := anonClient(url).AssumeRoleWithWebIdentity(t.Context(), webIdentity(role, tc.token))
			if tc.ok {
				if err != nil {
					t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
				}
				if got, want := aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::333333333333:assumed-role/"+tc.role+"/gha"; got != want {
					t.Errorf("Arn = %q, want %q", got, want)
				}
				return
			}
			got := asAPIError(t, err)
			if want := (apiError{403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"}); got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestAssumeRoleWithWebIdentityErrors(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC().Truncate(time.Second)
	var offset atomic.Int64
	emu, url, issuer, _, _ := oidcWorld(t, ststest.WithClock(func() time.Time { return now.Add(time.Duration(offset.Load())) }))
	emu.AddRole(ststest.Role{ARN: "arn:aws:iam::333333333333:role/github", WebIdentity: ststest.DemoOIDCRole.WebIdentity})

	forger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good := issuer.Mint("sts.amazonaws.com")
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(
		[]byte(strings.ReplaceAll(string(mustDecode(t, parts[1])), "octo-repo", "evil-repo"))) + "." + parts[2]
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))

	expired := issuer.Claims("sts.amazonaws.com")
	expired["exp"] = now.Unix() - 1
	noAud := issuer.Claims("")
	delete(noAud, "aud")
	multiAud := issuer.Claims("")
	multiAud["aud"] = []string{"https://github.com/octo-org", "sts.amazonaws.com"}
	fractional := issuer.Claims("sts.amazonaws.com")
	fractional["exp"] = float64(now.Unix()) + 299.5

	staleIssuer := ststest.NewTokenIssuer(ststest.WithIssuerClock(func() time.Time { return now.Add(-6 * time.Minute) }))

	oidcRole := ststest.DemoOIDCRole.ARN
	invalid := func(msg string) apiError { return apiError{400, "InvalidIdentityToken", msg} }
	noKey := invalid("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
	tests := []struct {
		name  string
		in    *sts.AssumeRoleWithWebIdentityInput
		want  apiError // message matched as a substring
		clock time.Duration
	}{
		{name: "wrong audience", in: webIdentity(oidcRole, issuer.Mint("sigstore")), want: invalid("Incorrect token audience")},
		{name: "GitHub's default audience", in: webIdentity(oidcRole, issuer.Mint("")), want: invalid("Incorrect token audience")},
		{name: "no audience", in: webIdentity(oidcRole, issuer.MintClaims(noAud)), want: invalid("Missing a required claim: aud")},
		{name: "unknown issuer", in: webIdentity(oidcRole, ststest.NewTokenIssuer(ststest.WithIssuerURL("https://token.actions.githubusercontent.com/octo-enterprise")).Mint("sts.amazonaws.com")),
			want: invalid("No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com/octo-enterprise")},
		{name: "provider only in another account", in: webIdentity("arn:aws:iam::333333333333:role/github", good),
			want: invalid("No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com")},
		{name: "signed by another key", in: webIdentity(oidcRole, ststest.NewTokenIssuer(ststest.WithSigningKey(forger)).Mint("sts.amazonaws.com")), want: noKey},
		{name: "claims changed after signing", in: webIdentity(oidcRole, tampered), want: noKey},
		{name: "alg none", in: webIdentity(oidcRole, noneHeader+"."+parts[1]+"."), want: noKey},
		{name: "not a JWT", in: webIdentity(oidcRole, "ghs_0123456789abcdef"), want: invalid("The ID Token provided is not a valid JWT")},
		{name: "expired", in: webIdentity(oidcRole, issuer.MintClaims(expired)),
			want: apiError{400, "ExpiredTokenException", fmt.Sprintf("Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), now.Unix()-1)}},
		{name: "issued more than 5 minutes ago", in: webIdentity(oidcRole, staleIssuer.Mint("sts.amazonaws.com")), want: apiError{400, "ExpiredTokenException", "Token expired"}},
		{name: "the emulator clock passes exp", in: webIdentity(oidcRole, good), clock: 6 * time.Minute, want: apiError{400, "ExpiredTokenException", "Token expired"}},
		{name: "role without web identity trust", in: webIdentity(ststest.DemoRole.ARN, good), want: apiError{403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"}},
		{name: "unknown role", in: webIdentity("arn:aws:iam::222222222222:role/nope", good), want: apiError{403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"}},
		{name: "wrong repository", in: webIdentity(oidcRole, ststest.NewTokenIssuer(ststest.WithJob(ststest.Job{Repository: "octo-org/other"})).Mint("sts.amazonaws.com")),
			want: apiError{403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"}},
		{name: "duration above the role maximum", in: &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(oidcRole), RoleSessionName: aws.String("s1"), WebIdentityToken: aws.String(good), DurationSeconds: aws.Int32(3601)},
			want: apiError{400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."}},
		{name: "token too short", in: webIdentity(oidcRole, "abc"),
			want: apiError{400, "ValidationError", "1 validation error detected: Value '***' at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4"}},
		{name: "token too long", in: webIdentity(oidcRole, strings.Repeat("a", 20001)),
			want: apiError{400, "ValidationError", "Value '***' at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000"}},
		{name: "policy not JSON", in: &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(oidcRole), RoleSessionName: aws.String("s1"), WebIdentityToken: aws.String(good), Policy: aws.String("{")},
			want: apiError{400, "MalformedPolicyDocument", "Syntax errors in policy."}},
		{name: "role ARN not an ARN", in: webIdentity("github-deploy-role-name", good), want: apiError{400, "ValidationError", "github-deploy-role-name is invalid"}},
	}
	// Cases that move the clock run one after the other, the rest in
	// parallel after them.
	for _, tc := range tests {
		if tc.clock == 0 {
			continue
		}
		offset.Store(int64(tc.clock))
		_, err := anonClient(url).AssumeRoleWithWebIdentity(t.Context(), tc.in)
		offset.Store(0)
		checkAPIError(t, tc.name, err, tc.want)
	}
	t.Run("group", func(t *testing.T) {
		for _, tc := range tests {
			if tc.clock != 0 {
				continue
			}
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				_, err := anonClient(url).AssumeRoleWithWebIdentity(t.Context(), tc.in)
				checkAPIError(t, tc.name, err, tc.want)
			})
		}
	})

	for _, ok := range []map[string]any{multiAud, fractional} {
		out, err := anonClient(url).AssumeRoleWithWebIdentity(t.Context(), webIdentity(oidcRole, issuer.MintClaims(ok)))
		if err != nil {
			t.Errorf("token with aud %v exp %v: %v", ok["aud"], ok["exp"], err)
		} else if aws.ToString(out.Audience) != "sts.amazonaws.com" {
			t.Errorf("Audience = %q, want the accepted one", aws.ToString(out.Audience))
		}
	}
}

func checkAPIError(t *testing.T, name string, err error, want apiError) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: AssumeRoleWithWebIdentity succeeded, want %+v", name, want)
		return
	}
	got := asAPIError(t, err)
	if got.status != want.status || got.code != want.code || !strings.Contains(got.message, want.message) {
		t.Errorf("%s: got %d %s %q\nwant %d %s containing %q", name, got.status, got.code, got.message, want.status, want.code, want.message)
	}
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWebIdentityWire sends hand-built requests for what the SDK checks
// before sending, and checks that no answer echoes a token: tokens are
// bearer secrets, and the action prints STS's messages.
func TestWebIdentityWire(t *testing.T) {
	t.Parallel()
	_, base, issuer, _, _ := oidcWorld(t)
	token := issuer.Mint("sigstore")
	params := func(kv ...string) url.Values {
		v := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name   string
		params url.Values
		want   string
	}{
		{"no token", params("RoleArn", ststest.DemoOIDCRole.ARN, "RoleSessionName", "s1"),
			"<Code>ValidationError</Code><Message>1 validation error detected: Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null</Message>"},
		{"no session name", params("RoleArn", ststest.DemoOIDCRole.ARN, "WebIdentityToken", token),
			"Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"},
		{"wrong audience", params("RoleArn", ststest.DemoOIDCRole.ARN, "RoleSessionName", "s1", "WebIdentityToken", token),
			"<Code>InvalidIdentityToken</Code><Message>Incorrect token audience</Message>"},
		{"token too long", params("RoleArn", ststest.DemoOIDCRole.ARN, "RoleSessionName", "s1", "WebIdentityToken", strings.Repeat(token, 20000/len(token)+1)),
			"Value '***' at 'webIdentityToken'"},
	}
	for _, tc := range tests {
		resp, body := signedRequest{params: tc.params}.do(t, base)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s\nwant 400 containing %s", tc.name, resp.StatusCode, body, tc.want)
		}
		if strings.Contains(body, signature(token)) {
			t.Errorf("%s: the answer echoes the token: %s", tc.name, body)
		}
	}
}

// signature is the last part of a JWT, the part that must never leak.
func signature(jwt string) string { return jwt[strings.LastIndex(jwt, ".")+1:] }

func TestWebIdentityPolicyAndFaults(t *testing.T) {
	t.Parallel()
	emu, url, issuer, _, _ := oidcWorld(t)
	emu.Inject("AssumeRoleWithWebIdentity", ststest.Throttle, ststest.Unavailable)

	in := webIdentity(ststest.DemoOIDCRole.ARN, issuer.Mint("sts.amazonaws.com"))
	in.Policy = aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
	in.PolicyArns = []types.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}
	in.ProviderId = aws.String("ignored.example.com")
	out, err := anonClient(url, fastRetries).AssumeRoleWithWebIdentity(t.Context(), in)
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity through faults: %v", err)
	}
	if out.PackedPolicySize == nil || *out.PackedPolicySize <= 0 {
		t.Errorf("PackedPolicySize = %v, want a percentage with a session policy", out.PackedPolicySize)
	}
	calls := emu.Calls()
	if len(calls) != 3 || calls[0].Fault != ststest.Throttle || calls[1].Fault != ststest.Unavailable || calls[2].Status != http.StatusOK {
		t.Errorf("calls = %+v", calls)
	}
	if p := calls[2].Params; p.Get("PolicyArns.member.1.arn") != "arn:aws:iam::aws:policy/ReadOnlyAccess" || p.Get("ProviderId") != "ignored.example.com" {
		t.Errorf("recorded params = %v", p)
	}
}

func TestAddOIDCProviderPanics(t *testing.T) {
	t.Parallel()
	key := ststest.NewTokenIssuer().PublicKey()
	for name, p := range map[string]ststest.OIDCProvider{
		"http issuer": {Issuer: "http://token.actions.githubusercontent.com", Account: "222222222222", Audiences: []string{"a"}, Key: key},
		"bad account": {Issuer: ststest.GitHubIssuer, Account: "2222", Audiences: []string{"a"}, Key: key},
		"no audience": {Issuer: ststest.GitHubIssuer, Account: "222222222222", Key: key},
		"no key":      {Issuer: ststest.GitHubIssuer, Account: "222222222222", Audiences: []string{"a"}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: AddOIDCProvider did not panic", name)
				}
			}()
			ststest.New().AddOIDCProvider(p)
		}()
	}
	if got := ststest.NewTokenIssuer().Provider("222222222222").ARN(); got != "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com" {
		t.Errorf("ARN() = %q", got)
	}
}
