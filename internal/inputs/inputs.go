// Package inputs turns the action's inputs (INPUT_* environment variables, as
// the runner passes them to a container action) into one validated Config.
package inputs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"strings"

	"github.com/caarlos0/env/v11"

	"github.com/assume-role/assume-role/internal/awsconfig"
	"github.com/assume-role/assume-role/internal/sessiontags"
)

// Config holds every input the action understands. Names and meanings follow
// aws-actions/configure-aws-credentials v6 so that a workflow switches by
// changing its uses: line.
type Config struct {
	Region                  string `env:"AWS-REGION" desc:"region of the STS endpoint and of the session, such as us-east-1"`
	RoleToAssume            string `env:"ROLE-TO-ASSUME" desc:"role ARN (or bare role name) to assume"`
	RoleSessionName         string `env:"ROLE-SESSION-NAME" envDefault:"GitHubActions" desc:"session name of the assumed role"`
	RoleDurationSeconds     int    `env:"ROLE-DURATION-SECONDS" envDefault:"3600" desc:"session length in seconds, 900 to 43200"`
	RoleExternalID          string `env:"ROLE-EXTERNAL-ID" desc:"external ID the role's trust policy requires"`
	AccessKeyID             string `env:"AWS-ACCESS-KEY-ID" secret:"true" desc:"access key ID of the credentials that assume the role"`
	SecretAccessKey         string `env:"AWS-SECRET-ACCESS-KEY" secret:"true" desc:"secret access key of those credentials"`
	SessionToken            string `env:"AWS-SESSION-TOKEN" secret:"true" desc:"session token, when those keys are temporary"`
	RoleChaining            bool   `env:"ROLE-CHAINING" desc:"assume the role with the credentials already in the environment"`
	InlineSessionPolicy     string `env:"INLINE-SESSION-POLICY" desc:"IAM policy (JSON) that further limits the session"`
	ManagedSessionPolicies  Lines  `env:"MANAGED-SESSION-POLICIES" desc:"managed policy ARNs, one a line, that limit the session"`
	MaskAccountID           bool   `env:"MASK-AWS-ACCOUNT-ID" desc:"mask the account ID in the log"`
	OutputCredentials       bool   `env:"OUTPUT-CREDENTIALS" desc:"also set the credentials as step outputs"`
	OutputEnvCredentialsSet *bool  `env:"OUTPUT-ENV-CREDENTIALS" desc:"export the credentials as environment variables (default true, false with aws-profile)"`
	UnsetCurrentCredentials bool   `env:"UNSET-CURRENT-CREDENTIALS" desc:"ignore credentials already in the environment"`
	AllowedAccountIDs       List   `env:"ALLOWED-ACCOUNT-IDS" desc:"comma-separated account IDs the session must belong to"`
	DisableRetry            bool   `env:"DISABLE-RETRY" desc:"make one attempt per STS call"`
	RetryMaxAttempts        int    `env:"RETRY-MAX-ATTEMPTS" envDefault:"12" desc:"total attempts per STS call"`
	ActionTimeoutS          int    `env:"ACTION-TIMEOUT-S" envDefault:"600" desc:"time limit of the step in seconds, 0 for none"`
	UseExistingCredentials  bool   `env:"USE-EXISTING-CREDENTIALS" desc:"keep valid credentials already in the environment"`
	STSEndpoint             string `env:"STS-ENDPOINT" desc:"STS endpoint URL instead of the regional one"`
	HTTPProxy               string `env:"HTTP-PROXY" desc:"proxy URL for the STS calls"`
	NoProxy                 string `env:"NO-PROXY" desc:"hosts that bypass the proxy, comma-separated"`
	Audience                string `env:"AUDIENCE" desc:"audience of the web identity token"`
	WebIdentityTokenFile    string `env:"WEB-IDENTITY-TOKEN-FILE" desc:"file holding a web identity token (JWT)"`
	ForceSkipOIDC           bool   `env:"FORCE-SKIP-OIDC" desc:"never use GitHub's ID token"`
	RoleSkipSessionTagging  bool   `env:"ROLE-SKIP-SESSION-TAGGING" desc:"send no default session tags"`
	CustomTags              string `env:"CUSTOM-TAGS" desc:"extra session tags as a JSON object of strings"`
	AWSProfile              string `env:"AWS-PROFILE" desc:"write the session as this named profile in the AWS shared files"`
	OverwriteAWSProfile     bool   `env:"OVERWRITE-AWS-PROFILE" desc:"replace the profile if it exists"`
	RefreshCredentials      bool   `env:"REFRESH-CREDENTIALS" desc:"make the profile renew its session itself (credential_process) for jobs longer than the session"`
	TransitiveTagKeys       Lines  `env:"TRANSITIVE-TAG-KEYS" desc:"session tag keys that pass on to chained sessions"`
	RoleProfilesText        string `env:"ROLE-PROFILES" desc:"several roles in one step: PROFILE=ROLE lines, each role written as that named profile"`
	// JobContainerID is the job container's ID, from action.yml's default
	// ${{ job.container.id }}: the one way a container action learns that
	// the later steps run in a job container (runner-contract §9). Only the
	// action has it; the CLI has no such flag.
	JobContainerID string `env:"JOB-CONTAINER-ID" action:"only" desc:"the job container's ID (action.yml's default ${{ job.container.id }})"`

	// Derived by Validate.

	// RoleARN is RoleToAssume as a full ARN, or empty when it is a bare
	// name that needs the caller's account (see NeedsAccount).
	RoleARN string `env:"-"`
	// Partition is the AWS partition of Region (aws, aws-cn, aws-us-gov, ...).
	Partition string `env:"-"`
	// Tags are the parsed custom-tags, sorted by key.
	Tags []sessiontags.Tag `env:"-"`
	// OutputEnvCredentials is output-env-credentials, or its default: true,
	// except with aws-profile or role-profiles, where the profiles are the
	// point.
	OutputEnvCredentials bool `env:"-"`
	// RoleProfiles are the parsed role-profiles lines, in their order.
	RoleProfiles []RoleProfile `env:"-"`
}

