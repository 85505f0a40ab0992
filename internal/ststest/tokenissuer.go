package ststest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// GitHubIssuer is the issuer (iss claim) of GitHub Actions ID tokens.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

// DefaultAudience is the audience AWS expects in GitHub ID tokens, and the
// one the action asks for unless told otherwise.
const DefaultAudience = "sts.amazonaws.com"

// tokenLifetime is how long a GitHub ID token is valid after it is issued.
const tokenLifetime = 5 * time.Minute

// GarbageBody, passed to [TokenIssuer.InjectToken], answers 200 with a body
// that is not the JSON GitHub sends: what a captive portal or broken proxy
// returns.
const GarbageBody = 0

// sharedKey is the signing key of every issuer created without
// [WithSigningKey]: generating a 2048-bit key takes long enough that tests
// creating many issuers would notice.
var sharedKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(fmt.Sprintf("ststest: generating the token signing key: %v", err))
	}
	return k
})

// Job is the workflow job an ID token is issued to. Empty fields take the
// values of the default job, a push to refs/heads/main of octo-org/octo-repo
// running .github/workflows/deploy.yml.
type Job struct {
	// Repository is OWNER/REPO; default octo-org/octo-repo.
	Repository string
	// Ref is the full ref; default refs/heads/main.
	Ref string
	// SHA is the commit; default a fixed 40-hex-digit ID.
	SHA string
	// Environment is the deployment environment, empty for none. When set,
	// it appears as the environment claim and in sub.
	Environment string
	// EventName is the triggering event; default push. pull_request makes
	// sub repo:OWNER/REPO:pull_request.
	EventName string
	// Actor is the user who triggered the run; default octocat.
	Actor string
	// Workflow is the path of the workflow file in the repository; default
	// .github/workflows/deploy.yml. It makes workflow_ref.
	Workflow string
	// WorkflowName is the workflow's name (its name: key), the workflow
	// claim; default Deploy.
	WorkflowName string
	// JobWorkflowRef is the job_workflow_ref claim, which differs from
	// workflow_ref for jobs of reusable workflows; default workflow_ref.
	JobWorkflowRef string
	// HeadRef and BaseRef are the pull request's branches, empty otherwise.
	HeadRef, BaseRef string
	// RefProtected is whether branch protection applies to Ref.
	RefProtected bool
	// Visibility is repository_visibility; default private.
	Visibility string
	// RunnerEnvironment is github-hosted (the default) or self-hosted.
	RunnerEnvironment string
	// ImmutableSubject gives sub the form of repositories created since
	// July 2026, repo:OWNER@OWNER_ID/REPO@REPO_ID:…, with the IDs of the
	// repository_owner_id and repository_id claims.
	ImmutableSubject bool
}

// withDefaults fills the empty fields of j.
func (j Job) withDefaults() Job {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&j.Repository, "octo-org/octo-repo")
	def(&j.Ref, "refs/heads/main")
	def(&j.SHA, "e2c3f1a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3")
	def(&j.EventName, "push")
	def(&j.Actor, "octocat")
	def(&j.Workflow, ".github/workflows/deploy.yml")
	def(&j.WorkflowName, "Deploy")
	def(&j.Visibility, "private")
	def(&j.RunnerEnvironment, "github-hosted")
	def(&j.JobWorkflowRef, j.Repository+"/"+j.Workflow+"@"+j.Ref)
	return j
}

// Subject returns the sub claim GitHub builds for the job (with the default
// subject template): repo:OWNER/REPO:environment:NAME for a job with an
// environment, repo:OWNER/REPO:pull_request for a pull_request event, else
// repo:OWNER/REPO:ref:REF; with ImmutableSubject, OWNER/REPO is
// OWNER@OWNER_ID/REPO@REPO_ID.
func (j Job) Subject() string {
	j = j.withDefaults()
	repo := j.Repository
	if j.ImmutableSubject {
		owner, name, _ := strings.Cut(repo, "/")
		repo = owner + "@" + stableNumber("owner:"+owner) + "/" + name + "@" + stableNumber("repo:"+repo)
	}
	switch {
	case j.Environment != "":
		return "repo:" + repo + ":environment:" + j.Environment
	case j.EventName == "pull_request":
		return "repo:" + repo + ":pull_request"
	}
	return "repo:" + repo + ":ref:" + j.Ref
}

