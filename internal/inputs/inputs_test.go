package inputs

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// in builds the runner's INPUT_* map from input names, as FromEnviron would.
func in(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[Prefix+strings.ToUpper(kv[i])] = kv[i+1]
	}
	return m
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	// The runner passes every declared input, empty when unset.
	m := in("aws-region", "eu-west-1", "role-to-assume", "", "role-session-name", "",
		"role-duration-seconds", "", "output-env-credentials", "", "retry-max-attempts", "", "mask-aws-account-id", "",
		"action-timeout-s", "")
	c, err := Parse(m)
	if err != nil {
		t.Fatal(err)
	}
	if c.RoleSessionName != "GitHubActions" || c.RoleDurationSeconds != 3600 || !c.OutputEnvCredentials ||
		c.RetryMaxAttempts != 12 || c.MaskAccountID || c.Partition != "aws" || c.Attempts() != 12 {
		t.Errorf("defaults: %+v", c)
	}
	// A step has a deadline unless the workflow says otherwise: a stalled
	// answer must not hold the job until its own 6-hour limit.
	if c.ActionTimeoutS != 600 {
		t.Errorf("action-timeout-s defaults to %d, want 600", c.ActionTimeoutS)
	}
	if c, err := Parse(in("aws-region", "eu-west-1", "action-timeout-s", "0")); err != nil || c.ActionTimeoutS != 0 {
		t.Errorf("action-timeout-s 0 (no limit): %v, %v", c, err)
	}
}

func TestParseValues(t *testing.T) {
	t.Parallel()
	c, err := Parse(in(
		"aws-region", "cn-north-1",
		"role-to-assume", "arn:aws-cn:iam::123456789012:role/path/to/deploy",
		"role-duration-seconds", "900",
		"disable-retry", "TRUE",
		"allowed-account-ids", " 123456789012 ,, 210987654321 ",
		"managed-session-policies", "\n arn:aws-cn:iam::aws:policy/ReadOnlyAccess \n\narn:aws-cn:iam::123456789012:policy/x/y\n",
		"inline-session-policy", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}",
		"action-timeout-s", "30",
	))
	if err != nil {
		t.Fatal(err)
	}
	if c.Partition != "aws-cn" || c.RoleARN != "arn:aws-cn:iam::123456789012:role/path/to/deploy" || c.Attempts() != 1 {
		t.Errorf("got %+v", c)
	}
	if got := strings.Join(c.AllowedAccountIDs, ","); got != "123456789012,210987654321" {
		t.Errorf("allowed-account-ids = %q", got)
	}
	if len(c.ManagedSessionPolicies) != 2 || c.ManagedSessionPolicies[0] != "arn:aws-cn:iam::aws:policy/ReadOnlyAccess" {
		t.Errorf("managed-session-policies = %q", c.ManagedSessionPolicies)
	}
	if c.InlineSessionPolicy != `{"Version":"2012-10-17","Statement":[]}` {
		t.Errorf("inline policy not compacted: %q", c.InlineSessionPolicy)
	}
}

