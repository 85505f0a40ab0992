package ststest_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/idtoken"
	"github.com/assume-role/assume-role/internal/ststest"
)

// tokenResponse is one answer of the token endpoint.
type tokenResponse struct {
	status int
	header http.Header
	body   string
}

// requestToken does what a job does with ACTIONS_ID_TOKEN_REQUEST_URL:
// adds the audience (if any) to the URL's query and sends the bearer.
func requestToken(t *testing.T, method, requestURL, bearer, aud string) tokenResponse {
	t.Helper()
	u, err := url.Parse(requestURL)
	if err != nil {
		t.Fatal(err)
	}
	if aud != "" {
		q := u.Query()
		q.Set("audience", aud)
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return tokenResponse{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// fetchToken gets a token from the endpoint and fails unless it answers as
// GitHub does.
func fetchToken(t *testing.T, requestURL, bearer, aud string) string {
	t.Helper()
	r := requestToken(t, http.MethodGet, requestURL, bearer, aud)
	if r.status != http.StatusOK {
		t.Fatalf("token endpoint: %d %s", r.status, r.body)
	}
	var out struct {
		Count int    `json:"count"`
		Value string `json:"value"`
	}
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		t.Fatalf("token endpoint body %q: %v", r.body, err)
	}
	if out.Count != len(out.Value) || strings.Count(out.Value, ".") != 2 {
		t.Fatalf("token endpoint answered count %d for a value of %d characters: %q", out.Count, len(out.Value), out.Value)
	}
	return out.Value
}

// jwtPart decodes part i (0 header, 1 claims) of a JWT.
func jwtPart(t *testing.T, jwt string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a JWT", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatalf("JWT part %d: %v", i, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("JWT part %d: %v", i, err)
	}
	return m
}

func TestTokenServerIssuesGitHubTokens(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_750_000_000, 0)
	issuer, reqURL, reqToken := ststest.NewTokenServer(t, ststest.WithIssuerClock(func() time.Time { return now }))

	if u, err := url.Parse(reqURL); err != nil || u.Query().Get("api-version") != "2.0" ||
		!regexp.MustCompile(`^/[a-z0-9]{20}/_apis/distributedtask/hubs/Actions/plans/[0-9a-f-]{36}/jobs/[0-9a-f-]{36}/idtoken$`).MatchString(u.Path) {
		t.Errorf("request URL %q is not shaped like the runner's", reqURL)
	}
	if reqToken == "" || reqToken != issuer.RequestToken() {
		t.Errorf("request token %q, issuer says %q", reqToken, issuer.RequestToken())
	}

	r := requestToken(t, http.MethodGet, reqURL, reqToken, "sts.amazonaws.com")
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	jwt := fetchToken(t, reqURL, reqToken, "sts.amazonaws.com")
	header := jwtPart(t, jwt, 0)
	if header["alg"] != "RS256" || header["typ"] != "JWT" ||
		!regexp.MustCompile(`^[0-9A-F]{40}$`).MatchString(header["kid"].(string)) ||
		!regexp.MustCompile(`^[A-Za-z0-9_-]{27}$`).MatchString(header["x5t"].(string)) {
		t.Errorf("header = %v", header)
	}

	claims := jwtPart(t, jwt, 1)
	want := map[string]any{
		"sub":                   "repo:octo-org/octo-repo:ref:refs/heads/main",
		"aud":                   "sts.amazonaws.com",
		"iss":                   "https://token.actions.githubusercontent.com",
		"ref":                   "refs/heads/main",
		"ref_type":              "branch",
		"ref_protected":         "false",
		"repository":            "octo-org/octo-repo",
		"repository_owner":      "octo-org",
		"repository_visibility": "private",
		"actor":                 "octocat",
		"event_name":            "push",
		"workflow":              "Deploy",
		"workflow_ref":          "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main",
		"job_workflow_ref":      "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main",
		"runner_environment":    "github-hosted",
		"iat":                   float64(now.Unix()),
		"exp":                   float64(now.Unix() + 300),
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
	for _, k := range []string{"jti", "sha", "repository_id", "repository_owner_id", "run_id", "run_number", "run_attempt",
		"actor_id", "workflow_sha", "job_workflow_sha", "nbf"} {
		if _, ok := claims[k]; !ok {
			t.Errorf("claim %s missing", k)
		}
	}
	if _, ok := claims["environment"]; ok {
		t.Error("environment claim present for a job without environment")
	}

	// Without an audience parameter GitHub uses the owner's URL.
	if got := jwtPart(t, fetchToken(t, reqURL, reqToken, ""), 1)["aud"]; got != "https://github.com/octo-org" {
		t.Errorf("default aud = %v, want https://github.com/octo-org", got)
	}
	if got, want := issuer.Requests(), 3; got != want {
		t.Errorf("Requests() = %d, want %d", got, want)
	}
	if got := issuer.Audiences(); len(got) != 3 || got[0] != "sts.amazonaws.com" || got[2] != "" {
		t.Errorf("Audiences() = %q", got)
	}
}

func TestTokenSubjects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		job     ststest.Job
		sub     string
		refType string
	}{
		{ststest.Job{}, "repo:octo-org/octo-repo:ref:refs/heads/main", "branch"},
		{ststest.Job{Repository: "acme/api", Ref: "refs/tags/v1.2.3"}, "repo:acme/api:ref:refs/tags/v1.2.3", "tag"},
		{ststest.Job{Environment: "prod"}, "repo:octo-org/octo-repo:environment:prod", "branch"},
		{ststest.Job{EventName: "pull_request", Ref: "refs/pull/42/merge", HeadRef: "feature", BaseRef: "main"}, "repo:octo-org/octo-repo:pull_request", "branch"},
		// The environment wins over the event, as on GitHub.
		{ststest.Job{EventName: "pull_request", Environment: "preview"}, "repo:octo-org/octo-repo:environment:preview", "branch"},
	}
	issuer, reqURL, reqToken := ststest.NewTokenServer(t)
	for _, tc := range tests {
		if got := tc.job.Subject(); got != tc.sub {
			t.Errorf("%+v.Subject() = %q, want %q", tc.job, got, tc.sub)
		}
		issuer.SetJob(tc.job)
		claims := jwtPart(t, fetchToken(t, reqURL, reqToken, "sts.amazonaws.com"), 1)
		if claims["sub"] != tc.sub || claims["ref_type"] != tc.refType {
			t.Errorf("job %+v: sub %v ref_type %v, want %s %s", tc.job, claims["sub"], claims["ref_type"], tc.sub, tc.refType)
		}
		if env, ok := claims["environment"]; (tc.job.Environment != "") != ok || ok && env != tc.job.Environment {
			t.Errorf("job %+v: environment claim %v (present %v)", tc.job, env, ok)
		}
		if tc.job.HeadRef != "" && (claims["head_ref"] != tc.job.HeadRef || claims["base_ref"] != tc.job.BaseRef) {
			t.Errorf("job %+v: head_ref %v base_ref %v", tc.job, claims["head_ref"], claims["base_ref"])
		}
	}

	// A custom subject template, as an organisation can configure.
	issuer.SetJob(ststest.Job{})
	issuer.EditClaims(func(c map[string]any) {
		c["sub"] = "repo:octo-org/octo-repo:job_workflow_ref:" + c["job_workflow_ref"].(string)
	})
	if got := jwtPart(t, issuer.Mint("sts.amazonaws.com"), 1)["sub"]; got != "repo:octo-org/octo-repo:job_workflow_ref:octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main" {
		t.Errorf("edited sub = %v", got)
	}
}

