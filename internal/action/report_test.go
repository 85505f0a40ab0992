package action

import (
	"errors"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/idtoken"
	"github.com/assume-role/assume-role/internal/stsclient"
)

// TestWebIdentityHintOnlyForTokenRefusals: the trust policy and the
// token's claims are blamed only when STS refused the token; every other
// failure of AssumeRoleWithWebIdentity says what happened.
func TestWebIdentityHintOnlyForTokenRefusals(t *testing.T) {
	t.Parallel()
	claims := &idtoken.Claims{Issuer: "https://token.actions.githubusercontent.com", Audience: []string{"sts.amazonaws.com"}, Subject: "repo:o/r:ref:refs/heads/main"}
	call := func(e *stsclient.Error) error {
		return &CallError{Source: "GitHub's OIDC token", Role: "arn:aws:iam::222222222222:role/r", Claims: claims, Err: e}
	}
	for _, tc := range []struct {
		name    string
		err     *stsclient.Error
		code    int
		details bool
		want    string
	}{
		{"access denied", &stsclient.Error{Op: "AssumeRoleWithWebIdentity", Kind: stsclient.Refused, Code: "AccessDenied", Message: "Not authorized to perform sts:AssumeRoleWithWebIdentity", Status: 403},
			ExitRefused, true, "compare its conditions with the claims and the example statement printed above"},
		{"no provider", &stsclient.Error{Op: "AssumeRoleWithWebIdentity", Kind: stsclient.Refused, Code: "InvalidIdentityToken", Message: "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com", Status: 400},
			ExitRefused, true, "no IAM OIDC identity provider"},
		{"expired", &stsclient.Error{Op: "AssumeRoleWithWebIdentity", Kind: stsclient.Refused, Code: "ExpiredTokenException", Message: "Token expired", Status: 400},
			ExitRefused, false, "check the runner's clock"},
		{"duration", &stsclient.Error{Op: "AssumeRoleWithWebIdentity", Kind: stsclient.Refused, Code: "ValidationError", Message: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", Status: 400},
			ExitRefused, false, "Check role-duration-seconds"},
		{"connection refused", &stsclient.Error{Op: "AssumeRoleWithWebIdentity", Kind: stsclient.Unavailable, Message: "dial tcp 127.0.0.1:1: connect: connection refused"},
			ExitUnavailable, false, "STS did not answer on any allowed attempt: check sts-endpoint, http-proxy"},
		{"503", &stsclient.Error{Op: "AssumeRoleWithWebIdentity", Kind: stsclient.Unavailable, Code: "ServiceUnavailable", Status: 503},
			ExitUnavailable, false, "STS kept failing after every allowed attempt"},
		{"502 page", &stsclient.Error{Op: "AssumeRoleWithWebIdentity", Kind: stsclient.Unavailable, Message: "the answer is not an STS error document", Status: 502},
			ExitUnavailable, false, "STS kept failing after every allowed attempt"},
		{"unreadable", &stsclient.Error{Op: "AssumeRoleWithWebIdentity", Kind: stsclient.Malformed, Message: "the response could not be read", Status: 200},
			ExitUnavailable, false, "something other than STS answered"},
		{"deadline", &stsclient.Error{Op: "AssumeRoleWithWebIdentity", Kind: stsclient.TimedOut, Message: "no answer before the step's deadline"},
			ExitUnavailable, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := call(tc.err)
			msg, code := Explain(err)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q lacks %q", msg, tc.want)
			}
			details := Details(err)
			if (details != "") != tc.details {
				t.Errorf("details printed = %v, want %v", details != "", tc.details)
			}
			if details == "" && (strings.Contains(msg, "printed above") || strings.Contains(msg, "trust policy")) {
				t.Errorf("message blames the trust policy or points at nothing printed: %q", msg)
			}
		})
	}
}

// TestChainedAccessDeniedNamesTheRole: a session cannot be a trust policy's
// principal; the hint names the role it belongs to.
func TestChainedAccessDeniedNamesTheRole(t *testing.T) {
	t.Parallel()
	err := &CallError{Source: "AWS_ACCESS_KEY_ID in the step's environment", Role: "arn:aws:iam::333333333333:role/release", Tagged: true,
		Err: &stsclient.Error{Op: "AssumeRole", Kind: stsclient.Refused, Code: "AccessDenied", Status: 403,
			Message: "User: arn:aws:sts::222222222222:assumed-role/deploy/GitHubActions is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/release"}}
	msg, code := Explain(err)
	if code != ExitRefused {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(msg, `Principal {"AWS": "arn:aws:iam::222222222222:role/deploy"}`) {
		t.Errorf("the hint does not name the role as principal: %s", msg)
	}
	if strings.Contains(msg, `"AWS": "arn:aws:sts::`) {
		t.Errorf("the hint tells users to trust the session ARN: %s", msg)
	}

	user := &CallError{Source: "the inputs", Role: "arn:aws:iam::222222222222:role/deploy",
		Err: &stsclient.Error{Op: "AssumeRole", Kind: stsclient.Refused, Code: "AccessDenied", Status: 403,
			Message: "User: arn:aws:iam::111111111111:user/ci is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/deploy"}}
	if msg, _ := Explain(user); !strings.Contains(msg, `Principal {"AWS": "arn:aws:iam::111111111111:user/ci"}`) {
		t.Errorf("a user caller is its own principal: %s", msg)
	}
	var se *stsclient.Error
	if !errors.As(err, &se) {
		t.Fatal("CallError must unwrap to the STS error")
	}
}

func TestRoleOfSession(t *testing.T) {
	t.Parallel()
	for arn, want := range map[string]string{
		"arn:aws:sts::222222222222:assumed-role/deploy/GitHubActions": "arn:aws:iam::222222222222:role/deploy",
		"arn:aws-cn:sts::222222222222:assumed-role/d/s":               "arn:aws-cn:iam::222222222222:role/d",
		"arn:aws:iam::111111111111:user/ci":                           "",
		"arn:aws:sts::222222222222:federated-user/bob":                "",
		"the caller": "",
	} {
		if got := roleOfSession(arn); got != want {
			t.Errorf("roleOfSession(%q) = %q, want %q", arn, got, want)
		}
	}
}
