package action

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"

	"github.com/assume-role/assume-role/internal/logcmd"
	"github.com/assume-role/assume-role/internal/ststest"
)

// TestCredentialProcessOutputIsNeverPrinted: the SDK's processcreds error
// holds the process's whole output, so a credential_process that prints
// its secret in a shape the SDK cannot read would put the secret into the
// step's ::error:: (and the CLI's stderr). The message says what went
// wrong without it.
func TestCredentialProcessOutputIsNeverPrinted(t *testing.T) {
	t.Parallel()
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYPROCESSSECRET"
	for _, tc := range []struct {
		name, command, says string
	}{
		{"not-json", `printf 'AccessKeyId=AKIAPROCESS000000001 SecretAccessKey=` + secret + `'`,
			"printed something other than the credentials JSON"},
		{"wrong-version", `printf '{"Version":2,"AccessKeyId":"AKIAPROCESS000000001","SecretAccessKey":"` + secret + `"}'`,
			"gave no usable credentials"},
		{"bad-expiration", `printf '{"Version":1,"AccessKeyId":"AKIAPROCESS000000001","SecretAccessKey":"` + secret + `","Expiration":"2030-01-01 00:00:00"}'`,
			"printed something other than the credentials JSON"},
		{"exit-status", `printf '` + secret + `'; exit 3`, "exited with status 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStep(t, "aws-region", "us-east-1", "sts-endpoint", "http://127.0.0.1:1", "role-to-assume", ststest.DemoRole.ARN,
				"force-skip-oidc", "true")
			var p aws.CredentialsProvider = processcreds.NewProvider(tc.command)
			err := s.run(context.Background(), p)
			if err == nil {
				t.Fatal("want an error")
			}
			var log strings.Builder
			code := Report(logcmd.New(&log), err)
			all := s.stdout.String() + log.String()
			if strings.Contains(all, secret) || strings.Contains(all, "AKIAPROCESS") {
				t.Errorf("the process's output reached the log:\n%s", all)
			}
			if code != ExitBadInput || !strings.Contains(log.String(), tc.says) {
				t.Errorf("exit %d, report %q; want exit %d saying %q", code, log.String(), ExitBadInput, tc.says)
			}
		})
	}
}