// IssuerOption configures a [TokenIssuer].
type IssuerOption func(*TokenIssuer)

// WithIssuerURL sets the iss claim; default [GitHubIssuer]. GitHub
// Enterprise issuers have a path, e.g.
// https://token.actions.githubusercontent.com/octo-enterprise.
func WithIssuerURL(iss string) IssuerOption {
	return func(ti *TokenIssuer) { ti.issuer = iss }
}

// WithJob sets the job tokens are issued to; see [TokenIssuer.SetJob].
func WithJob(j Job) IssuerOption {
	return func(ti *TokenIssuer) { ti.job = j }
}

// WithIssuerClock replaces the clock that sets iat, nbf and exp.
func WithIssuerClock(now func() time.Time) IssuerOption {
	return func(ti *TokenIssuer) { ti.now = now }
}

// WithSigningKey signs with k instead of the key shared by all issuers of
// the process; an issuer with its own key mints tokens that no provider made
// from another issuer accepts, as a forger's would be.
func WithSigningKey(k *rsa.PrivateKey) IssuerOption {
	return func(ti *TokenIssuer) { ti.key = k }
}

// WithRequestToken sets the bearer token the endpoint requires; default a
// random one, see [TokenIssuer.RequestToken].
func WithRequestToken(tok string) IssuerOption {
	return func(ti *TokenIssuer) { ti.requestToken = tok }
}

// TokenIssuer is an in-memory GitHub Actions OIDC token endpoint: the
// service behind ACTIONS_ID_TOKEN_REQUEST_URL. It is an [http.Handler] that
// answers GET .../idtoken?api-version=2.0[&audience=AUD] carrying
// Authorization: Bearer <request token> with {"count":N,"value":"<JWT>"},
// an RS256 JWT with the claims GitHub puts in its ID tokens. It is safe for
// concurrent use; create it with [NewTokenIssuer] or [NewTokenServer].
type TokenIssuer struct {
	issuer       string
	key          *rsa.PrivateKey
	kid, x5t     string
	requestToken string
	now          func() time.Time

	mu        sync.Mutex
	job       Job
	edit      func(map[string]any)
	faults    []int
	requests  int
	audiences []string
}

// NewTokenIssuer returns an issuer for the default job at [GitHubIssuer].
func NewTokenIssuer(opts ...IssuerOption) *TokenIssuer {
	ti := &TokenIssuer{
		issuer:       GitHubIssuer,
		now:          time.Now,
		requestToken: rand.Text() + rand.Text(),
	}
	for _, o := range opts {
		o(ti)
	}
	if ti.key == nil {
		ti.key = sharedKey()
	}
	ti.kid, ti.x5t = keyIDs(&ti.key.PublicKey)
	return ti
}

// keyIDs derives the kid and x5t header values from a public key the way
// GitHub's look: the SHA-1 thumbprint in upper-case hex and in base64url.
func keyIDs(pub *rsa.PublicKey) (kid, x5t string) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(fmt.Sprintf("ststest: encoding the token signing key: %v", err))
	}
	sum := sha1.Sum(der) // a thumbprint, not a security use
	return strings.ToUpper(hex.EncodeToString(sum[:])), base64.RawURLEncoding.EncodeToString(sum[:])
}

// Issuer returns the iss claim of the tokens.
func (ti *TokenIssuer) Issuer() string { return ti.issuer }

// RequestToken returns the bearer token the endpoint requires, the value of
// ACTIONS_ID_TOKEN_REQUEST_TOKEN.
func (ti *TokenIssuer) RequestToken() string { return ti.requestToken }

// RequestURL returns an ACTIONS_ID_TOKEN_REQUEST_URL for the issuer served at
// base (scheme and host, optionally a path prefix). Like the runner's, it
// already has a query (api-version=2.0), so clients must add the audience
// to it rather than append "?audience=".
func (ti *TokenIssuer) RequestURL(base string) string {
	return strings.TrimSuffix(base, "/") + "/" + strings.ToLower(rand.Text()[:20]) +
		"/_apis/distributedtask/hubs/Actions/plans/" + newRequestID() + "/jobs/" + newRequestID() +
		"/idtoken?api-version=2.0"
}

