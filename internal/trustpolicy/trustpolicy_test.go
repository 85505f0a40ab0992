package trustpolicy

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/idtoken"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

const acct = "111111111111"

// TestGolden pins every byte of the policies and commands printed for the
// common cases.
func TestGolden(t *testing.T) {
	t.Parallel()
	tests := map[string]Request{
		"branch":      {Account: acct, Repository: "octo-org/octo-repo", Branches: []string{"main"}},
		"environment": {Account: acct, Repository: "octo-org/octo-repo", Environments: []string{"production"}},
		"tags-and-pull-requests": {Account: acct, Repository: "octo-org/octo-repo",
			Branches: []string{"refs/heads/main"}, Tags: []string{"v*"}, PullRequests: true},
		"reusable-workflow": {Account: acct, Repository: "octo-org/octo-repo", Environments: []string{"production"},
			JobWorkflowRefs: []string{"octo-org/deploy/.github/workflows/deploy.yml@refs/tags/v*"}},
		"immutable": {Account: acct, Repository: "octo-org/octo-repo", OwnerID: "123456", RepositoryID: "456789",
			Branches: []string{"main"}},
		"any-repository-of-owner": {Account: acct, Repository: "octo-org/*", AnyRepositoryOfOwner: true, Branches: []string{"main"},
			JobWorkflowRefs: []string{"octo-org/deploy/.github/workflows/deploy.yml@refs/heads/main"}},
		"aws-cn":     {Account: acct, Partition: "aws-cn", Repository: "octo-org/octo-repo", Branches: []string{"main"}},
		"aws-us-gov": {Account: acct, Partition: "aws-us-gov", Repository: "octo-org/octo-repo", Branches: []string{"main"}},
		"custom-audience": {Account: acct, Audience: "https://github.com/octo-org", Repository: "octo-org/octo-repo",
			Branches: []string{"main"}},
		"job-subject": {Account: acct, Repository: "octo-org/octo-repo",
			Subjects: []string{"repo:octo-org/octo-repo:environment:prod*"}},
	}
	for name, req := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := Build(req)
			if err != nil {
				t.Fatal(err)
			}
			got := string(p.Document) + "\n" + p.ProviderCommand() + "\n" + p.AddAudienceCommand() + "\n"
			path := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/trustpolicy -update)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (go test -update rewrites it):\n%s", path, got)
			}
			var doc map[string]any
			if err := json.Unmarshal(p.Document, &doc); err != nil {
				t.Errorf("not JSON: %v", err)
			}
		})
	}
}

