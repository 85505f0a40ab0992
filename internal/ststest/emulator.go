package ststest

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// APIVersion is the only STS API version the emulator accepts.
const APIVersion = "2011-06-15"

// Namespace is the XML namespace of every STS response document.
const Namespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// maxBodyBytes bounds what one request may make the emulator buffer. The
// largest legitimate AssumeRole (a 2048-char policy, 10 policy ARNs and 50
// maximal tags) is well under 64 KiB once form-encoded.
const maxBodyBytes = 1 << 20

// User is a long-term IAM user whose access key can sign requests.
type User struct {
	AccessKeyID     string
	SecretAccessKey string
	// ARN is the user's ARN, e.g. arn:aws:iam::111111111111:user/ci. Its
	// partition and account are what GetCallerIdentity reports.
	ARN string
}

// Role is an IAM role that can be assumed.
type Role struct {
	// ARN is arn:<partition>:iam::<account>:role/<path/>name.
	ARN string
	// Trust lists the principals allowed to assume the role: user ARNs, role
	// ARNs (matching any session of that role), assumed-role session ARNs,
	// account roots (arn:<partition>:iam::<account>:root, or a bare 12-digit
	// account ID) matching any principal of that account, or "*".
	Trust []string
	// ExternalID, when set, must be sent verbatim as AssumeRole's ExternalId.
	ExternalID string
	// MaxSessionDuration is the longest DurationSeconds allowed, in seconds.
	// Zero means 3600, the IAM default.
	MaxSessionDuration int32
	// WebIdentity, when set, lets holders of ID tokens from one OIDC
	// provider assume the role with AssumeRoleWithWebIdentity; nil means
	// the role cannot be assumed with a web identity.
	WebIdentity *WebIdentityTrust
	// TrustPolicy, when set instead of WebIdentity, is the role's trust
	// policy document (JSON) for AssumeRoleWithWebIdentity, evaluated as
	// IAM does: Federated principals, Allow and Deny, and the String and
	// Null condition operators on the token's claims. AddRole panics on
	// anything it does not model. AWS principals stay in Trust.
	TrustPolicy string
	policy      *trustDoc
	// AllowTagSession grants sts:TagSession to the principals the role
	// trusts. Without it, AssumeRole with session tags is denied, as IAM
	// denies it to a trust policy without that action.
	AllowTagSession bool
	// MaxPackedTagBytes, when positive, makes AssumeRole fail with
	// PackedPolicyTooLarge once the sum of len(key)+len(value) over the
	// session tags exceeds it: STS's packed-size limit, which depends on an
	// undocumented encoding, made predictable for tests.
	MaxPackedTagBytes int
}

// Credentials is a temporary credential issued by AssumeRole.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	// ARN is the assumed-role ARN of the session,
	// arn:<partition>:sts::<account>:assumed-role/<role>/<session>.
	ARN string
}

// Call is one request the emulator received.
type Call struct {
	// Action is the Action parameter as sent, possibly empty or unknown.
	Action string
	// AccessKeyID is taken from the Authorization header, whether or not the
	// key is known or the signature valid; empty for unsigned requests.
	AccessKeyID string
	// Params are all form and query parameters of the request.
	Params url.Values
	// Status is the HTTP status answered. It is 0 while the request is in
	// flight and for requests answered without a response (Reset, Hang, or a
	// client that gave up during the latency).
	Status int
	// ErrorCode is the STS error code answered, empty on success.
	ErrorCode string
	// Fault is the injected fault that answered the request, zero if none.
	Fault Fault
	// RequestID is the x-amzn-RequestId of the answer.
	RequestID string
	// At is the emulator clock when the request arrived.
	At time.Time
}

// Option configures an [Emulator].
type Option func(*Emulator)

// WithClock replaces the clock used for signature freshness, credential
// expiration and the Date response header. Clients sign with their own clock,
// so a clock more than five minutes away from the real time makes every
// request fail with "Signature expired", as real STS would.
func WithClock(now func() time.Time) Option {
	return func(e *Emulator) { e.now = now }
}

// WithLogger logs one line per request at debug level. Access key IDs are
// shortened to their last four characters; secrets are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(e *Emulator) { e.log = l }
}