func TestBareRoleName(t *testing.T) {
	t.Parallel()
	c, err := Parse(in("aws-region", "us-gov-west-1", "role-to-assume", "deploy"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.NeedsAccount() {
		t.Fatal("a bare name needs the account")
	}
	c.ExpandRole("123456789012")
	if c.RoleARN != "arn:aws-us-gov:iam::123456789012:role/deploy" || c.NeedsAccount() {
		t.Errorf("RoleARN = %q", c.RoleARN)
	}
}

func TestBooleans(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v    string
		want bool
		ok   bool
	}{
		{"true", true, true}, {"True", true, true}, {"TRUE", true, true},
		{"false", false, true}, {"False", false, true}, {"FALSE", false, true},
		{"", false, true},
		{"yes", false, false}, {"1", false, false}, {"on", false, false}, {"tRUE", false, false}, {"ture", false, false},
	} {
		t.Run(tc.v, func(t *testing.T) {
			t.Parallel()
			c, err := Parse(in("aws-region", "us-east-1", "output-credentials", tc.v))
			if !tc.ok {
				var ie *InputError
				if !errors.As(err, &ie) || ie.Input != "output-credentials" || !strings.Contains(ie.Fix, "true or false") {
					t.Fatalf("want an InputError for output-credentials, got %v", err)
				}
				return
			}
			if err != nil || c.OutputCredentials != tc.want {
				t.Fatalf("got %v, %v", c, err)
			}
		})
	}
}

func TestInvalidInputs(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 65)
	bigPolicy := `{"Statement":"` + strings.Repeat("x", 2100) + `"}`
	for _, tc := range []struct {
		name  string
		input []string
		want  string // the input the error must name
		text  string // a fragment of the message
	}{
		{"region missing", nil, "aws-region", "is required"},
		{"region upper", []string{"aws-region", "US-EAST-1"}, "aws-region", "not a region code"},
		{"region space", []string{"aws-region", "us east 1"}, "aws-region", "not a region code"},
		{"arn garbage", []string{"role-to-assume", "arn:aws:iam::123:role/x"}, "role-to-assume", "not an IAM role ARN"},
		{"arn user", []string{"role-to-assume", "arn:aws:iam::123456789012:user/x"}, "role-to-assume", "not an IAM role ARN"},
		{"arn partition", []string{"role-to-assume", "arn:aws-cn:iam::123456789012:role/x"}, "role-to-assume", "partition aws-cn"},
		{"role name chars", []string{"role-to-assume", "my role"}, "role-to-assume", "neither a role ARN nor a role name"},
		{"role newline", []string{"role-to-assume", "x\n::add-mask::a"}, "role-to-assume", "neither"},
		{"chaining without role", []string{"role-chaining", "true"}, "role-chaining", "needs role-to-assume"},
		{"session short", []string{"role-session-name", "a"}, "role-session-name", "not a valid session name"},
		{"session long", []string{"role-session-name", long}, "role-session-name", "not a valid session name"},
		{"session chars", []string{"role-session-name", "a b"}, "role-session-name", "not a valid session name"},
		{"duration low", []string{"role-duration-seconds", "899"}, "role-duration-seconds", "out of range"},
		{"duration high", []string{"role-duration-seconds", "43201"}, "role-duration-seconds", "out of range"},
		{"duration text", []string{"role-duration-seconds", "1h"}, "role-duration-seconds", "not a whole number"},
		{"duration huge", []string{"role-duration-seconds", "99999999999999999999"}, "role-duration-seconds", "not a whole number"},
		{"duration chained", []string{"role-to-assume", "r", "role-chaining", "true", "role-duration-seconds", "7200"}, "role-duration-seconds", "chained"},
		{"external id short", []string{"role-external-id", "x"}, "role-external-id", "not a valid external ID"},
		{"secret without id", []string{"aws-secret-access-key", "s"}, "aws-access-key-id", "is empty"},
		{"id without secret", []string{"aws-access-key-id", "AKIAABCDEFGHIJKLMNOP"}, "aws-secret-access-key", "is empty"},
		{"token alone", []string{"aws-session-token", "t"}, "aws-session-token", "without"},
		{"key id shape", []string{"aws-access-key-id", "not-a-key", "aws-secret-access-key", "s"}, "aws-access-key-id", "does not look like"},
		{"keys and chaining", []string{"aws-access-key-id", "AKIAABCDEFGHIJKLMNOP", "aws-secret-access-key", "s", "role-to-assume", "r", "role-chaining", "true"}, "role-chaining", "conflicts"},
		{"policy not json", []string{"inline-session-policy", "{Version: 1}"}, "inline-session-policy", "not a JSON policy"},
		{"policy array", []string{"inline-session-policy", "[]"}, "inline-session-policy", "not a JSON policy"},
		{"policy too big", []string{"inline-session-policy", bigPolicy}, "inline-session-policy", "without white space"},
		{"managed not arn", []string{"managed-session-policies", "ReadOnlyAccess"}, "managed-session-policies", "not an IAM policy ARN"},
		{"managed partition", []string{"managed-session-policies", "arn:aws-cn:iam::aws:policy/X"}, "managed-session-policies", "partition"},
		{"managed too many", []string{"managed-session-policies", strings.Repeat("arn:aws:iam::aws:policy/X\n", 11)}, "managed-session-policies", "lists 11"},
		{"account short", []string{"allowed-account-ids", "12345"}, "allowed-account-ids", "not an AWS account ID"},
		{"endpoint scheme", []string{"sts-endpoint", "ftp://x"}, "sts-endpoint", "scheme"},
		{"endpoint no host", []string{"sts-endpoint", "https://"}, "sts-endpoint", "no host"},
		{"endpoint bare", []string{"sts-endpoint", "sts.amazonaws.com"}, "sts-endpoint", "scheme"},
		{"proxy", []string{"http-proxy", "proxy:3128"}, "http-proxy", "scheme"},
		{"attempts zero", []string{"retry-max-attempts", "0"}, "retry-max-attempts", "out of range"},
		{"attempts huge", []string{"retry-max-attempts", "1000"}, "retry-max-attempts", "out of range"},
		{"timeout negative", []string{"action-timeout-s", "-1"}, "action-timeout-s", "negative"},
		{"bool yes", []string{"role-chaining", "yes"}, "role-chaining", "not a boolean"},
		{"bool in unset", []string{"unset-current-credentials", "1"}, "unset-current-credentials", "not a boolean"},
		{"token file without role", []string{"web-identity-token-file", "t.jwt"}, "web-identity-token-file", "needs role-to-assume"},
		{"token file and keys", []string{"web-identity-token-file", "t.jwt", "role-to-assume", "r", "aws-access-key-id", "AKIAABCDEFGHIJKLMNOP", "aws-secret-access-key", "s"}, "web-identity-token-file", "conflicts with aws-access-key-id"},
		{"token file and chaining", []string{"web-identity-token-file", "t.jwt", "role-to-assume", "r", "role-chaining", "true"}, "web-identity-token-file", "conflicts with role-chaining"},
		{"audience space", []string{"audience", "sts amazonaws"}, "audience", "not a valid audience"},
		{"tags not json", []string{"custom-tags", "Team=payments"}, "custom-tags", "not a JSON object"},
		{"tags default key", []string{"custom-tags", `{"Repository": "x"}`}, "custom-tags", "default tags"},
		{"tags too many", []string{"custom-tags", manyTags(38)}, "custom-tags", "has 38 tags"},
		{"transitive unknown", []string{"custom-tags", `{"Team": "a"}`, "transitive-tag-keys", "Team\nOwner"}, "transitive-tag-keys", "not the key of a tag"},
		{"transitive default skipped", []string{"role-skip-session-tagging", "true", "transitive-tag-keys", "Repository"}, "transitive-tag-keys", "not the key of a tag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kv := tc.input
			if tc.want != "aws-region" {
				kv = append([]string{"aws-region", "us-east-1"}, kv...)
			}
			_, err := Parse(in(kv...))
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("want *InputError, got %v", err)
			}
			if ie.Input != tc.want || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("error %q: want input %s and text %q", err, tc.want, tc.text)
			}
			if !strings.HasPrefix(err.Error(), "input "+tc.want) || ie.Fix == "" {
				t.Errorf("error %q must start with the input and carry a fix", err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error %q spans lines", err)
			}
		})
	}
}

