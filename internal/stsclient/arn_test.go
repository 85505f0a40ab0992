package stsclient

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// answering serves every STS call with the same 200 answer: body is the
// Result element's content for whichever action was asked.
func answering(t *testing.T, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		action := r.Form.Get("Action")
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<%sResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><%sResult>%s</%sResult>`+
			`<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></%sResponse>`, action, action, body, action, action)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func assumeAnswer(arn string) string {
	// html.EscapeString leaves CR and NBSP as they are; XML numeric
	// references carry them as STS (or a proxy) could.
	a := strings.NewReplacer("\r", "&#13;", "\n", "&#10;", "\u00a0", "&#160;").Replace(html.EscapeString(arn))
	return `<Credentials><AccessKeyId>ASIAEXAMPLE000000001</AccessKeyId><SecretAccessKey>secret/secret/secret</SecretAccessKey>` +
		`<SessionToken>token</SessionToken><Expiration>` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `</Expiration></Credentials>` +
		`<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId><Arn>` + a + `</Arn></AssumedRoleUser>`
}

// TestAnswerARNsAreChecked: an ARN in an STS answer reaches the log, the
// outputs and the summary, so anything that is not an ARN (a line break, a
// Unicode space, a command) makes the answer malformed.
func TestAnswerARNsAreChecked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		arn string
		ok  bool
	}{
		{"arn:aws:sts::222222222222:assumed-role/deploy/GitHubActions", true},
		{"arn:aws-us-gov:sts::222222222222:assumed-role/deploy/a+b=c,d.e@f-g", true},
		{"arn:aws:sts::222222222222:assumed-role/deploy/s\r::save-state name=files::/etc/passwd", false},
		{"arn:aws:sts::222222222222:assumed-role/deploy/s\n\u00a0::set-output name=x::y", false},
		{"arn:aws:sts::222222222222:assumed-role/deploy/s\u00a0x", false},
		{"arn:aws:sts::222222222222:assumed-role/deploy/s x", false},
		{"arn:aws:sts::222222222222:assumed-role/deploy/s\u2028x", false},
		{"arn:aws:iam::222222222222:user/deploy", false},
		{"arn:aws:sts::222222222222:assumed-role/deploy", false},
		{"arn:aws:sts::22222222222x:assumed-role/deploy/s", false},
		{"not-an-arn", false},
	} {
		t.Run(fmt.Sprintf("%.50q", tc.arn), func(t *testing.T) {
			t.Parallel()
			url := answering(t, assumeAnswer(tc.arn))
			s, err := client(url, 1).AssumeRole(context.Background(), AssumeRoleInput{RoleARN: "arn:aws:iam::222222222222:role/deploy", SessionName: "s", Duration: 900})
			var se *Error
			switch {
			case tc.ok && err != nil:
				t.Fatalf("refused a valid ARN: %v", err)
			case tc.ok && s.ARN != tc.arn:
				t.Fatalf("ARN %q, want %q", s.ARN, tc.arn)
			case !tc.ok && (!errors.As(err, &se) || se.Kind != Malformed):
				t.Fatalf("accepted %q: session %+v, error %v", tc.arn, s, err)
			}
		})
	}
}

func TestCallerIdentityARNIsChecked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		arn, account string
		ok           bool
	}{
		{"arn:aws:iam::111111111111:user/ci", "111111111111", true},
		{"arn:aws:iam::111111111111:root", "111111111111", true},
		{"arn:aws:iam::111111111111:user/ci&#13;::add-mask::x", "111111111111", false},
		{"arn:aws:iam::111111111111:user/ci", "222222222222", false},
		{"arn:aws:iam::111111111111:user/ci", "111111111111&#160;", false},
	} {
		url := answering(t, "<Arn>"+tc.arn+"</Arn><UserId>AIDA</UserId><Account>"+tc.account+"</Account>")
		_, _, err := client(url, 1).CallerIdentity(context.Background())
		var se *Error
		if tc.ok != (err == nil) || (!tc.ok && (!errors.As(err, &se) || se.Kind != Malformed)) {
			t.Errorf("%q of %q: error %v", tc.arn, tc.account, err)
		}
	}
}