func TestConditions(t *testing.T) {
	t.Parallel()
	type cond = map[string]map[string]any
	tests := []struct {
		name string
		req  Request
		want cond
	}{
		{"exact values are StringEquals", Request{Account: acct, Repository: "o/r", Branches: []string{"main", "main"}, PullRequests: true},
			cond{"StringEquals": {Provider + ":aud": "sts.amazonaws.com", Provider + ":sub": []any{"repo:o/r:ref:refs/heads/main", "repo:o/r:pull_request"}}}},
		// IAM requires every operator: a sub under both would need both.
		{"one pattern moves every sub to StringLike", Request{Account: acct, Repository: "o/r", Branches: []string{"main"}, Tags: []string{"v?.*"}},
			cond{"StringEquals": {Provider + ":aud": "sts.amazonaws.com"},
				"StringLike": {Provider + ":sub": []any{"repo:o/r:ref:refs/heads/main", "repo:o/r:ref:refs/tags/v?.*"}}}},
		{"a job's own sub is compared literally", Request{Account: acct, Repository: "o/r", Subjects: []string{"repo:o/r:environment:a*b"}},
			cond{"StringEquals": {Provider + ":aud": "sts.amazonaws.com", Provider + ":sub": "repo:o/r:environment:a*b"}}},
		{"job_workflow_ref is its own key", Request{Account: acct, Repository: "o/r", Branches: []string{"main"},
			JobWorkflowRefs: []string{"o/w/.github/workflows/d.yaml@0123456789abcdef0123456789abcdef01234567"}},
			cond{"StringEquals": {Provider + ":aud": "sts.amazonaws.com", Provider + ":sub": "repo:o/r:ref:refs/heads/main",
				Provider + ":job_workflow_ref": "o/w/.github/workflows/d.yaml@0123456789abcdef0123456789abcdef01234567"}}},
		{"aws-cn audience", Request{Account: acct, Partition: "aws-cn", Repository: "o/r", Environments: []string{"prod"}},
			cond{"StringEquals": {Provider + ":aud": "sts.amazonaws.com.cn", Provider + ":sub": "repo:o/r:environment:prod"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Build(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct{ Statement []struct{ Condition cond } }
			if err := json.Unmarshal(p.Document, &doc); err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(doc.Statement[0].Condition)
			want, _ := json.Marshal(tt.want)
			if string(got) != string(want) {
				t.Errorf("conditions\n got %s\nwant %s", got, want)
			}
		})
	}
}

// TestRefusals checks that each request that cannot make a safe, working
// policy is refused with one line naming the flag, the problem and a fix.
func TestRefusals(t *testing.T) {
	t.Parallel()
	ok := Request{Account: acct, Repository: "octo-org/octo-repo", Branches: []string{"main"}}
	edit := func(f func(*Request)) Request { r := ok; f(&r); return r }
	tests := []struct {
		name, flag, problem string
		req                 Request
	}{
		{"any repository of the owner", "repository", "every repository of octo-org", edit(func(r *Request) { r.Repository = "octo-org/*" })},
		{"immutable owner wildcard", "repository", "every repository of octo-org", edit(func(r *Request) { r.Repository, r.OwnerID = "octo-org/*", "1" })},
		{"partial repository pattern", "repository", "partial pattern", edit(func(r *Request) { r.Repository, r.AnyRepositoryOfOwner = "octo-org/octo-*", true })},
		{"any owner", "repository", "any GitHub account", edit(func(r *Request) { r.Repository, r.AnyRepositoryOfOwner = "*/octo-repo", true })},
		{"any owner any repository", "repository", "any GitHub account", edit(func(r *Request) { r.Repository, r.AnyRepositoryOfOwner = "*/*", true })},
		{"flag without a wildcard", "allow-any-repository-of-owner", "names one repository", edit(func(r *Request) { r.AnyRepositoryOfOwner = true })},
		{"no repository", "repository", "is missing", edit(func(r *Request) { r.Repository = "" })},
		{"repository without owner", "repository", "not OWNER/REPO", edit(func(r *Request) { r.Repository = "octo-repo" })},
		{"repository with a path", "repository", "not OWNER/REPO", edit(func(r *Request) { r.Repository = "o/r/x" })},
		{"bad owner", "repository", "GitHub account name", edit(func(r *Request) { r.Repository = "-o/r" })},
		{"bad repository name", "repository", "invalid repository name", edit(func(r *Request) { r.Repository = "o/r r" })},
		{"bad account", "account", "12-digit", edit(func(r *Request) { r.Account = "12345" })},
		{"unknown partition", "partition", "not a partition", edit(func(r *Request) { r.Partition = "aws-iso" })},
		{"nothing to allow", "branch", "is missing", edit(func(r *Request) { r.Branches = nil })},
		{"owner ID alone", "repository-id", "not a GitHub repository ID", edit(func(r *Request) { r.OwnerID = "123" })},
		{"repository ID alone", "owner-id", "not a GitHub account ID", edit(func(r *Request) { r.RepositoryID = "123" })},
		{"repository ID with owner wildcard", "repository-id", "names one repository", edit(func(r *Request) {
			r.Repository, r.AnyRepositoryOfOwner, r.OwnerID, r.RepositoryID = "o/*", true, "1", "2"
		})},
		{"non-numeric ID", "owner-id", "not a GitHub account ID", edit(func(r *Request) { r.OwnerID, r.RepositoryID = "octo", "2" })},
		{"tag ref as branch", "branch", "not a branch", edit(func(r *Request) { r.Branches = []string{"refs/tags/v1"} })},
		{"branch ref as tag", "tag", "not a tag", edit(func(r *Request) { r.Tags = []string{"refs/heads/main"} })},
		{"branch with a space", "branch", "not a valid git ref", edit(func(r *Request) { r.Branches = []string{"my branch"} })},
		{"empty environment", "environment", "is empty", edit(func(r *Request) { r.Environments = []string{" "} })},
		{"newline", "environment", "control character", edit(func(r *Request) { r.Environments = []string{"prod\n::stop-commands::x"} })},
		{"policy variable", "tag", "policy variable", edit(func(r *Request) { r.Tags = []string{"v${aws:username}"} })},
		{"audience with a variable", "audience", "policy variable", edit(func(r *Request) { r.Audience = "${x}" })},
		{"workflow short ref", "job-workflow-ref", "short ref", edit(func(r *Request) {
			r.JobWorkflowRefs = []string{"o/w/.github/workflows/d.yml@main"}
		})},
		{"workflow without a ref", "job-workflow-ref", "not OWNER/REPO", edit(func(r *Request) {
			r.JobWorkflowRefs = []string{"o/w/.github/workflows/d.yml"}
		})},
		{"workflow outside .github/workflows", "job-workflow-ref", "not OWNER/REPO", edit(func(r *Request) {
			r.JobWorkflowRefs = []string{"o/w/ci/d.yml@refs/heads/main"}
		})},
		{"workflow repository pattern", "job-workflow-ref", "pattern before the @", edit(func(r *Request) {
			r.JobWorkflowRefs = []string{"o/*/.github/workflows/d.yml@refs/heads/main"}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Build(tt.req)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("want an *Error, got %v and\n%s", err, p.Document)
			}
			if e.Flag != tt.flag || !strings.Contains(e.Problem, tt.problem) || e.Fix == "" {
				t.Errorf("got flag %q problem %q fix %q; want flag %q, a problem with %q and a fix", e.Flag, e.Problem, e.Fix, tt.flag, tt.problem)
			}
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || !strings.HasPrefix(msg, "--"+tt.flag) {
				t.Errorf("the message must be one line that starts with the flag: %q", msg)
			}
		})
	}
}

func TestFromClaims(t *testing.T) {
	t.Parallel()
	plain := &idtoken.Claims{Repository: "octo-org/octo-repo", Subject: "repo:octo-org/octo-repo:ref:refs/heads/main",
		RepositoryOwnerID: "123", RepositoryID: "456"}
	immutable := &idtoken.Claims{Repository: "octo-org/octo-repo", Subject: "repo:octo-org@123/octo-repo@456:environment:prod",
		RepositoryOwnerID: "123", RepositoryID: "456"}
	custom := &idtoken.Claims{Repository: "octo-org/octo-repo", Subject: "repo:octo-org/octo-repo:job_workflow_ref:octo-org/d/.github/workflows/d.yml@refs/heads/main",
		RepositoryOwnerID: "123", RepositoryID: "456"}
	tests := []struct {
		name   string
		req    Request
		claims *idtoken.Claims
		subs   []string
		errIn  string
	}{
		{"the job itself", Request{Account: acct}, plain, []string{"repo:octo-org/octo-repo:ref:refs/heads/main"}, ""},
		{"the job itself, immutable", Request{Account: acct}, immutable, []string{"repo:octo-org@123/octo-repo@456:environment:prod"}, ""},
		{"a customized sub, verbatim", Request{Account: acct}, custom, []string{custom.Subject}, ""},
		{"flags on the job's repository", Request{Account: acct, Tags: []string{"v*"}}, plain, []string{"repo:octo-org/octo-repo:ref:refs/tags/v*"}, ""},
		{"flags keep the immutable form", Request{Account: acct, Branches: []string{"main"}}, immutable,
			[]string{"repo:octo-org@123/octo-repo@456:ref:refs/heads/main"}, ""},
		{"flags cannot rebuild a customized sub", Request{Account: acct, Branches: []string{"main"}}, custom, nil, "customized"},
		{"no claims", Request{Account: acct}, &idtoken.Claims{}, nil, "no repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := FromClaims(tt.req, tt.claims)
			if tt.errIn != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errIn) {
					t.Fatalf("want an error with %q, got %v", tt.errIn, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p, err := Build(r)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(p.Subjects, " ") != strings.Join(tt.subs, " ") {
				t.Errorf("subjects %q, want %q", p.Subjects, tt.subs)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"sts.amazonaws.com":           "sts.amazonaws.com",
		"https://github.com/octo-org": "https://github.com/octo-org",
		"a b":                         "'a b'",
		"it's":                        `'it'\''s'`,
		"$(id)":                       "'$(id)'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
