package main

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/action"
	"github.com/assume-role/assume-role/internal/cli"
	"github.com/assume-role/assume-role/internal/ststest"
)

// TestReadmeOIDCQuickStart checks the README's OIDC quick start as a user
// would follow it: the provider command is there, and each trust policy
// example, loaded into the STS emulator (which evaluates trust policies as
// IAM does), lets in exactly the job it describes.
func TestReadmeOIDCQuickStart(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	section, ok := between(string(readme), "## Quick start: GitHub OIDC (recommended)\n", "\n### With stored keys\n")
	if !ok {
		t.Fatal("README.md has no OIDC quick start followed by ### With stored keys")
	}
	// OIDC is the first way the README shows.
	if oidc, keys := strings.Index(string(readme), "## Quick start: GitHub OIDC"), strings.Index(string(readme), "aws-access-key-id: ${{"); keys < oidc {
		t.Error("the README shows stored keys before the OIDC quick start")
	}
	if !strings.Contains(section, "aws iam create-open-id-connect-provider \\\n  --url https://token.actions.githubusercontent.com \\\n  --client-id-list sts.amazonaws.com") {
		t.Error("the quick start lacks the command that creates GitHub's OIDC provider")
	}
	policies := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(policies) != 3 {
		t.Fatalf("the quick start has %d trust policies, want 3 (branch, environment, immutable sub)", len(policies))
	}
	jobs := []ststest.Job{
		{},                                  // a push to main
		{Environment: "production"},         // a job of the production environment
		{ImmutableSubject: true},            // a push to main of a repository created since July 2026
		{Ref: "refs/heads/feature"},         // another branch: never let in
		{Repository: "octo-org/other-repo"}, // another repository: never let in
		{EventName: "pull_request", Ref: "refs/pull/1/merge"},
	}
	for i, p := range policies {
		for j, job := range jobs {
			err := assumeWithToken(t, p[1], job)
			if want := i == j; (err == nil) != want {
				t.Errorf("trust policy %d (%s), job %s: let in %v, want %v (%v)", i+1, policyLine(p[1]), job.Subject(), err == nil, want, err)
			}
		}
	}
}

// assumeWithToken assumes a role whose trust policy is doc, with a GitHub
// ID token of job, through the CLI.
func assumeWithToken(t *testing.T, doc string, job ststest.Job) error {
	t.Helper()
	em, url := ststest.NewTestServer(t)
	issuer := ststest.NewTokenIssuer(ststest.WithJob(job))
	em.AddOIDCProvider(issuer.Provider("222222222222", "sts.amazonaws.com"))
	role := "arn:aws:iam::222222222222:role/github-deploy"
	em.AddRole(ststest.Role{ARN: role, TrustPolicy: doc})
	var out strings.Builder
	err := cli.Run(context.Background(), []string{"--role-to-assume", role, "--web-identity-token-env", "ID_TOKEN"},
		action.Env{Environ: []string{"AWS_REGION=us-east-1", "STS_ENDPOINT=" + url, "HOME=/nonexistent", "ID_TOKEN=" + issuer.Mint("sts.amazonaws.com")}},
		cli.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out})
	var ee *cli.ExitError
	if err != nil && (!errors.As(err, &ee) || ee.Code != action.ExitRefused) {
		t.Fatalf("not a refusal: %v\n%s", err, out.String())
	}
	return err
}

func policyLine(doc string) string {
	m := regexp.MustCompile(`:sub": "([^"]+)"`).FindStringSubmatch(doc)
	if m == nil {
		return "?"
	}
	return m[1]
}

// between returns the text of s after start and before end.
func between(s, start, end string) (string, bool) {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return "", false
	}
	body, _, ok := strings.Cut(rest, end)
	return body, ok
}