// RoleProfile is one line of role-profiles: the profile to write and the
// role whose session it holds.
type RoleProfile struct {
	Profile string
	// Role is the role as given: an ARN or a bare name.
	Role string
	// ARN is Role as a full ARN, or empty for a bare name until
	// ExpandRoles knows the caller's account.
	ARN string
}

// MaxRoleProfiles bounds role-profiles: each line is an STS call in one
// step, and STS throttles an account's burst of calls.
const MaxRoleProfiles = 50

// Prefix is what the runner puts before an input's upper-cased name.
const Prefix = "INPUT_"

// Limits from STS and IAM, checked before any call so that a typo fails in
// milliseconds with a message naming the input.
const (
	MinDuration        = 900
	MaxDuration        = 43200
	ChainedMaxDuration = 3600
	maxPolicyChars     = 2048
	maxManagedPolicies = 10
	maxAttempts        = 100
)

// SecretInputs are the inputs whose values must be masked before anything is
// printed and never appear in a message.
var SecretInputs = []string{"aws-access-key-id", "aws-secret-access-key", "aws-session-token"}

// InputError says which input is wrong, what is wrong with its value and what
// would be accepted. Value is empty for secret inputs.
type InputError struct {
	Input   string
	Value   string
	Problem string
	Fix     string
}

func (e *InputError) Error() string {
	return e.Render(ActionNames{})
}

// Names says how a message refers to inputs: the action by their names in
// action.yml, the CLI by its flags and environment variables.
type Names interface {
	// Subject names the input an error is about: "input aws-region".
	Subject(input string) string
	// Ref names an input mentioned in a problem or a fix: "aws-region".
	Ref(input string) string
}

// ActionNames names inputs as a workflow's with: block does.
type ActionNames struct{}

func (ActionNames) Subject(input string) string { return "input " + input }
func (ActionNames) Ref(input string) string     { return input }

// Render writes the error with inputs named by names. Problem and Fix
// mention other inputs through Ref, so each mode can name them its own way.
func (e *InputError) Render(names Names) string {
	var b strings.Builder
	b.WriteString(names.Subject(e.Input))
	if e.Value != "" {
		fmt.Fprintf(&b, " (%s)", quote(e.Value))
	}
	fmt.Fprintf(&b, " %s", resolveRefs(e.Problem, names))
	if e.Fix != "" {
		fmt.Fprintf(&b, ": %s", resolveRefs(e.Fix, names))
	}
	return b.String()
}

