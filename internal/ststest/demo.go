package ststest

// The demo world: one CI user in a tooling account and two roles in a
// deployment account, the usual cross-account shape of a CI pipeline.
var (
	// DemoUser is an IAM user in account 111111111111. Its secret contains
	// '/', '+' and '=' on purpose.
	DemoUser = User{
		AccessKeyID:     "AKIAEMULATORDEMO0001",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCY=EMULATOR1",
		ARN:             "arn:aws:iam::111111111111:user/ci",
	}
	// DemoRole is a role in account 222222222222 that any principal of
	// account 111111111111 may assume, and that its own sessions may assume
	// again (for role-chaining tests). Sessions may last up to 12 hours.
	DemoRole = Role{
		ARN: "arn:aws:iam::222222222222:role/deploy",
		Trust: []string{
			"arn:aws:iam::111111111111:root",
			"arn:aws:iam::222222222222:role/deploy",
		},
		MaxSessionDuration: 43200,
	}
	// DemoExternalIDRole is like DemoRole but requires
	// ExternalId=DemoExternalID, as third-party roles do.
	DemoExternalIDRole = Role{
		ARN:        "arn:aws:iam::222222222222:role/vendor/audit",
		Trust:      []string{"arn:aws:iam::111111111111:root"},
		ExternalID: DemoExternalID,
	}
)

// DemoExternalID is the external ID DemoExternalIDRole requires.
const DemoExternalID = "demo-external-id"

// DemoRegion is the region the demo world is meant to be used with.
const DemoRegion = "us-east-1"

// SeedDemo adds DemoUser, DemoRole and DemoExternalIDRole.
func (e *Emulator) SeedDemo() {
	e.AddUser(DemoUser)
	e.AddRole(DemoRole)
	e.AddRole(DemoExternalIDRole)
}
