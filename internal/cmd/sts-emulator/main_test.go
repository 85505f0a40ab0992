package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/assume-role/assume-role/internal/idtoken"
)

func TestRunServesTheDemoWorld(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-latency", "1ms", "-rate-limit", "100"}, pw, io.Discard)
		pw.Close()
	}()

	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the banner: %v", err)
	}
	var b banner
	if err := json.Unmarshal([]byte(line), &b); err != nil {
		t.Fatalf("banner %q is not JSON: %v", line, err)
	}

	client := sts.New(sts.Options{
		Region:       b.Region,
		BaseEndpoint: aws.String(b.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(b.AccessKeyID, b.SecretAccessKey, ""),
		Retryer:      aws.NopRetryer{},
	})
	id, err := client.GetCallerIdentity(ctx, nil)
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if got := aws.ToString(id.Arn); got != b.UserARN {
		t.Errorf("caller = %s, want %s", got, b.UserARN)
	}
	for _, in := range []*sts.AssumeRoleInput{
		{RoleArn: aws.String(b.RoleARN), RoleSessionName: aws.String("demo")},
		{RoleArn: aws.String(b.ExternalIDRoleARN), RoleSessionName: aws.String("demo"), ExternalId: aws.String(b.ExternalID)},
	} {
		if _, err := client.AssumeRole(ctx, in); err != nil {
			t.Errorf("AssumeRole %s: %v", aws.ToString(in.RoleArn), err)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v after cancellation, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancellation")
	}
}

func TestRunOIDCServesTokensTheDemoRoleTrusts(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-oidc"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the banner: %v", err)
	}
	var b banner
	if err := json.Unmarshal([]byte(line), &b); err != nil {
		t.Fatalf("banner %q is not JSON: %v", line, err)
	}
	if !strings.HasPrefix(b.IDTokenRequestURL, b.URL+"/oidc/") || b.IDTokenRequestToken == "" || b.OIDCRoleARN == "" {
		t.Fatalf("banner lacks the OIDC fields: %s", line)
	}

	// The action's own token client, then the SDK's web identity call.
	token, err := (&idtoken.Fetcher{RequestURL: b.IDTokenRequestURL, RequestToken: b.IDTokenRequestToken}).Fetch(ctx, "sts.amazonaws.com")
	if err != nil {
		t.Fatalf("fetching a token: %v", err)
	}
	client := sts.New(sts.Options{
		Region:       b.Region,
		BaseEndpoint: aws.String(b.URL),
		Credentials:  aws.AnonymousCredentials{},
		Retryer:      aws.NopRetryer{},
	})
	out, err := client.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(b.OIDCRoleARN), RoleSessionName: aws.String("dog-food"), WebIdentityToken: aws.String(token),
	})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::222222222222:assumed-role/github-deploy/dog-food" {
		t.Errorf("Arn = %s", got)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v after cancellation, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancellation")
	}
}

func TestRunRejectsBadInvocations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"unknown flag", []string{"-nope"}},
		{"positional argument", []string{"serve"}},
		{"bad latency", []string{"-latency", "soon"}},
		{"unusable address", []string{"-addr", "256.0.0.1:0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := run(t.Context(), tc.args, io.Discard, io.Discard); err == nil {
				t.Error("run succeeded, want an error")
			}
		})
	}
}
