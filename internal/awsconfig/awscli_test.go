package awsconfig_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/awsconfig"
)

// awsCLI returns the path of the AWS CLI. CI must have it, since there this
// test is the proof that the CLI reads what Write produces.
func awsCLI(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the AWS CLI is required on CI: %v", err)
		}
		t.Skipf("the AWS CLI is not installed (%v); install it to check that it reads the files Write produces", err)
	}
	return path
}

// TestAWSCLIReadsProfiles writes profiles into the realistic files, in both
// line ending styles, and asks the real AWS CLI for their settings and for
// the settings of profiles that were there before.
func TestAWSCLIReadsProfiles(t *testing.T) {
	t.Parallel()
	aws := awsCLI(t)
	keys := session
	keys.Name = "a.b+c=d,e@f-g_h"
	proc := awsconfig.Profile{Name: "proc", Region: "ap-south-1", CredentialProcess: "/bin/echo {}"}
	def := session
	def.Name, def.Region = "default", "sa-east-1"

	for _, nl := range []string{"\n", "\r\n"} {
		t.Run(strings.ReplaceAll(strings.ReplaceAll(nl, "\r", "CR"), "\n", "LF"), func(t *testing.T) {
			t.Parallel()
			crlf := func(s string) string { return strings.ReplaceAll(s, "\n", nl) }
			f := existingFiles(t, crlf(fixture(t, "credentials")), crlf(fixture(t, "config")))
			for _, p := range []awsconfig.Profile{keys, proc, def} {
				if err := awsconfig.Write(f, p, true); err != nil {
					t.Fatal(err)
				}
			}
			home := filepath.Dir(filepath.Dir(f.Config))
			tests := []struct{ profile, key, want string }{
				{keys.Name, "aws_access_key_id", keys.AccessKeyID},
				{keys.Name, "aws_secret_access_key", keys.SecretAccessKey},
				{keys.Name, "aws_session_token", keys.SessionToken},
				{keys.Name, "region", keys.Region},
				{"proc", "credential_process", proc.CredentialProcess},
				{"proc", "region", proc.Region},
				{"default", "aws_access_key_id", def.AccessKeyID},
				{"default", "region", def.Region},
				{"legacy", "aws_access_key_id", "AKIAI44QH8DTEXAMPLE"},
				{"staging", "region", "eu-west-1"},
				{"staging", "s3.addressing_style", "path"},
				{"prod", "role_arn", "arn:aws:iam::444455556666:role/Deploy"},
			}
			for _, tc := range tests {
				cmd := exec.Command(aws, "configure", "get", tc.key, "--profile", tc.profile)
				cmd.Env = []string{
					"HOME=" + home,
					"PATH=" + os.Getenv("PATH"),
					"AWS_SHARED_CREDENTIALS_FILE=" + f.Credentials,
					"AWS_CONFIG_FILE=" + f.Config,
					"AWS_EC2_METADATA_DISABLED=true",
				}
				out, err := cmd.CombinedOutput()
				if got := strings.TrimSpace(string(out)); err != nil || got != tc.want {
					t.Errorf("aws configure get %s --profile %s = %q, %v; want %q", tc.key, tc.profile, got, err, tc.want)
				}
			}
		})
	}
}
