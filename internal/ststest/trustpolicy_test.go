package ststest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/assume-role/assume-role/internal/ststest"
)

// policy is a one-statement web identity trust policy for GitHub's provider
// in account 333333333333 of partition aws, with the given conditions.
func policy(conditions string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":"arn:aws:iam::333333333333:oidc-provider/token.actions.githubusercontent.com"},
		"Action":"sts:AssumeRoleWithWebIdentity","Condition":` + conditions + `}]}`
}

const (
	gh      = "token.actions.githubusercontent.com"
	audMain = `"StringEquals":{"` + gh + `:aud":"sts.amazonaws.com","` + gh + `:sub":"repo:octo-org/octo-repo:ref:refs/heads/main"}`
)

// TestTrustPolicyDocument evaluates trust policy documents through the wire,
// as STS does for AssumeRoleWithWebIdentity.
func TestTrustPolicyDocument(t *testing.T) {
	t.Parallel()
	emu, url, issuer, _, _ := oidcWorld(t)
	emu.AddOIDCProvider(issuer.Provider("333333333333", "sts.amazonaws.com", "sigstore"))
	main := ststest.Job{}
	tests := []struct {
		name, doc string
		job       ststest.Job
		aud       string
		ok        bool
	}{
		{"aud and sub", policy(`{` + audMain + `}`), main, "", true},
		{"another repository", policy(`{` + audMain + `}`), ststest.Job{Repository: "octo-org/other"}, "", false},
		{"another branch", policy(`{` + audMain + `}`), ststest.Job{Ref: "refs/heads/dev"}, "", false},
		{"another audience", policy(`{` + audMain + `}`), main, "sigstore", false},
		{"values of a key are alternatives", policy(`{"StringEquals":{"` + gh + `:sub":["repo:x/y:pull_request","repo:octo-org/octo-repo:ref:refs/heads/main"]}}`), main, "", true},
		{"keys of an operator are all required", policy(`{"StringEquals":{"` + gh + `:sub":"repo:octo-org/octo-repo:ref:refs/heads/main","` + gh + `:aud":"sigstore"}}`), main, "", false},
		{"operators are all required", policy(`{"StringEquals":{"` + gh + `:sub":"repo:octo-org/octo-repo:ref:refs/heads/main"},"StringLike":{"` + gh + `:sub":"repo:octo-org/octo-repo:ref:refs/tags/*"}}`), main, "", false},
		{"StringLike pattern", policy(`{"StringLike":{"` + gh + `:sub":"repo:octo-org/octo-repo:ref:refs/tags/v*"}}`), ststest.Job{Ref: "refs/tags/v1.2"}, "", true},
		{"StringEquals is literal", policy(`{"StringEquals":{"` + gh + `:sub":"repo:octo-org/octo-repo:*"}}`), main, "", false},
		{"keys are case-insensitive", policy(`{"StringEquals":{"Token.Actions.GitHubUserContent.com:SUB":"repo:octo-org/octo-repo:ref:refs/heads/main"}}`), main, "", true},
		{"values are case-sensitive", policy(`{"StringEquals":{"` + gh + `:sub":"repo:Octo-Org/octo-repo:ref:refs/heads/main"}}`), main, "", false},
		{"IgnoreCase", policy(`{"StringEqualsIgnoreCase":{"` + gh + `:sub":"repo:Octo-Org/octo-repo:ref:refs/heads/main"}}`), main, "", true},
		{"job_workflow_ref", policy(`{"StringEquals":{"` + gh + `:job_workflow_ref":"octo-org/deploy/.github/workflows/d.yml@refs/heads/main"}}`),
			ststest.Job{JobWorkflowRef: "octo-org/deploy/.github/workflows/d.yml@refs/heads/main"}, "", true},
		{"job_workflow_ref of the caller's own workflow", policy(`{"StringEquals":{"` + gh + `:job_workflow_ref":"octo-org/deploy/.github/workflows/d.yml@refs/heads/main"}}`), main, "", false},
		{"immutable sub", policy(`{"StringLike":{"` + gh + `:sub":"repo:octo-org@*/octo-repo@*:ref:refs/heads/main"}}`), ststest.Job{ImmutableSubject: true}, "", true},
		{"the old form misses an immutable sub", policy(`{` + audMain + `}`), ststest.Job{ImmutableSubject: true}, "", false},
		{"missing key: StringEquals fails", policy(`{"StringEquals":{"` + gh + `:environment":"prod"}}`), main, "", false},
		{"missing key: StringNotEquals holds", policy(`{"StringNotEquals":{"` + gh + `:environment":"prod"}}`), main, "", true},
		{"missing key: IfExists holds", policy(`{"StringEqualsIfExists":{"` + gh + `:environment":"prod"}}`), main, "", true},
		{"present key: IfExists tests it", policy(`{"StringEqualsIfExists":{"` + gh + `:environment":"prod"}}`), ststest.Job{Environment: "dev"}, "", false},
		{"Null true for a missing key", policy(`{"Null":{"` + gh + `:environment":"true"}}`), main, "", true},
		{"Null false for a missing key", policy(`{"Null":{"` + gh + `:environment":"false"}}`), main, "", false},
		{"ForAllValues holds for a missing key", policy(`{"ForAllValues:StringEquals":{"` + gh + `:environment":"prod"}}`), main, "", true},
		{"ForAnyValue fails for a missing key", policy(`{"ForAnyValue:StringEquals":{"` + gh + `:environment":"prod"}}`), main, "", false},
		{"claims STS does not expose are absent", policy(`{"StringEquals":{"` + gh + `:run_attempt":"1"}}`), main, "", false},
		{"explicit deny wins", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::333333333333:oidc-provider/` + gh + `"},"Action":"sts:AssumeRoleWithWebIdentity"},
			{"Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{"StringLike":{"` + gh + `:sub":"*:pull_request"}}}]}`,
			ststest.Job{EventName: "pull_request"}, "", false},
		{"deny that does not match", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::333333333333:oidc-provider/` + gh + `"},"Action":"sts:AssumeRoleWithWebIdentity"},
			{"Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{"StringLike":{"` + gh + `:sub":"*:pull_request"}}}]}`,
			main, "", true},
		{"a single statement object", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":["x","arn:aws:iam::333333333333:oidc-provider/` + gh + `"]},"Action":["sts:TagSession","sts:AssumeRoleWith*"]}}`,
			main, "", true},
		{"action AssumeRole only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::333333333333:oidc-provider/` + gh + `"},"Action":"sts:AssumeRole"}]}`,
			main, "", false},
		{"provider of another account", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::222222222222:oidc-provider/` + gh + `"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`,
			main, "", false},
		{"provider of another partition", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws-cn:iam::333333333333:oidc-provider/` + gh + `"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`,
			main, "", false},
		{"no statement allows", `{"Version":"2012-10-17","Statement":[]}`, main, "", false},
	}
	for i, tc := range tests {
		role := fmt.Sprintf("arn:aws:iam::333333333333:role/doc%d", i)
		emu.AddRole(ststest.Role{ARN: role, TrustPolicy: tc.doc})
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			aud := tc.aud
			if aud == "" {
				aud = "sts.amazonaws.com"
			}
			token := ststest.NewTokenIssuer(ststest.WithJob(tc.job)).Mint(aud)
			out, err := anonClient(url).AssumeRoleWithWebIdentity(t.Context(), webIdentity(role, token))
			if tc.ok {
				if err != nil {
					t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
				}
				if !strings.HasSuffix(aws.ToString(out.AssumedRoleUser.Arn), "/gha") {
					t.Errorf("Arn = %s", aws.ToString(out.AssumedRoleUser.Arn))
				}
				return
			}
			got := asAPIError(t, err)
			if want := (apiError{403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"}); got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

// A role in aws-cn trusts the provider ARN of aws-cn.
func TestTrustPolicyPartition(t *testing.T) {
	t.Parallel()
	emu, url, issuer, _, _ := oidcWorld(t)
	emu.AddOIDCProvider(issuer.Provider("444444444444", "sts.amazonaws.com.cn"))
	emu.AddRole(ststest.Role{ARN: "arn:aws-cn:iam::444444444444:role/cn", TrustPolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":"arn:aws-cn:iam::444444444444:oidc-provider/token.actions.githubusercontent.com"},
		"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com.cn"}}}]}`})
	out, err := anonClient(url).AssumeRoleWithWebIdentity(t.Context(), webIdentity("arn:aws-cn:iam::444444444444:role/cn", issuer.Mint("sts.amazonaws.com.cn")))
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws-cn:sts::444444444444:assumed-role/cn/gha" {
		t.Errorf("Arn = %s", got)
	}
}

// AddRole refuses what the evaluator does not model rather than evaluate it
// wrongly.
func TestTrustPolicyNotModelledPanics(t *testing.T) {
	t.Parallel()
	fed := `"Principal":{"Federated":"arn:aws:iam::333333333333:oidc-provider/` + gh + `"}`
	tests := map[string]string{
		"malformed":        `{"Version":`,
		"old version":      `{"Version":"2008-10-17","Statement":[]}`,
		"NotAction":        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` + fed + `,"NotAction":"sts:AssumeRole"}]}`,
		"NotPrincipal":     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"x"},"Action":"sts:*"}]}`,
		"AWS principal":    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"sts:AssumeRole"}]}`,
		"numeric operator": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` + fed + `,"Action":"sts:*","Condition":{"NumericEquals":{"a":"1"}}}]}`,
		"policy variable":  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` + fed + `,"Action":"sts:*","Condition":{"StringLike":{"a":"${aws:username}"}}}]}`,
		"bad effect":       `{"Version":"2012-10-17","Statement":[{"Effect":"allow",` + fed + `,"Action":"sts:*"}]}`,
		"bad set":          `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` + fed + `,"Action":"sts:*","Condition":{"ForSome:StringLike":{"a":"b"}}}]}`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Error("AddRole did not panic")
				}
			}()
			ststest.New().AddRole(ststest.Role{ARN: "arn:aws:iam::333333333333:role/x", TrustPolicy: doc})
		})
	}
	t.Run("both forms", func(t *testing.T) {
		t.Parallel()
		defer func() {
			if recover() == nil {
				t.Error("AddRole did not panic")
			}
		}()
		ststest.New().AddRole(ststest.Role{ARN: "arn:aws:iam::333333333333:role/x", TrustPolicy: policy(`{}`),
			WebIdentity: &ststest.WebIdentityTrust{Provider: gh}})
	})
}
