package action

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/assume-role/assume-role/internal/inputs"
	"github.com/assume-role/assume-role/internal/refresh"
)

// TestPlanRefresh: how a refreshing profile will renew is decided from the
// inputs and the step's environment alone, before any STS call, and the
// spec never lets a renewal read keys from its own environment.
func TestPlanRefresh(t *testing.T) {
	t.Parallel()
	role := "arn:aws:iam::222222222222:role/deploy"
	keys := []string{"aws-access-key-id", "AKIAEXAMPLEEXAMPLE01", "aws-secret-access-key", "secret"}
	for _, tc := range []struct {
		name    string
		inputs  []string
		env     []string
		flow    string
		refused string // part of the refusal's problem
		spec    map[string]string
	}{
		{name: "keys", inputs: keys, flow: refresh.FlowKeys,
			spec: map[string]string{"AWS-ACCESS-KEY-ID": "AKIAEXAMPLEEXAMPLE01", "UNSET-CURRENT-CREDENTIALS": "true", "USE-EXISTING-CREDENTIALS": "false"}},
		{name: "OIDC", env: []string{"ACTIONS_ID_TOKEN_REQUEST_URL=http://x/?a=b", "ACTIONS_ID_TOKEN_REQUEST_TOKEN=t"}, flow: refresh.FlowOIDC,
			spec: map[string]string{"AWS-ACCESS-KEY-ID": "", "FORCE-SKIP-OIDC": ""}},
		{name: "token file", inputs: []string{"web-identity-token-file", "token.jwt"}, flow: refresh.FlowTokenFile,
			spec: map[string]string{"WEB-IDENTITY-TOKEN-FILE": "token.jwt"}},
		// The runner translated the input for the action's container; the
		// renewal runs in a later step on the host.
		{name: "token file in the runner's temp directory", inputs: []string{"web-identity-token-file", "/github/runner_temp/token.jwt"},
			flow: refresh.FlowTokenFile, spec: map[string]string{"WEB-IDENTITY-TOKEN-FILE": "/home/runner/work/_temp/token.jwt"}},
		{name: "ambient", flow: refresh.FlowAmbient, spec: map[string]string{"FORCE-SKIP-OIDC": "true", "AWS-ACCESS-KEY-ID": ""}},
		{name: "long-term keys in the environment", env: []string{"AWS_ACCESS_KEY_ID=AKIAENVIRONMENT00001", "AWS_SECRET_ACCESS_KEY=s"},
			flow: refresh.FlowKeys, spec: map[string]string{"AWS-ACCESS-KEY-ID": "AKIAENVIRONMENT00001", "AWS-SECRET-ACCESS-KEY": "s"}},
		{name: "a session in the environment", env: []string{"AWS_ACCESS_KEY_ID=ASIAENVIRONMENT00001", "AWS_SECRET_ACCESS_KEY=s", "AWS_SESSION_TOKEN=t"},
			refused: "temporary keys"},
		{name: "a session in the environment, ignored", inputs: []string{"unset-current-credentials", "true"},
			env: []string{"AWS_ACCESS_KEY_ID=ASIAENVIRONMENT00001", "AWS_SECRET_ACCESS_KEY=s", "AWS_SESSION_TOKEN=t"}, flow: refresh.FlowAmbient},
		{name: "temporary keys as inputs", inputs: append([]string{"aws-session-token", "t"}, keys...), refused: "temporary"},
		{name: "chaining", inputs: []string{"role-chaining", "true"}, refused: "chained"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw := map[string]string{"INPUT_AWS-REGION": "us-east-1", "INPUT_ROLE-TO-ASSUME": role,
				"INPUT_AWS-PROFILE": "deploy", "INPUT_REFRESH-CREDENTIALS": "true"}
			for i := 0; i+1 < len(tc.inputs); i += 2 {
				raw[inputs.Prefix+strings.ToUpper(tc.inputs[i])] = tc.inputs[i+1]
			}
			cfg, err := inputs.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			env := &Env{Environ: tc.env, MachineCredentials: func(context.Context, string) (aws.CredentialsProvider, error) { return nil, nil }}
			env.init()
			r := &runner{env: env, cfg: cfg, raw: raw}
			p, err := r.planRefresh(&profilePlace{toHost: actionMounts("/home/runner/work/repo")})
			if tc.refused != "" {
				var ie *inputs.InputError
				if !errors.As(err, &ie) || ie.Input != "refresh-credentials" || !strings.Contains(ie.Problem, tc.refused) {
					t.Fatalf("got %v, want a refusal about %q", err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.spec.Flow != tc.flow {
				t.Errorf("flow %q, want %q", p.spec.Flow, tc.flow)
			}
			if got := p.spec.Inputs["INPUT_UNSET-CURRENT-CREDENTIALS"]; got != "true" {
				t.Errorf("a renewal may read the environment's keys: unset-current-credentials %q", got)
			}
			for k, v := range tc.spec {
				if got := p.spec.Inputs[inputs.Prefix+k]; got != v {
					t.Errorf("spec %s = %q, want %q", k, got, v)
				}
			}
			if r.machineOnly != (tc.flow == refresh.FlowAmbient) {
				t.Errorf("machineOnly %v for flow %s", r.machineOnly, tc.flow)
			}
			// The renewal parses what the spec holds, as the step did.
			if _, err := inputs.Parse(p.spec.Inputs); err != nil {
				t.Errorf("the spec's inputs do not parse: %v", err)
			}
		})
	}
}