// PublicKey returns the key that verifies the issuer's tokens.
func (ti *TokenIssuer) PublicKey() *rsa.PublicKey { return &ti.key.PublicKey }

// Provider returns the IAM OIDC provider that trusts this issuer in account,
// accepting audiences (default [DefaultAudience]).
func (ti *TokenIssuer) Provider(account string, audiences ...string) OIDCProvider {
	if len(audiences) == 0 {
		audiences = []string{DefaultAudience}
	}
	return OIDCProvider{Issuer: ti.issuer, Account: account, Audiences: audiences, Key: ti.PublicKey()}
}

// SetJob changes the job that later tokens are issued to.
func (ti *TokenIssuer) SetJob(j Job) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.job = j
}

// EditClaims installs fn to edit the claims of every later token, from the
// endpoint and from [TokenIssuer.Mint], just before signing: to add, change
// or delete claims (a custom sub template, a missing aud, a past exp). nil
// removes the hook.
func (ti *TokenIssuer) EditClaims(fn func(claims map[string]any)) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.edit = fn
}

// InjectToken queues answers for the next endpoint requests, one each: an
// HTTP status (401, 403, 429, 500, 503 ... with a JSON error body) or
// [GarbageBody]. Later requests are served normally again. Faults apply
// before the request token is checked.
func (ti *TokenIssuer) InjectToken(statuses ...int) {
	for _, s := range statuses {
		if s != GarbageBody && (s < 100 || s > 599 || s == http.StatusOK) {
			panic(fmt.Sprintf("ststest: InjectToken: %d is not an error status", s))
		}
	}
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.faults = append(ti.faults, statuses...)
}

// Requests counts the requests the endpoint received, faulted or not.
func (ti *TokenIssuer) Requests() int {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	return ti.requests
}

// Audiences returns the audience query parameter of each request received,
// in order, "" where it was absent.
func (ti *TokenIssuer) Audiences() []string {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	return append([]string(nil), ti.audiences...)
}

// Claims returns the claims a token for aud would carry now, after the
// [TokenIssuer.EditClaims] hook: a starting point for [TokenIssuer.MintClaims].
// An empty aud means GitHub's default, https://github.com/OWNER.
func (ti *TokenIssuer) Claims(aud string) map[string]any {
	ti.mu.Lock()
	job, edit := ti.job.withDefaults(), ti.edit
	ti.mu.Unlock()

	owner, _, _ := strings.Cut(job.Repository, "/")
	if aud == "" {
		aud = "https://github.com/" + owner
	}
	refType := "branch"
	if strings.HasPrefix(job.Ref, "refs/tags/") {
		refType = "tag"
	}
	workflowRef := job.Repository + "/" + job.Workflow + "@" + job.Ref
	iat := ti.now().Unix()
	c := map[string]any{
		"jti":                   newRequestID(),
		"sub":                   job.Subject(),
		"aud":                   aud,
		"ref":                   job.Ref,
		"sha":                   job.SHA,
		"repository":            job.Repository,
		"repository_owner":      owner,
		"repository_id":         stableNumber("repo:" + job.Repository),
		"repository_owner_id":   stableNumber("owner:" + owner),
		"repository_visibility": job.Visibility,
		"run_id":                "1658821493",
		"run_number":            "7",
		"run_attempt":           "1",
		"actor":                 job.Actor,
		"actor_id":              stableNumber("actor:" + job.Actor),
		"workflow":              job.WorkflowName,
		"workflow_ref":          workflowRef,
		"workflow_sha":          job.SHA,
		"job_workflow_ref":      job.JobWorkflowRef,
		"job_workflow_sha":      job.SHA,
		"head_ref":              job.HeadRef,
		"base_ref":              job.BaseRef,
		"event_name":            job.EventName,
		"ref_type":              refType,
		"ref_protected":         fmt.Sprint(job.RefProtected),
		"runner_environment":    job.RunnerEnvironment,
		"iss":                   ti.issuer,
		"nbf":                   iat - 600,
		"iat":                   iat,
		"exp":                   iat + int64(tokenLifetime/time.Second),
	}
	if job.Environment != "" {
		c["environment"] = job.Environment
	}
	if edit != nil {
		edit(c)
	}
	return c
}

