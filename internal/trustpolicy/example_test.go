package trustpolicy_test

import (
	"fmt"
	"os"

	"github.com/assume-role/assume-role/internal/trustpolicy"
)

// The jobs of one branch and of one environment of a repository.
func ExampleBuild() {
	p, err := trustpolicy.Build(trustpolicy.Request{
		Account:      "123456789012",
		Repository:   "octo-org/octo-repo",
		Branches:     []string{"main"},
		Environments: []string{"production"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	os.Stdout.Write(p.Document)
	fmt.Println(p.ProviderCommand())
	// Output:
	// {
	//   "Version": "2012-10-17",
	//   "Statement": [
	//     {
	//       "Effect": "Allow",
	//       "Principal": {
	//         "Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
	//       },
	//       "Action": "sts:AssumeRoleWithWebIdentity",
	//       "Condition": {
	//         "StringEquals": {
	//           "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
	//           "token.actions.githubusercontent.com:sub": [
	//             "repo:octo-org/octo-repo:ref:refs/heads/main",
	//             "repo:octo-org/octo-repo:environment:production"
	//           ]
	//         }
	//       }
	//     }
	//   ]
	// }
	// aws iam create-open-id-connect-provider --url https://token.actions.githubusercontent.com --client-id-list sts.amazonaws.com --thumbprint-list 6938fd4d98bab03faadb97b34396831e3780aea1 1c58a3a8518e8759bf075b76b750d4f2df264fcd
}

// A repository created since July 2026 gets the immutable sub form, which
// names the owner and the repository by ID as well: a policy in the old
// form does not match its jobs.
func ExampleBuild_immutable() {
	p, err := trustpolicy.Build(trustpolicy.Request{
		Account:      "123456789012",
		Repository:   "octo-org/octo-repo",
		OwnerID:      "123456",
		RepositoryID: "456789",
		Tags:         []string{"v*"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Subjects)
	// Output:
	// [repo:octo-org@123456/octo-repo@456789:ref:refs/tags/v*]
}

// Every repository of an owner is refused unless asked for by name.
func ExampleBuild_refused() {
	_, err := trustpolicy.Build(trustpolicy.Request{
		Account:    "123456789012",
		Repository: "octo-org/*",
		Branches:   []string{"main"},
	})
	fmt.Println(err)
	// Output:
	// --repository "octo-org/*" would let every repository of octo-org assume the role, including any created later: name one repository, or add --allow-any-repository-of-owner if every repository of octo-org may
}
