package ststest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of AssumeRole, from the STS API reference.
const (
	defaultDuration    = 3600
	minDuration        = 900
	maxDuration        = 43200
	chainedMaxDuration = 3600
	maxPolicyChars     = 2048
	maxPolicyARNs      = 10
	maxTags            = 50
	maxTagKeyChars     = 128
	maxTagValueChars   = 256
	// expirationFormat is how STS writes timestamps: seconds, always UTC.
	expirationFormat = "2006-01-02T15:04:05Z"
)

// The patterns STS's model declares, anchored for Go.
var (
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]*$`)
	externalIDPattern  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
	tagKeyPattern      = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	tagValuePattern    = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// The patterns as STS prints them in validation messages.
const (
	sessionNameRegex = `[\w+=,.@-]*`
	externalIDRegex  = `[\w+=,.@:\/-]*`
	tagKeyRegex      = `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`
	tagValueRegex    = `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
)

// session is an issued temporary credential and what it stands for.
type session struct {
	creds   Credentials
	role    Role
	roleARN roleARN
	roleID  string // AROA...
	name    string // RoleSessionName
	expired bool
}

type assumeRoleResult struct {
	SourceIdentity   string          `xml:"SourceIdentity,omitempty"`
	AssumedRoleUser  assumedRoleUser `xml:"AssumedRoleUser"`
	Credentials      credentialsXML  `xml:"Credentials"`
	PackedPolicySize *int            `xml:"PackedPolicySize,omitempty"`
}

type assumedRoleUser struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

// assumeRoleInput is AssumeRole's parameters after syntactic validation.
type assumeRoleInput struct {
	roleARN, sessionName, externalID, policy, sourceIdentity string
	duration                                                 int
	policyARNs                                               []string
	tags                                                     []tag
	transitiveTagKeys                                        []string
	hasPolicy, hasTags                                       bool
}

type tag struct{ key, value string }

func (e *Emulator) assumeRole(req *request) (any, error) {
	in, err := parseAssumeRole(req.params)
	if err != nil {
		return nil, err
	}
	if err := in.checkSemantics(); err != nil {
		return nil, err
	}

	caller := req.caller
	denied := &apiError{status: http.StatusForbidden, code: "AccessDenied",
		message: fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.arn, in.roleARN)}
	e.mu.Lock()
	role, ok := e.roles[in.roleARN]
	e.mu.Unlock()
	// An unknown role, an untrusted caller and a wrong external ID all get
	// the same answer, so that callers cannot probe which roles exist.
	if !ok || !trusts(role, caller) || role.ExternalID != in.externalID {
		return nil, denied
	}
	if in.hasTags && !role.AllowTagSession {
		return nil, &apiError{status: http.StatusForbidden, code: "AccessDenied",
			message: fmt.Sprintf("User: %s is not authorized to perform: sts:TagSession on resource: %s", caller.arn, in.roleARN)}
	}

	if caller.session != nil && in.duration > chainedMaxDuration {
		return nil, &apiError{status: http.StatusBadRequest, code: "ValidationError",
			message: "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."}
	}
	if in.duration > int(role.MaxSessionDuration) {
		return nil, &apiError{status: http.StatusBadRequest, code: "ValidationError",
			message: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."}
	}
	if err := checkPackedTags(role, in.tags); err != nil {
		return nil, err
	}
	packed := in.packedPolicySize()
	if packed > 100 {
		return nil, &apiError{status: http.StatusBadRequest, code: "PackedPolicyTooLarge",
			message: fmt.Sprintf("Packed policy consumes %d%% of allotted space, please use smaller policy for this session.", packed)}
	}

	s := e.issue(role, in, req.now)
	result := assumeRoleResult{
		SourceIdentity: in.sourceIdentity,
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
	}
	if in.hasPolicy || in.hasTags {
		result.PackedPolicySize = &packed
	}
	return result, nil
}

