package stsclient

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/assume-role/assume-role/internal/ststest"
)

func client(url string, attempts int) *Client {
	return New(Options{
		Region:      "us-east-1",
		Endpoint:    url,
		Credentials: credentials.NewStaticCredentialsProvider(ststest.DemoUser.AccessKeyID, ststest.DemoUser.SecretAccessKey, ""),
		MaxAttempts: attempts,
		MaxBackoff:  50 * time.Millisecond,
	})
}

func TestAssumeRole(t *testing.T) {
	t.Parallel()
	e, url := ststest.NewTestServer(t)
	e.SeedDemo()
	s, err := client(url, 1).AssumeRole(context.Background(), AssumeRoleInput{
		RoleARN: ststest.DemoRole.ARN, SessionName: "unit", Duration: 900,
		PolicyARNs: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
		Tags:       []Tag{{Key: "Team", Value: "payments"}}, TransitiveTagKeys: []string{"Team"},
	})
	if err != nil {
		t.Fatal(err)
	}
	issued := e.Issued()[0]
	if s.AccessKeyID != issued.AccessKeyID || s.SecretAccessKey != issued.SecretAccessKey || s.SessionToken != issued.SessionToken ||
		!s.Expiration.Equal(issued.Expiration) || s.AccountID != "222222222222" || s.ARN != "arn:aws:sts::222222222222:assumed-role/deploy/unit" {
		t.Errorf("session %+v, issued %+v", s, issued)
	}
	p := e.Calls()[0].Params
	if p.Get("Tags.member.1.Key") != "Team" || p.Get("TransitiveTagKeys.member.1") != "Team" || p.Get("PolicyArns.member.1.arn") == "" {
		t.Errorf("params %v", p)
	}
}

func TestRetriesOnlyWhatCanHelp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fault ststest.Fault
		calls int
		kind  Kind
		code  string
	}{
		{ststest.Throttle, 3, Unavailable, "Throttling"},
		{ststest.InternalError, 3, Unavailable, "InternalFailure"},
		{ststest.Unavailable, 3, Unavailable, "ServiceUnavailable"},
		{ststest.Reset, 3, Unavailable, ""},
		{ststest.MalformedXML, 1, Malformed, ""},
		{ststest.BadGateway, 3, Unavailable, ""},
		{ststest.OtherService, 1, Malformed, ""},
		{ststest.ExpiredToken, 1, Refused, "ExpiredToken"},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			t.Parallel()
			e, url := ststest.NewTestServer(t)
			e.SeedDemo()
			e.Inject("", tc.fault, tc.fault, tc.fault)
			var retries int
			_, _, err := New(Options{Region: "us-east-1", Endpoint: url, MaxAttempts: 3, MaxBackoff: 10 * time.Millisecond,
				Credentials: credentials.NewStaticCredentialsProvider(ststest.DemoUser.AccessKeyID, ststest.DemoUser.SecretAccessKey, ""),
				OnRetry:     func(int, time.Duration, error) { retries++ },
			}).CallerIdentity(context.Background())
			var se *Error
			if !errors.As(err, &se) || se.Kind != tc.kind || se.Code != tc.code {
				t.Fatalf("err %v (%+v), want kind %s code %q", err, se, tc.kind, tc.code)
			}
			if got := e.CallCount(""); got != tc.calls || retries != tc.calls-1 {
				t.Errorf("calls %d retries %d, want %d calls", got, retries, tc.calls)
			}
		})
	}
}

func TestAccessDeniedIsNotRetried(t *testing.T) {
	t.Parallel()
	e, url := ststest.NewTestServer(t)
	e.SeedDemo()
	_, err := client(url, 5).AssumeRole(context.Background(), AssumeRoleInput{RoleARN: "arn:aws:iam::222222222222:role/nope", SessionName: "x1", Duration: 900})
	var se *Error
	if !errors.As(err, &se) || se.Kind != Refused || se.Code != "AccessDenied" || se.Status != 403 || se.RequestID == "" {
		t.Fatalf("%+v", err)
	}
	if e.CallCount("") != 1 {
		t.Errorf("AccessDenied was retried: %d calls", e.CallCount(""))
	}
}

