//lint:file-ignore SA1019 real STS still sends PackedPolicySize, so the emulator must too and its tests read it

package ststest_test

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/assume-role/assume-role/internal/ststest"
)

var (
	accessKeyIDRe = regexp.MustCompile(`^ASIA[A-Z0-9]{16}$`)
	roleIDRe      = regexp.MustCompile(`^AROA[A-Z0-9]{17}:`)
)

func TestAssumeRoleThenGetCallerIdentity(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC().Truncate(time.Second)
	emu, url := demoServer(t, ststest.WithClock(func() time.Time { return now }))

	out, err := newClient(url, userCreds(ststest.DemoUser)).AssumeRole(t.Context(), &sts.AssumeRoleInput{
		RoleArn:         aws.String(ststest.DemoRole.ARN),
		RoleSessionName: aws.String("ci-run"),
		DurationSeconds: aws.Int32(7200),
		SourceIdentity:  aws.String("alice"),
		Tags:            []types.Tag{{Key: aws.String("repo"), Value: aws.String("octo/app")}},
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	c := out.Credentials
	if got := aws.ToString(c.AccessKeyId); !accessKeyIDRe.MatchString(got) {
		t.Errorf("AccessKeyId = %q, want ASIA + 16 uppercase alphanumerics", got)
	}
	if got := aws.ToString(c.SecretAccessKey); len(got) != 40 || !strings.ContainsAny(got, "/") || !strings.ContainsAny(got, "+") || !strings.ContainsAny(got, "=") {
		t.Errorf("SecretAccessKey = %q, want 40 chars including '/', '+' and '='", got)
	}
	if got := len(aws.ToString(c.SessionToken)); got < 300 {
		t.Errorf("len(SessionToken) = %d, want >= 300", got)
	}
	if got, want := aws.ToTime(c.Expiration), now.Add(2*time.Hour); !got.Equal(want) {
		t.Errorf("Expiration = %v, want %v", got, want)
	}
	wantARN := "arn:aws:sts::222222222222:assumed-role/deploy/ci-run"
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != wantARN {
		t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, wantARN)
	}
	roleID := aws.ToString(out.AssumedRoleUser.AssumedRoleId)
	if !roleIDRe.MatchString(roleID) || !strings.HasSuffix(roleID, ":ci-run") {
		t.Errorf("AssumedRoleId = %q, want AROA<17>:ci-run", roleID)
	}
	if out.PackedPolicySize == nil {
		t.Error("PackedPolicySize missing although tags were sent")
	}
	if got := aws.ToString(out.SourceIdentity); got != "alice" {
		t.Errorf("SourceIdentity = %q, want alice", got)
	}

	issued := emu.Issued()
	if len(issued) != 1 {
		t.Fatalf("Issued() has %d credentials, want 1", len(issued))
	}
	want := ststest.Credentials{
		AccessKeyID:     aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken:    aws.ToString(c.SessionToken),
		Expiration:      now.Add(2 * time.Hour),
		ARN:             wantARN,
	}
	if issued[0] != want {
		t.Errorf("Issued()[0] = %+v, want %+v", issued[0], want)
	}

	id, err := newClient(url, sessionCreds(issued[0])).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity as session: %v", err)
	}
	if got := [3]string{aws.ToString(id.Arn), aws.ToString(id.UserId), aws.ToString(id.Account)}; got != [3]string{wantARN, roleID, "222222222222"} {
		t.Errorf("GetCallerIdentity as session = %q", got)
	}

	id, err = newClient(url, userCreds(ststest.DemoUser)).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity as user: %v", err)
	}
	if aws.ToString(id.Arn) != ststest.DemoUser.ARN || aws.ToString(id.Account) != "111111111111" || !strings.HasPrefix(aws.ToString(id.UserId), "AIDA") {
		t.Errorf("GetCallerIdentity as user = %s %s %s", aws.ToString(id.Arn), aws.ToString(id.UserId), aws.ToString(id.Account))
	}

	calls := emu.Calls()
	if len(calls) != 3 || emu.CallCount("") != 3 || emu.CallCount("GetCallerIdentity") != 2 {
		t.Fatalf("got %d calls (%+v), want AssumeRole then 2 GetCallerIdentity", len(calls), calls)
	}
	first := calls[0]
	if first.Action != "AssumeRole" || first.AccessKeyID != ststest.DemoUser.AccessKeyID || first.Status != http.StatusOK ||
		first.ErrorCode != "" || !first.At.Equal(now) || first.Params.Get("RoleSessionName") != "ci-run" ||
		first.Params.Get("Tags.member.1.Key") != "repo" || first.RequestID == "" {
		t.Errorf("Calls()[0] = %+v", first)
	}
	if calls[1].AccessKeyID != issued[0].AccessKeyID {
		t.Errorf("Calls()[1].AccessKeyID = %q, want the session's", calls[1].AccessKeyID)
	}
}

