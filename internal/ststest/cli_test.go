package ststest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/assume-role/assume-role/internal/ststest"
)

// awsCLI is the AWS CLI v2 the end-to-end tests use. The absolute path
// matters: a developer's PATH may find a v1 shim first, and v1 signs with a
// different botocore.
const awsCLI = "/usr/bin/aws"

// TestAWSCLI checks that requests signed by botocore, which signs other
// headers than the Go SDK (content-type;host;x-amz-date[;x-amz-security-token],
// without content-length), verify, and that the CLI parses the answers.
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(awsCLI); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", awsCLI, err)
		}
		t.Skipf("skipping: %s not found (%v); install the AWS CLI v2 to run the botocore tests", awsCLI, err)
	}
	emu, url := demoServer(t)
	session := assumeDemo(t, url, "for-cli")

	tests := []struct {
		name     string
		creds    aws.Credentials
		args     []string
		wantARN  func(out map[string]any) any // extracts the ARN from the JSON output
		want     string
		wantFail string // substring of stderr when the command must fail
	}{
		{
			name:    "get-caller-identity with an issued session",
			creds:   sessionCreds(session),
			args:    []string{"sts", "get-caller-identity"},
			wantARN: func(out map[string]any) any { return out["Arn"] },
			want:    "arn:aws:sts::222222222222:assumed-role/deploy/for-cli",
		},
		{
			name:    "assume-role with long-term keys",
			creds:   userCreds(ststest.DemoUser),
			args:    []string{"sts", "assume-role", "--role-arn", ststest.DemoRole.ARN, "--role-session-name", "cli"},
			wantARN: assumedARN,
			want:    "arn:aws:sts::222222222222:assumed-role/deploy/cli",
		},
		{
			name:  "assume-role with every list parameter",
			creds: userCreds(ststest.DemoUser),
			args: []string{"sts", "assume-role", "--role-arn", ststest.DemoExternalIDRole.ARN, "--role-session-name", "cli-full",
				"--external-id", ststest.DemoExternalID, "--duration-seconds", "900",
				"--policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
				"--policy-arns", "arn=arn:aws:iam::aws:policy/ReadOnlyAccess",
				"--tags", "Key=repo,Value=octo/app", "Key=ref,Value=refs/heads/main",
				"--transitive-tag-keys", "repo",
				"--source-identity", "octocat"},
			wantARN: assumedARN,
			want:    "arn:aws:sts::222222222222:assumed-role/audit/cli-full",
		},
		{
			name:     "wrong secret",
			creds:    aws.Credentials{AccessKeyID: ststest.DemoUser.AccessKeyID, SecretAccessKey: "not/the+right=secret"},
			args:     []string{"sts", "get-caller-identity"},
			wantFail: "An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity operation",
		},
		{
			name:  "expired session",
			creds: sessionCreds(assumeDemo(t, url, "expired")),
			args:  []string{"sts", "get-caller-identity"},
			// botocore retries ExpiredToken after refreshing credentials,
			// hence the retry note between operation and message.
			wantFail: "An error occurred (ExpiredToken) when calling the GetCallerIdentity operation",
		},
	}
	emu.Expire(tests[len(tests)-1].creds.AccessKeyID)

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			args := append(tc.args, "--endpoint-url", url, "--region", ststest.DemoRegion, "--output", "json")
			cmd := exec.CommandContext(ctx, awsCLI, args...)
			cmd.Env = []string{
				"PATH=/usr/bin:/bin",
				"HOME=" + t.TempDir(),
				"AWS_CONFIG_FILE=/dev/null",
				"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
				"AWS_EC2_METADATA_DISABLED=true",
				"AWS_PAGER=",
				"AWS_MAX_ATTEMPTS=1",
				"AWS_ACCESS_KEY_ID=" + tc.creds.AccessKeyID,
				"AWS_SECRET_ACCESS_KEY=" + tc.creds.SecretAccessKey,
			}
			if tc.creds.SessionToken != "" {
				cmd.Env = append(cmd.Env, "AWS_SESSION_TOKEN="+tc.creds.SessionToken)
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()

			if tc.wantFail != "" {
				var exit *exec.ExitError
				if !errors.As(err, &exit) || !strings.Contains(stderr.String(), tc.wantFail) {
					t.Errorf("err = %v, stderr = %q; want a failure mentioning %q", err, stderr.String(), tc.wantFail)
				}
				return
			}
			if err != nil {
				t.Fatalf("aws %s: %v\nstderr: %s", strings.Join(tc.args[:2], " "), err, stderr.String())
			}
			var out map[string]any
			if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
				t.Fatalf("parsing CLI output %q: %v", stdout.String(), err)
			}
			if got := tc.wantARN(out); got != tc.want {
				t.Errorf("ARN = %v, want %s\noutput: %s", got, tc.want, stdout.String())
			}
		})
	}
}

