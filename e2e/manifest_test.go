package e2e

import (
	"reflect"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/inputs"
)

// TestManifestMatchesInputs keeps action.yml and the code in step: every
// input the code reads is declared (the runner passes only declared inputs
// with their defaults), every declared input is read, and a declared
// default means what the code does with an empty value.
func TestManifestMatchesInputs(t *testing.T) {
	t.Parallel()
	code := map[string]bool{}
	for _, in := range inputs.All() {
		code[in.Name] = true
		if _, ok := manifest.Inputs[in.Name]; !ok {
			t.Errorf("input %s is read by the code but not declared in action.yml", in.Name)
		}
	}
	for name, in := range manifest.Inputs {
		if !code[name] {
			t.Errorf("input %s is declared in action.yml but the code ignores it", name)
		}
		if in.Description == "" {
			t.Errorf("input %s has no description", name)
		}
		if in.Default == "" {
			continue
		}
		base := map[string]string{inputs.Prefix + "AWS-REGION": "us-east-1"}
		want, err := inputs.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		withDefault := map[string]string{inputs.Prefix + "AWS-REGION": "us-east-1", inputs.Prefix + strings.ToUpper(name): in.Default}
		got, err := inputs.Parse(withDefault)
		if err != nil {
			t.Errorf("action.yml's default for %s is refused: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("action.yml's default for %s (%q) differs from the code's", name, in.Default)
		}
	}
	if manifest.Runs.Using != "docker" || manifest.Runs.Image != "Dockerfile" {
		t.Errorf("runs = %+v", manifest.Runs)
	}
	for _, out := range []string{"aws-account-id", "authenticated-arn", "aws-access-key-id", "aws-secret-access-key", "aws-session-token", "aws-expiration"} {
		if _, ok := manifest.Outputs[out]; !ok {
			t.Errorf("output %s is not declared", out)
		}
	}
}