// issue mints and stores a new session.
func (e *Emulator) issue(role Role, in assumeRoleInput, now time.Time) *session {
	ra, _ := parseRoleARN(role.ARN) // validated by AddRole
	e.mu.Lock()
	lifetime := e.lifetime
	e.mu.Unlock()
	if lifetime == 0 {
		lifetime = time.Duration(in.duration) * time.Second
	}
	s := &session{
		role:    role,
		roleARN: ra,
		roleID:  "AROA" + stableID(role.ARN),
		name:    in.sessionName,
		creds: Credentials{
			SecretAccessKey: newSecretAccessKey(),
			SessionToken:    newSessionToken(),
			Expiration:      now.UTC().Truncate(time.Second).Add(lifetime),
			ARN:             fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", ra.partition, ra.account, ra.name, in.sessionName),
		},
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for {
		s.creds.AccessKeyID = newAccessKeyID()
		if _, taken := e.sessions[s.creds.AccessKeyID]; !taken {
			break
		}
	}
	e.sessions[s.creds.AccessKeyID] = s
	e.issued = append(e.issued, s.creds)
	return s
}

// trusts reports whether the role's trust list admits the caller.
func trusts(role Role, p *principal) bool {
	root := "arn:" + p.partition + ":iam::" + p.account + ":root"
	for _, t := range role.Trust {
		switch {
		case t == "*", t == p.trustARN(), t == p.arn, t == root, t == p.account:
			return true
		}
	}
	return false
}

// parseAssumeRole checks AssumeRole's parameters against the constraints of
// the STS model, collecting every violation into one ValidationError worded
// like the real one.
func parseAssumeRole(p url.Values) (assumeRoleInput, error) {
	var v validator
	in := assumeRoleInput{
		roleARN:        p.Get("RoleArn"),
		sessionName:    p.Get("RoleSessionName"),
		externalID:     p.Get("ExternalId"),
		policy:         p.Get("Policy"),
		sourceIdentity: p.Get("SourceIdentity"),
		duration:       defaultDuration,
		hasPolicy:      p.Has("Policy"),
	}

	parseRoleAndSession(p, &v)
	v.length(p, "ExternalId", "externalId", 2, 1224)
	v.pattern(p, "ExternalId", "externalId", externalIDPattern, externalIDRegex)
	v.length(p, "SourceIdentity", "sourceIdentity", 2, 64)
	v.pattern(p, "SourceIdentity", "sourceIdentity", sessionNamePattern, sessionNameRegex)
	parsePolicyAndDuration(p, &v, &in)

	for i, m := range listMembers(p, "Tags") {
		in.hasTags = true
		field := fmt.Sprintf("tags.%d.member.", i+1)
		key, hasKey := m["Key"]
		value, hasValue := m["Value"]
		if !hasKey {
			v.add(nil, field+"key", "Member must not be null")
		} else {
			v.lengthOf(key, field+"key", 1, maxTagKeyChars)
			v.patternOf(key, field+"key", tagKeyPattern, tagKeyRegex)
		}
		if !hasValue {
			v.add(nil, field+"value", "Member must not be null")
		} else {
			v.lengthOf(value, field+"value", 0, maxTagValueChars)
			v.patternOf(value, field+"value", tagValuePattern, tagValueRegex)
		}
		in.tags = append(in.tags, tag{key: key, value: value})
	}
	if len(in.tags) > maxTags {
		v.add(ptr(fmt.Sprintf("[%d tags]", len(in.tags))), "tags", fmt.Sprintf("Member must have length less than or equal to %d", maxTags))
	}

	for i, m := range listMembers(p, "TransitiveTagKeys") {
		k := m[""]
		in.transitiveTagKeys = append(in.transitiveTagKeys, k)
		v.lengthOf(k, fmt.Sprintf("transitiveTagKeys.%d.member", i+1), 1, maxTagKeyChars)
	}
	if len(in.transitiveTagKeys) > maxTags {
		v.add(ptr(listString(in.transitiveTagKeys)), "transitiveTagKeys", fmt.Sprintf("Member must have length less than or equal to %d", maxTags))
	}

	if err := v.err(); err != nil {
		return in, err
	}
	return in, checkRoleARN(in.roleARN)
}

// parseRoleAndSession checks the RoleArn and RoleSessionName parameters
// common to the AssumeRole operations.
func parseRoleAndSession(p url.Values, v *validator) {
	v.required(p, "RoleArn", "roleArn")
	v.length(p, "RoleArn", "roleArn", 20, 2048)
	v.required(p, "RoleSessionName", "roleSessionName")
	v.length(p, "RoleSessionName", "roleSessionName", 2, 64)
	v.pattern(p, "RoleSessionName", "roleSessionName", sessionNamePattern, sessionNameRegex)
}

// parsePolicyAndDuration checks the Policy, DurationSeconds and PolicyArns
// parameters common to the AssumeRole operations.
func parsePolicyAndDuration(p url.Values, v *validator, in *assumeRoleInput) {
	v.length(p, "Policy", "policy", 1, -1)
	if p.Has("DurationSeconds") {
		raw := p.Get("DurationSeconds")
		d, err := strconv.Atoi(raw)
		switch {
		case err != nil:
			v.add(&raw, "durationSeconds", "Member must be a number")
		case d < minDuration:
			v.add(&raw, "durationSeconds", fmt.Sprintf("Member must have value greater than or equal to %d", minDuration))
		case d > maxDuration:
			v.add(&raw, "durationSeconds", fmt.Sprintf("Member must have value less than or equal to %d", maxDuration))
		default:
			in.duration = d
		}
	}

	for i, m := range listMembers(p, "PolicyArns") {
		a := m["arn"]
		in.policyARNs = append(in.policyARNs, a)
		v.lengthOf(a, fmt.Sprintf("policyArns.%d.member.arn", i+1), 20, 2048)
	}
	if n := len(in.policyARNs); n > maxPolicyARNs {
		v.add(ptr(listString(in.policyARNs)), "policyArns", fmt.Sprintf("Member must have length less than or equal to %d", maxPolicyARNs))
	}
}

// checkRoleARN rejects a RoleArn that passed the length check but is not an
// ARN at all, as STS does after the model validation.
func checkRoleARN(s string) error {
	if s == "" {
		return nil
	}
	if _, err := parseARN(s); err != nil {
		return &apiError{status: http.StatusBadRequest, code: "ValidationError", message: s + " is invalid"}
	}
	return nil
}

// checkSemantics applies the rules STS checks after the model's: policy
// syntax and the consistency of session tags.
func (in assumeRoleInput) checkSemantics() error {
	if in.hasPolicy && utf8.RuneCountInString(in.policy) <= maxPolicyChars {
		var doc map[string]any
		if err := json.Unmarshal([]byte(in.policy), &doc); err != nil {
			return &apiError{status: http.StatusBadRequest, code: "MalformedPolicyDocument", message: "Syntax errors in policy."}
		}
	}
	seen := map[string]bool{}
	for _, t := range in.tags {
		k := strings.ToLower(t.key)
		if seen[k] {
			return &apiError{status: http.StatusBadRequest, code: "InvalidParameterValue",
				message: "Duplicate tag keys found. Please note that Tag keys are case insensitive."}
		}
		seen[k] = true
	}
	for _, k := range in.transitiveTagKeys {
		if !seen[strings.ToLower(k)] {
			return &apiError{status: http.StatusBadRequest, code: "InvalidParameterValue",
				message: "The specified transitive tag key must be included in the requested tags."}
		}
	}
	return nil
}

// checkPackedTags applies the role's MaxPackedTagBytes, a stand-in for the
// packed session limit that lets a test decide exactly which tag sets are
// too large.
func checkPackedTags(role Role, tags []tag) error {
	if role.MaxPackedTagBytes <= 0 {
		return nil
	}
	n := 0
	for _, t := range tags {
		n += len(t.key) + len(t.value)
	}
	if n <= role.MaxPackedTagBytes {
		return nil
	}
	over := ((n-role.MaxPackedTagBytes)*100 + role.MaxPackedTagBytes - 1) / role.MaxPackedTagBytes
	return &apiError{status: http.StatusBadRequest, code: "PackedPolicyTooLarge",
		message: fmt.Sprintf("Packed size of the session policy and session tags is %d%% over the limit. Use fewer session tags or simplify the session policy.", over)}
}

// packedPolicySize approximates the percentage of STS's packed session
// space used by the request. STS compresses policies and tags into a binary
// format whose size it does not document; here the inline policy counts at
// face value (so a policy over 2048 characters alone exceeds 100%) and ARNs
// and tags at a quarter, which keeps realistic requests well under the limit
// and 50 maximal tags over it, as with the real service.
func (in assumeRoleInput) packedPolicySize() int {
	n := utf8.RuneCountInString(in.policy)
	for _, a := range in.policyARNs {
		n += len(a) / 4
	}
	for _, t := range in.tags {
		n += (len(t.key) + len(t.value)) / 4
	}
	return (n*100 + maxPolicyChars - 1) / maxPolicyChars
}

// listMembers collects a Query-protocol list parameter: Name.member.N for
// scalars (key "" in each map) or Name.member.N.Field for structures, in
// index order.
func listMembers(p url.Values, name string) []map[string]string {
	prefix := name + ".member."
	byIndex := map[int]map[string]string{}
	for k, vs := range p {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok || len(vs) == 0 {
			continue
		}
		num, field, _ := strings.Cut(rest, ".")
		i, err := strconv.Atoi(num)
		if err != nil || i < 1 {
			continue
		}
		if byIndex[i] == nil {
			byIndex[i] = map[string]string{}
		}
		byIndex[i][field] = vs[0]
	}
	idx := slices.Sorted(maps.Keys(byIndex))
	out := make([]map[string]string, len(idx))
	for i, n := range idx {
		out[i] = byIndex[n]
	}
	return out
}

// validator accumulates model constraint violations.
type validator struct{ errs []string }

// add records one violation; a nil value is printed as null, as STS does
// for missing required members.
func (v *validator) add(value *string, field, constraint string) {
	shown := "null"
	if value != nil {
		shown = "'" + *value + "'"
	}
	v.errs = append(v.errs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", shown, field, constraint))
}

func (v *validator) required(p url.Values, param, field string) {
	if !p.Has(param) {
		v.add(nil, field, "Member must not be null")
	}
}

func (v *validator) length(p url.Values, param, field string, lo, hi int) {
	if p.Has(param) {
		v.lengthOf(p.Get(param), field, lo, hi)
	}
}

// lengthOf checks lo <= length <= hi; hi < 0 means unbounded.
func (v *validator) lengthOf(s, field string, lo, hi int) {
	n := utf8.RuneCountInString(s)
	switch {
	case n < lo:
		v.add(&s, field, fmt.Sprintf("Member must have length greater than or equal to %d", lo))
	case hi >= 0 && n > hi:
		v.add(&s, field, fmt.Sprintf("Member must have length less than or equal to %d", hi))
	}
}

func (v *validator) pattern(p url.Values, param, field string, re *regexp.Regexp, shown string) {
	if p.Has(param) {
		v.patternOf(p.Get(param), field, re, shown)
	}
}

func (v *validator) patternOf(s, field string, re *regexp.Regexp, shown string) {
	if !re.MatchString(s) {
		v.add(&s, field, "Member must satisfy regular expression pattern: "+shown)
	}
}

func (v *validator) err() error {
	switch len(v.errs) {
	case 0:
		return nil
	case 1:
		return &apiError{status: http.StatusBadRequest, code: "ValidationError", message: "1 validation error detected: " + v.errs[0]}
	}
	return &apiError{status: http.StatusBadRequest, code: "ValidationError",
		message: fmt.Sprintf("%d validation errors detected: %s", len(v.errs), strings.Join(v.errs, "; "))}
}

func listString(items []string) string { return "[" + strings.Join(items, ", ") + "]" }

func ptr[T any](v T) *T { return &v }
