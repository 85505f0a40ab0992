package ststest

// The demo world: one CI user in a tooling account, two roles in a
// deployment account, the usual cross-account shape of a CI pipeline, and a
// role there that GitHub Actions jobs of octo-org/octo-repo assume with
// their OIDC token (see [Emulator.SeedDemoOIDC]).
var (
	// DemoUser is an IAM user in account 111111111111. Its secret contains
	// '/', '+' and '=' on purpose.
	DemoUser = User{
		AccessKeyID:     "AKIAEMULATORDEMO0001",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCY=EMULATOR1",
		ARN:             "arn:aws:iam::111111111111:user/ci",
	}
	// DemoRole is a role in account 222222222222 that any principal of
	// account 111111111111 may assume, and that its own sessions and those
	// of DemoOIDCRole may assume again (for role-chaining tests). Sessions
	// may last up to 12 hours and may be tagged.
	DemoRole = Role{
		ARN: "arn:aws:iam::222222222222:role/deploy",
		Trust: []string{
			"arn:aws:iam::111111111111:root",
			"arn:aws:iam::222222222222:role/deploy",
			"arn:aws:iam::222222222222:role/github-deploy",
		},
		MaxSessionDuration: 43200,
		AllowTagSession:    true,
	}
	// DemoExternalIDRole is like DemoRole but requires
	// ExternalId=DemoExternalID, as third-party roles do.
	DemoExternalIDRole = Role{
		ARN:             "arn:aws:iam::222222222222:role/vendor/audit",
		Trust:           []string{"arn:aws:iam::111111111111:root"},
		ExternalID:      DemoExternalID,
		AllowTagSession: true,
	}
	// DemoOIDCRole is a role in account 222222222222 that GitHub Actions
	// jobs of any ref, environment or pull request of octo-org/octo-repo
	// may assume with an ID token for audience sts.amazonaws.com, the trust
	// policy AWS documents for GitHub. No AWS principal may assume it.
	DemoOIDCRole = Role{
		ARN: "arn:aws:iam::222222222222:role/github-deploy",
		WebIdentity: &WebIdentityTrust{
			Provider: "token.actions.githubusercontent.com",
			Audience: DefaultAudience,
			Subjects: []string{"repo:octo-org/octo-repo:*"},
		},
		AllowTagSession: true,
	}
)

// DemoExternalID is the external ID DemoExternalIDRole requires.
const DemoExternalID = "demo-external-id"

// DemoRegion is the region the demo world is meant to be used with.
const DemoRegion = "us-east-1"

// DemoOIDCAccount is the account of DemoOIDCRole and of the OIDC provider
// [Emulator.SeedDemoOIDC] creates.
const DemoOIDCAccount = "222222222222"

// SeedDemo adds DemoUser, DemoRole, DemoExternalIDRole and DemoOIDCRole.
// DemoOIDCRole cannot be assumed until [Emulator.SeedDemoOIDC] creates its
// OIDC provider: tokens are refused with "No OpenIDConnect provider found".
func (e *Emulator) SeedDemo() {
	e.AddUser(DemoUser)
	e.AddRole(DemoRole)
	e.AddRole(DemoExternalIDRole)
	e.AddRole(DemoOIDCRole)
}

// SeedDemoOIDC adds DemoOIDCRole and, in account DemoOIDCAccount, the OIDC
// provider for issuer's tokens with audience sts.amazonaws.com. The issuer
// must have GitHub's issuer URL (the default) for DemoOIDCRole to trust it.
func (e *Emulator) SeedDemoOIDC(issuer *TokenIssuer) {
	e.AddOIDCProvider(issuer.Provider(DemoOIDCAccount, DefaultAudience))
	e.AddRole(DemoOIDCRole)
}
