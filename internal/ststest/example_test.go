package ststest_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/assume-role/assume-role/internal/ststest"
)

// Point an SDK client at the emulator and assume the demo role.
func Example() {
	emu := ststest.New()
	emu.SeedDemo()
	srv := httptest.NewServer(emu)
	defer srv.Close()

	client := sts.New(sts.Options{
		Region:       ststest.DemoRegion,
		BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(
			ststest.DemoUser.AccessKeyID, ststest.DemoUser.SecretAccessKey, ""),
	})
	out, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn:         aws.String(ststest.DemoRole.ARN),
		RoleSessionName: aws.String("example"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(aws.ToString(out.AssumedRoleUser.Arn))
	fmt.Println(emu.CallCount("AssumeRole"), "call,", len(emu.Issued()), "credential issued")
	// Output:
	// arn:aws:sts::222222222222:assumed-role/deploy/example
	// 1 call, 1 credential issued
}

// Make the next two AssumeRole calls fail with throttling; the SDK's
// standard retryer (here with its backoff capped to keep the example fast)
// gets through on the third attempt.
func ExampleEmulator_Inject() {
	emu := ststest.New()
	emu.SeedDemo()
	emu.Inject("AssumeRole", ststest.Throttle, ststest.Throttle)
	srv := httptest.NewServer(emu)
	defer srv.Close()

	client := sts.New(sts.Options{
		Region:       ststest.DemoRegion,
		BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(
			ststest.DemoUser.AccessKeyID, ststest.DemoUser.SecretAccessKey, ""),
		Retryer: retry.AddWithMaxBackoffDelay(retry.NewStandard(), time.Millisecond),
	})
	_, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn:         aws.String(ststest.DemoRole.ARN),
		RoleSessionName: aws.String("example"),
	})
	fmt.Println("error:", err)
	for _, c := range emu.Calls() {
		fmt.Println(c.Action, c.Status, c.ErrorCode)
	}
	// Output:
	// error: <nil>
	// AssumeRole 400 Throttling
	// AssumeRole 400 Throttling
	// AssumeRole 200
}

// Trade a GitHub Actions ID token for a session of the demo OIDC role, as
// the action does in its keyless flow. The token is minted directly here; a
// test of the whole flow would give the action the request URL and token of
// [ststest.NewTokenServer] instead.
func ExampleTokenIssuer() {
	issuer := ststest.NewTokenIssuer(ststest.WithJob(ststest.Job{Environment: "prod"}))
	emu := ststest.New()
	emu.SeedDemoOIDC(issuer)
	srv := httptest.NewServer(emu)
	defer srv.Close()

	client := sts.New(sts.Options{
		Region:       ststest.DemoRegion,
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  aws.AnonymousCredentials{},
	})
	out, err := client.AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(ststest.DemoOIDCRole.ARN),
		RoleSessionName:  aws.String("GitHubActions"),
		WebIdentityToken: aws.String(issuer.Mint(ststest.DefaultAudience)),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(aws.ToString(out.AssumedRoleUser.Arn))
	fmt.Println(aws.ToString(out.SubjectFromWebIdentityToken))
	fmt.Println(aws.ToString(out.Provider), aws.ToString(out.Audience))
	// Output:
	// arn:aws:sts::222222222222:assumed-role/github-deploy/GitHubActions
	// repo:octo-org/octo-repo:environment:prod
	// token.actions.githubusercontent.com sts.amazonaws.com
}
