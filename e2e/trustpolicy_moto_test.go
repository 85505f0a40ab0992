package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrustPolicyCommandsAgainstMotoIAM runs what trust-policy prints with
// the AWS CLI against moto's IAM, an implementation we did not write: the
// provider command creates the provider the policy names as its principal,
// and IAM takes the policy as a role's trust policy.
func TestTrustPolicyCommandsAgainstMotoIAM(t *testing.T) {
	t.Parallel()
	requireTool(t, awsCLI, "awscli")
	m := startMoto(t)
	account := "123456789012" // moto's account
	stdout, stderr, code := cli(t, nil, "", "trust-policy", "--account", account,
		"--repository", "octo-org/octo-repo", "--branch", "main", "--tag", "v*")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var provider string
	for line := range strings.Lines(stderr) {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "aws iam create-open-id-connect-provider ") {
			provider = l
		}
	}
	if provider == "" || strings.ContainsAny(provider, `'"$`) {
		t.Fatalf("no provider command (without quoting, so that it splits on spaces) in:\n%s", stderr)
	}

	awsRun := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(awsCLI, append(args, "--endpoint-url", m.raw, "--output", "json")...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "AWS_ACCESS_KEY_ID=" + motoKeyID,
			"AWS_SECRET_ACCESS_KEY=" + motoSecret, "AWS_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null",
			"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true"}
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, e.String())
		}
		return o.String()
	}
	var created struct{ OpenIDConnectProviderArn string }
	if err := json.Unmarshal([]byte(awsRun(strings.Fields(provider)[1:]...)), &created); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct{ Principal struct{ Federated string } }
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if got, want := created.OpenIDConnectProviderArn, doc.Statement[0].Principal.Federated; got != want {
		t.Errorf("the command created %s, the policy trusts %s", got, want)
	}

	path := filepath.Join(t.TempDir(), "trust.json")
	if err := os.WriteFile(path, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	awsRun("iam", "create-role", "--role-name", "github-deploy", "--assume-role-policy-document", "file://"+path)
	var role struct {
		Role struct{ AssumeRolePolicyDocument json.RawMessage }
	}
	if err := json.Unmarshal([]byte(awsRun("iam", "get-role", "--role-name", "github-deploy")), &role); err != nil {
		t.Fatal(err)
	}
	var stored, printed any
	_ = json.Unmarshal(role.Role.AssumeRolePolicyDocument, &stored)
	_ = json.Unmarshal([]byte(stdout), &printed)
	if s, _ := json.Marshal(stored); !bytes.Equal(s, mustJSON(t, printed)) {
		t.Errorf("IAM keeps another policy:\n%s\nprinted:\n%s", s, stdout)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
