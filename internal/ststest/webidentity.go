package ststest

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of the web identity token, from the STS API reference.
const (
	minTokenChars = 4
	maxTokenChars = 20000
)

// OIDCProvider is an IAM OpenID Connect identity provider: it makes an
// account trust the tokens an issuer signs for some audiences (IAM's
// "client IDs"). See [Emulator.AddOIDCProvider] and [TokenIssuer.Provider].
type OIDCProvider struct {
	// Issuer is the issuer URL, the iss claim of the tokens, e.g.
	// https://token.actions.githubusercontent.com.
	Issuer string
	// Account is the 12-digit account the provider is created in. Only
	// roles of that account can be assumed with its tokens.
	Account string
	// Audiences are the accepted aud claims; at least one.
	Audiences []string
	// Key verifies the tokens' RS256 signatures.
	Key *rsa.PublicKey
}

// ARN returns arn:aws:iam::<account>:oidc-provider/<issuer without scheme>.
func (p OIDCProvider) ARN() string {
	key, _ := issuerKey(p.Issuer)
	return "arn:aws:iam::" + p.Account + ":oidc-provider/" + key
}

// WebIdentityTrust is the statement of a role's trust policy that allows
// sts:AssumeRoleWithWebIdentity to a federated OIDC principal, with the
// conditions such statements usually carry. Every condition that is set
// must hold.
type WebIdentityTrust struct {
	// Provider is the issuer without scheme, the provider ARN's resource
	// part, e.g. token.actions.githubusercontent.com.
	Provider string
	// Audience, when set, must be one of the token's aud values
	// (StringEquals on <provider>:aud).
	Audience string
	// Subjects, when set, are StringLike patterns (* matches any run of
	// characters, ? one character) of which the sub claim must match one,
	// e.g. repo:octo-org/octo-repo:*.
	Subjects []string
	// Claims are StringEquals conditions on other claims, e.g.
	// "repository": "octo-org/octo-repo" or "environment": "prod". A claim
	// missing from the token never matches.
	Claims map[string]string
}

// AddOIDCProvider registers (or replaces) an OIDC provider. It panics if the
// issuer is not an https URL, the account not 12 digits, or the audiences or
// key missing, since those are mistakes in the test itself.
func (e *Emulator) AddOIDCProvider(p OIDCProvider) {
	key, ok := issuerKey(p.Issuer)
	switch {
	case !ok:
		panic(fmt.Sprintf("ststest: AddOIDCProvider: issuer %q is not an https URL", p.Issuer))
	case !isAccountID(p.Account):
		panic(fmt.Sprintf("ststest: AddOIDCProvider: %q is not a 12-digit account ID", p.Account))
	case len(p.Audiences) == 0:
		panic("ststest: AddOIDCProvider: at least one audience is required")
	case p.Key == nil:
		panic("ststest: AddOIDCProvider: a verification key is required")
	}
	p.Audiences = slices.Clone(p.Audiences)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.oidc[p.Account+"/"+key] = p
}

type webIdentityResult struct {
	SubjectFromWebIdentityToken string          `xml:"SubjectFromWebIdentityToken"`
	Audience                    string          `xml:"Audience"`
	AssumedRoleUser             assumedRoleUser `xml:"AssumedRoleUser"`
	Credentials                 credentialsXML  `xml:"Credentials"`
	Provider                    string          `xml:"Provider"`
	PackedPolicySize            *int            `xml:"PackedPolicySize,omitempty"`
}

// verifiedToken is what a valid web identity token proves.
type verifiedToken struct {
	provider string // issuer key, e.g. token.actions.githubusercontent.com
	audience string // the aud value the provider accepted
	claims   map[string]any
}

