//go:build linux

package e2e

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// hopLimitIMDS is an EC2 instance metadata service as a container on
// Docker's bridge network meets it with IMDSv2 required and the default hop
// limit of 1: the answer to the token request never arrives (its packets
// die one hop short), and a request without a token is refused.
func hopLimitIMDS(t *testing.T) string {
	t.Helper()
	done := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			select {
			case <-r.Context().Done():
			case <-done:
			}
			return
		}
		http.Error(w, "", http.StatusUnauthorized)
	}))
	t.Cleanup(func() { close(done); s.Close() })
	return s.URL
}

var portRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)

// TestSelfHostedNoCredentials: on a self-hosted runner, when the AWS SDK's
// default chain finds nothing from inside the action's container, the one
// error names the likely cause and the ways out.
func TestSelfHostedNoCredentials(t *testing.T) {
	t.Parallel()
	runnertest.RequireIsolation(t)
	for _, tc := range []struct {
		name   string
		env    map[string]string
		inputs []string
	}{
		{name: "self-hosted-imds-hop-limit", inputs: []string{"role-to-assume", ststest.DemoRole.ARN}},
		{name: "self-hosted-token-file", inputs: []string{"role-to-assume", "<unset>"}, env: map[string]string{
			"AWS_EC2_METADATA_DISABLED":   "true",
			"AWS_ROLE_ARN":                ststest.DemoOIDCRole.ARN,
			"AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, url := world(t)
			job := runnertest.NewJob(t, manifest)
			job.Env["RUNNER_ENVIRONMENT"] = "self-hosted"
			env := map[string]string{"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
				"AWS_EC2_METADATA_SERVICE_ENDPOINT": hopLimitIMDS(t)}
			for k, v := range tc.env {
				env[k] = v
			}
			start := time.Now()
			r := job.Run(t, runnertest.Isolated(binary, runnertest.ContainerMounts), runnertest.Step{Env: env,
				Inputs: with(url, append([]string{"aws-access-key-id", "", "aws-secret-access-key", ""}, tc.inputs...)...)})
			t.Logf("failed in %s", time.Since(start).Round(time.Millisecond))
			if r.ExitCode != 2 {
				t.Errorf("exit %d, want 2\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
			}
			if r.EnvFile != "" || r.OutputFile != "" {
				t.Errorf("a failed step exported something: %q %q", r.EnvFile, r.OutputFile)
			}
			if got := e.CallCount(""); got != 0 {
				t.Errorf("STS saw %d calls", got)
			}
			errs := r.Errors()
			if len(errs) != 1 {
				t.Fatalf("want one ::error::, got %q", errs)
			}
			golden(t, "errors/"+tc.name+".golden", portRE.ReplaceAllString(normalize(errs[0]+"\n", url, nil), "<IMDS>"))
		})
	}
}
