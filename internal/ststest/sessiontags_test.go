package ststest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/assume-role/assume-role/internal/ststest"
)

func tagList(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func TestSessionTagsNeedTagSession(t *testing.T) {
	t.Parallel()
	emu, url := demoServer(t)
	const noTags = "arn:aws:iam::222222222222:role/no-tags"
	emu.AddRole(ststest.Role{ARN: noTags, Trust: []string{"111111111111"}})
	user := newClient(url, userCreds(ststest.DemoUser))

	_, err := user.AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(noTags), RoleSessionName: aws.String("s1"), Tags: tagList("repo", "octo")})
	want := apiError{403, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: sts:TagSession on resource: %s", ststest.DemoUser.ARN, noTags)}
	if got := asAPIError(t, err); got != want {
		t.Errorf("tags on a role without sts:TagSession: %+v, want %+v", got, want)
	}
	if _, err := user.AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(noTags), RoleSessionName: aws.String("s1")}); err != nil {
		t.Errorf("the same role without tags: %v", err)
	}
	// An untrusted caller learns about the trust, not about tagging.
	_, err = user.AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(ststest.DemoOIDCRole.ARN), RoleSessionName: aws.String("s1"), Tags: tagList("repo", "octo")})
	if got := asAPIError(t, err); got.code != "AccessDenied" || !strings.Contains(got.message, "sts:AssumeRole on") {
		t.Errorf("untrusted with tags: %+v", got)
	}
	for _, in := range []*sts.AssumeRoleInput{
		{RoleArn: aws.String(ststest.DemoRole.ARN), RoleSessionName: aws.String("s1"), Tags: tagList("repo", "octo")},
		{RoleArn: aws.String(ststest.DemoExternalIDRole.ARN), RoleSessionName: aws.String("s1"), Tags: tagList("repo", "octo"), ExternalId: aws.String(ststest.DemoExternalID)},
	} {
		if _, err := user.AssumeRole(t.Context(), in); err != nil {
			t.Errorf("tags on %s: %v", aws.ToString(in.RoleArn), err)
		}
	}
}

func TestMaxPackedTagBytes(t *testing.T) {
	t.Parallel()
	emu, url := demoServer(t)
	const small = "arn:aws:iam::222222222222:role/small"
	emu.AddRole(ststest.Role{ARN: small, Trust: []string{"111111111111"}, AllowTagSession: true, MaxPackedTagBytes: 20})
	user := newClient(url, userCreds(ststest.DemoUser))

	tests := []struct {
		tags []types.Tag
		want string // empty for success
	}{
		{tagList("Repository", "octo/repo"), ""},          // 19 bytes
		{tagList("Repository", "octo/repo", "a", ""), ""}, // 20
		{tagList("Repository", "octo/repo12"), // 21, rounded up to a whole percent
			"Packed size of the session policy and session tags is 5% over the limit. Use fewer session tags or simplify the session policy."},
		{tagList("Repository", "octo/repo", "ab", "c"), // 22
			"Packed size of the session policy and session tags is 10% over the limit. Use fewer session tags or simplify the session policy."},
	}
	for i, tc := range tests {
		_, err := user.AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(small), RoleSessionName: aws.String("s1"), Tags: tc.tags})
		if tc.want == "" {
			if err != nil {
				t.Errorf("case %d: %v", i, err)
			}
			continue
		}
		if got := asAPIError(t, err); got != (apiError{400, "PackedPolicyTooLarge", tc.want}) {
			t.Errorf("case %d: %+v", i, got)
		}
	}
	calls := emu.Calls()
	if p := calls[len(calls)-1].Params; p.Get("Tags.member.2.Key") != "ab" || p.Get("Tags.member.2.Value") != "c" || calls[len(calls)-1].ErrorCode != "PackedPolicyTooLarge" {
		t.Errorf("the refused call's params = %v", p)
	}

}
