package action

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSelfHostedFacts(t *testing.T) {
	t.Parallel()
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	imdsErr := errors.New("no EC2 IMDS role found, operation error ec2imds: GetMetadata, canceled")
	for _, tc := range []struct {
		name string
		env  []string
		err  error
		want *SelfHosted
		hint []string // in the hint, in this order
	}{
		{name: "github-hosted", env: []string{"RUNNER_ENVIRONMENT=github-hosted", "RUNNER_TEMP=/github/runner_temp"}, err: imdsErr},
		{name: "container, IMDS", env: []string{"RUNNER_ENVIRONMENT=self-hosted", "RUNNER_TEMP=/github/runner_temp"}, err: imdsErr,
			want: &SelfHosted{InContainer: true, IMDS: true}, hint: []string{"Likely cause", "hop limit", "This action runs in a container"}},
		{name: "IMDS disabled", env: []string{"RUNNER_ENVIRONMENT=self-hosted", "RUNNER_TEMP=/github/runner_temp", "AWS_EC2_METADATA_DISABLED=true"}, err: imdsErr,
			want: &SelfHosted{InContainer: true}, hint: []string{"This action runs in a container"}},
		{name: "token file missing, then IMDS", env: []string{"RUNNER_ENVIRONMENT=self-hosted", "RUNNER_TEMP=/github/runner_temp", "AWS_WEB_IDENTITY_TOKEN_FILE=/nonexistent/token"},
			err: imdsErr, want: &SelfHosted{InContainer: true, TokenFile: "/nonexistent/token", IMDS: true},
			hint: []string{"Likely cause", "/nonexistent/token", "web-identity-token-file", "Or the EC2 instance metadata service"}},
		{name: "token file readable", env: []string{"RUNNER_ENVIRONMENT=self-hosted", "RUNNER_TEMP=/home/r/_work/_temp", "AWS_WEB_IDENTITY_TOKEN_FILE=" + token},
			want: &SelfHosted{}, hint: []string{"runner's user on its machine"}},
	} {
		env := &Env{Environ: tc.env}
		env.init()
		got := selfHostedFacts(env, tc.err)
		switch {
		case tc.want == nil && got != nil, tc.want != nil && (got == nil || *got != *tc.want):
			t.Errorf("%s: facts %+v, want %+v", tc.name, got, tc.want)
			continue
		case got == nil:
			continue
		}
		h, at := got.hint(), 0
		for _, w := range tc.hint {
			i := strings.Index(h[at:], w)
			if i < 0 {
				t.Errorf("%s: hint lacks %q after offset %d:\n%s", tc.name, w, at, h)
				break
			}
			at += i + len(w)
		}
		if strings.Contains(h, "hop limit") && !got.InContainer {
			t.Errorf("%s: the hop limit is a container's problem:\n%s", tc.name, h)
		}
	}
}