func manyTags(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("%q: \"v\"", fmt.Sprintf("k%d", i))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func TestAudienceDefaultsByPartition(t *testing.T) {
	t.Parallel()
	for region, want := range map[string]string{"us-east-1": "sts.amazonaws.com", "cn-north-1": "sts.amazonaws.com.cn"} {
		c, err := Parse(in("aws-region", region))
		if err != nil || c.Audience != want {
			t.Errorf("%s: audience %q, %v", region, c.Audience, err)
		}
	}
	c, err := Parse(in("aws-region", "cn-north-1", "audience", "custom"))
	if err != nil || c.Audience != "custom" {
		t.Errorf("an explicit audience must win: %q, %v", c.Audience, err)
	}
	c, err = Parse(in("aws-region", "us-east-1", "custom-tags", manyTags(37)))
	if err != nil || len(c.Tags) != 37 {
		t.Errorf("37 custom tags fit beside the 13 defaults: %v", err)
	}
	c, err = Parse(in("aws-region", "us-east-1", "custom-tags", manyTags(50), "role-skip-session-tagging", "true", "transitive-tag-keys", "k1"))
	if err != nil || len(c.Tags) != 50 {
		t.Errorf("50 custom tags fit without defaults: %v", err)
	}
}

func TestSecretValuesNeverInErrors(t *testing.T) {
	t.Parallel()
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	for _, m := range []map[string]string{
		in("aws-region", "us-east-1", "aws-access-key-id", secret, "aws-secret-access-key", secret),
		in("aws-region", "us-east-1", "aws-secret-access-key", secret),
		in("aws-region", "us-east-1", "aws-session-token", secret),
	} {
		_, err := Parse(m)
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("error %v must exist and not contain the secret", err)
		}
	}
}

