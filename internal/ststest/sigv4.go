package ststest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

const (
	authAlgorithm = "AWS4-HMAC-SHA256"
	amzDateFormat = "20060102T150405Z"
	// maxSkew is how far X-Amz-Date may be from the server clock, as in STS.
	maxSkew = 5 * time.Minute
)

// principal is the authenticated caller of a signed request.
type principal struct {
	arn       string // what GetCallerIdentity reports and AccessDenied names
	userID    string
	account   string
	partition string
	session   *session // nil for IAM users
}

// trustARN is the ARN a role's trust list must name to let this principal
// in: the user itself, or for a session the role it is a session of.
func (p *principal) trustARN() string {
	if p.session != nil {
		return p.session.role.ARN
	}
	return p.arn
}

// authHeader is a parsed SigV4 Authorization header.
type authHeader struct {
	raw           string
	accessKeyID   string
	date          string // yyyymmdd of the credential scope
	region        string
	service       string
	terminator    string
	signedHeaders []string
	signature     string
}

// authenticate verifies the SigV4 signature of r and returns who signed it.
// Checks run in the order STS reports them: shape of the header, credential
// scope, freshness, the key, its session token, then the signature itself.
func (e *Emulator) authenticate(r *http.Request, body []byte, now time.Time) (*principal, error) {
	raw := r.Header.Get("Authorization")
	if raw == "" {
		if r.URL.Query().Has("X-Amz-Signature") {
			return nil, &apiError{status: http.StatusBadRequest, code: "IncompleteSignature",
				message: "The ststest emulator does not support query-string (presigned) authentication."}
		}
		return nil, &apiError{status: http.StatusForbidden, code: "MissingAuthenticationToken", message: "Request is missing Authentication Token"}
	}
	a, err := parseAuthorization(raw)
	if err != nil {
		return nil, err
	}

	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		return nil, &apiError{status: http.StatusBadRequest, code: "IncompleteSignature",
			message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + raw}
	}
	signedAt, perr := time.Parse(amzDateFormat, amzDate)
	if perr != nil {
		return nil, &apiError{status: http.StatusBadRequest, code: "IncompleteSignature",
			message: fmt.Sprintf("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", amzDate)}
	}
	switch {
	case a.date != amzDate[:8]:
		return nil, errSignature(fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", a.date, amzDate[:8], amzDate))
	case a.service != "sts":
		return nil, errSignature("Credential should be scoped to correct service: 'sts'. ")
	case a.terminator != "aws4_request":
		return nil, errSignature(fmt.Sprintf("Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", a.terminator))
	case a.region == "":
		return nil, errSignature("Credential should be scoped to a valid region. ")
	}
	if d := now.Sub(signedAt); d > maxSkew || d < -maxSkew {
		return nil, errSignatureExpired(signedAt, now)
	}

	caller, secret, err := e.lookupKey(a.accessKeyID, r.Header.Get("X-Amz-Security-Token"), now)
	if err != nil {
		return nil, err
	}
	want, err := e.expectedSignature(r, body, a, secret, signedAt)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(a.signature)) != 1 {
		return nil, errSignature("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return caller, nil
}

// lookupKey finds the identity behind an access key ID. Temporary keys must
// come with their exact session token and must not have expired; long-term
// keys must come without one, as with real STS.
func (e *Emulator) lookupKey(akid, token string, now time.Time) (*principal, string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if u, ok := e.users[akid]; ok {
		if token != "" {
			return nil, "", errInvalidClientTokenID()
		}
		arn, _ := parseUserARN(u.ARN) // validated by AddUser
		return &principal{
			arn:       u.ARN,
			userID:    "AIDA" + stableID(u.ARN),
			account:   arn.account,
			partition: arn.partition,
		}, u.SecretAccessKey, nil
	}
	s, ok := e.sessions[akid]
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.creds.SessionToken)) != 1 {
		return nil, "", errInvalidClientTokenID()
	}
	if s.expired || !now.Before(s.creds.Expiration) {
		return nil, "", errExpiredToken()
	}
	return &principal{
		arn:       s.creds.ARN,
		userID:    s.roleID + ":" + s.name,
		account:   s.roleARN.account,
		partition: s.roleARN.partition,
		session:   s,
	}, s.creds.SecretAccessKey, nil
}

