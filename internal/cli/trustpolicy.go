package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/assume-role/assume-role/internal/action"
	"github.com/assume-role/assume-role/internal/idtoken"
	"github.com/assume-role/assume-role/internal/trustpolicy"
)

const trustPolicyUsage = `Usage:
  assume-role trust-policy --account ID --repository OWNER/REPO [what to allow] > trust.json

Prints the trust policy of a role that GitHub Actions jobs assume with their
OIDC token, for the jobs asked for, on stdout; and, on stderr, the AWS CLI
command that creates GitHub's OIDC provider in the account if it is missing.

What to allow (each may repeat; a job matching any of them is admitted):
  --branch NAME           pushes and other runs on a branch; * and ? match
  --tag PATTERN           runs on a tag, such as v*
  --environment NAME      jobs of a deployment environment (GitHub puts the
                          environment in sub instead of the ref)
  --pull-request          pull_request runs
  --job-workflow-ref REF  also require this reusable workflow,
                          OWNER/REPO/.github/workflows/FILE@refs/heads/main

Inside a GitHub job with permissions: id-token: write, leave out
--repository to read the repository from the job's own ID token; leave out
what to allow as well to admit exactly this job's sub. The token itself is
never printed.

Flags:
`

// listFlag is a flag that may repeat.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// trustPolicy runs "assume-role trust-policy".
func trustPolicy(ctx context.Context, args []string, env action.Env, stdio IO) error {
	var (
		r                                             trustpolicy.Request
		branches, tags, environments, jobWorkflowRefs listFlag
	)
	fs := flag.NewFlagSet("assume-role trust-policy", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&r.Account, "account", "", "the 12-digit account of the role and of the OIDC provider")
	fs.StringVar(&r.Repository, "repository", "", "OWNER/REPO whose jobs may assume the role (default: the job's own, read from its ID token)")
	fs.StringVar(&r.Partition, "partition", "aws", "the account's partition: aws, aws-cn or aws-us-gov")
	fs.StringVar(&r.Audience, "audience", "", "the aud of the jobs' tokens, the action's audience input (default: the partition's STS, sts.amazonaws.com or sts.amazonaws.com.cn)")
	fs.Var(&branches, "branch", "admit runs on this branch or branch pattern")
	fs.Var(&tags, "tag", "admit runs on tags matching this pattern")
	fs.Var(&environments, "environment", "admit jobs of this deployment environment")
	fs.BoolVar(&r.PullRequests, "pull-request", false, "admit pull_request runs")
	fs.Var(&jobWorkflowRefs, "job-workflow-ref", "require the job to run this reusable workflow (OWNER/REPO/.github/workflows/FILE@REF)")
	fs.StringVar(&r.OwnerID, "owner-id", "", "the owner's numeric ID, for the immutable sub form repo:OWNER@OWNER_ID/REPO@REPO_ID of repositories created since July 2026")
	fs.StringVar(&r.RepositoryID, "repository-id", "", "the repository's numeric ID, for the immutable sub form")
	fs.BoolVar(&r.AnyRepositoryOfOwner, "allow-any-repository-of-owner", false, "allow --repository OWNER/*: every repository of OWNER, including ones created later, may assume the role")
	help := fs.Bool("help", false, "print this help and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			*help = true
		} else {
			return &ExitError{Code: action.ExitBadInput, Err: trustPolicyUsageError(err, fs)}
		}
	}
	if *help {
		if err := writeTrustPolicyUsage(stdio.Stdout, fs); err != nil {
			return &ExitError{Code: action.ExitInternal, Err: err}
		}
		return ErrHelp
	}
	if fs.NArg() > 0 {
		return &ExitError{Code: action.ExitBadInput, Err: &UsageError{Msg: fmt.Sprintf("unexpected argument %q: trust-policy takes flags only (assume-role trust-policy --help)", fs.Arg(0))}}
	}
	r.Branches, r.Tags, r.Environments, r.JobWorkflowRefs = branches, tags, environments, jobWorkflowRefs

	reqURL, reqToken := env.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), env.Getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	if r.Repository == "" && reqURL != "" && reqToken != "" {
		var err error
		if r, err = fromJobToken(ctx, r, reqURL, reqToken, stdio.Stderr); err != nil {
			return err
		}
	}
	p, err := trustpolicy.Build(r)
	var perr *trustpolicy.Error
	if errors.As(err, &perr) {
		return &ExitError{Code: action.ExitBadInput, Err: err}
	} else if err != nil {
		return &ExitError{Code: action.ExitInternal, Err: err}
	}
	if _, err := stdio.Stdout.Write(p.Document); err != nil {
		return &ExitError{Code: action.ExitInternal, Err: err}
	}
	// The notes go to stderr, so that stdout is the policy alone:
	// > trust.json, or file://<(assume-role trust-policy …).
	notes := fmt.Sprintf("The role's trust policy is on stdout. GitHub's OIDC provider must exist once in account %s; if it does not, create it:\n  %s\n",
		r.Account, p.ProviderCommand())
	if p.Audience != p.Partition.Audience {
		notes += fmt.Sprintf("If it exists without the audience %s, add it:\n  %s\n", p.Audience, p.AddAudienceCommand())
	}
	if _, err := io.WriteString(stdio.Stderr, notes); err != nil {
		return &ExitError{Code: action.ExitInternal, Err: err}
	}
	return nil
}

