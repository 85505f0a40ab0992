package action

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/assume-role/assume-role/internal/awsconfig"
	"github.com/assume-role/assume-role/internal/idtoken"
	"github.com/assume-role/assume-role/internal/inputs"
	"github.com/assume-role/assume-role/internal/logcmd"
	"github.com/assume-role/assume-role/internal/stsclient"
)

// Exit codes, so that a wrapper script can tell a workflow mistake from an
// AWS refusal from an outage.
const (
	ExitOK          = 0
	ExitInternal    = 1 // a bug, or the runner's files could not be written
	ExitBadInput    = 2 // an input is wrong or no credentials were found: fix the workflow
	ExitRefused     = 3 // STS refused (access denied, bad keys, account not allowed): fix IAM or the secrets
	ExitUnavailable = 4 // STS unreachable, throttled or too slow after every retry: try again later
)

// CallError is a failed STS call with what the action was doing.
type CallError struct {
	Source string // the signing credentials or token, as a phrase: "credentials from ..."
	Role   string // the role being assumed, if any
	// Tagged is set when the call carried session tags, which the role's
	// trust policy must allow with sts:TagSession.
	Tagged bool
	// Claims are the web identity token's claims, for AssumeRoleWithWebIdentity.
	Claims *idtoken.Claims
	Err    error
}

func (e *CallError) Error() string {
	if e.Role != "" {
		return fmt.Sprintf("assuming %s with %s: %v", e.Role, e.Source, e.Err)
	}
	return fmt.Sprintf("checking %s: %v", e.Source, e.Err)
}

func (e *CallError) Unwrap() error { return e.Err }

// IDTokenError means GitHub's OIDC endpoint gave no token.
type IDTokenError struct{ Err error }

func (e *IDTokenError) Error() string { return "getting the job's GitHub ID token: " + e.Err.Error() }

func (e *IDTokenError) Unwrap() error { return e.Err }

// AccountNotAllowedError means the credentials belong to an account that
// allowed-account-ids does not list.
type AccountNotAllowedError struct {
	Account string
	Allowed []string
	// Profile is the line of role-profiles whose role is in Account, if any.
	Profile string
}

func (e *AccountNotAllowedError) Error() string {
	return e.render(words{Names: inputs.ActionNames{}, action: true})
}

func (e *AccountNotAllowedError) render(w words) string {
	if e.Profile != "" {
		return fmt.Sprintf("the role of profile %s is in account %s, which %s (%s) does not list; nothing was %s",
			e.Profile, e.Account, w.Ref("allowed-account-ids"), strings.Join(e.Allowed, ", "), w.pick("exported", "printed"))
	}
	return fmt.Sprintf("the credentials belong to account %s, which %s (%s) does not list; nothing was %s",
		e.Account, w.Ref("allowed-account-ids"), strings.Join(e.Allowed, ", "), w.pick("exported", "printed"))
}

// TimeoutError means action-timeout-s ran out.
type TimeoutError struct {
	Seconds int64
	Err     error
}

func (e *TimeoutError) Error() string {
	return e.render(words{Names: inputs.ActionNames{}, action: true})
}

