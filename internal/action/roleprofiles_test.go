package action

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/inputs"
	"github.com/assume-role/assume-role/internal/stsclient"
)

func profileResults(now time.Time) []profileResult {
	mk := func(profile, arn, account string) profileResult {
		return profileResult{RoleProfile: inputs.RoleProfile{Profile: profile},
			res: &Result{ARN: arn, Account: account, Source: "the token in /tmp/t|x", Session: &stsclient.Session{Expiration: now.Add(time.Hour)}}}
	}
	return []profileResult{
		mk("dev", "arn:aws:sts::111111111111:assumed-role/deploy/GitHubActions", "111111111111"),
		mk("p|x", "arn:aws:sts::222222222222:assumed-role/deploy/GitHubActions", "222222222222"),
	}
}

// TestProfileExports: the region, blanked keys with
// unset-current-credentials, no session, and the role-profiles output.
func TestProfileExports(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg := &inputs.Config{Region: "eu-west-1", UnsetCurrentCredentials: true}
	e, err := buildProfileExports(cfg, profileResults(now), now)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range e.env {
		names = append(names, v.Name)
		if strings.HasPrefix(v.Name, "AWS_") && v.Name != "AWS_REGION" && v.Name != "AWS_DEFAULT_REGION" && v.Value != "" {
			t.Errorf("%s=%q: no session goes to the env", v.Name, v.Value)
		}
	}
	if got := strings.Join(names, ","); got != "AWS_REGION,AWS_DEFAULT_REGION,AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,AWS_SESSION_TOKEN,AWS_CREDENTIAL_EXPIRATION" {
		t.Errorf("env %s", got)
	}
	if len(e.outputs) != 1 || e.outputs[0].Name != "role-profiles" {
		t.Fatalf("outputs %v", e.outputs)
	}
	var out map[string]ProfileIdentity
	if err := json.Unmarshal([]byte(e.outputs[0].Value), &out); err != nil {
		t.Fatal(err)
	}
	if out["dev"] != (ProfileIdentity{AccountID: "111111111111", AuthenticatedARN: "arn:aws:sts::111111111111:assumed-role/deploy/GitHubActions", Expiration: "2026-01-02T04:04:05Z"}) {
		t.Errorf("dev: %+v", out["dev"])
	}
}

// TestProfilesSummary: one row a profile, each value in its own cell, and
// the accounts left out with mask-aws-account-id.
func TestProfilesSummary(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	md := profilesSummary(&inputs.Config{Region: "us-east-1"}, profileResults(now), now)
	want := "### AWS credentials\n\n| Profile | Identity | Account | Expires |\n|---|---|---|---|\n" +
		"| `dev` | `arn:aws:sts::111111111111:assumed-role/deploy/GitHubActions` | 111111111111 | 2026-01-02T04:04:05Z (in 1h) |\n" +
		"| p\\|x | `arn:aws:sts::222222222222:assumed-role/deploy/GitHubActions` | 222222222222 | 2026-01-02T04:04:05Z (in 1h) |\n" +
		"\nRegion us-east-1; credentials from the token in /tmp/t\\|x. Exported to env: AWS_REGION, AWS_DEFAULT_REGION, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE (select a profile with AWS_PROFILE or --profile).\n"
	if md != want {
		t.Errorf("got\n%s\nwant\n%s", md, want)
	}
	masked := profilesSummary(&inputs.Config{Region: "us-east-1", MaskAccountID: true}, profileResults(now), now)
	if strings.Contains(masked, "111111111111") || strings.Contains(masked, "222222222222") {
		t.Errorf("mask-aws-account-id: accounts in the summary:\n%s", masked)
	}
}