// Emulator is an in-memory STS endpoint. It is safe for concurrent use; the
// zero value is not usable, call [New].
type Emulator struct {
	now     func() time.Time
	log     *slog.Logger
	signer  *v4.Signer
	actions map[string]action
	closing chan struct{}
	closed  sync.Once

	mu       sync.Mutex
	users    map[string]User     // by access key ID
	roles    map[string]Role     // by ARN
	sessions map[string]*session // by access key ID
	issued   []Credentials
	calls    []Call
	faults   map[string][]Fault      // by action, "" for any action
	oidc     map[string]OIDCProvider // by account + "/" + issuer key
	latency  time.Duration
	lifetime time.Duration
	limiter  tokenBucket
}

// New returns an emulator with no users or roles; see [Emulator.SeedDemo].
func New(opts ...Option) *Emulator {
	e := &Emulator{
		now:      time.Now,
		log:      slog.New(slog.DiscardHandler),
		signer:   v4.NewSigner(),
		closing:  make(chan struct{}),
		users:    make(map[string]User),
		roles:    make(map[string]Role),
		sessions: make(map[string]*session),
		faults:   make(map[string][]Fault),
		oidc:     make(map[string]OIDCProvider),
	}
	e.actions = map[string]action{
		"AssumeRole":                {signed: true, handle: e.assumeRole},
		"AssumeRoleWithWebIdentity": {signed: false, handle: e.assumeRoleWithWebIdentity},
		"GetCallerIdentity":         {signed: true, handle: e.getCallerIdentity},
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// action is one STS operation. Unsigned operations (AssumeRoleWithWebIdentity,
// AssumeRoleWithSAML) authenticate with a token in their parameters instead
// of SigV4, so they get a nil caller.
type action struct {
	signed bool
	handle func(*request) (any, error)
}

// request is what a handler sees of one call.
type request struct {
	params url.Values
	caller *principal // nil for unsigned actions
	now    time.Time
}

// Close releases requests held by the Hang fault or sleeping in latency, so
// that an [httptest.Server] can shut down. The emulator keeps answering other
// requests. Close is idempotent.
func (e *Emulator) Close() {
	e.closed.Do(func() { close(e.closing) })
}

// AddUser registers a long-term access key. It panics if the ARN is not an
// IAM user ARN, since that is a mistake in the test itself.
func (e *Emulator) AddUser(u User) {
	if _, err := parseUserARN(u.ARN); err != nil {
		panic(fmt.Sprintf("ststest: AddUser: %v", err))
	}
	if u.AccessKeyID == "" || u.SecretAccessKey == "" {
		panic("ststest: AddUser: access key ID and secret are required")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.users[u.AccessKeyID] = u
}

// AddRole registers (or replaces) a role. It panics if the ARN is not an IAM
// role ARN or the web identity trust names no provider.
func (e *Emulator) AddRole(r Role) {
	if _, err := parseRoleARN(r.ARN); err != nil {
		panic(fmt.Sprintf("ststest: AddRole: %v", err))
	}
	if w := r.WebIdentity; w != nil {
		if w.Provider == "" || strings.Contains(w.Provider, "://") {
			panic(fmt.Sprintf("ststest: AddRole: WebIdentity.Provider %q must be an issuer without scheme, e.g. token.actions.githubusercontent.com", w.Provider))
		}
		r.WebIdentity = &WebIdentityTrust{
			Provider: strings.TrimSuffix(w.Provider, "/"),
			Audience: w.Audience,
			Subjects: slices.Clone(w.Subjects),
			Claims:   maps.Clone(w.Claims),
		}
	}
	if r.TrustPolicy != "" {
		if r.WebIdentity != nil {
			panic("ststest: AddRole: give WebIdentity or TrustPolicy, not both")
		}
		d, err := parseTrustPolicy(r.TrustPolicy)
		if err != nil {
			panic(fmt.Sprintf("ststest: AddRole: TrustPolicy: %v", err))
		}
		r.policy = d
	}
	if r.MaxSessionDuration == 0 {
		r.MaxSessionDuration = defaultDuration
	}
	if r.MaxSessionDuration < defaultDuration || r.MaxSessionDuration > maxDuration {
		panic(fmt.Sprintf("ststest: AddRole: MaxSessionDuration %d outside IAM's 3600..43200", r.MaxSessionDuration))
	}
	r.Trust = slices.Clone(r.Trust)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.roles[r.ARN] = r
}

// SetLatency delays every answer, including errors and faults, by d. The
// delay ends early if the client gives up.
func (e *Emulator) SetLatency(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.latency = d
}

// SetSessionLifetime makes every session issued from now on expire d after
// it is issued, whatever DurationSeconds asked for (which is still checked
// against the role's maximum): renewals can then be tested in seconds. Zero
// restores DurationSeconds. The answer's Expiration says the real end, and
// requests signed with the session fail with ExpiredToken after it.
func (e *Emulator) SetSessionLifetime(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lifetime = d
}

// SetRateLimit answers requests beyond perSecond per second (with a burst of
// perSecond) with 400 Throttling "Rate exceeded", like STS's account-wide
// request quota. Zero turns the limit off. The bucket refills on the real
// clock, not the one given by [WithClock].
func (e *Emulator) SetRateLimit(perSecond int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.limiter = tokenBucket{rate: perSecond, tokens: float64(perSecond), last: time.Now()}
}

// Calls returns a copy of every request received so far, in arrival order.
func (e *Emulator) Calls() []Call {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Call, len(e.calls))
	for i, c := range e.calls {
		c.Params = cloneValues(c.Params)
		out[i] = c
	}
	return out
}

// CallCount counts the requests received for action, or all requests if
// action is empty.
func (e *Emulator) CallCount(action string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if action == "" {
		return len(e.calls)
	}
	n := 0
	for _, c := range e.calls {
		if c.Action == action {
			n++
		}
	}
	return n
}

// Issued returns every temporary credential issued so far, in order.
func (e *Emulator) Issued() []Credentials {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.issued)
}

// Expire makes an issued session expired: requests signed with it get
// 400 ExpiredToken from then on. It panics if no such session was issued.
func (e *Emulator) Expire(accessKeyID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.sessions[accessKeyID]
	if !ok {
		panic(fmt.Sprintf("ststest: Expire: no session with access key ID %q", accessKeyID))
	}
	s.expired = true
}

// ServeHTTP answers one STS Query protocol request.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := e.now()
	reqID := newRequestID()

	body, bodyErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	params, paramsErr := requestParams(r, body)
	idx := e.record(Call{
		Action:      params.Get("Action"),
		AccessKeyID: authAccessKeyID(r),
		Params:      params,
		RequestID:   reqID,
		At:          now,
	})

	e.mu.Lock()
	latency := e.latency
	e.mu.Unlock()
	if latency > 0 && !e.sleep(r.Context(), latency) {
		e.finish(idx, 0, "", 0)
		return
	}

	if f, ok := e.nextFault(params.Get("Action")); ok {
		e.serveFault(w, r, idx, reqID, params.Get("Action"), f)
		return
	}
	if !e.allow() {
		e.writeError(w, idx, reqID, errThrottling(), 0)
		return
	}

	var err error
	switch {
	case bodyErr != nil:
		err = &apiError{status: http.StatusRequestEntityTooLarge, code: "RequestEntityTooLarge", message: "Request body is too large."}
	case r.Method != http.MethodGet && r.Method != http.MethodPost:
		err = &apiError{status: http.StatusMethodNotAllowed, code: "MethodNotAllowed", message: fmt.Sprintf("The requested method %s is not allowed.", r.Method)}
	case paramsErr != nil:
		err = &apiError{status: http.StatusBadRequest, code: "MalformedQueryString", message: paramsErr.Error()}
	}
	if err != nil {
		e.writeError(w, idx, reqID, err, 0)
		return
	}

	result, err := e.dispatch(r, body, params, now)
	if err != nil {
		e.writeError(w, idx, reqID, err, 0)
		return
	}
	e.writeResult(w, idx, reqID, params.Get("Action"), result)
}