func TestQuoteCutsLongValues(t *testing.T) {
	t.Parallel()
	_, err := Parse(in("aws-region", "us-east-1", "role-to-assume", strings.Repeat("ü", 5000)))
	if err == nil || len(err.Error()) > 400 {
		t.Fatalf("error too long (%d): %v", len(err.Error()), err)
	}
}

func TestPartitionOf(t *testing.T) {
	t.Parallel()
	for region, want := range map[string]string{
		"us-east-1": "aws", "eu-central-2": "aws", "cn-northwest-1": "aws-cn", "us-gov-east-1": "aws-us-gov",
		"us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b", "eu-isoe-west-1": "aws-iso-e",
		"us-isof-south-1": "aws-iso-f", "eusc-de-east-1": "aws-eusc",
	} {
		if got := PartitionOf(region); got != want {
			t.Errorf("PartitionOf(%s) = %s, want %s", region, got, want)
		}
	}
}

func TestFromEnviron(t *testing.T) {
	t.Parallel()
	m := FromEnviron([]string{"INPUT_AWS-REGION=  us-east-1 \n", "HOME=/github/home", "INPUT_X=a=b", "BROKEN"})
	if len(m) != 2 || m["INPUT_AWS-REGION"] != "us-east-1" || m["INPUT_X"] != "a=b" {
		t.Errorf("got %q", m)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"us-east-1", "", "arn:aws:iam::123456789012:role/x", "true", "3600", "{\"a\":1}", "\n::add-mask::x",
		// The runner also ends a line at a bare CR and trims Unicode white space before "::".
		"x\r::add-mask::x", "x\r\u00a0::save-state name=files::/x", "\u3000::warning::x"} {
		f.Add("aws-region", "us-east-1", "role-to-assume", s, "role-duration-seconds", s)
	}
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, k3, v3 string) {
		c, err := Parse(in(k1, v1, k2, v2, k3, v3))
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || ie.Input == "" {
				t.Fatalf("non-input error %v", err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if c.Region == "" || c.Partition == "" || c.Attempts() < 1 {
			t.Fatalf("accepted an incomplete config %+v", c)
		}
	})
}

func TestAllInputsDescribed(t *testing.T) {
	t.Parallel()
	all := All()
	if len(all) < 29 {
		t.Fatalf("only %d inputs", len(all))
	}
	for _, in := range all {
		if in.Description == "" || in.Name != strings.ToLower(in.Name) {
			t.Errorf("input %+v lacks a description", in)
		}
	}
}
