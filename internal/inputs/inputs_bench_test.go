package inputs_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/inputs"
	"github.com/assume-role/assume-role/internal/runnertest"
)

// benchInputs returns what the runner passes: INPUT_* for every input of
// action.yml, its default unless with sets it.
func benchInputs(b *testing.B, with map[string]string) map[string]string {
	b.Helper()
	m, err := runnertest.LoadManifest("../../action.yml")
	if err != nil {
		b.Fatal(err)
	}
	raw := map[string]string{}
	for name, in := range m.Inputs {
		raw[inputs.Prefix+strings.ToUpper(name)] = in.Default
	}
	for name, v := range with {
		if _, ok := m.Inputs[name]; !ok {
			b.Fatalf("input %q is not in action.yml", name)
		}
		raw[inputs.Prefix+strings.ToUpper(name)] = v
	}
	return raw
}

var benchKeysRole = map[string]string{
	"aws-region":            "us-east-1",
	"aws-access-key-id":     "AKIAEMULATORDEMO0001",
	"aws-secret-access-key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCY=EMULATOR1",
	"role-to-assume":        "arn:aws:iam::222222222222:role/deploy",
	"allowed-account-ids":   "222222222222",
}

// benchEverything sets every input that takes work to check.
func benchEverything() map[string]string {
	m := maps.Clone(benchKeysRole)
	maps.Copy(m, map[string]string{
		"role-session-name":        "release-42",
		"role-duration-seconds":    "1800",
		"role-external-id":         "demo-external-id",
		"inline-session-policy":    `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}`,
		"managed-session-policies": "arn:aws:iam::aws:policy/ReadOnlyAccess\narn:aws:iam::222222222222:policy/extra\n",
		"custom-tags":              `{"Team": "payments", "CostCenter": "1234"}`,
		"transitive-tag-keys":      "Team\nRepository",
		"sts-endpoint":             "https://sts.us-east-1.amazonaws.com",
		"aws-profile":              "prod",
		"action-timeout-s":         "300",
	})
	return m
}

// BenchmarkParse parses and validates the inputs of a step: the usual
// keys+role step, and one that sets every input that needs checking.
func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct {
		name string
		with map[string]string
	}{{"keys+role", benchKeysRole}, {"every-input", benchEverything()}} {
		b.Run(bc.name, func(b *testing.B) {
			raw := benchInputs(b, bc.with)
			if _, err := inputs.Parse(raw); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := inputs.Parse(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFromEnviron collects the inputs from a step's whole environment
// (about 60 variables, as the runner gives a container action), the step
// before Parse.
func BenchmarkFromEnviron(b *testing.B) {
	var environ []string
	for k, v := range benchInputs(b, benchKeysRole) {
		environ = append(environ, k+"="+v)
	}
	for i := range 25 {
		environ = append(environ, "GITHUB_VAR_"+strings.Repeat("X", i)+"=some value of the job")
	}
	b.ReportAllocs()
	for b.Loop() {
		if m := inputs.FromEnviron(environ); len(m) == 0 {
			b.Fatal("no inputs")
		}
	}
}
