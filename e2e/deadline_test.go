package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// stallingServer sends a 200's headers and the start of a body, then
// nothing until the client gives up: only a deadline that covers the body
// ends such an attempt.
func stallingServer(t *testing.T, start string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(start))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestStalledBodyIsGivenUp: STS or GitHub's token service that stalls
// after the headers costs one attempt's deadline (10 s) or the step's, not
// the job's six hours.
func TestStalledBodyIsGivenUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		inputs       func(url string) map[string]string
		env          func(url string) map[string]string
		within       time.Duration
		errorSays    string
		errorSaysNot string
	}{
		{name: "sts", within: 15 * time.Second, errorSays: "unavailable", errorSaysNot: "malformed",
			inputs: func(u string) map[string]string {
				return with(u, "role-to-assume", ststest.DemoRole.ARN, "retry-max-attempts", "1")
			}},
		// Five token attempts of 10 s would be 50 s; the step's deadline
		// ends it first.
		{name: "oidc-token-endpoint", within: 18 * time.Second, errorSays: "ran out of time (action-timeout-s is 12)",
			inputs: func(string) map[string]string {
				return keyless("http://127.0.0.1:9", "role-to-assume", ststest.DemoOIDCRole.ARN, "action-timeout-s", "12")
			},
			env: func(u string) map[string]string {
				return map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": u + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token-xyz"}
			}},
		// Without one, two stalled attempts of 10 s make the token service
		// count as stuck.
		{name: "oidc-token-endpoint-default-deadline", within: 23 * time.Second, errorSays: "no whole answer within 10s",
			inputs: func(string) map[string]string {
				return keyless("http://127.0.0.1:9", "role-to-assume", ststest.DemoOIDCRole.ARN)
			},
			env: func(u string) map[string]string {
				return map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": u + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token-xyz"}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := stallingServer(t, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>`)
			job := runnertest.NewJob(t, manifest)
			s := runnertest.Step{Inputs: tc.inputs(url), Timeout: 40 * time.Second}
			if tc.env != nil {
				s.Env = tc.env(url)
			}
			r := job.Run(t, runnertest.Binary(binary), s)
			if r.ExitCode != 4 || r.Duration > tc.within {
				t.Fatalf("exit %d after %s, want 4 within %s\n%s", r.ExitCode, r.Duration.Round(time.Second), tc.within, r.Stdout)
			}
			errs := strings.Join(r.Errors(), "")
			if !strings.Contains(errs, tc.errorSays) || (tc.errorSaysNot != "" && strings.Contains(errs, tc.errorSaysNot)) {
				t.Errorf("error %q, want it to say %q", errs, tc.errorSays)
			}
			if r.EnvFile != "" {
				t.Errorf("exported %q", r.EnvFile)
			}
		})
	}
}