func TestTokenServerRefusals(t *testing.T) {
	t.Parallel()
	issuer, reqURL, reqToken := ststest.NewTokenServer(t)
	noVersion := strings.Replace(reqURL, "?api-version=2.0", "", 1)
	wrongPath := strings.Replace(reqURL, "/idtoken?", "/token?", 1)
	tests := []struct {
		name, method, url, bearer string
		status                    int
		message                   string
	}{
		{"no bearer", http.MethodGet, reqURL, "", 401, "TF400813: The user '' is not authorized to access this resource."},
		{"wrong bearer", http.MethodGet, reqURL, "not-the-token", 401, "TF400813"},
		{"POST", http.MethodPost, reqURL, reqToken, 405, "Method Not Allowed"},
		{"wrong path", http.MethodGet, wrongPath, reqToken, 404, "Not Found"},
		{"query replaced, api-version lost", http.MethodGet, noVersion, reqToken, 400, "No api-version was supplied"},
	}
	for _, tc := range tests {
		r := requestToken(t, tc.method, tc.url, tc.bearer, "sts.amazonaws.com")
		var doc struct{ Message string }
		if err := json.Unmarshal([]byte(r.body), &doc); err != nil || r.status != tc.status || !strings.Contains(doc.Message, tc.message) {
			t.Errorf("%s: %d %s, want %d with message %q", tc.name, r.status, r.body, tc.status, tc.message)
		}
		if strings.Contains(r.body, reqToken) {
			t.Errorf("%s: the answer echoes the request token", tc.name)
		}
	}
	if got := issuer.Requests(); got != len(tests) {
		t.Errorf("Requests() = %d, want %d", got, len(tests))
	}
}