// Mint returns a token for aud as the endpoint would issue it now, without
// counting as a request: for web identity token files.
func (ti *TokenIssuer) Mint(aud string) string {
	return ti.MintClaims(ti.Claims(aud))
}

// MintClaims signs exactly claims, with the issuer's key and header. It
// panics if the claims cannot be encoded as JSON.
func (ti *TokenIssuer) MintClaims(claims map[string]any) string {
	header, err := json.Marshal(map[string]string{"alg": "RS256", "kid": ti.kid, "typ": "JWT", "x5t": ti.x5t})
	if err != nil {
		panic(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(fmt.Sprintf("ststest: MintClaims: %v", err))
	}
	signed := b64(header) + "." + b64(payload)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, ti.key, crypto.SHA256, sum[:])
	if err != nil {
		panic(fmt.Sprintf("ststest: signing a token: %v", err))
	}
	return signed + "." + b64(sig)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// stableNumber derives a numeric ID (as GitHub's ID claims, a string) from
// a name, so that the same repository always has the same ID.
func stableNumber(name string) string {
	sum := sha256.Sum256([]byte(name))
	n := uint64(0)
	for _, b := range sum[:4] {
		n = n<<8 | uint64(b)
	}
	return fmt.Sprint(n%900_000_000 + 100_000_000)
}

// ServeHTTP answers one ID token request.
func (ti *TokenIssuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ti.mu.Lock()
	ti.requests++
	ti.audiences = append(ti.audiences, q.Get("audience"))
	fault, faulted := 0, len(ti.faults) > 0
	if faulted {
		fault, ti.faults = ti.faults[0], ti.faults[1:]
	}
	ti.mu.Unlock()

	switch {
	case faulted && fault == GarbageBody:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("<html><body>Sign in to continue</body></html>\n"))
		return
	case faulted:
		writeVSSError(w, fault)
		return
	case r.Method != http.MethodGet:
		w.Header().Set("Allow", http.MethodGet)
		writeVSSError(w, http.StatusMethodNotAllowed)
		return
	case !strings.HasSuffix(r.URL.Path, "/idtoken"):
		writeVSSError(w, http.StatusNotFound)
		return
	case !ti.authorized(r):
		writeVSSError(w, http.StatusUnauthorized)
		return
	case !q.Has("api-version") && !strings.Contains(r.Header.Get("Accept"), "api-version="):
		writeJSON(w, http.StatusBadRequest, vssError{ID: "1", TypeKey: "VssVersionNotSpecifiedException",
			Message: `No api-version was supplied for the "GET" request. The version must be supplied either as part of the Accept header (e.g. "application/json; api-version=1.0") or as a query parameter (e.g. "?api-version=1.0").`})
		return
	}
	token := ti.Mint(q.Get("audience"))
	writeJSON(w, http.StatusOK, struct {
		Count int    `json:"count"`
		Value string `json:"value"`
	}{len(token), token})
}

func (ti *TokenIssuer) authorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && tok == ti.requestToken
}

// vssError is the error document of the Azure DevOps services GitHub's
// token endpoint runs on.
type vssError struct {
	ID             string `json:"$id"`
	InnerException any    `json:"innerException"`
	Message        string `json:"message"`
	TypeKey        string `json:"typeKey"`
	ErrorCode      int    `json:"errorCode"`
	EventID        int    `json:"eventId"`
}

func writeVSSError(w http.ResponseWriter, status int) {
	e := vssError{ID: "1", Message: http.StatusText(status), TypeKey: "VssServiceException", EventID: 3000}
	if status == http.StatusUnauthorized {
		e.Message = "TF400813: The user '' is not authorized to access this resource."
		e.TypeKey = "UnauthorizedRequestException"
	}
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// audienceOf returns the aud claim as a list: a string or an array of
// strings (RFC 7519 §4.1.3).
func audienceOf(claims map[string]any) []string {
	switch a := claims["aud"].(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, v := range a {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// issuerKey is how IAM names an OIDC provider: its issuer URL without the
// https:// scheme and without a trailing slash. ok is false for other
// schemes.
func issuerKey(iss string) (string, bool) {
	u, err := url.Parse(iss)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	return strings.TrimSuffix(u.Host+u.Path, "/"), true
}
