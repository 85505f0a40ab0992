package inputs

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestRoleProfiles(t *testing.T) {
	t.Parallel()
	c, err := Parse(in("aws-region", "us-gov-west-1", "role-profiles", `
# release accounts
dev=arn:aws-us-gov:iam::111111111111:role/deploy
  prod = arn:aws-us-gov:iam::222222222222:role/team/deploy

   # the caller's own account
ci=ci-role
`, "web-identity-token-file", "", "overwrite-aws-profile", "true"))
	if err != nil {
		t.Fatal(err)
	}
	want := []RoleProfile{
		{Profile: "dev", Role: "arn:aws-us-gov:iam::111111111111:role/deploy", ARN: "arn:aws-us-gov:iam::111111111111:role/deploy"},
		{Profile: "prod", Role: "arn:aws-us-gov:iam::222222222222:role/team/deploy", ARN: "arn:aws-us-gov:iam::222222222222:role/team/deploy"},
		{Profile: "ci", Role: "ci-role"},
	}
	if !reflect.DeepEqual(c.RoleProfiles, want) {
		t.Errorf("got %+v\nwant %+v", c.RoleProfiles, want)
	}
	// The profiles are the way to the sessions: no keys in the env.
	if c.OutputEnvCredentials || !c.ProfilesNeedAccount() {
		t.Errorf("OutputEnvCredentials %v, ProfilesNeedAccount %v", c.OutputEnvCredentials, c.ProfilesNeedAccount())
	}
	c.ExpandRoles("333333333333")
	if got := c.RoleProfiles[2].ARN; got != "arn:aws-us-gov:iam::333333333333:role/ci-role" || c.ProfilesNeedAccount() || c.RoleProfiles[0].ARN != want[0].ARN {
		t.Errorf("expanded: %+v", c.RoleProfiles)
	}
	// Each profile may renew itself.
	if _, err := Parse(in("aws-region", "us-east-1", "role-profiles", "a=arn:aws:iam::111111111111:role/x", "refresh-credentials", "true")); err != nil {
		t.Errorf("refresh-credentials with role-profiles: %v", err)
	}
	// A token file may go with role-profiles instead of role-to-assume.
	if _, err := Parse(in("aws-region", "us-east-1", "role-profiles", "a=arn:aws:iam::111111111111:role/x", "web-identity-token-file", "t.jwt")); err != nil {
		t.Errorf("token file with role-profiles: %v", err)
	}
}

func TestRoleProfilesRefused(t *testing.T) {
	t.Parallel()
	role := "arn:aws:iam::111111111111:role/deploy"
	many := make([]string, MaxRoleProfiles+1)
	for i := range many {
		many[i] = fmt.Sprintf("p%d=%s", i, role)
	}
	for name, tc := range map[string]struct {
		kv   []string
		want string
	}{
		"with role-to-assume":    {[]string{"role-to-assume", role}, "input role-profiles conflicts with role-to-assume: give every role as a PROFILE=ROLE line of role-profiles, or use role-to-assume alone for one role"},
		"with aws-profile":       {[]string{"aws-profile", "x"}, "input role-profiles conflicts with aws-profile: "},
		"with existing":          {[]string{"use-existing-credentials", "true"}, "conflicts with use-existing-credentials"},
		"with output-creds":      {[]string{"output-credentials", "true"}, "conflicts with output-credentials"},
		"with env output":        {[]string{"output-env-credentials", "true"}, "conflicts with output-env-credentials"},
		"no equals":              {[]string{"role-profiles", "\n# c\ndev " + role}, `input role-profiles ("dev arn:aws:iam::111111111111:role/deploy") line 3 is not PROFILE=ROLE`},
		"empty role":             {[]string{"role-profiles", "dev="}, "line 1 is not PROFILE=ROLE"},
		"empty name":             {[]string{"role-profiles", "=" + role}, "line 1 is not PROFILE=ROLE"},
		"bad profile name":       {[]string{"role-profiles", "dev ops=" + role}, `line 1: "dev ops" is not a usable profile name`},
		"duplicate":              {[]string{"role-profiles", "dev=" + role + "\n\ndev=" + role}, "line 3 names profile dev again (first on line 1)"},
		"bad role":               {[]string{"role-profiles", "dev=arn:aws:iam::1:role/x"}, "line 1: role is not an IAM role ARN"},
		"bad name":               {[]string{"role-profiles", "dev=not a role"}, "line 1: role is neither a role ARN nor a role name"},
		"other partition":        {[]string{"role-profiles", "dev=arn:aws-cn:iam::111111111111:role/x"}, "line 1: role is in partition aws-cn but aws-region us-east-1"},
		"only comments":          {[]string{"role-profiles", "# nothing\n\n"}, "has no PROFILE=ROLE line"},
		"too many":               {[]string{"role-profiles", strings.Join(many, "\n")}, fmt.Sprintf("lists %d profiles", MaxRoleProfiles+1)},
		"chaining without roles": {[]string{"role-profiles", "", "role-chaining", "true"}, "input role-chaining"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := in(append([]string{"aws-region", "us-east-1", "role-profiles", "dev=" + role}, tc.kv...)...)
			_, err := Parse(m)
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an InputError containing %q", err, tc.want)
			}
		})
	}
}
