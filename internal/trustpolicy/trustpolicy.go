// Package trustpolicy writes the trust policy of an IAM role that GitHub
// Actions jobs assume with their OIDC token (sts:AssumeRoleWithWebIdentity),
// and the AWS CLI command that creates GitHub's OIDC provider in the
// account.
//
// The policy names exactly the jobs asked for: a repository and, within it,
// branches, tag patterns, environments, pull requests and reusable
// workflows. A policy that would admit any repository of an owner is
// refused unless asked for by name, and one that would admit any owner is
// always refused: that is the misconfiguration that lets every GitHub user
// into the account.
package trustpolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Provider is GitHub's OIDC issuer without its https:// scheme: the resource
// part of the provider ARN and the prefix of the condition keys.
const Provider = "token.actions.githubusercontent.com"

// IssuerURL is the URL the OIDC provider is created with.
const IssuerURL = "https://" + Provider

// GitHub's TLS certificate thumbprints. IAM verifies GitHub's certificate
// through its own trusted CAs and ignores them, but AWS CLI releases before
// the 2024 API change (Debian 12's among them) refuse to create a provider
// without --thumbprint-list.
var thumbprints = []string{"6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"}

// Partition is what a trust policy needs to know of an AWS partition.
type Partition struct {
	// Name is the ARN partition: aws, aws-cn, aws-us-gov.
	Name string
	// Audience is the aud GitHub's tokens carry for the partition's STS,
	// the provider's client ID.
	Audience string
	// IAMRegion, when set, is the region the AWS CLI must be told to reach
	// the partition's IAM endpoint; the commercial partition needs none.
	IAMRegion string
}

// Partitions are the partitions GitHub's OIDC provider can be created in.
var Partitions = []Partition{
	{Name: "aws", Audience: "sts.amazonaws.com"},
	{Name: "aws-cn", Audience: "sts.amazonaws.com.cn", IAMRegion: "cn-north-1"},
	{Name: "aws-us-gov", Audience: "sts.amazonaws.com", IAMRegion: "us-gov-west-1"},
}

// Request says which jobs may assume the role. Field comments name the CLI
// flag each one comes from, which is also the Flag of the [Error] it gets.
type Request struct {
	// Account is the 12-digit account of the role and the provider
	// (--account).
	Account string
	// Partition is aws, aws-cn or aws-us-gov; empty means aws
	// (--partition).
	Partition string
	// Audience is the aud the job's token carries; empty means the
	// partition's (--audience).
	Audience string
	// Repository is OWNER/REPO (--repository). OWNER/* means every
	// repository of OWNER and needs AnyRepositoryOfOwner.
	Repository string
	// OwnerID and RepositoryID select the immutable sub form,
	// repo:OWNER@OWNER_ID/REPO@REPO_ID:…, of repositories created since
	// July 2026 (--owner-id, --repository-id). Both are needed, except that
	// a Repository of OWNER/* takes only OwnerID.
	OwnerID, RepositoryID string
	// Branches are branch names or patterns (* and ?), without refs/heads/
	// (--branch).
	Branches []string
	// Tags are tag names or patterns, such as v*, without refs/tags/
	// (--tag).
	Tags []string
	// Environments are deployment environment names or patterns
	// (--environment). GitHub puts the environment in sub instead of the
	// ref, so a job with an environment matches only these.
	Environments []string
	// PullRequests admits pull_request jobs (--pull-request).
	PullRequests bool
	// JobWorkflowRefs, when set, also require the job to run one of these
	// reusable workflows, OWNER/REPO/.github/workflows/FILE@REF; the ref
	// part may be a pattern (--job-workflow-ref).
	JobWorkflowRefs []string
	// AnyRepositoryOfOwner allows a Repository of OWNER/*
	// (--allow-any-repository-of-owner).
	AnyRepositoryOfOwner bool
	// Subjects are sub claims to admit verbatim, as read from a job's own
	// token; used only when no branch, tag, environment or pull request is
	// asked for. See [FromClaims].
	Subjects []string
}

// Policy is a trust policy and what creating it needs.
type Policy struct {
	// Document is the policy JSON, indented, with a final newline.
	Document []byte
	// ProviderARN is the Federated principal,
	// arn:<partition>:iam::<account>:oidc-provider/token.actions.githubusercontent.com.
	ProviderARN string
	// Audience is the aud the policy requires.
	Audience string
	// Partition is the partition of the account.
	Partition Partition
	// Subjects are the sub values or patterns the policy admits.
	Subjects []string
}

