package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/ststest"
)

// TestCLISourceProfileEndpointURL: the profile named by --source-profile
// sends its keys where its endpoint_url says, as the AWS CLI does with that
// profile, and not to real regional STS.
func TestCLISourceProfileEndpointURL(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	dir := t.TempDir()
	cfg, creds := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	if err := os.WriteFile(cfg, []byte("[profile src]\nregion = us-east-1\nendpoint_url = "+url+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(creds, []byte("[src]\naws_access_key_id = "+ststest.DemoUser.AccessKeyID+
		"\naws_secret_access_key = "+ststest.DemoUser.SecretAccessKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"AWS_CONFIG_FILE=" + cfg, "AWS_SHARED_CREDENTIALS_FILE=" + creds, "AWS_REGION=us-east-1"}
	out, errOut, code := cli(t, env, "", "--source-profile", "src", "--role-to-assume", ststest.DemoRole.ARN, "--verbose")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	s := lastIssued(t, e)
	if !strings.Contains(out, s.AccessKeyID) || e.CallCount("AssumeRole") != 1 {
		t.Errorf("the session did not come from the profile's endpoint: %q", out)
	}
	if want := "STS endpoint: " + url + " (endpoint_url of profile src)"; !strings.Contains(errOut, want) {
		t.Errorf("the debug log lacks %q:\n%s", want, errOut)
	}
	if calls := e.Calls(); len(calls) == 0 || calls[0].AccessKeyID != ststest.DemoUser.AccessKeyID {
		t.Errorf("the call was not signed with the profile's keys: %+v", calls)
	}
}
