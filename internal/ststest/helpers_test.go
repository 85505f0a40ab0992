package ststest_test

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/assume-role/assume-role/internal/ststest"
)

// newClient returns an SDK STS client for the emulator at url, signing with
// creds, with retries off unless an option turns them back on.
func newClient(url string, creds aws.Credentials, optFns ...func(*sts.Options)) *sts.Client {
	return sts.New(sts.Options{
		Region:       ststest.DemoRegion,
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
		Retryer:      aws.NopRetryer{},
	}, optFns...)
}

func userCreds(u ststest.User) aws.Credentials {
	return aws.Credentials{AccessKeyID: u.AccessKeyID, SecretAccessKey: u.SecretAccessKey}
}

func sessionCreds(c ststest.Credentials) aws.Credentials {
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
}

// demoServer starts an emulator seeded with the demo world.
func demoServer(t *testing.T, opts ...ststest.Option) (*ststest.Emulator, string) {
	t.Helper()
	emu, url := ststest.NewTestServer(t, opts...)
	emu.SeedDemo()
	return emu, url
}

// assumeDemo assumes DemoRole as DemoUser and returns the session.
func assumeDemo(t *testing.T, url, session string) ststest.Credentials {
	t.Helper()
	out, err := newClient(url, userCreds(ststest.DemoUser)).AssumeRole(t.Context(), &sts.AssumeRoleInput{
		RoleArn:         aws.String(ststest.DemoRole.ARN),
		RoleSessionName: aws.String(session),
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	c := out.Credentials
	return ststest.Credentials{
		AccessKeyID:     aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken:    aws.ToString(c.SessionToken),
		Expiration:      aws.ToTime(c.Expiration),
		ARN:             aws.ToString(out.AssumedRoleUser.Arn),
	}
}

// apiError is what an SDK caller can learn from a failed STS call.
type apiError struct {
	status  int
	code    string
	message string
}

func asAPIError(t *testing.T, err error) apiError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not a smithy.APIError", err, err)
	}
	got := apiError{code: ae.ErrorCode(), message: ae.ErrorMessage()}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		got.status = re.HTTPStatusCode()
	}
	return got
}

// signedRequest builds a request signed like an SDK would, for tests that
// need control over the wire.
type signedRequest struct {
	method   string
	params   url.Values
	creds    aws.Credentials
	signedAt time.Time
	region   string
	service  string
}

func (s signedRequest) do(t *testing.T, base string) (*http.Response, string) {
	t.Helper()
	method := cmp.Or(s.method, http.MethodPost)
	var body string
	u := base + "/"
	if method == http.MethodGet {
		u += "?" + s.params.Encode()
	} else {
		body = s.params.Encode()
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	if s.creds.AccessKeyID != "" {
		sum := sha256.Sum256([]byte(body))
		at := s.signedAt
		if at.IsZero() {
			at = time.Now()
		}
		err := v4.NewSigner().SignHTTP(context.Background(), s.creds, req, hex.EncodeToString(sum[:]),
			cmp.Or(s.service, "sts"), cmp.Or(s.region, "us-east-1"), at)
		if err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}
