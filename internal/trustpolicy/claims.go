package trustpolicy

import (
	"errors"
	"strings"

	"github.com/assume-role/assume-role/internal/idtoken"
)

// FromClaims completes r from the claims of a job's own ID token: the
// repository, its owner and repository IDs when the token's sub has the
// immutable form, and, when r asks for no branch, tag, environment or pull
// request, the job's own sub, so that the policy admits exactly that job.
// Fields r sets are kept.
func FromClaims(r Request, c *idtoken.Claims) (Request, error) {
	if c.Repository == "" || c.Subject == "" {
		return r, errors.New("the job's ID token has no repository or sub claim")
	}
	if r.Repository == "" {
		r.Repository = c.Repository
	}
	owner, repo, _ := strings.Cut(c.Repository, "/")
	plain := "repo:" + c.Repository + ":"
	immutable := "repo:" + owner + "@" + c.RepositoryOwnerID + "/" + repo + "@" + c.RepositoryID + ":"
	rest, isImmutable := strings.CutPrefix(c.Subject, immutable)
	switch {
	case isImmutable && c.RepositoryOwnerID != "" && c.RepositoryID != "":
		if r.OwnerID == "" && r.RepositoryID == "" {
			r.OwnerID, r.RepositoryID = c.RepositoryOwnerID, c.RepositoryID
		}
	default:
		rest, _ = strings.CutPrefix(c.Subject, plain)
	}
	if !asked(r) {
		r.Subjects = []string{c.Subject}
		return r, nil
	}
	if rest == c.Subject || !(strings.HasPrefix(rest, "ref:") || strings.HasPrefix(rest, "environment:") || rest == "pull_request") {
		return r, &Error{Flag: "branch", Problem: "builds GitHub's default sub, but this job's token has a customized one (" + c.Subject + ")",
			Fix: "leave out --branch, --tag, --environment and --pull-request to trust this job's sub as it is"}
	}
	return r, nil
}
