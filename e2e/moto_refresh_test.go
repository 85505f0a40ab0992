//go:build linux

package e2e

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/runnertest"
)

// TestMotoRefreshRepeatsTheRequest: the renewal a refresh profile makes is
// the step's own AssumeRole again, with every list and policy intact.
func TestMotoRefreshRepeatsTheRequest(t *testing.T) {
	t.Parallel()
	m := startMoto(t)
	job := runnertest.NewJob(t, manifest)
	profile := strings.Repeat("p", 60)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: motoInputs(m,
		"role-to-assume", "arn:aws:iam::222222222222:role/deploy", "aws-profile", profile, "refresh-credentials", "true",
		"role-session-name", "renewed", "role-external-id", "ext-4711",
		"inline-session-policy", `{"Version":"2012-10-17","Statement":[{"Sid":"a #b","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
		"managed-session-policies", "arn:aws:iam::aws:policy/ReadOnlyAccess\narn:aws:iam::222222222222:policy/extra",
		"custom-tags", "{\n  \"Team\": \"payments\",\n  \"Cost Center\": \"42\"\n}",
		"transitive-tag-keys", "Team\nCost Center")})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	_, first := m.answer(t, "AssumeRole")
	if _, code, stderr := profileIdentity(t, job, m.URL, profile); code != 0 {
		t.Fatalf("aws --profile: exit %d\n%s", code, stderr)
	}
	if len(m.calls("AssumeRole")) == 1 {
		removeFilesHolding(t, filepath.Dir(r.Env["AWS_CONFIG_FILE"]), first.Credentials.AccessKeyID)
		if _, code, stderr := profileIdentity(t, job, m.URL, profile); code != 0 {
			t.Fatalf("aws --profile after the cache: exit %d\n%s", code, stderr)
		}
	}
	assumes := m.calls("AssumeRole")
	if len(assumes) != 2 {
		t.Fatalf("want the step's AssumeRole and one renewal, got %d", len(assumes))
	}
	step, renewal := assumes[0].Params, assumes[1].Params
	for k := range step {
		if !strings.HasPrefix(k, "Tags.") && step.Get(k) != renewal.Get(k) {
			t.Errorf("the renewal sent %s = %q, the step %q", k, renewal.Get(k), step.Get(k))
		}
	}
	tagsOf := func(p url.Values) map[string]string {
		tags := map[string]string{}
		for i := 1; p.Get(fmt.Sprintf("Tags.member.%d.Key", i)) != ""; i++ {
			tags[p.Get(fmt.Sprintf("Tags.member.%d.Key", i))] = p.Get(fmt.Sprintf("Tags.member.%d.Value", i))
		}
		return tags
	}
	st, rt := tagsOf(step), tagsOf(renewal)
	if rt["Team"] != "payments" || rt["Cost Center"] != "42" || len(rt) != len(st) {
		t.Errorf("the renewal's tags %v, the step's %v", rt, st)
	}
	if renewal.Get("TransitiveTagKeys.member.2") != "Cost Center" || renewal.Get("PolicyArns.member.2.arn") == "" {
		t.Errorf("the renewal lost lists: %v", renewal)
	}
}