// dispatch resolves the operation the way the STS front end does: operation
// and version first (so unknown actions are reported even unsigned), then
// authentication for signed operations, then the operation itself.
func (e *Emulator) dispatch(r *http.Request, body []byte, params url.Values, now time.Time) (any, error) {
	name := params.Get("Action")
	if name == "" {
		return nil, &apiError{status: http.StatusBadRequest, code: "MissingAction", message: "Missing Action"}
	}
	act, ok := e.actions[name]
	version := params.Get("Version")
	if !ok || version != APIVersion {
		if version == "" {
			version = "NO_VERSION_SPECIFIED"
		}
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidAction",
			message: fmt.Sprintf("Could not find operation %s for version %s", name, version)}
	}
	req := &request{params: params, now: now}
	if act.signed {
		caller, err := e.authenticate(r, body, now)
		if err != nil {
			return nil, err
		}
		req.caller = caller
	}
	return act.handle(req)
}

// requestParams merges the form body of a POST with the URL query: STS
// accepts parameters in either place.
func requestParams(r *http.Request, body []byte) (url.Values, error) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return url.Values{}, fmt.Errorf("parsing query string: %w", err)
	}
	if r.Method == http.MethodPost && len(bytes.TrimSpace(body)) > 0 {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return params, fmt.Errorf("parsing form body: %w", err)
		}
		for k, vs := range form {
			params[k] = append(params[k], vs...)
		}
	}
	return params, nil
}