func TestDeadlineIsTimedOut(t *testing.T) {
	t.Parallel()
	e, url := ststest.NewTestServer(t)
	e.SeedDemo()
	e.Inject("", ststest.Hang)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err := client(url, 3).CallerIdentity(ctx)
	var se *Error
	if !errors.As(err, &se) || se.Kind != TimedOut {
		t.Fatalf("%v", err)
	}
}

func TestAccountOf(t *testing.T) {
	t.Parallel()
	for arn, want := range map[string]string{
		"arn:aws:sts::123456789012:assumed-role/r/s": "123456789012",
		"arn:aws-cn:iam::123456789012:role/r":        "123456789012",
		"arn:aws:iam::aws:policy/ReadOnlyAccess":     "",
		"arn:aws:iam::12345678901x:role/r":           "",
		"not an arn":                                 "",
		"":                                           "",
	} {
		if got := AccountOf(arn); got != want {
			t.Errorf("AccountOf(%q) = %q, want %q", arn, got, want)
		}
	}
}

// FuzzClassify: any API error with any status and code gets a kind, and the
// kind follows the rule: 5xx and throttling are Unavailable, other answers
// Refused.
func FuzzClassify(f *testing.F) {
	f.Add(403, "AccessDenied", "User: x is not authorized")
	f.Add(400, "Throttling", "Rate exceeded")
	f.Add(503, "ServiceUnavailable", "")
	f.Add(200, "", "")
	f.Add(400, "IDPCommunicationError", "Couldn't reach the identity provider")
	f.Fuzz(func(t *testing.T, status int, code, msg string) {
		if status < 100 || status > 599 {
			return
		}
		api := &smithy.GenericAPIError{Code: code, Message: msg}
		resp := &smithyhttp.Response{Response: &http.Response{StatusCode: status, Header: http.Header{}}}
		var err error = &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{Response: resp, Err: api}}
		if code == "" {
			err = &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{Response: resp, Err: errors.New("boom")}}
		}
		var se *Error
		if !errors.As(classify(context.Background(), "Op", err), &se) || se.Kind == 0 || se.Kind.String() == "unknown" {
			t.Fatalf("no kind for %d %q", status, code)
		}
		if code != "" {
			want := Refused
			if status >= 500 || isThrottle(code) || code == "IDPCommunicationError" {
				want = Unavailable
			}
			if se.Kind != want {
				t.Fatalf("%d %q: kind %s, want %s", status, code, se.Kind, want)
			}
		}
		if !strings.HasPrefix(se.Error(), "sts:Op ") {
			t.Fatalf("message %q", se.Error())
		}
	})
}

var _ aws.Retryer = notifyingRetryer{}

// TestEndpoint: the URL comes from the SDK's endpoint rules, with the same
// FIPS and dual-stack hosts the AWS CLI resolves.
func TestEndpoint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Region: "us-east-1"}, "https://sts.us-east-1.amazonaws.com"},
		{Options{Region: "eu-west-1", UseFIPS: true}, "https://sts-fips.eu-west-1.amazonaws.com"},
		{Options{Region: "us-east-1", UseDualStack: true}, "https://sts.us-east-1.api.aws"},
		{Options{Region: "us-east-1", UseFIPS: true, UseDualStack: true}, "https://sts-fips.us-east-1.api.aws"},
		{Options{Region: "us-gov-west-1", UseFIPS: true}, "https://sts.us-gov-west-1.amazonaws.com"},
		{Options{Region: "cn-north-1"}, "https://sts.cn-north-1.amazonaws.com.cn"},
		{Options{Region: "us-east-1", Endpoint: "http://127.0.0.1:9000"}, "http://127.0.0.1:9000"},
	} {
		got, err := New(tc.o).Endpoint(context.Background())
		if err != nil || got != tc.want {
			t.Errorf("%+v: %q, %v; want %q", tc.o, got, err, tc.want)
		}
	}
}