func TestAssumeRoleSuccess(t *testing.T) {
	t.Parallel()
	emu, url := demoServer(t)
	cnUser := ststest.User{AccessKeyID: "AKIACHINAUSER0000001", SecretAccessKey: "cn-secret", ARN: "arn:aws-cn:iam::444444444444:user/cn"}
	emu.AddUser(cnUser)
	emu.AddRole(ststest.Role{ARN: "arn:aws-cn:iam::555555555555:role/cn-deploy", Trust: []string{"444444444444"}})
	emu.AddRole(ststest.Role{ARN: "arn:aws:iam::333333333333:role/by-user", Trust: []string{ststest.DemoUser.ARN}})
	emu.AddRole(ststest.Role{ARN: "arn:aws:iam::333333333333:role/by-role", Trust: []string{ststest.DemoRole.ARN}})
	emu.AddRole(ststest.Role{ARN: "arn:aws:iam::333333333333:role/anyone", Trust: []string{"*"}})
	session := assumeDemo(t, url, "first-hop")
	emu.AddRole(ststest.Role{ARN: "arn:aws:iam::333333333333:role/by-session", Trust: []string{session.ARN}})

	tests := []struct {
		name       string
		creds      aws.Credentials
		in         sts.AssumeRoleInput
		wantARN    string
		wantExpiry time.Duration
		wantPacked bool
	}{
		{
			name:       "defaults",
			creds:      userCreds(ststest.DemoUser),
			in:         sts.AssumeRoleInput{RoleArn: aws.String(ststest.DemoRole.ARN), RoleSessionName: aws.String("s1")},
			wantARN:    "arn:aws:sts::222222222222:assumed-role/deploy/s1",
			wantExpiry: time.Hour,
		},
		{
			name:  "role with path and external id",
			creds: userCreds(ststest.DemoUser),
			in: sts.AssumeRoleInput{RoleArn: aws.String(ststest.DemoExternalIDRole.ARN), RoleSessionName: aws.String("audit@example.com"),
				ExternalId: aws.String(ststest.DemoExternalID), DurationSeconds: aws.Int32(900)},
			wantARN:    "arn:aws:sts::222222222222:assumed-role/audit/audit@example.com",
			wantExpiry: 15 * time.Minute,
		},
		{
			name:  "session policy and managed policy ARNs",
			creds: userCreds(ststest.DemoUser),
			in: sts.AssumeRoleInput{RoleArn: aws.String(ststest.DemoRole.ARN), RoleSessionName: aws.String("scoped"),
				Policy:     aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`),
				PolicyArns: []types.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}},
			wantARN:    "arn:aws:sts::222222222222:assumed-role/deploy/scoped",
			wantExpiry: time.Hour,
			wantPacked: true,
		},
		{
			name:  "tags and transitive keys",
			creds: userCreds(ststest.DemoUser),
			in: sts.AssumeRoleInput{RoleArn: aws.String(ststest.DemoRole.ARN), RoleSessionName: aws.String("tagged"),
				Tags:              []types.Tag{{Key: aws.String("Repo"), Value: aws.String("octo/app")}, {Key: aws.String("empty"), Value: aws.String("")}},
				TransitiveTagKeys: []string{"repo"}},
			wantARN:    "arn:aws:sts::222222222222:assumed-role/deploy/tagged",
			wantExpiry: time.Hour,
			wantPacked: true,
		},
		{
			name:       "role chaining within one hour",
			creds:      sessionCreds(session),
			in:         sts.AssumeRoleInput{RoleArn: aws.String(ststest.DemoRole.ARN), RoleSessionName: aws.String("second-hop"), DurationSeconds: aws.Int32(3600)},
			wantARN:    "arn:aws:sts::222222222222:assumed-role/deploy/second-hop",
			wantExpiry: time.Hour,
		},
		{
			name:       "trust names the user",
			creds:      userCreds(ststest.DemoUser),
			in:         sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::333333333333:role/by-user"), RoleSessionName: aws.String("u1")},
			wantARN:    "arn:aws:sts::333333333333:assumed-role/by-user/u1",
			wantExpiry: time.Hour,
		},
		{
			name:       "trust names the role of the calling session",
			creds:      sessionCreds(session),
			in:         sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::333333333333:role/by-role"), RoleSessionName: aws.String("r1")},
			wantARN:    "arn:aws:sts::333333333333:assumed-role/by-role/r1",
			wantExpiry: time.Hour,
		},
		{
			name:       "trust names the calling session",
			creds:      sessionCreds(session),
			in:         sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::333333333333:role/by-session"), RoleSessionName: aws.String("s2")},
			wantARN:    "arn:aws:sts::333333333333:assumed-role/by-session/s2",
			wantExpiry: time.Hour,
		},
		{
			name:       "trust everyone",
			creds:      userCreds(ststest.DemoUser),
			in:         sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::333333333333:role/anyone"), RoleSessionName: aws.String("x.y=z,w+v-u")},
			wantARN:    "arn:aws:sts::333333333333:assumed-role/anyone/x.y=z,w+v-u",
			wantExpiry: time.Hour,
		},
		{
			name:       "partition from the role ARN",
			creds:      userCreds(cnUser),
			in:         sts.AssumeRoleInput{RoleArn: aws.String("arn:aws-cn:iam::555555555555:role/cn-deploy"), RoleSessionName: aws.String("cn")},
			wantARN:    "arn:aws-cn:sts::555555555555:assumed-role/cn-deploy/cn",
			wantExpiry: time.Hour,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now().Truncate(time.Second)
			out, err := newClient(url, tc.creds).AssumeRole(t.Context(), &tc.in)
			if err != nil {
				t.Fatalf("AssumeRole: %v", err)
			}
			if got := aws.ToString(out.AssumedRoleUser.Arn); got != tc.wantARN {
				t.Errorf("Arn = %q, want %q", got, tc.wantARN)
			}
			if exp := aws.ToTime(out.Credentials.Expiration); exp.Before(start.Add(tc.wantExpiry)) || exp.After(time.Now().Add(tc.wantExpiry)) {
				t.Errorf("Expiration = %v, want about %v from now", exp, tc.wantExpiry)
			}
			if got := out.PackedPolicySize != nil; got != tc.wantPacked {
				t.Errorf("PackedPolicySize present = %v, want %v", got, tc.wantPacked)
			}
			id, err := newClient(url, aws.Credentials{
				AccessKeyID:     aws.ToString(out.Credentials.AccessKeyId),
				SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
				SessionToken:    aws.ToString(out.Credentials.SessionToken),
			}).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("GetCallerIdentity with the new session: %v", err)
			}
			if got := aws.ToString(id.Arn); got != tc.wantARN {
				t.Errorf("GetCallerIdentity Arn = %q, want %q", got, tc.wantARN)
			}
		})
	}
}

func TestAssumeRoleErrors(t *testing.T) {
	t.Parallel()
	emu, url := demoServer(t)
	intruder := ststest.User{AccessKeyID: "AKIAINTRUDER00000001", SecretAccessKey: "intruder-secret", ARN: "arn:aws:iam::333333333333:user/intruder"}
	emu.AddUser(intruder)
	session := assumeDemo(t, url, "hop")
	expired := assumeDemo(t, url, "old")
	emu.Expire(expired.AccessKeyID)

	user := userCreds(ststest.DemoUser)
	deploy := aws.String(ststest.DemoRole.ARN)
	name := aws.String("session")
	denied := func(caller, role string) string {
		return fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller, role)
	}
	tags := func(n int) []types.Tag {
		out := make([]types.Tag, n)
		for i := range out {
			out[i] = types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")}
		}
		return out
	}
	arns := func(n int) []types.PolicyDescriptorType {
		out := make([]types.PolicyDescriptorType, n)
		for i := range out {
			out[i] = types.PolicyDescriptorType{Arn: aws.String(fmt.Sprintf("arn:aws:iam::aws:policy/P%d", i))}
		}
		return out
	}
	bigPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + strings.Repeat("a", 2048) + `"}]}`

	tests := []struct {
		name  string
		creds aws.Credentials
		in    sts.AssumeRoleInput
		want  apiError // message is matched as a substring
	}{
		{
			name:  "wrong secret",
			creds: aws.Credentials{AccessKeyID: ststest.DemoUser.AccessKeyID, SecretAccessKey: strings.Repeat("x", 40)},
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name},
			want:  apiError{403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."},
		},
		{
			name:  "unknown access key",
			creds: aws.Credentials{AccessKeyID: "AKIAUNKNOWN000000001", SecretAccessKey: "s"},
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name},
			want:  apiError{403, "InvalidClientTokenId", "The security token included in the request is invalid."},
		},
		{
			name:  "session token with a long-term key",
			creds: aws.Credentials{AccessKeyID: user.AccessKeyID, SecretAccessKey: user.SecretAccessKey, SessionToken: "token"},
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name},
			want:  apiError{403, "InvalidClientTokenId", "The security token included in the request is invalid."},
		},
		{
			name:  "temporary key without its session token",
			creds: aws.Credentials{AccessKeyID: session.AccessKeyID, SecretAccessKey: session.SecretAccessKey},
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name},
			want:  apiError{403, "InvalidClientTokenId", "The security token included in the request is invalid."},
		},
		{
			name:  "temporary key with another session token",
			creds: aws.Credentials{AccessKeyID: session.AccessKeyID, SecretAccessKey: session.SecretAccessKey, SessionToken: expired.SessionToken},
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name},
			want:  apiError{403, "InvalidClientTokenId", "The security token included in the request is invalid."},
		},
		{
			name:  "expired session",
			creds: sessionCreds(expired),
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name},
			want:  apiError{400, "ExpiredToken", "The security token included in the request is expired"},
		},
		{
			name:  "caller not trusted",
			creds: userCreds(intruder),
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name},
			want:  apiError{403, "AccessDenied", denied(intruder.ARN, ststest.DemoRole.ARN)},
		},
		{
			name:  "unknown role",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/nope"), RoleSessionName: name},
			want:  apiError{403, "AccessDenied", denied(ststest.DemoUser.ARN, "arn:aws:iam::222222222222:role/nope")},
		},
		{
			name:  "session of an untrusted role",
			creds: sessionCreds(session),
			in:    sts.AssumeRoleInput{RoleArn: aws.String(ststest.DemoExternalIDRole.ARN), RoleSessionName: name, ExternalId: aws.String(ststest.DemoExternalID)},
			want:  apiError{403, "AccessDenied", denied(session.ARN, ststest.DemoExternalIDRole.ARN)},
		},
		{
			name:  "external id missing",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: aws.String(ststest.DemoExternalIDRole.ARN), RoleSessionName: name},
			want:  apiError{403, "AccessDenied", denied(ststest.DemoUser.ARN, ststest.DemoExternalIDRole.ARN)},
		},
		{
			name:  "external id wrong",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: aws.String(ststest.DemoExternalIDRole.ARN), RoleSessionName: name, ExternalId: aws.String("guess")},
			want:  apiError{403, "AccessDenied", denied(ststest.DemoUser.ARN, ststest.DemoExternalIDRole.ARN)},
		},
		{
			name:  "external id too short",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name, ExternalId: aws.String("x")},
			want:  apiError{400, "ValidationError", "1 validation error detected: Value 'x' at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		},
		{
			name:  "session name too short",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: aws.String("a")},
			want:  apiError{400, "ValidationError", "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		},
		{
			name:  "session name with a space",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: aws.String("my session")},
			want:  apiError{400, "ValidationError", `1 validation error detected: Value 'my session' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		},
		{
			name:  "two errors at once",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: aws.String(strings.Repeat("s", 65) + "!")},
			want:  apiError{400, "ValidationError", "2 validation errors detected: Value '" + strings.Repeat("s", 65) + "!' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64; Value"},
		},
		{
			name:  "duration below 15 minutes",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name, DurationSeconds: aws.Int32(899)},
			want:  apiError{400, "ValidationError", "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		},
		{
			name:  "duration above 12 hours",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name, DurationSeconds: aws.Int32(43201)},
			want:  apiError{400, "ValidationError", "Member must have value less than or equal to 43200"},
		},
		{
			name:  "duration above the role maximum",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: aws.String(ststest.DemoExternalIDRole.ARN), RoleSessionName: name, ExternalId: aws.String(ststest.DemoExternalID), DurationSeconds: aws.Int32(3601)},
			want:  apiError{400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		},
		{
			name:  "role chaining above one hour",
			creds: sessionCreds(session),
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name, DurationSeconds: aws.Int32(3601)},
			want:  apiError{400, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."},
		},
		{
			name:  "policy is not JSON",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name, Policy: aws.String(`{"Version":`)},
			want:  apiError{400, "MalformedPolicyDocument", "Syntax errors in policy."},
		},
		{
			name:  "policy too large",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name, Policy: aws.String(bigPolicy)},
			want:  apiError{400, "PackedPolicyTooLarge", "Packed policy consumes 1"},
		},
		{
			name:  "eleven policy ARNs",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name, PolicyArns: arns(11)},
			want:  apiError{400, "ValidationError", "at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10"},
		},
		{
			name:  "policy ARN too short",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name, PolicyArns: []types.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:p")}}},
			want:  apiError{400, "ValidationError", "Value 'arn:aws:iam::aws:p' at 'policyArns.1.member.arn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		},
		{
			name:  "51 tags",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name, Tags: tags(51)},
			want:  apiError{400, "ValidationError", "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"},
		},
		{
			name:  "tag key too long",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name, Tags: []types.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}},
			want:  apiError{400, "ValidationError", "at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128"},
		},
		{
			name:  "tag value too long",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String(strings.Repeat("v", 257))}}},
			want:  apiError{400, "ValidationError", "at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256"},
		},
		{
			name:  "tag key with a forbidden character",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name, Tags: []types.Tag{{Key: aws.String("a*b"), Value: aws.String("v")}}},
			want:  apiError{400, "ValidationError", "Value 'a*b' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		},
		{
			name:  "duplicate tag keys",
			creds: user,
			in: sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name,
				Tags: []types.Tag{{Key: aws.String("Team"), Value: aws.String("a")}, {Key: aws.String("team"), Value: aws.String("b")}}},
			want: apiError{400, "InvalidParameterValue", "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		},
		{
			name:  "transitive key not among the tags",
			creds: user,
			in: sts.AssumeRoleInput{RoleArn: deploy, RoleSessionName: name,
				Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}, TransitiveTagKeys: []string{"repo"}},
			want: apiError{400, "InvalidParameterValue", "The specified transitive tag key must be included in the requested tags."},
		},
		{
			name:  "role ARN too short",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::1:r"), RoleSessionName: name},
			want:  apiError{400, "ValidationError", "1 validation error detected: Value 'arn:aws:iam::1:r' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		},
		{
			name:  "role ARN not an ARN",
			creds: user,
			in:    sts.AssumeRoleInput{RoleArn: aws.String("deploy-role-in-production"), RoleSessionName: name},
			want:  apiError{400, "ValidationError", "deploy-role-in-production is invalid"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := newClient(url, tc.creds).AssumeRole(t.Context(), &tc.in)
			if err == nil {
				t.Fatal("AssumeRole succeeded, want an error")
			}
			got := asAPIError(t, err)
			if got.status != tc.want.status || got.code != tc.want.code || !strings.Contains(got.message, tc.want.message) {
				t.Errorf("got %d %s %q\nwant %d %s containing %q", got.status, got.code, got.message, tc.want.status, tc.want.code, tc.want.message)
			}
		})
	}
}

// TestSessionExpiresWithTheClock lets the emulator clock run past a
// session's expiration. Requests are signed at the emulator time so that
// only the expiry, not clock skew, can fail them.
func TestSessionExpiresWithTheClock(t *testing.T) {
	t.Parallel()
	start := time.Now().UTC().Truncate(time.Second)
	var offset atomic.Int64
	clock := func() time.Time { return start.Add(time.Duration(offset.Load())) }
	emu, base := demoServer(t, ststest.WithClock(clock))

	resp, _ := signedRequest{
		params:   url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {ststest.DemoRole.ARN}, "RoleSessionName": {"short"}, "DurationSeconds": {"900"}},
		creds:    userCreds(ststest.DemoUser),
		signedAt: clock(),
	}.do(t, base)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("AssumeRole status = %d", resp.StatusCode)
	}
	sess := emu.Issued()[0]
	if want := start.Add(15 * time.Minute); !sess.Expiration.Equal(want) {
		t.Fatalf("Expiration = %v, want %v", sess.Expiration, want)
	}

	for _, tc := range []struct {
		elapsed    time.Duration
		wantStatus int
	}{
		{15*time.Minute - time.Second, http.StatusOK},
		{15 * time.Minute, http.StatusBadRequest},
	} {
		offset.Store(int64(tc.elapsed))
		resp, body := signedRequest{
			params:   url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}},
			creds:    sessionCreds(sess),
			signedAt: clock(),
		}.do(t, base)
		if resp.StatusCode != tc.wantStatus {
			t.Errorf("after %v: status %d, want %d: %s", tc.elapsed, resp.StatusCode, tc.wantStatus, body)
		}
	}
	if got := emu.Calls()[2].ErrorCode; got != "ExpiredToken" {
		t.Errorf("ErrorCode = %q, want ExpiredToken", got)
	}
}

// TestProtocol sends hand-built requests to check what SDKs never send.
func TestProtocol(t *testing.T) {
	t.Parallel()
	_, base := demoServer(t)
	user := userCreds(ststest.DemoUser)
	gci := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}

	tests := []struct {
		name       string
		req        signedRequest
		wantStatus int
		wantCode   string // empty for success
		wantText   string // substring of the body
	}{
		{
			name:       "signed GET query",
			req:        signedRequest{method: http.MethodGet, params: gci, creds: user},
			wantStatus: 200,
			wantText:   "<Arn>" + ststest.DemoUser.ARN + "</Arn>",
		},
		{
			name:       "signed POST from another region",
			req:        signedRequest{params: gci, creds: user, region: "eu-west-1"},
			wantStatus: 200,
			wantText:   "<Account>111111111111</Account>",
		},
		{
			name:       "unsigned",
			req:        signedRequest{params: gci},
			wantStatus: 403,
			wantCode:   "MissingAuthenticationToken",
			wantText:   "Request is missing Authentication Token",
		},
		{
			name:       "signed for another service",
			req:        signedRequest{params: gci, creds: user, service: "iam"},
			wantStatus: 403,
			wantCode:   "SignatureDoesNotMatch",
			wantText:   "Credential should be scoped to correct service: 'sts'.",
		},
		{
			name:       "unknown action",
			req:        signedRequest{params: url.Values{"Action": {"GetSessionToken"}, "Version": {"2011-06-15"}}, creds: user},
			wantStatus: 400,
			wantCode:   "InvalidAction",
			wantText:   "Could not find operation GetSessionToken for version 2011-06-15",
		},
		{
			name:       "unknown action unsigned",
			req:        signedRequest{params: url.Values{"Action": {"Nope"}, "Version": {"2011-06-15"}}},
			wantStatus: 400,
			wantCode:   "InvalidAction",
		},
		{
			name:       "missing version",
			req:        signedRequest{params: url.Values{"Action": {"GetCallerIdentity"}}, creds: user},
			wantStatus: 400,
			wantCode:   "InvalidAction",
			wantText:   "Could not find operation GetCallerIdentity for version NO_VERSION_SPECIFIED",
		},
		{
			name:       "wrong version",
			req:        signedRequest{params: url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2010-05-08"}}, creds: user},
			wantStatus: 400,
			wantCode:   "InvalidAction",
			wantText:   "for version 2010-05-08",
		},
		{
			name:       "missing action",
			req:        signedRequest{params: url.Values{"Version": {"2011-06-15"}}, creds: user},
			wantStatus: 400,
			wantCode:   "MissingAction",
		},
		{
			name:       "missing role session name",
			req:        signedRequest{params: url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {ststest.DemoRole.ARN}}, creds: user},
			wantStatus: 400,
			wantCode:   "ValidationError",
			wantText:   "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null",
		},
		{
			name:       "duration not a number",
			req:        signedRequest{params: url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {ststest.DemoRole.ARN}, "RoleSessionName": {"s1"}, "DurationSeconds": {"1h"}}, creds: user},
			wantStatus: 400,
			wantCode:   "ValidationError",
		},
		{
			name:       "PUT",
			req:        signedRequest{method: http.MethodPut, params: gci, creds: user},
			wantStatus: 405,
			wantCode:   "MethodNotAllowed",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := tc.req.do(t, base)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d\n%s", resp.StatusCode, tc.wantStatus, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/xml" {
				t.Errorf("Content-Type = %q, want text/xml", ct)
			}
			reqID := resp.Header.Get("x-amzn-RequestId")
			if !strings.Contains(body, "<RequestId>"+reqID+"</RequestId>") || reqID == "" {
				t.Errorf("x-amzn-RequestId %q is not the body's RequestId\n%s", reqID, body)
			}
			if tc.wantCode != "" && !strings.Contains(body, "<Code>"+tc.wantCode+"</Code>") {
				t.Errorf("body lacks code %s:\n%s", tc.wantCode, body)
			}
			if !strings.Contains(body, tc.wantText) {
				t.Errorf("body lacks %q:\n%s", tc.wantText, body)
			}
		})
	}
}

// TestDocuments pins the exact XML of a success and an error answer.
func TestDocuments(t *testing.T) {
	t.Parallel()
	_, base := demoServer(t)
	tests := []struct {
		name   string
		params url.Values
		want   string // %s is the request ID
	}{
		{
			name:   "GetCallerIdentity",
			params: url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}},
			want: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">` +
				`<GetCallerIdentityResult><Arn>arn:aws:iam::111111111111:user/ci</Arn><UserId>AIDA` + "%s" + `</UserId><Account>111111111111</Account></GetCallerIdentityResult>` +
				`<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
		},
		{
			name:   "error",
			params: url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {"arn:aws:iam::222222222222:role/nope"}, "RoleSessionName": {"s1"}},
			want: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>` +
				`<Message>User: arn:aws:iam::111111111111:user/ci is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/nope</Message>` +
				`</Error><RequestId>%s</RequestId></ErrorResponse>`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := signedRequest{params: tc.params, creds: userCreds(ststest.DemoUser)}.do(t, base)
			reqID := resp.Header.Get("x-amzn-RequestId")
			want := strings.ReplaceAll(tc.want, "%s", reqID)
			if strings.Contains(tc.want, "AIDA%s") {
				// The user ID is derived from the ARN; take it from the body.
				m := regexp.MustCompile(`<UserId>AIDA([A-Z0-9]{17})</UserId>`).FindStringSubmatch(body)
				if m == nil {
					t.Fatalf("no AIDA user ID in %s", body)
				}
				want = strings.Replace(tc.want, "AIDA%s", "AIDA"+m[1], 1)
				want = strings.ReplaceAll(want, "%s", reqID)
			}
			if body != want {
				t.Errorf("body:\n%s\nwant:\n%s", body, want)
			}
			var doc struct{ XMLName xml.Name }
			if err := xml.Unmarshal([]byte(body), &doc); err != nil || doc.XMLName.Space != ststest.Namespace {
				t.Errorf("document namespace %q, err %v", doc.XMLName.Space, err)
			}
		})
	}
}