func (e *Emulator) record(c Call) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, c)
	return len(e.calls) - 1
}

// finish completes the record of a call. Answers are recorded before they
// are written, so a client that has its answer finds it in Calls.
func (e *Emulator) finish(idx, status int, code string, f Fault) {
	e.mu.Lock()
	c := &e.calls[idx]
	c.Status, c.ErrorCode, c.Fault = status, code, f
	action, key := c.Action, c.AccessKeyID
	e.mu.Unlock()
	e.log.Debug("sts request", "action", action, "access_key_id", shortKey(key), "status", status, "code", code, "fault", f.String())
}

// sleep waits for d and reports whether the request is still worth answering.
func (e *Emulator) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-e.closing:
		return false
	}
}

func (e *Emulator) writeResult(w http.ResponseWriter, idx int, reqID, action string, result any) {
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{
		Name: xml.Name{Local: action + "Response"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: Namespace}},
	}
	err := errors.Join(
		enc.EncodeToken(start),
		enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}),
		enc.EncodeElement(responseMetadata{RequestID: reqID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}),
		enc.EncodeToken(start.End()),
		enc.Flush(),
	)
	if err != nil {
		// Results are plain structs of strings; failing to encode one is a
		// bug in the emulator, which a 500 makes visible to the test.
		e.writeError(w, idx, reqID, &apiError{status: http.StatusInternalServerError, code: "InternalFailure", message: "encoding response: " + err.Error()}, 0)
		return
	}
	e.finish(idx, http.StatusOK, "", 0)
	e.writeXML(w, reqID, http.StatusOK, buf.Bytes())
}

func (e *Emulator) writeError(w http.ResponseWriter, idx int, reqID string, err error, f Fault) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{status: http.StatusInternalServerError, code: "InternalFailure", message: err.Error()}
	}
	doc := errorResponse{
		Xmlns:     Namespace,
		Error:     errorBody{Type: ae.faultType(), Code: ae.code, Message: ae.message},
		RequestID: reqID,
	}
	out, mErr := xml.Marshal(doc)
	if mErr != nil {
		out = []byte("<ErrorResponse/>")
	}
	e.finish(idx, ae.status, ae.code, f)
	e.writeXML(w, reqID, ae.status, out)
}

func (e *Emulator) writeXML(w http.ResponseWriter, reqID string, status int, body []byte) {
	// encoding/xml escapes quotes in text, STS does not; both parse the
	// same, but tests and people reading raw bodies see what AWS sends. The
	// only attribute written is the namespace, which has no quotes.
	body = bytes.ReplaceAll(bytes.ReplaceAll(body, []byte("&#39;"), []byte("'")), []byte("&#34;"), []byte(`"`))
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("X-Amzn-Requestid", reqID)
	// The SDKs correct their clock from this header, so it must come from
	// the emulator clock, not the server's.
	h.Set("Date", e.now().UTC().Format(http.TimeFormat))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type errorResponse struct {
	XMLName   xml.Name  `xml:"ErrorResponse"`
	Xmlns     string    `xml:"xmlns,attr"`
	Error     errorBody `xml:"Error"`
	RequestID string    `xml:"RequestId"`
}

type errorBody struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// apiError is an STS error answer.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// faultType is Sender for 4xx and Receiver for 5xx, as in every AWS Query
// protocol error document.
func (e *apiError) faultType() string {
	if e.status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

func cloneValues(v url.Values) url.Values {
	out := maps.Clone(v)
	for k, vs := range out {
		out[k] = slices.Clone(vs)
	}
	return out
}

// shortKey keeps only the last four characters of an access key ID, enough
// to tell keys apart in a log without printing one.
func shortKey(k string) string {
	if len(k) <= 4 {
		return k
	}
	return strings.Repeat("*", len(k)-4) + k[len(k)-4:]
}