// Ref marks a mention of an input in an InputError's Problem or Fix, for
// Render to name in the reader's terms. The marks are private-use runes,
// which no input name, value or message of ours contains.
func Ref(input string) string { return refOpen + input + refClose }

const refOpen, refClose = "\ue000", "\ue001"

func resolveRefs(s string, names Names) string {
	var b strings.Builder
	for {
		before, rest, ok := strings.Cut(s, refOpen)
		if !ok {
			b.WriteString(s)
			return b.String()
		}
		name, after, ok := strings.Cut(rest, refClose)
		if !ok {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(before)
		b.WriteString(names.Ref(name))
		s = after
	}
}

// quote shows a value safely on one line and cut to a readable length: values
// can be huge or contain newlines and workflow-command text.
func quote(v string) string {
	const max = 80
	if r := []rune(v); len(r) > max {
		return fmt.Sprintf("%q…", string(r[:max]))
	}
	return fmt.Sprintf("%q", v)
}

// FromEnviron collects the inputs from environ ("NAME=value" pairs, as
// os.Environ returns them), trimming surrounding white space as the toolkit's
// getInput does.
func FromEnviron(environ []string) map[string]string {
	m := make(map[string]string)
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(name, Prefix) {
			m[name] = strings.TrimSpace(value)
		}
	}
	return m
}

// Parse reads the inputs from m (keys like "INPUT_AWS-REGION") and validates
// them. Every error is an *InputError.
func Parse(m map[string]string) (*Config, error) {
	var c Config
	err := env.ParseWithOptions(&c, env.Options{
		Environment: m,
		Prefix:      Prefix,
		FuncMap: map[reflect.Type]env.ParserFunc{
			reflect.TypeFor[bool](): parseBool,
			reflect.TypeFor[int]():  parseInt,
		},
	})
	if err != nil {
		return nil, parseError(err, m)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// parseError turns the env library's aggregate error into an InputError for
// the first field it names, in the struct's order.
func parseError(err error, m map[string]string) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return fmt.Errorf("reading inputs: %w", err)
	}
	for _, e := range agg.Errors {
		var pe env.ParseError
		if !errors.As(e, &pe) {
			continue
		}
		f, ok := reflect.TypeFor[Config]().FieldByName(pe.Name)
		if !ok {
			continue
		}
		input := strings.ToLower(f.Tag.Get("env"))
		ie := &InputError{Input: input, Problem: pe.Err.Error()}
		if f.Tag.Get("secret") == "" {
			ie.Value = m[Prefix+f.Tag.Get("env")]
		}
		switch {
		case errors.Is(pe.Err, errNotBool):
			ie.Fix = "use true or false (also True, TRUE, False, FALSE), or leave it empty for the default"
		case errors.Is(pe.Err, errNotInt):
			ie.Fix = "use digits only, such as 3600"
		}
		return ie
	}
	return fmt.Errorf("reading inputs: %w", err)
}

var (
	regionRE = regexp.MustCompile(`^[a-z0-9-]+$`)
	// Lengths are checked apart (see sized): counted repetitions such as
	// {2,64} make RE2 compile dozens of copies, which costs a millisecond of
	// start-up in a process that lives for ten.
	sessionNameRE = sized(`^[\w+=,.@-]+$`, 2, 64)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	roleNameRE    = sized(`^[\w+=,.@-]+$`, 1, 64)
	roleARNRE     = regexp.MustCompile(`^arn:([a-z0-9-]+):iam::(\d+):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]+)$`)
	policyARNRE   = regexp.MustCompile(`^arn:([a-z0-9-]+):iam::(\d+|aws):policy/(?:[\x21-\x7e]*/)?([\w+=,.@-]+)$`)
	accountIDRE   = sized(`^\d+$`, 12, 12)
	accessKeyRE   = sized(`^[A-Z0-9]+$`, 16, 128)
)

// sizedRE is a pattern with a length range.
type sizedRE struct {
	re       *regexp.Regexp
	min, max int
}

func sized(pattern string, min, max int) sizedRE {
	return sizedRE{regexp.MustCompile(pattern), min, max}
}

func (s sizedRE) MatchString(v string) bool {
	return len(v) >= s.min && len(v) <= s.max && s.re.MatchString(v)
}

// arnParts matches an IAM ARN pattern whose groups are the partition, the
// account (12 digits, or "aws" where allowed) and the name (up to maxName).
func arnParts(re *regexp.Regexp, arn string, maxName int) []string {
	m := re.FindStringSubmatch(arn)
	if m == nil || (len(m[2]) != 12 && m[2] != "aws") || len(m[3]) > maxName {
		return nil
	}
	return m
}