// Error is a request that cannot make a safe, working policy. Flag is the
// CLI flag, without dashes, of the field at fault.
type Error struct {
	Flag, Value, Problem, Fix string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("--" + e.Flag)
	if e.Value != "" {
		fmt.Fprintf(&b, " %q", e.Value)
	}
	b.WriteString(" " + e.Problem)
	if e.Fix != "" {
		b.WriteString(": " + e.Fix)
	}
	return b.String()
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	idRE      = regexp.MustCompile(`^[1-9][0-9]{0,19}$`)
	// GitHub account names: alphanumerics and single inner hyphens, at
	// most 39 characters.
	ownerRE = regexp.MustCompile(`^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$`)
	// Repository names: alphanumerics, '-', '_' and '.', at most 100.
	repoRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	shaRE  = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// Build checks r and writes its policy.
func Build(r Request) (*Policy, error) {
	part, err := partition(r.Partition)
	if err != nil {
		return nil, err
	}
	if !accountRE.MatchString(r.Account) {
		return nil, &Error{Flag: "account", Value: r.Account, Problem: "is not a 12-digit AWS account ID",
			Fix: "give the account of the role, such as 123456789012"}
	}
	aud := r.Audience
	if aud == "" {
		aud = part.Audience
	} else if err := checkValue("audience", aud); err != nil {
		return nil, err
	}
	prefix, err := subjectPrefix(r)
	if err != nil {
		return nil, err
	}
	subs, err := subjects(r, prefix)
	if err != nil {
		return nil, err
	}
	var refs []string
	for _, ref := range r.JobWorkflowRefs {
		if err := checkJobWorkflowRef(ref); err != nil {
			return nil, err
		}
		refs = append(refs, ref)
	}

	// Within one operator, a key's values are alternatives and keys are
	// all required; every operator is required too. So all values of a key
	// go under one operator: StringLike as soon as one is a pattern, since
	// for a value without * or ? it is the same test as StringEquals.
	cond := map[string]map[string]any{}
	put := func(key string, values []string, verbatim bool) {
		if len(values) == 0 {
			return
		}
		op := "StringEquals"
		if !verbatim && slices.ContainsFunc(values, isPattern) {
			op = "StringLike"
		}
		if cond[op] == nil {
			cond[op] = map[string]any{}
		}
		if len(values) == 1 {
			cond[op][Provider+":"+key] = values[0]
		} else {
			cond[op][Provider+":"+key] = values
		}
	}
	put("aud", []string{aud}, true)
	put("sub", subs, len(r.Subjects) > 0 && !asked(r))
	put("job_workflow_ref", refs, false)

	arn := "arn:" + part.Name + ":iam::" + r.Account + ":oidc-provider/" + Provider
	doc := document{
		Version: "2012-10-17",
		Statement: []statement{{
			Effect:    "Allow",
			Principal: principal{Federated: arn},
			Action:    "sts:AssumeRoleWithWebIdentity",
			Condition: cond,
		}},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encoding the trust policy: %w", err)
	}
	return &Policy{Document: buf.Bytes(), ProviderARN: arn, Audience: aud, Partition: part, Subjects: subs}, nil
}

type document struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

type statement struct {
	Effect    string                    `json:"Effect"`
	Principal principal                 `json:"Principal"`
	Action    string                    `json:"Action"`
	Condition map[string]map[string]any `json:"Condition"`
}

type principal struct {
	Federated string `json:"Federated"`
}

func partition(name string) (Partition, error) {
	if name == "" {
		name = "aws"
	}
	for _, p := range Partitions {
		if p.Name == name {
			return p, nil
		}
	}
	var names []string
	for _, p := range Partitions {
		names = append(names, p.Name)
	}
	return Partition{}, &Error{Flag: "partition", Value: name, Problem: "is not a partition GitHub's OIDC provider can be created in",
		Fix: "give one of " + strings.Join(names, ", ")}
}

// asked reports whether r names any ref, environment or pull request.
func asked(r Request) bool {
	return len(r.Branches)+len(r.Tags)+len(r.Environments) > 0 || r.PullRequests
}

// subjectPrefix is repo:OWNER/REPO or repo:OWNER@OWNER_ID/REPO@REPO_ID,
// after checking that it names one repository of one owner.
func subjectPrefix(r Request) (string, error) {
	if r.Repository == "" {
		return "", &Error{Flag: "repository", Problem: "is missing",
			Fix: "give the repository whose jobs assume the role, OWNER/REPO, or run inside a GitHub job with permissions: id-token: write to read it from the job's token"}
	}
	owner, repo, ok := strings.Cut(r.Repository, "/")
	if !ok || strings.Contains(repo, "/") {
		return "", &Error{Flag: "repository", Value: r.Repository, Problem: "is not OWNER/REPO",
			Fix: "give the owner and the repository name, such as octo-org/octo-repo"}
	}
	if isPattern(owner) {
		return "", &Error{Flag: "repository", Value: r.Repository, Problem: "would let repositories of any GitHub account assume the role",
			Fix: "name the owner, such as octo-org/octo-repo"}
	}
	if !ownerRE.MatchString(owner) {
		return "", &Error{Flag: "repository", Value: r.Repository, Problem: "does not start with a GitHub account name",
			Fix: "give the owner as it appears in the repository's URL, such as octo-org/octo-repo"}
	}
	anyRepo := isPattern(repo)
	switch {
	case anyRepo && !r.AnyRepositoryOfOwner:
		return "", &Error{Flag: "repository", Value: r.Repository,
			Problem: "would let every repository of " + owner + " assume the role, including any created later",
			Fix:     "name one repository, or add --allow-any-repository-of-owner if every repository of " + owner + " may"}
	case !anyRepo && r.AnyRepositoryOfOwner:
		return "", &Error{Flag: "allow-any-repository-of-owner", Problem: "is given, but --repository names one repository",
			Fix: "drop the flag, or give --repository " + owner + "/* to admit every repository of " + owner}
	case anyRepo && repo != "*":
		return "", &Error{Flag: "repository", Value: r.Repository, Problem: "is a partial pattern: anyone who may create repositories in " + owner + " can create one that matches",
			Fix: "name the repositories one by one (one role each), or give " + owner + "/* with --allow-any-repository-of-owner"}
	case !repoRE.MatchString(repo) && !anyRepo:
		return "", &Error{Flag: "repository", Value: r.Repository, Problem: "has an invalid repository name",
			Fix: "give the name as it appears in the repository's URL: letters, digits, '-', '_' and '.'"}
	}

	if r.OwnerID == "" && r.RepositoryID == "" {
		return "repo:" + owner + "/" + repo, nil
	}
	if !idRE.MatchString(r.OwnerID) {
		return "", &Error{Flag: "owner-id", Value: r.OwnerID, Problem: "is not a GitHub account ID",
			Fix: "give the owner's numeric ID (the repository_owner_id claim, or `gh api users/" + owner + " --jq .id`) along with --repository-id"}
	}
	if anyRepo {
		if r.RepositoryID != "" {
			return "", &Error{Flag: "repository-id", Value: r.RepositoryID, Problem: "names one repository, but --repository is " + r.Repository,
				Fix: "drop --repository-id, or name the repository"}
		}
		return "repo:" + owner + "@" + r.OwnerID + "/" + repo, nil
	}
	if !idRE.MatchString(r.RepositoryID) {
		return "", &Error{Flag: "repository-id", Value: r.RepositoryID, Problem: "is not a GitHub repository ID",
			Fix: "give the repository's numeric ID (the repository_id claim, or `gh api repos/" + r.Repository + " --jq .id`) along with --owner-id"}
	}
	return "repo:" + owner + "@" + r.OwnerID + "/" + repo + "@" + r.RepositoryID, nil
}

// subjects builds the sub values GitHub's default template gives the jobs
// asked for.
func subjects(r Request, prefix string) ([]string, error) {
	if !asked(r) {
		if len(r.Subjects) == 0 {
			return nil, &Error{Flag: "branch", Problem: "is missing, as are --tag, --environment and --pull-request",
				Fix: "say which jobs may assume the role, such as --branch main or --environment production"}
		}
		for _, s := range r.Subjects {
			if err := checkValue("repository", s); err != nil {
				return nil, err
			}
		}
		return slices.Clone(r.Subjects), nil
	}
	var out []string
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, b := range r.Branches {
		b = strings.TrimPrefix(b, "refs/heads/")
		if strings.HasPrefix(b, "refs/") {
			return nil, &Error{Flag: "branch", Value: b, Problem: "is not a branch",
				Fix: "give tags with --tag, and branches by name, such as main"}
		}
		if err := checkRef("branch", b); err != nil {
			return nil, err
		}
		add(prefix + ":ref:refs/heads/" + b)
	}
	for _, tag := range r.Tags {
		tag = strings.TrimPrefix(tag, "refs/tags/")
		if strings.HasPrefix(tag, "refs/") {
			return nil, &Error{Flag: "tag", Value: tag, Problem: "is not a tag",
				Fix: "give branches with --branch, and tags by name or pattern, such as v*"}
		}
		if err := checkRef("tag", tag); err != nil {
			return nil, err
		}
		add(prefix + ":ref:refs/tags/" + tag)
	}
	for _, env := range r.Environments {
		if err := checkValue("environment", env); err != nil {
			return nil, err
		}
		add(prefix + ":environment:" + env)
	}
	if r.PullRequests {
		add(prefix + ":pull_request")
	}
	return out, nil
}

func checkRef(flag, name string) error {
	if err := checkValue(flag, name); err != nil {
		return err
	}
	if strings.ContainsAny(name, " :~^\\") {
		return &Error{Flag: flag, Value: name, Problem: "is not a valid git ref name",
			Fix: "give the " + flag + " as git shows it; * and ? match any characters"}
	}
	return nil
}

// checkValue refuses what IAM would not compare literally: control
// characters, and ${, which starts a policy variable.
func checkValue(flag, v string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return &Error{Flag: flag, Value: v, Problem: "is empty", Fix: "give a value or leave the flag out"}
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return &Error{Flag: flag, Value: v, Problem: "contains a control character", Fix: "give the value on one line"}
	case strings.Contains(v, "${"):
		return &Error{Flag: flag, Value: v, Problem: "contains ${, which IAM reads as a policy variable",
			Fix: "give the name without ${"}
	}
	return nil
}