// fromJobToken completes r from the claims of the job's own ID token,
// minted for the audience the policy will require. The token is a bearer
// secret: it stays in memory, and only the claims a trust policy matches on
// are shown.
func fromJobToken(ctx context.Context, r trustpolicy.Request, reqURL, reqToken string, log io.Writer) (trustpolicy.Request, error) {
	aud := r.Audience
	if aud == "" {
		for _, p := range trustpolicy.Partitions {
			if p.Name == r.Partition {
				aud = p.Audience
			}
		}
	}
	if aud == "" {
		// An unknown partition: let Build name the flag.
		return r, nil
	}
	f := &idtoken.Fetcher{RequestURL: reqURL, RequestToken: reqToken}
	token, err := f.Fetch(ctx, aud)
	if err != nil {
		code := action.ExitUnavailable
		var fe *idtoken.FetchError
		if errors.As(err, &fe) && fe.Status >= 400 && fe.Status < 500 && fe.Status != 429 {
			code = action.ExitBadInput
		}
		return r, &ExitError{Code: code, Err: fmt.Errorf("--repository is not given and the job's ID token could not be read (%v): give --repository OWNER/REPO, or run in a job with permissions: id-token: write", err)}
	}
	claims, err := idtoken.ParseClaims(token)
	if err != nil {
		return r, &ExitError{Code: action.ExitInternal, Err: fmt.Errorf("reading the job's ID token: %w", err)}
	}
	r, err = trustpolicy.FromClaims(r, claims)
	if err != nil {
		var perr *trustpolicy.Error
		if errors.As(err, &perr) {
			return r, &ExitError{Code: action.ExitBadInput, Err: err}
		}
		return r, &ExitError{Code: action.ExitInternal, Err: err}
	}
	if _, err := fmt.Fprintf(log, "Read from the job's ID token: repository %s, sub %s\n", claims.Repository, claims.Subject); err != nil {
		return r, &ExitError{Code: action.ExitInternal, Err: err}
	}
	return r, nil
}

// trustPolicyUsageError words the flag package's errors as the main
// command does (usageError), suggesting the nearest trust-policy flag.
func trustPolicyUsageError(err error, fs *flag.FlagSet) error {
	if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
		opts := map[string]*option{}
		fs.VisitAll(func(f *flag.Flag) { opts[f.Name] = &option{name: f.Name} })
		msg := "unknown flag --" + name
		if near := nearest(name, opts); near != "" {
			msg += "; did you mean --" + near + "?"
		}
		return &UsageError{Msg: msg + " (assume-role trust-policy --help lists the flags)"}
	}
	return usageError(err, nil)
}

var trustPolicyMetavars = map[string]string{
	"account": "ID", "owner-id": "ID", "repository-id": "ID", "audience": "AUD", "partition": "PARTITION",
	"repository": "OWNER/REPO", "branch": "NAME", "environment": "NAME", "tag": "PATTERN", "job-workflow-ref": "REF",
}

func writeTrustPolicyUsage(w io.Writer, fs *flag.FlagSet) error {
	var b strings.Builder
	b.WriteString(trustPolicyUsage)
	fs.VisitAll(func(f *flag.Flag) {
		b.WriteString("  --" + f.Name)
		if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); !isBool {
			b.WriteString(" " + trustPolicyMetavars[f.Name])
		}
		b.WriteString("\n        " + f.Usage)
		if f.DefValue != "" && f.DefValue != "false" {
			b.WriteString(" (default " + f.DefValue + ")")
		}
		b.WriteString("\n")
	})
	_, err := io.WriteString(w, b.String())
	return err
}