// Validate checks each input and the rules between them, and fills in the
// derived fields. Every error is an *InputError.
func (c *Config) Validate() error {
	checks := []func() error{
		c.checkRegion, c.checkRole, c.checkRoleProfiles, c.checkSession, c.checkKeys,
		c.checkPolicies, c.checkAccounts, c.checkNetwork, c.checkRetry,
		c.checkWebIdentity, c.checkTags, c.checkProfile,
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) checkRegion() error {
	switch {
	case c.Region == "":
		return &InputError{Input: "aws-region", Problem: "is required",
			Fix: "set it to the region whose STS endpoint to use, such as us-east-1"}
	case !regionRE.MatchString(c.Region):
		return &InputError{Input: "aws-region", Value: c.Region, Problem: "is not a region code",
			Fix: "use lowercase letters, digits and hyphens only, such as us-east-1 or eu-west-2"}
	}
	c.Partition = PartitionOf(c.Region)
	return nil
}

func (c *Config) checkRole() error {
	r := c.RoleToAssume
	switch {
	case r == "":
		if c.RoleChaining && c.RoleProfilesText == "" {
			return &InputError{Input: "role-chaining", Value: "true", Problem: "needs " + Ref("role-to-assume"),
				Fix: "set " + Ref("role-to-assume") + " to the role to chain into, or remove " + Ref("role-chaining")}
		}
		return nil
	}
	arn, err := c.roleARN("role-to-assume", r)
	c.RoleARN = arn
	return err
}

// roleARN checks a role given as input (an ARN or a bare name) and returns
// its ARN, or "" for a bare name.
func (c *Config) roleARN(input, r string) (string, error) {
	switch {
	case strings.HasPrefix(r, "arn:"):
		m := arnParts(roleARNRE, r, 64)
		if m == nil {
			return "", &InputError{Input: input, Value: r, Problem: "is not an IAM role ARN",
				Fix: "use arn:<partition>:iam::<12-digit account>:role/<name>, or just the role name"}
		}
		if m[1] != c.Partition {
			return "", &InputError{Input: input, Value: r,
				Problem: fmt.Sprintf("is in partition %s but %s %s is in partition %s", m[1], Ref("aws-region"), c.Region, c.Partition),
				Fix:     "STS can only assume a role in its own partition: use a region of the role's partition"}
		}
		return r, nil
	case roleNameRE.MatchString(r):
		// A bare name is expanded with the caller's account once it is known.
		return "", nil
	}
	return "", &InputError{Input: input, Value: r, Problem: "is neither a role ARN nor a role name",
		Fix: "use arn:<partition>:iam::<12-digit account>:role/<name>, or a name of 1-64 letters, digits and +=,.@_-"}
}

// checkRoleProfiles parses role-profiles: one PROFILE=ROLE a line, blank
// lines and lines starting with # left out.
func (c *Config) checkRoleProfiles() error {
	if c.RoleProfilesText == "" {
		return nil
	}
	conflict := func(other, fix string) error {
		return &InputError{Input: "role-profiles", Problem: "conflicts with " + Ref(other), Fix: fix}
	}
	switch {
	case c.RoleToAssume != "":
		return conflict("role-to-assume", "give every role as a PROFILE=ROLE line of "+Ref("role-profiles")+", or use "+Ref("role-to-assume")+" alone for one role")
	case c.AWSProfile != "":
		return conflict("aws-profile", "each line of "+Ref("role-profiles")+" names its own profile: remove "+Ref("aws-profile"))
	case c.UseExistingCredentials:
		return conflict("use-existing-credentials", "the job's existing credentials are one identity, not one a profile: remove "+Ref("use-existing-credentials"))
	case c.OutputCredentials:
		return conflict("output-credentials", "the sessions are in the profiles and the "+Ref("role-profiles")+" output; remove "+Ref("output-credentials"))
	case c.OutputEnvCredentialsSet != nil && *c.OutputEnvCredentialsSet:
		return conflict("output-env-credentials", "the environment holds one session, and there is one a profile: select one with AWS_PROFILE or --profile, and remove "+Ref("output-env-credentials"))
	}
	seen := make(map[string]int)
	for i, line := range strings.Split(c.RoleProfilesText, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, role, ok := strings.Cut(line, "=")
		name, role = strings.TrimSpace(name), strings.TrimSpace(role)
		if !ok || name == "" || role == "" {
			return &InputError{Input: "role-profiles", Value: line, Problem: fmt.Sprintf("line %d is not PROFILE=ROLE", i+1),
				Fix: "give one profile a line, such as dev=arn:aws:iam::111111111111:role/deploy (# starts a comment line)"}
		}
		if err := awsconfig.ValidateName(name); err != nil {
			problem := err.Error()
			var ip *awsconfig.InvalidProfileError
			if errors.As(err, &ip) {
				problem = ip.Reason
			}
			return &InputError{Input: "role-profiles", Value: line, Problem: fmt.Sprintf("line %d: %q is not a usable profile name: %s", i+1, name, problem),
				Fix: "use 1-64 letters, digits and _.+=,@- such as deploy-prod"}
		}
		if first, dup := seen[name]; dup {
			return &InputError{Input: "role-profiles", Value: line, Problem: fmt.Sprintf("line %d names profile %s again (first on line %d)", i+1, name, first),
				Fix: "give each profile once: a profile holds one session"}
		}
		seen[name] = i + 1
		arn, err := c.roleARN("role-profiles", role)
		if err != nil {
			ie := err.(*InputError)
			ie.Problem = fmt.Sprintf("line %d: role %s", i+1, ie.Problem)
			return ie
		}
		c.RoleProfiles = append(c.RoleProfiles, RoleProfile{Profile: name, Role: role, ARN: arn})
	}
	switch n := len(c.RoleProfiles); {
	case n == 0:
		return &InputError{Input: "role-profiles", Problem: "has no PROFILE=ROLE line",
			Fix: "give one profile a line, such as dev=arn:aws:iam::111111111111:role/deploy, or remove the input"}
	case n > MaxRoleProfiles:
		return &InputError{Input: "role-profiles", Problem: fmt.Sprintf("lists %d profiles", n),
			Fix: fmt.Sprintf("give at most %d, or split them over several steps", MaxRoleProfiles)}
	}
	return nil
}

// ProfilesNeedAccount reports whether a line of role-profiles gives a bare
// role name, which needs the caller's account.
func (c *Config) ProfilesNeedAccount() bool {
	for _, p := range c.RoleProfiles {
		if p.ARN == "" {
			return true
		}
	}
	return false
}

// ExpandRoles sets the ARN of each bare role name of role-profiles from the
// caller's account.
func (c *Config) ExpandRoles(account string) {
	for i, p := range c.RoleProfiles {
		if p.ARN == "" {
			c.RoleProfiles[i].ARN = fmt.Sprintf("arn:%s:iam::%s:role/%s", c.Partition, account, p.Role)
		}
	}
}

// NeedsAccount reports whether role-to-assume is a bare role name, which can
// only be expanded to an ARN once the caller's account is known.
func (c *Config) NeedsAccount() bool { return c.RoleToAssume != "" && c.RoleARN == "" }

// ExpandRole sets RoleARN from a bare role name and the caller's account.
func (c *Config) ExpandRole(account string) {
	if c.NeedsAccount() {
		c.RoleARN = fmt.Sprintf("arn:%s:iam::%s:role/%s", c.Partition, account, c.RoleToAssume)
	}
}

func (c *Config) checkSession() error {
	if !sessionNameRE.MatchString(c.RoleSessionName) {
		return &InputError{Input: "role-session-name", Value: c.RoleSessionName, Problem: "is not a valid session name",
			Fix: "use 2-64 characters of letters, digits and +=,.@_-"}
	}
	d := c.RoleDurationSeconds
	if d < MinDuration || d > MaxDuration {
		return &InputError{Input: "role-duration-seconds", Value: fmt.Sprint(d), Problem: "is out of range",
			Fix: fmt.Sprintf("use %d to %d seconds (and at most the role's maximum session duration)", MinDuration, MaxDuration)}
	}
	if c.RoleChaining && d > ChainedMaxDuration {
		return &InputError{Input: "role-duration-seconds", Value: fmt.Sprint(d), Problem: "is more than STS allows for a chained role session",
			Fix: fmt.Sprintf("with %s, STS caps the session at %d seconds: use %d or less", Ref("role-chaining"), ChainedMaxDuration, ChainedMaxDuration)}
	}
	if id := c.RoleExternalID; id != "" && (len(id) < 2 || len(id) > 1224 || !externalIDRE.MatchString(id)) {
		return &InputError{Input: "role-external-id", Value: c.RoleExternalID, Problem: "is not a valid external ID",
			Fix: "use 2-1224 characters of letters, digits and +=,.@:/_-"}
	}
	return nil
}

func (c *Config) checkKeys() error {
	switch {
	case c.AccessKeyID != "" && c.SecretAccessKey == "":
		return &InputError{Input: "aws-secret-access-key", Problem: "is empty while " + Ref("aws-access-key-id") + " is set",
			Fix: "pass both keys (for example from secrets), or neither"}
	case c.AccessKeyID == "" && c.SecretAccessKey != "":
		return &InputError{Input: "aws-access-key-id", Problem: "is empty while " + Ref("aws-secret-access-key") + " is set",
			Fix: "pass both keys (for example from secrets), or neither"}
	case c.SessionToken != "" && c.AccessKeyID == "":
		return &InputError{Input: "aws-session-token", Problem: "is set without " + Ref("aws-access-key-id") + " and " + Ref("aws-secret-access-key"),
			Fix: "a session token belongs to a key pair: pass all three"}
	case c.AccessKeyID != "" && !accessKeyRE.MatchString(c.AccessKeyID):
		return &InputError{Input: "aws-access-key-id", Problem: "does not look like an access key ID",
			Fix: "it is 16 or more uppercase letters and digits, such as AKIA...; check that the secret holds the key ID, not the secret key"}
	case c.AccessKeyID != "" && c.RoleChaining:
		return &InputError{Input: "role-chaining", Value: "true", Problem: "conflicts with " + Ref("aws-access-key-id"),
			Fix: Ref("role-chaining") + " assumes the role with the credentials an earlier step exported; remove the keys, or remove " + Ref("role-chaining") + " to assume the role with the keys"}
	}
	return nil
}

func (c *Config) checkPolicies() error {
	if p := c.InlineSessionPolicy; p != "" {
		var doc map[string]any
		if err := json.Unmarshal([]byte(p), &doc); err != nil {
			return &InputError{Input: "inline-session-policy", Value: p, Problem: "is not a JSON policy document",
				Fix: fmt.Sprintf("give an IAM policy as one JSON object (%v)", err)}
		}
		var buf bytes.Buffer
		_ = json.Compact(&buf, []byte(p)) // valid JSON: Unmarshal succeeded
		if buf.Len() > maxPolicyChars {
			return &InputError{Input: "inline-session-policy", Value: p,
				Problem: fmt.Sprintf("is %d characters without white space", buf.Len()),
				Fix:     fmt.Sprintf("STS accepts at most %d: shorten it or move statements into %s", maxPolicyChars, Ref("managed-session-policies"))}
		}
		c.InlineSessionPolicy = buf.String()
	}
	if n := len(c.ManagedSessionPolicies); n > maxManagedPolicies {
		return &InputError{Input: "managed-session-policies", Problem: fmt.Sprintf("lists %d policies", n),
			Fix: fmt.Sprintf("STS accepts at most %d managed session policies", maxManagedPolicies)}
	}
	for _, arn := range c.ManagedSessionPolicies {
		m := arnParts(policyARNRE, arn, 128)
		if m == nil {
			return &InputError{Input: "managed-session-policies", Value: arn, Problem: "is not an IAM policy ARN",
				Fix: "give one ARN a line, such as arn:aws:iam::aws:policy/ReadOnlyAccess"}
		}
		if m[1] != c.Partition {
			return &InputError{Input: "managed-session-policies", Value: arn,
				Problem: fmt.Sprintf("is in partition %s, not %s of %s %s", m[1], c.Partition, Ref("aws-region"), c.Region),
				Fix:     "use policies of the role's partition"}
		}
	}
	return nil
}

func (c *Config) checkAccounts() error {
	for _, id := range c.AllowedAccountIDs {
		if !accountIDRE.MatchString(id) {
			return &InputError{Input: "allowed-account-ids", Value: id, Problem: "is not an AWS account ID",
				Fix: "give 12-digit account IDs separated by commas, such as 111111111111,222222222222"}
		}
	}
	return nil
}

func (c *Config) checkNetwork() error {
	if c.STSEndpoint != "" {
		if err := checkURL(c.STSEndpoint, "http", "https"); err != nil {
			return &InputError{Input: "sts-endpoint", Value: c.STSEndpoint, Problem: err.Error(),
				Fix: "give a full URL such as https://sts.us-east-1.amazonaws.com"}
		}
	}
	if c.HTTPProxy != "" {
		if err := checkURL(c.HTTPProxy, "http", "https", "socks5"); err != nil {
			return &InputError{Input: "http-proxy", Value: redactUserinfo(c.HTTPProxy), Problem: err.Error(),
				Fix: "give a proxy URL such as http://proxy.example.com:3128"}
		}
	}
	return nil
}

func (c *Config) checkRetry() error {
	if n := c.RetryMaxAttempts; n < 1 || n > maxAttempts {
		return &InputError{Input: "retry-max-attempts", Value: fmt.Sprint(n), Problem: "is out of range",
			Fix: fmt.Sprintf("give the total number of attempts, 1 to %d (1 means no retry)", maxAttempts)}
	}
	if c.ActionTimeoutS < 0 {
		return &InputError{Input: "action-timeout-s", Value: fmt.Sprint(c.ActionTimeoutS), Problem: "is negative",
			Fix: "give the step's time limit in seconds (600 when empty), or 0 for none"}
	}
	return nil
}

func (c *Config) checkWebIdentity() error {
	if c.Audience == "" {
		// GitHub's tokens for AWS carry the audience of the partition's STS;
		// China's STS expects its own.
		c.Audience = "sts.amazonaws.com"
		if c.Partition == "aws-cn" {
			c.Audience = "sts.amazonaws.com.cn"
		}
	} else if strings.ContainsAny(c.Audience, " \t\r\n") || len(c.Audience) > 512 {
		return &InputError{Input: "audience", Value: c.Audience, Problem: "is not a valid audience",
			Fix: "give the audience your OIDC provider's trust expects, such as sts.amazonaws.com, without spaces"}
	}
	if c.WebIdentityTokenFile == "" {
		return nil
	}
	switch {
	case c.RoleToAssume == "" && len(c.RoleProfiles) == 0:
		return &InputError{Input: "web-identity-token-file", Value: c.WebIdentityTokenFile, Problem: "needs " + Ref("role-to-assume"),
			Fix: "set " + Ref("role-to-assume") + " to the ARN of the role whose trust policy accepts the token"}
	case c.AccessKeyID != "":
		return &InputError{Input: "web-identity-token-file", Value: c.WebIdentityTokenFile, Problem: "conflicts with " + Ref("aws-access-key-id"),
			Fix: "the token is the credential: remove the keys, or remove " + Ref("web-identity-token-file")}
	case c.RoleChaining:
		return &InputError{Input: "web-identity-token-file", Value: c.WebIdentityTokenFile, Problem: "conflicts with " + Ref("role-chaining"),
			Fix: Ref("role-chaining") + " assumes the role with an earlier step's session; remove one of them"}
	}
	return nil
}

func (c *Config) checkTags() error {
	if c.CustomTags != "" {
		tags, err := sessiontags.ParseCustom(c.CustomTags)
		if err != nil {
			return &InputError{Input: "custom-tags", Value: c.CustomTags, Problem: err.Error(),
				Fix: `session tags are a JSON object of strings, such as {"Team": "payments", "CostCenter": "42"}`}
		}
		c.Tags = tags
	}
	// The default tags take up to 13 of STS's 50.
	if max := sessiontags.MaxTags - sessiontags.MaxDefaults; !c.RoleSkipSessionTagging && len(c.Tags) > max {
		return &InputError{Input: "custom-tags", Problem: fmt.Sprintf("has %d tags", len(c.Tags)),
			Fix: fmt.Sprintf("STS accepts %d tags and the default tags take %d: give at most %d, or set %s", sessiontags.MaxTags, sessiontags.MaxDefaults, max, Ref("role-skip-session-tagging"))}
	}
	if len(c.Tags) > sessiontags.MaxTags {
		return &InputError{Input: "custom-tags", Problem: fmt.Sprintf("has %d tags", len(c.Tags)),
			Fix: fmt.Sprintf("STS accepts at most %d session tags", sessiontags.MaxTags)}
	}
	for _, k := range c.TransitiveTagKeys {
		if !sessiontags.Has(c.Tags, k) && (c.RoleSkipSessionTagging || !sessiontags.IsDefaultKey(k)) {
			return &InputError{Input: "transitive-tag-keys", Value: k, Problem: "is not the key of a tag this step sends",
				Fix: "list only keys of " + Ref("custom-tags") + " (or of the default tags, unless " + Ref("role-skip-session-tagging") + " is true), one a line"}
		}
	}
	return nil
}

func (c *Config) checkProfile() error {
	// A runner that passed the default unevaluated knows no job container.
	if strings.Contains(c.JobContainerID, "${{") {
		c.JobContainerID = ""
	}
	c.OutputEnvCredentials = c.AWSProfile == "" && len(c.RoleProfiles) == 0
	if c.OutputEnvCredentialsSet != nil {
		c.OutputEnvCredentials = *c.OutputEnvCredentialsSet
	}
	if c.AWSProfile == "" {
		switch {
		case c.OverwriteAWSProfile && len(c.RoleProfiles) == 0:
			return &InputError{Input: "overwrite-aws-profile", Value: "true", Problem: "needs " + Ref("aws-profile"),
				Fix: "set " + Ref("aws-profile") + " to the profile to write, or remove " + Ref("overwrite-aws-profile")}
		case c.RefreshCredentials && len(c.RoleProfiles) == 0:
			return &InputError{Input: "refresh-credentials", Value: "true", Problem: "needs " + Ref("aws-profile") + " or " + Ref("role-profiles"),
				Fix: "set " + Ref("aws-profile") + ": the renewing session lives in that profile, which later steps select with --profile or AWS_PROFILE"}
		}
		return nil
	}
	if err := awsconfig.ValidateName(c.AWSProfile); err != nil {
		var ip *awsconfig.InvalidProfileError
		problem := err.Error()
		if errors.As(err, &ip) {
			problem = ip.Reason
		}
		return &InputError{Input: "aws-profile", Value: c.AWSProfile, Problem: "is not a usable profile name: " + problem,
			Fix: "use 1-64 letters, digits and _.+=,@- such as deploy-prod"}
	}
	if c.RefreshCredentials && c.RoleToAssume == "" {
		return &InputError{Input: "refresh-credentials", Value: "true", Problem: "needs " + Ref("role-to-assume"),
			Fix: "only an assumed role can be renewed; without a role the profile holds the keys themselves"}
	}
	return nil
}

// Attempts is the total number of tries for each STS call.
func (c *Config) Attempts() int {
	if c.DisableRetry {
		return 1
	}
	return c.RetryMaxAttempts
}

func checkURL(raw string, schemes ...string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("is not a URL")
	}
	for _, s := range schemes {
		if u.Scheme == s {
			if u.Host == "" {
				return errors.New("has no host")
			}
			return nil
		}
	}
	return fmt.Errorf("has scheme %q, not one of %s", u.Scheme, strings.Join(schemes, ", "))
}