// checkJobWorkflowRef accepts OWNER/REPO/.github/workflows/FILE@REF with a
// full ref (refs/heads/…, refs/tags/…) or a commit SHA, as GitHub writes
// the job_workflow_ref claim; only the ref may be a pattern.
func checkJobWorkflowRef(v string) error {
	if err := checkValue("job-workflow-ref", v); err != nil {
		return err
	}
	path, ref, ok := strings.Cut(v, "@")
	parts := strings.SplitN(path, "/", 3)
	switch {
	case !ok || len(parts) < 3 || !strings.HasPrefix(parts[2], ".github/workflows/") ||
		!(strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".yaml")):
		return &Error{Flag: "job-workflow-ref", Value: v, Problem: "is not OWNER/REPO/.github/workflows/FILE@REF",
			Fix: "give the reusable workflow as the job_workflow_ref claim shows it, such as octo-org/deploy/.github/workflows/deploy.yml@refs/heads/main"}
	case isPattern(path):
		return &Error{Flag: "job-workflow-ref", Value: v, Problem: "has a pattern before the @",
			Fix: "name the repository and file of the reusable workflow; only the ref may be a pattern, such as @refs/tags/v*"}
	case !strings.HasPrefix(ref, "refs/") && !shaRE.MatchString(ref):
		return &Error{Flag: "job-workflow-ref", Value: v, Problem: "has a short ref, but the claim carries the full one",
			Fix: "write " + path + "@refs/heads/" + ref + " for a branch, @refs/tags/" + ref + " for a tag, or the commit SHA"}
	}
	return nil
}

func isPattern(s string) bool { return strings.ContainsAny(s, "*?") }

// ProviderCommand is the AWS CLI command that creates GitHub's OIDC
// provider for the policy's audience, in the policy's partition.
func (p *Policy) ProviderCommand() string {
	return p.inPartition("aws iam create-open-id-connect-provider --url " + IssuerURL +
		" --client-id-list " + shellQuote(p.Audience) + " --thumbprint-list " + strings.Join(thumbprints, " "))
}

// AddAudienceCommand is the AWS CLI command that adds the policy's audience
// to a provider that exists without it.
func (p *Policy) AddAudienceCommand() string {
	return p.inPartition("aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn " + p.ProviderARN +
		" --client-id " + shellQuote(p.Audience))
}

// inPartition points an IAM command at the partition's endpoint.
func (p *Policy) inPartition(cmd string) string {
	if p.Partition.IAMRegion != "" {
		cmd += " --region " + p.Partition.IAMRegion
	}
	return cmd
}

// shellQuote quotes s for a POSIX shell when it has anything but the
// characters of host names and URLs.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._:/@=+,", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
