package main

import (
	"os"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/trustpolicy"
)

// TestReadmeTrustPolicy keeps the README's trust-policy example what the
// command prints for the command line shown next to it.
func TestReadmeTrustPolicy(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	const cmd = "assume-role trust-policy --account 222222222222 --repository octo-org/octo-repo \\\n    --branch main --environment production"
	p, err := trustpolicy.Build(trustpolicy.Request{Account: "222222222222", Repository: "octo-org/octo-repo",
		Branches: []string{"main"}, Environments: []string{"production"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{cmd, "```json\n" + string(p.Document) + "```", p.ProviderCommand()} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md lacks what trust-policy prints:\n%s", want)
		}
	}
}