func TestIssuedCredentialShapes(t *testing.T) {
	t.Parallel()
	emu, url := demoServer(t)
	for i := range 20 {
		assumeDemo(t, url, fmt.Sprintf("shape-%d", i))
	}
	seen := map[string]bool{}
	for _, c := range emu.Issued() {
		if !accessKeyIDRe.MatchString(c.AccessKeyID) || seen[c.AccessKeyID] {
			t.Errorf("access key ID %q malformed or repeated", c.AccessKeyID)
		}
		seen[c.AccessKeyID] = true
		if len(c.SecretAccessKey) != 40 || strings.Count(c.SecretAccessKey, "/") == 0 ||
			strings.Count(c.SecretAccessKey, "+") == 0 || strings.Count(c.SecretAccessKey, "=") == 0 {
			t.Errorf("secret %q: want 40 chars with '/', '+' and '='", c.SecretAccessKey)
		}
		if len(c.SessionToken) < 300 || !regexp.MustCompile(`^[A-Za-z0-9+/]+=*$`).MatchString(c.SessionToken) {
			t.Errorf("session token %q: want 300+ base64 characters", c.SessionToken)
		}
	}
}

// TestConcurrentClients runs as many clients at once as the load test does.
func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	emu, url := demoServer(t)
	const clients = 256
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			user := newClient(url, userCreds(ststest.DemoUser))
			out, err := user.AssumeRole(t.Context(), &sts.AssumeRoleInput{
				RoleArn: aws.String(ststest.DemoRole.ARN), RoleSessionName: aws.String(fmt.Sprintf("load-%d", i)),
			})
			if err != nil {
				errs <- fmt.Errorf("client %d: AssumeRole: %w", i, err)
				return
			}
			c := out.Credentials
			id, err := newClient(url, aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}).
				GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
			if err != nil {
				errs <- fmt.Errorf("client %d: GetCallerIdentity: %w", i, err)
				return
			}
			if want := fmt.Sprintf("arn:aws:sts::222222222222:assumed-role/deploy/load-%d", i); aws.ToString(id.Arn) != want {
				errs <- fmt.Errorf("client %d: Arn = %s, want %s", i, aws.ToString(id.Arn), want)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(emu.Issued()); got != clients {
		t.Errorf("Issued() = %d credentials, want %d", got, clients)
	}
	if got := emu.CallCount(""); got != 2*clients {
		t.Errorf("CallCount = %d, want %d", got, 2*clients)
	}
}
