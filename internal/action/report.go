package action

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

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
	Source string // where the signing credentials came from
	Role   string // the role being assumed, if any
	Err    error
}

func (e *CallError) Error() string {
	if e.Role != "" {
		return fmt.Sprintf("assuming %s with credentials from %s: %v", e.Role, e.Source, e.Err)
	}
	return fmt.Sprintf("checking credentials from %s: %v", e.Source, e.Err)
}

func (e *CallError) Unwrap() error { return e.Err }

// AccountNotAllowedError means the credentials belong to an account that
// allowed-account-ids does not list.
type AccountNotAllowedError struct {
	Account string
	Allowed []string
}

func (e *AccountNotAllowedError) Error() string {
	return fmt.Sprintf("the credentials belong to account %s, which allowed-account-ids (%s) does not list; nothing was exported",
		e.Account, strings.Join(e.Allowed, ", "))
}

// TimeoutError means action-timeout-s ran out.
type TimeoutError struct {
	Seconds int64
	Err     error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("the step ran out of time (action-timeout-s is %d): %v", e.Seconds, e.Err)
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// Report writes err as the step's single ::error:: annotation and returns the
// exit code for it. The annotation title is constant: the runner does not
// mask annotation properties.
func Report(log *logcmd.Logger, err error) int {
	msg, code := Explain(err)
	log.Error("assume-role failed", msg)
	return code
}

// Explain turns an error into the message a user can act on, and its exit code.
func Explain(err error) (string, int) {
	var (
		inErr    *inputs.InputError
		noCreds  *NoCredentialsError
		notAllow *AccountNotAllowedError
		timeout  *TimeoutError
		stsErr   *stsclient.Error
		call     *CallError
	)
	switch {
	case errors.As(err, &inErr):
		return err.Error(), ExitBadInput
	case errors.As(err, &noCreds):
		if noCreds.Err == nil {
			return err.Error() + ".", ExitBadInput
		}
		return err.Error() + ". Pass aws-access-key-id and aws-secret-access-key, or run where the AWS SDK finds credentials (an earlier step's exports, an instance profile).", ExitBadInput
	case errors.As(err, &notAllow):
		return err.Error() + ". Check role-to-assume, or add the account to allowed-account-ids if it is expected.", ExitRefused
	case errors.As(err, &timeout):
		return err.Error() + ". Raise action-timeout-s, or check the network path to STS (sts-endpoint, http-proxy).", ExitUnavailable
	case errors.As(err, &stsErr):
		errors.As(err, &call)
		return err.Error() + hint(stsErr, call), exitFor(stsErr.Kind)
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

var callerRE = regexp.MustCompile(`User: (\S+) is not authorized`)

// hint says what to do about an STS error, in terms of the inputs and IAM.
func hint(e *stsclient.Error, call *CallError) string {
	role := ""
	if call != nil {
		role = call.Role
	}
	switch e.Code {
	case "AccessDenied":
		if role == "" {
			return ". The credentials may not call sts:GetCallerIdentity; check their IAM policy."
		}
		caller := "the caller"
		if m := callerRE.FindStringSubmatch(e.Message); m != nil {
			caller = m[1]
		}
		return fmt.Sprintf(". The trust policy of %s must allow %s to call sts:AssumeRole "+
			"(Principal {\"AWS\": \"%s\"}, or the account root with the caller's own IAM policy allowing sts:AssumeRole on the role)"+
			"; if the role requires an external ID, set role-external-id to it.", role, caller, caller)
	case "InvalidClientTokenId":
		return ". The access key ID is not known to AWS: check the aws-access-key-id secret (deleted or inactive key, or a key from another partition)."
	case "SignatureDoesNotMatch":
		if strings.Contains(e.Message, "expired") {
			return ". The runner's clock is off by more than 5 minutes: fix its time synchronisation."
		}
		return ". The secret access key does not match the access key ID: check the aws-secret-access-key secret."
	case "ExpiredToken":
		return ". The source credentials have expired: re-run the step that exported them, or give fresh keys."
	case "ValidationError":
		return ". Check role-duration-seconds (it may exceed the role's maximum session duration), role-session-name and the session policies."
	case "MalformedPolicyDocument", "PackedPolicyTooLarge":
		return ". Check inline-session-policy and managed-session-policies."
	case "RegionDisabledException":
		return ". Activate STS in this region (IAM > Account settings) or choose another aws-region."
	}
	switch e.Kind {
	case stsclient.Unavailable:
		return ". STS kept failing after every allowed attempt; raise retry-max-attempts or try again later."
	case stsclient.Malformed:
		return ". Check sts-endpoint and http-proxy: something other than STS answered."
	}
	return ""
}
