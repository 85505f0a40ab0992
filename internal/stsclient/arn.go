package stsclient

import (
	"regexp"
	"strings"
)

// arnRE is an ARN as STS and IAM write them: a partition (aws, aws-cn,
// aws-us-gov, aws-iso-b, ...), a service, a region (empty for IAM and STS
// identities), a 12-digit account, and a resource of printable ASCII. IAM
// paths and names allow '!' to '~' and nothing else (no space, no control
// character, nothing beyond ASCII), so anything outside that is not an ARN
// STS meant but text that would reach the log, the outputs and the summary:
// a CR or a U+00A0 there starts a workflow command in the runner's eyes.
var arnRE = regexp.MustCompile(`^arn:aws(-[a-z]+)*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:[!-~]+$`)

// validARN reports whether s is an identity ARN STS could have written.
func validARN(s string) bool { return arnRE.MatchString(s) }

// validAssumedRoleARN reports whether s is the ARN of an assumed-role
// session, arn:<partition>:sts::<account>:assumed-role/<role>/<session>,
// which is what AssumeRole and AssumeRoleWithWebIdentity return.
func validAssumedRoleARN(s string) bool {
	if !validARN(s) {
		return false
	}
	parts := strings.SplitN(s, ":", 6)
	if parts[2] != "sts" || parts[3] != "" {
		return false
	}
	role, session, ok := strings.Cut(strings.TrimPrefix(parts[5], "assumed-role/"), "/")
	return strings.HasPrefix(parts[5], "assumed-role/") && ok && role != "" && session != "" && !strings.Contains(session, "/")
}