// assumeRoleWithWebIdentity checks the request, then the token (provider,
// signature, audience, expiry: each an InvalidIdentityToken or
// ExpiredTokenException), then the role's trust (one AccessDenied for all
// failures, so that roles cannot be probed), then the session limits.
func (e *Emulator) assumeRoleWithWebIdentity(req *request) (any, error) {
	in, token, err := parseWebIdentity(req.params)
	if err != nil {
		return nil, err
	}
	if err := in.checkSemantics(); err != nil {
		return nil, err
	}
	ra, _ := parseARN(in.roleARN) // checked by parseWebIdentity
	tok, err := e.verifyToken(token, ra.account, req.now)
	if err != nil {
		return nil, err
	}

	e.mu.Lock()
	role, ok := e.roles[in.roleARN]
	e.mu.Unlock()
	if !ok || !webTrusts(role, tok) {
		return nil, &apiError{status: http.StatusForbidden, code: "AccessDenied",
			message: "Not authorized to perform sts:AssumeRoleWithWebIdentity"}
	}
	if in.duration > int(role.MaxSessionDuration) {
		return nil, &apiError{status: http.StatusBadRequest, code: "ValidationError",
			message: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."}
	}
	packed := in.packedPolicySize()
	if packed > 100 {
		return nil, &apiError{status: http.StatusBadRequest, code: "PackedPolicyTooLarge",
			message: fmt.Sprintf("Packed policy consumes %d%% of allotted space, please use smaller policy for this session.", packed)}
	}

	s := e.issue(role, in, req.now)
	sub, _ := tok.claims["sub"].(string)
	result := webIdentityResult{
		SubjectFromWebIdentityToken: sub,
		Audience:                    tok.audience,
		AssumedRoleUser: assumedRoleUser{
			Arn:           s.creds.ARN,
			AssumedRoleID: s.roleID + ":" + s.name,
		},
		Credentials: credentialsXML{
			AccessKeyID:     s.creds.AccessKeyID,
			SecretAccessKey: s.creds.SecretAccessKey,
			SessionToken:    s.creds.SessionToken,
			Expiration:      s.creds.Expiration.Format(expirationFormat),
		},
		Provider: tok.provider,
	}
	if in.hasPolicy {
		result.PackedPolicySize = &packed
	}
	return result, nil
}

// parseWebIdentity checks AssumeRoleWithWebIdentity's parameters against the
// STS model. The token itself is never echoed in a message: it is a bearer
// secret.
func parseWebIdentity(p url.Values) (assumeRoleInput, string, error) {
	var v validator
	in := assumeRoleInput{
		roleARN:     p.Get("RoleArn"),
		sessionName: p.Get("RoleSessionName"),
		policy:      p.Get("Policy"),
		duration:    defaultDuration,
		hasPolicy:   p.Has("Policy"),
	}
	token := p.Get("WebIdentityToken")
	parseRoleAndSession(p, &v)
	switch n := utf8.RuneCountInString(token); {
	case !p.Has("WebIdentityToken"):
		v.add(nil, "webIdentityToken", "Member must not be null")
	case n < minTokenChars:
		v.add(ptr("***"), "webIdentityToken", fmt.Sprintf("Member must have length greater than or equal to %d", minTokenChars))
	case n > maxTokenChars:
		v.add(ptr("***"), "webIdentityToken", fmt.Sprintf("Member must have length less than or equal to %d", maxTokenChars))
	}
	v.length(p, "ProviderId", "providerId", 4, 2048)
	parsePolicyAndDuration(p, &v, &in)
	if err := v.err(); err != nil {
		return in, "", err
	}
	return in, token, checkRoleARN(in.roleARN)
}

func errInvalidIdentityToken(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidIdentityToken", message: msg}
}

// errNoVerificationKey is what STS says when no key of the provider verifies
// the token.
var errNoVerificationKey = errInvalidIdentityToken("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")

// verifyToken checks a JWT the way STS does for a role in account: it must
// parse, name a provider of that account as issuer, carry a valid RS256
// signature of the provider's key, be meant for one of the provider's
// audiences and not have expired.
func (e *Emulator) verifyToken(token, account string, now time.Time) (*verifiedToken, error) {
	malformed := errInvalidIdentityToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, malformed
	}
	var header struct{ Alg, Kid string }
	if err := decodeSegment(parts[0], &header); err != nil {
		return nil, malformed
	}
	var claims map[string]any
	if err := decodeSegment(parts[1], &claims); err != nil || claims == nil {
		return nil, malformed
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, malformed
	}

	iss, _ := claims["iss"].(string)
	if iss == "" {
		return nil, errInvalidIdentityToken("Missing a required claim: iss")
	}
	key, ok := issuerKey(iss)
	e.mu.Lock()
	p, found := e.oidc[account+"/"+key]
	e.mu.Unlock()
	if !ok || !found {
		return nil, errInvalidIdentityToken("No OpenIDConnect provider found in your account for " + iss)
	}

	kid, _ := keyIDs(p.Key)
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if header.Alg != "RS256" || (header.Kid != "" && header.Kid != kid) ||
		rsa.VerifyPKCS1v15(p.Key, crypto.SHA256, sum[:], sig) != nil {
		return nil, errNoVerificationKey
	}

	auds := audienceOf(claims)
	if len(auds) == 0 {
		return nil, errInvalidIdentityToken("Missing a required claim: aud")
	}
	i := slices.IndexFunc(auds, func(a string) bool { return slices.Contains(p.Audiences, a) })
	if i < 0 {
		return nil, errInvalidIdentityToken("Incorrect token audience")
	}

	exp, ok := numericDate(claims["exp"])
	if !ok {
		return nil, errInvalidIdentityToken("Missing a required claim: exp")
	}
	if !now.Before(time.Unix(exp, 0)) {
		return nil, &apiError{status: http.StatusBadRequest, code: "ExpiredTokenException",
			message: fmt.Sprintf("Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), exp)}
	}
	return &verifiedToken{provider: key, audience: auds[i], claims: claims}, nil
}

// decodeSegment decodes one base64url JSON part of a JWT, keeping numbers
// exact.
func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// numericDate reads a JWT NumericDate (seconds, possibly fractional).
func numericDate(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	f, err := n.Float64()
	return int64(f), err == nil
}

// webTrusts evaluates a role's trust policy document, or its web identity
// statement, against a verified token.
func webTrusts(role Role, tok *verifiedToken) bool {
	if role.policy != nil {
		ra, _ := parseARN(role.ARN)
		return role.policy.allowsWebIdentity("arn:"+ra.partition+":iam::"+ra.account+":oidc-provider/"+tok.provider, tok)
	}
	w := role.WebIdentity
	if w == nil || w.Provider != tok.provider {
		return false
	}
	if w.Audience != "" && !slices.Contains(audienceOf(tok.claims), w.Audience) {
		return false
	}
	if len(w.Subjects) > 0 {
		sub, _ := tok.claims["sub"].(string)
		if !slices.ContainsFunc(w.Subjects, func(pat string) bool { return stringLike(pat, sub) }) {
			return false
		}
	}
	for k, want := range w.Claims {
		got, ok := claimString(tok.claims[k])
		if !ok || got != want {
			return false
		}
	}
	return true
}

// claimString renders a claim as IAM compares it in a String condition.
func claimString(v any) (string, bool) {
	switch c := v.(type) {
	case string:
		return c, true
	case json.Number:
		return c.String(), true
	case bool:
		return strconv.FormatBool(c), true
	}
	return "", false
}

// stringLike is IAM's StringLike: case-sensitive, * matches any run of
// characters (including none) and ? exactly one.
func stringLike(pattern, s string) bool {
	p, str := []rune(pattern), []rune(s)
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(str) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == str[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