func assumedARN(out map[string]any) any {
	user, _ := out["AssumedRoleUser"].(map[string]any)
	return user["Arn"]
}

// TestAWSCLIWebIdentity checks that botocore, which sends
// AssumeRoleWithWebIdentity unsigned, gets credentials for a token from the
// token server and reads STS's InvalidIdentityToken.
func TestAWSCLIWebIdentity(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(awsCLI); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", awsCLI, err)
		}
		t.Skipf("skipping: %s not found (%v); install the AWS CLI v2 to run the botocore tests", awsCLI, err)
	}
	_, url, issuer, reqURL, reqToken := oidcWorld(t)
	good := fetchToken(t, reqURL, reqToken, ststest.DefaultAudience)

	tests := []struct {
		name     string
		token    string
		wantFail []string // substrings of stderr when the command must fail
	}{
		{name: "token from the endpoint", token: good},
		{name: "wrong audience", token: issuer.Mint("sigstore"),
			// botocore retries InvalidIdentityToken, hence a retry note
			// between operation and message.
			wantFail: []string{"An error occurred (InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity operation", "): Incorrect token audience"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, awsCLI, "sts", "assume-role-with-web-identity",
				"--role-arn", ststest.DemoOIDCRole.ARN, "--role-session-name", "gha",
				"--web-identity-token", tc.token, "--no-sign-request",
				"--endpoint-url", url, "--region", ststest.DemoRegion, "--output", "json")
			// No credentials at all: the call must not need any.
			cmd.Env = []string{
				"PATH=/usr/bin:/bin",
				"HOME=" + t.TempDir(),
				"AWS_CONFIG_FILE=/dev/null",
				"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
				"AWS_EC2_METADATA_DISABLED=true",
				"AWS_PAGER=",
				"AWS_MAX_ATTEMPTS=1",
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if tc.wantFail != nil {
				var exit *exec.ExitError
				for _, want := range tc.wantFail {
					if !errors.As(err, &exit) || !strings.Contains(stderr.String(), want) {
						t.Errorf("err = %v, stderr = %q; want a failure mentioning %q", err, stderr.String(), want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("aws sts assume-role-with-web-identity: %v\nstderr: %s", err, stderr.String())
			}
			var out struct {
				AssumedRoleUser             struct{ Arn string }
				Credentials                 struct{ AccessKeyId, SecretAccessKey, SessionToken string }
				SubjectFromWebIdentityToken string
				Provider, Audience          string
			}
			if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
				t.Fatalf("parsing CLI output %q: %v", stdout.String(), err)
			}
			if out.AssumedRoleUser.Arn != "arn:aws:sts::222222222222:assumed-role/github-deploy/gha" ||
				out.SubjectFromWebIdentityToken != "repo:octo-org/octo-repo:ref:refs/heads/main" ||
				out.Provider != "token.actions.githubusercontent.com" || out.Audience != ststest.DefaultAudience ||
				out.Credentials.SessionToken == "" {
				t.Errorf("output: %s", stdout.String())
			}
		})
	}
}