func (e *TimeoutError) render(w words) string {
	return fmt.Sprintf("the %s ran out of time (%s is %d): %v", w.pick("step", "command"), w.Ref("action-timeout-s"), e.Seconds, e.Err)
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// Report writes err as the step's single ::error:: annotation and returns the
// exit code for it. The annotation title is constant: the runner does not
// mask annotation properties.
func Report(log *logcmd.Logger, err error) int {
	msg, code := Explain(err)
	if d := Details(err); d != "" {
		log.Group("Why STS refused the token")
		log.Info(d)
		log.EndGroup()
	}
	log.Error("assume-role failed", msg)
	return code
}

// Explain turns an error into the message a user can act on, and its exit code.
func Explain(err error) (string, int) { return ExplainWith(err, inputs.ActionNames{}) }

// ExplainWith is Explain with the inputs named by names, as the CLI names
// them (flags and variables, no workflow).
func ExplainWith(err error, names inputs.Names) (string, int) {
	w := words{Names: names}
	_, w.action = names.(inputs.ActionNames)
	var (
		inErr    *inputs.InputError
		noCreds  *NoCredentialsError
		notAllow *AccountNotAllowedError
		timeout  *TimeoutError
		idErr    *IDTokenError
		profErr  *ProfileError
		stsErr   *stsclient.Error
		call     *CallError
		envErr   *EnvVarError
		cancel   *CancelledError
	)
	switch {
	case errors.As(err, &cancel):
		// Before everything else: what the cancelled call then failed
		// with is a consequence, not the cause.
		return cancel.Error() + ".", cancel.ExitCode()
	case errors.As(err, &inErr), errors.As(err, &envErr):
		return err.Error(), ExitBadInput
	case errors.As(err, &noCreds):
		var msg string
		switch {
		case noCreds.NoIDToken:
			msg = err.Error() + ". Add `permissions: id-token: write` to the job (pull requests from forks never get an ID token), " +
				"or give aws-access-key-id and aws-secret-access-key."
		case noCreds.Err == nil:
			msg = err.Error() + "."
		default:
			msg = err.Error() + ". Pass aws-access-key-id and aws-secret-access-key, or run where the AWS SDK finds credentials (an earlier step's exports, an instance profile)."
		}
		if noCreds.SelfHosted != nil {
			msg += noCreds.SelfHosted.hint()
		}
		return msg, ExitBadInput
	case errors.As(err, &notAllow):
		check := "role-to-assume"
		if notAllow.Profile != "" {
			check = "role-profiles"
		}
		return notAllow.render(w) + ". Check " + w.Ref(check) + ", or add the account to " + w.Ref("allowed-account-ids") + " if it is expected.", ExitRefused
	case errors.As(err, &idErr):
		var fe *idtoken.FetchError
		if errors.As(err, &fe) && (fe.Status == 401 || fe.Status == 403) {
			return err.Error() + ". The job's token request was refused: check that the job has `permissions: id-token: write`.", ExitRefused
		}
		if errors.As(err, &fe) && fe.Status >= 400 && fe.Status < 500 && fe.Status != 429 {
			return err.Error() + ".", ExitRefused
		}
		if errors.As(err, &fe) && fe.Malformed {
			return err.Error() + ". Something other than GitHub's token service answered (a proxy?); check http-proxy and no-proxy, or re-run the job.", ExitUnavailable
		}
		return err.Error() + ". GitHub's token service kept failing; re-run the job.", ExitUnavailable
	case errors.As(err, &profErr):
		var exists *awsconfig.ProfileExistsError
		if errors.As(err, &exists) {
			return err.Error() + ". Set overwrite-aws-profile: true to replace it, or choose another aws-profile.", ExitBadInput
		}
		var unshared *UnsharedError
		if errors.As(err, &unshared) {
			return err.Error() + ". This happens on Kubernetes-mode runners (container hooks) and on runners that keep their temp directory " +
				"out of the action's container. Nothing was exported. Remove aws-profile and use the exported AWS_* variables " +
				"(output-env-credentials), or run the assume-role CLI where the profile is needed, in a run: step " +
				"(assume-role exec -- CMD, or --format ini for a credentials file).", ExitBadInput
		}
		return err.Error(), ExitInternal
	case errors.As(err, &timeout):
		return timeout.render(w) + ". Raise " + w.Ref("action-timeout-s") + ", or check the network path to STS (" + w.Ref("sts-endpoint") + ", " + w.Ref("http-proxy") + ").", ExitUnavailable
	case errors.As(err, &stsErr):
		errors.As(err, &call)
		return err.Error() + w.hint(stsErr, call), exitFor(stsErr.Kind)
	}
	return err.Error(), ExitInternal
}

func exitFor(k stsclient.Kind) int {
	switch k {
	case stsclient.Refused:
		return ExitRefused
	case stsclient.Unavailable, stsclient.TimedOut, stsclient.Malformed:
		return ExitUnavailable
	}
	return ExitInternal
}

var (
	callerRE  = regexp.MustCompile(`User: (\S+) is not authorized`)
	sessionRE = regexp.MustCompile(`^arn:([a-z-]+):sts::(\d{12}):assumed-role/([^/]+)/[^/]+$`)
)

// roleOfSession returns the role ARN (without its path, which a session
// ARN does not carry) of an assumed-role session ARN, or "".
func roleOfSession(arn string) string {
	m := sessionRE.FindStringSubmatch(arn)
	if m == nil {
		return ""
	}
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", m[1], m[2], m[3])
}

// words phrase the advice for the reader: a workflow's author (inputs,
// secrets, jobs) or a person at a shell (flags, variables).
type words struct {
	inputs.Names
	action bool
}

// enable tells the reader to turn a boolean input on.
func (w words) enable(input string) string {
	switch {
	case w.action:
		return "set " + input + ": true"
	case input == "role-skip-session-tagging":
		// Outside GitHub Actions the only tags are the custom ones.
		return "send no session tags (" + w.Ref(input) + " and no " + w.Ref("custom-tags") + ")"
	}
	return "add " + w.Ref(input)
}

// pick returns the action's phrase or the CLI's.
func (w words) pick(action, cli string) string {
	if w.action {
		return action
	}
	return cli
}

// hint says what to do about an STS error, in terms of the inputs and IAM.
func (w words) hint(e *stsclient.Error, call *CallError) string {
	role := ""
	if call != nil {
		role = call.Role
	}
	if tokenRefused(e, call) {
		return w.webIdentityHint(e, call)
	}
	tagged := call != nil && call.Tagged
	if e.Code == "AccessDenied" && tagged && strings.Contains(e.Message, "sts:TagSession") {
		return fmt.Sprintf(". The trust policy of %s must also allow sts:TagSession for the caller, because this %s sends session tags: "+
			"add \"sts:TagSession\" to the statement's Action, or %s.", role, w.pick("step", "call"), w.enable("role-skip-session-tagging"))
	}
	switch e.Code {
	case "AccessDenied":
		if role == "" {
			return ". The credentials may not call sts:GetCallerIdentity; check their IAM policy."
		}
		caller, principal := "the caller", "<the caller's ARN>"
		if m := callerRE.FindStringSubmatch(e.Message); m != nil {
			caller, principal = m[1], m[1]
		}
		if r := roleOfSession(caller); r != "" {
			// A trust policy names the role; a session ARN there never
			// matches the next session of that role.
			return fmt.Sprintf(". The caller is a session of the role %s: the trust policy of %s must allow that role "+
				"(Principal {\"AWS\": \"%s\"}, with the role's path if it has one; not the session ARN) to call sts:AssumeRole"+
				"; if the role requires an external ID, set %s to it.%s", r, role, r, w.Ref("role-external-id"), w.tagNote(tagged))
		}
		return fmt.Sprintf(". The trust policy of %s must allow %s to call sts:AssumeRole "+
			"(Principal {\"AWS\": \"%s\"}, or the account root with the caller's own IAM policy allowing sts:AssumeRole on the role)"+
			"; if the role requires an external ID, set %s to it.%s", role, caller, principal, w.Ref("role-external-id"), w.tagNote(tagged))
	case "InvalidClientTokenId":
		return ". The access key ID is not known to AWS: check " + w.pick("the aws-access-key-id secret", "the access key ID the call was signed with") + " (deleted or inactive key, or a key from another partition)."
	case "SignatureDoesNotMatch":
		if strings.Contains(e.Message, "expired") {
			return ". " + w.pick("The runner's", "This machine's") + " clock is off by more than 5 minutes: fix its time synchronisation."
		}
		return ". The secret access key does not match the access key ID: check " + w.pick("the aws-secret-access-key secret", "the secret access key the call was signed with") + "."
	case "ExpiredToken":
		return ". The source credentials have expired: " + w.pick("re-run the step that exported them", "get a fresh session") + ", or give fresh keys."
	case "ValidationError":
		return fmt.Sprintf(". Check %s (it may exceed the role's maximum session duration), %s and the session policies.", w.Ref("role-duration-seconds"), w.Ref("role-session-name"))
	case "MalformedPolicyDocument":
		return ". Check " + w.Ref("inline-session-policy") + " and " + w.Ref("managed-session-policies") + "."
	case "PackedPolicyTooLarge":
		if tagged {
			return fmt.Sprintf(". The session policies and tags are too large together, even with only the essential default tags: shorten %s, send fewer %s, or %s.",
				w.Ref("inline-session-policy"), w.Ref("custom-tags"), w.enable("role-skip-session-tagging"))
		}
		return ". Shorten " + w.Ref("inline-session-policy") + " or list fewer " + w.Ref("managed-session-policies") + "."
	case "RegionDisabledException":
		return ". Activate STS in this region (IAM > Account settings) or choose another " + w.Ref("aws-region") + "."
	}
	switch e.Kind {
	case stsclient.Unavailable:
		if e.Status == 0 {
			// No answer at all: more tries at the same address rarely help.
			return fmt.Sprintf(". STS did not answer on any allowed attempt: check %s, %s and %s, and %s network path to STS.",
				w.Ref("sts-endpoint"), w.Ref("http-proxy"), w.Ref("no-proxy"), w.pick("the runner's", "this machine's"))
		}
		return ". STS kept failing after every allowed attempt; raise " + w.Ref("retry-max-attempts") + " or try again later."
	case stsclient.Malformed:
		return ". Check " + w.Ref("sts-endpoint") + " and " + w.Ref("http-proxy") + ": something other than STS answered."
	}
	return ""
}

// tokenRefused reports whether STS looked at the web identity token and
// refused it or the role's trust in it: the one failure that the token's
// claims and the trust policy explain. A network error, a 5xx or an
// unreadable answer says nothing about either.
func tokenRefused(e *stsclient.Error, call *CallError) bool {
	if call == nil || call.Claims == nil || e.Kind != stsclient.Refused {
		return false
	}
	switch e.Code {
	case "AccessDenied", "InvalidIdentityToken", "IDPRejectedClaim", "ExpiredTokenException":
		return true
	}
	return false
}

// webIdentityHint explains a refused AssumeRoleWithWebIdentity in terms of
// the token's claims, which the role's trust policy conditions match.
func (w words) webIdentityHint(e *stsclient.Error, call *CallError) string {
	c := call.Claims
	aud := strings.Join(c.Audience, ",")
	switch {
	case strings.Contains(e.Message, "No OpenIDConnect provider"):
		return fmt.Sprintf(". The role's account has no IAM OIDC identity provider for %s: create one with that URL and the audience %s.", c.Issuer, aud)
	case strings.Contains(e.Message, "audience"):
		return fmt.Sprintf(". The token's audience is %s, which the role account's OIDC provider does not list: add it as a client ID there, or set %s to one it lists.", aud, w.pick("the audience input", w.Ref("audience")))
	case e.Code == "ExpiredTokenException":
		return ". The token expired before STS saw it: " + w.pick("check the runner's clock, or re-run the job", "check this machine's clock, or get a fresh token") + "."
	case strings.Contains(e.Message, "verification key"):
		return fmt.Sprintf(". STS could not fetch the token's signing keys from %s (its /.well-known/openid-configuration and JWKS): check that the issuer is reachable from AWS.", c.Issuer)
	}
	return fmt.Sprintf(". The trust policy of %s does not accept %s token (sub %s, aud %s): compare its conditions with the claims and the example statement printed above.",
		call.Role, w.pick("this job's", "this"), c.Subject, aud)
}

// Details is extra, multi-line help printed before the error annotation:
// for a refused web identity token, the token's claims that trust policies
// match on and a trust policy statement that would accept exactly this job.
// The token itself and its signature are never shown.
func Details(err error) string {
	var call *CallError
	var se *stsclient.Error
	if !errors.As(err, &call) || !errors.As(err, &se) || !tokenRefused(se, call) || se.Code == "ExpiredTokenException" {
		return ""
	}
	c := call.Claims
	var b strings.Builder
	b.WriteString("The token's claims that trust policies match on:\n")
	for _, kv := range [][2]string{
		{"iss", c.Issuer}, {"aud", strings.Join(c.Audience, ", ")}, {"sub", c.Subject}, {"repository", c.Repository},
		{"ref", c.Ref}, {"environment", c.Environment}, {"job_workflow_ref", c.JobWorkflowRef},
	} {
		v := kv[1]
		if v == "" {
			v = "(not set)"
		}
		fmt.Fprintf(&b, "  %-17s %s\n", kv[0]+":", v)
	}
	host := strings.TrimPrefix(strings.TrimPrefix(c.Issuer, "https://"), "http://")
	partition, account := "aws", "<account>"
	if parts := strings.SplitN(call.Role, ":", 6); len(parts) == 6 {
		partition, account = parts[1], parts[4]
	}
	aud := ""
	if len(c.Audience) > 0 {
		aud = c.Audience[0]
	}
	stmt := map[string]any{
		"Effect":    "Allow",
		"Principal": map[string]string{"Federated": fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", partition, account, host)},
		"Action":    "sts:AssumeRoleWithWebIdentity",
		"Condition": map[string]any{"StringEquals": map[string]string{host + ":aud": aud, host + ":sub": c.Subject}},
	}
	j, _ := json.MarshalIndent(stmt, "", "  ")
	b.WriteString("A trust policy statement of " + call.Role + " that accepts exactly this job:\n")
	b.Write(j)
	return b.String()
}

func (w words) tagNote(tagged bool) string {
	if !tagged {
		return ""
	}
	return fmt.Sprintf(" This %s also sent session tags, which need sts:TagSession in the same statement (or %s).",
		w.pick("step", "call"), w.pick("role-skip-session-tagging: true", w.enable("role-skip-session-tagging")))
}