func TestTokenServerFaults(t *testing.T) {
	t.Parallel()
	issuer, reqURL, reqToken := ststest.NewTokenServer(t)
	issuer.InjectToken(500, 503, 401, 429, ststest.GarbageBody)
	for _, want := range []int{500, 503, 401, 429} {
		if r := requestToken(t, http.MethodGet, reqURL, reqToken, "sts.amazonaws.com"); r.status != want || !json.Valid([]byte(r.body)) {
			t.Errorf("status %d body %q, want %d with a JSON body", r.status, r.body, want)
		}
	}
	r := requestToken(t, http.MethodGet, reqURL, reqToken, "sts.amazonaws.com")
	if r.status != http.StatusOK || json.Valid([]byte(r.body)) {
		t.Errorf("garbage fault: %d %q, want 200 with a body that is not JSON", r.status, r.body)
	}
	fetchToken(t, reqURL, reqToken, "sts.amazonaws.com") // faults used up
	if got := issuer.Requests(); got != 6 {
		t.Errorf("Requests() = %d, want 6", got)
	}

	defer func() {
		if recover() == nil {
			t.Error("InjectToken(200) did not panic")
		}
	}()
	issuer.InjectToken(200)
}

// TestTokenServerWithTheActionsFetcher runs the action's own token client
// against the endpoint: it must keep the URL's query, retry 5xx and give up
// on garbage.
func TestTokenServerWithTheActionsFetcher(t *testing.T) {
	t.Parallel()
	issuer, reqURL, reqToken := ststest.NewTokenServer(t)
	issuer.InjectToken(503, 500)
	f := &idtoken.Fetcher{RequestURL: reqURL, RequestToken: reqToken, BaseDelay: time.Millisecond}
	tok, err := f.Fetch(t.Context(), "sts.amazonaws.com")
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if got := jwtPart(t, tok, 1)["aud"]; got != "sts.amazonaws.com" || issuer.Requests() != 3 {
		t.Errorf("aud %v after %d requests, want sts.amazonaws.com after 3", got, issuer.Requests())
	}

	issuer.InjectToken(ststest.GarbageBody)
	if _, err := f.Fetch(t.Context(), "sts.amazonaws.com"); err == nil || issuer.Requests() != 4 {
		t.Errorf("Fetch of garbage: err %v after %d requests, want an error after 4", err, issuer.Requests())
	}
}
