package trustpolicy

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzBuild checks the promise of the package for any request: a policy
// that Build prints is valid JSON, and each of its sub values names one
// owner (and, unless AnyRepositoryOfOwner, one repository) before any
// pattern character.
func FuzzBuild(f *testing.F) {
	f.Add("octo-org/octo-repo", "main", "v*", "prod", "", "", false, false)
	f.Add("octo-org/*", "*", "", "", "1", "", true, true)
	f.Add("*/*", "a", "", "", "", "", true, false)
	f.Add("o/r", "x:y", "refs/tags/*", "a?b", "12", "34", false, true)
	f.Fuzz(func(t *testing.T, repo, branch, tag, env, ownerID, repoID string, anyRepo, pr bool) {
		r := Request{Account: "111111111111", Repository: repo, OwnerID: ownerID, RepositoryID: repoID,
			AnyRepositoryOfOwner: anyRepo, PullRequests: pr}
		for _, v := range []struct {
			list *[]string
			s    string
		}{{&r.Branches, branch}, {&r.Tags, tag}, {&r.Environments, env}} {
			if v.s != "" {
				*v.list = append(*v.list, v.s)
			}
		}
		p, err := Build(r)
		if err != nil {
			if e, ok := err.(*Error); ok && strings.ContainsAny(e.Flag, " \n") {
				t.Errorf("flag name %q", e.Flag)
			}
			return
		}
		if !json.Valid(p.Document) {
			t.Fatalf("not JSON:\n%s", p.Document)
		}
		owner, name, _ := strings.Cut(repo, "/")
		for _, sub := range p.Subjects {
			rest, ok := strings.CutPrefix(sub, "repo:"+owner)
			if !ok || isPattern(owner) {
				t.Fatalf("sub %q does not name the owner %q", sub, owner)
			}
			if ownerID != "" {
				rest, ok = strings.CutPrefix(rest, "@"+ownerID)
			}
			if !ok || !strings.HasPrefix(rest, "/") {
				t.Fatalf("sub %q lets other owners in", sub)
			}
			if anyRepo {
				continue
			}
			if isPattern(name) || !strings.HasPrefix(rest, "/"+name+":") && !strings.HasPrefix(rest, "/"+name+"@"+repoID+":") {
				t.Fatalf("sub %q lets other repositories in", sub)
			}
		}
	})
}