// expectedSignature signs, with the SDK's signer, a copy of r that carries
// only what the client said it signed, and returns the signature.
//
// Go's server moves Host out of the header map into r.Host and keeps the
// body length in r.ContentLength, and the SDK signer takes both from those
// fields, so they are restored there. Headers the client did not sign (such
// as Accept-Encoding added by a transport, or User-Agent) must not reach the
// signer, which would otherwise sign them too.
func (e *Emulator) expectedSignature(r *http.Request, body []byte, a authHeader, secret string, signedAt time.Time) (string, error) {
	u := &url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	req := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: http.Header{}}
	for _, h := range a.signedHeaders {
		switch h {
		case "host":
		case "content-length":
			req.ContentLength = r.ContentLength
			if req.ContentLength < 0 {
				req.ContentLength = int64(len(body))
			}
		default:
			vs := r.Header.Values(h)
			if len(vs) == 0 {
				return "", errSignature(fmt.Sprintf("The request signature we calculated does not match the signature you provided: signed header '%s' is missing from the request.", h))
			}
			req.Header[http.CanonicalHeaderKey(h)] = vs
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: a.accessKeyID, SecretAccessKey: secret}
	if err := e.signer.SignHTTP(r.Context(), creds, req, hex.EncodeToString(sum[:]), a.service, a.region, signedAt); err != nil {
		return "", fmt.Errorf("re-signing request: %w", err)
	}
	got, err := parseAuthorization(req.Header.Get("Authorization"))
	if err != nil {
		return "", fmt.Errorf("parsing own signature: %w", err)
	}
	return got.signature, nil
}

// parseAuthorization parses
// "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sts/aws4_request, SignedHeaders=a;b, Signature=hex".
func parseAuthorization(raw string) (authHeader, error) {
	a := authHeader{raw: raw}
	alg, rest, _ := strings.Cut(strings.TrimSpace(raw), " ")
	if alg != authAlgorithm {
		return a, &apiError{status: http.StatusBadRequest, code: "IncompleteSignature",
			message: fmt.Sprintf("Unsupported AWS 'algorithm': '%s'.", alg)}
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			fields[k] = v
		}
	}
	var missing []string
	for _, k := range []string{"Credential", "Signature", "SignedHeaders"} {
		if fields[k] == "" {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", k))
		}
	}
	if len(missing) > 0 {
		return a, &apiError{status: http.StatusBadRequest, code: "IncompleteSignature",
			message: strings.Join(missing, " ") + " Authorization=" + raw}
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 {
		return a, &apiError{status: http.StatusBadRequest, code: "IncompleteSignature",
			message: fmt.Sprintf("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", fields["Credential"])}
	}
	a.accessKeyID, a.date, a.region, a.service, a.terminator = scope[0], scope[1], scope[2], scope[3], scope[4]
	a.signedHeaders = strings.Split(strings.ToLower(fields["SignedHeaders"]), ";")
	a.signature = fields["Signature"]
	if !slices.Contains(a.signedHeaders, "host") {
		return a, &apiError{status: http.StatusBadRequest, code: "IncompleteSignature",
			message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."}
	}
	return a, nil
}

// authAccessKeyID extracts the access key ID for the call log without
// validating anything.
func authAccessKeyID(r *http.Request) string {
	_, after, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	akid, _, _ := strings.Cut(after, "/")
	return akid
}

func errSignature(msg string) *apiError {
	return &apiError{status: http.StatusForbidden, code: "SignatureDoesNotMatch", message: msg}
}

// errSignatureExpired words the freshness failure the way STS does, which is
// also what the SDKs' clock-skew detection looks for.
func errSignatureExpired(signedAt, now time.Time) *apiError {
	s, n := signedAt.UTC().Format(amzDateFormat), now.UTC().Format(amzDateFormat)
	if signedAt.Before(now) {
		return errSignature(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 5 min.)",
			s, now.Add(-maxSkew).UTC().Format(amzDateFormat), n))
	}
	return errSignature(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 5 min.)",
		s, now.Add(maxSkew).UTC().Format(amzDateFormat), n))
}

func errInvalidClientTokenID() *apiError {
	return &apiError{status: http.StatusForbidden, code: "InvalidClientTokenId", message: "The security token included in the request is invalid."}
}

func errExpiredToken() *apiError {
	return &apiError{status: http.StatusBadRequest, code: "ExpiredToken", message: "The security token included in the request is expired"}
}