// redactUserinfo drops a password from a proxy URL before it is shown.
func redactUserinfo(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// IsLoopback reports whether rawURL points at this machine, where plain HTTP
// does not cross a network.
func IsLoopback(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// PartitionOf names the AWS partition a region belongs to. Regions outside
// the special prefixes are in the commercial partition.
func PartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-isof-"):
		return "aws-iso-f"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "eusc-"):
		return "aws-eusc"
	}
	return "aws"
}

// Input describes one input, for the CLI's flags and help.
type Input struct {
	Name        string // as in action.yml, such as role-to-assume
	Description string
	Default     string
	Secret      bool
	// ActionOnly inputs come from the runner (their action.yml default is
	// an expression) and have no CLI flag.
	ActionOnly bool
	// Bool is set for true/false inputs, which the CLI takes as bare flags.
	Bool bool
}

// All describes every input, in the order of Config.
func All() []Input {
	t := reflect.TypeFor[Config]()
	var out []Input
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("env")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, Input{
			Name:        strings.ToLower(name),
			Description: f.Tag.Get("desc"),
			Default:     f.Tag.Get("envDefault"),
			Secret:      f.Tag.Get("secret") != "",
			ActionOnly:  f.Tag.Get("action") == "only",
			Bool:        f.Type == reflect.TypeFor[bool]() || f.Type == reflect.TypeFor[*bool](),
		})
	}
	return out
}
