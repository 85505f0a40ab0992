package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/ststest"
)

// Each case builds the action (cached by the go command after the first) and
// runs it against the in-process emulator, as a developer's `go run` does.
func TestDemo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		want    []string
		wantErr string
	}{
		{
			name: "assumes the demo role and masks the session",
			want: []string{
				"Assumed arn:aws:iam::222222222222:role/deploy as arn:aws:sts::222222222222:assumed-role/deploy/GitHubActions",
				"Exit code 0 (success)",
				"AWS_REGION=us-east-1\n",
				"AWS_ACCESS_KEY_ID=***\n",
				"AWS_SECRET_ACCESS_KEY=***\n",
				"AWS_SESSION_TOKEN=***\n",
				"aws-account-id=222222222222\n",
				"authenticated-arn=arn:aws:sts::222222222222:assumed-role/deploy/GitHubActions\n",
				"== STS calls the emulator answered ==\nAssumeRole (HTTP 200 OK)\n",
			},
		},
		{
			name: "fail shows one error and exports nothing",
			args: []string{"-fail"},
			want: []string{
				"Error: assuming arn:aws:iam::222222222222:role/production",
				"AccessDenied",
				"Exit code 3 (AWS refused)",
				"== GITHUB_ENV: the environment of every later step ==\n(nothing)\n",
				"== GITHUB_OUTPUT: the step's outputs ==\n(nothing)\n",
				"Nothing was exported",
			},
		},
		{
			name: "with values reach the action",
			args: []string{"-with", "role-session-name=demo-test", "-with", "output-credentials=true"},
			want: []string{
				"authenticated-arn=arn:aws:sts::222222222222:assumed-role/deploy/demo-test\n",
				"aws-secret-access-key=***\n",
			},
		},
		{
			name: "says what it builds first",
			want: []string{"Building the action from "},
		},
		{
			name: "a later step selects the aws-profile",
			args: []string{"-with", "aws-profile=demo"},
			want: []string{
				"== A later step: aws sts get-caller-identity --endpoint-url ",
				" --output json --profile demo ==\n",
				`"Arn": "arn:aws:sts::222222222222:assumed-role/deploy/GitHubActions"`,
			},
		},
		{
			name:    "a failure that was not asked for is an error",
			args:    []string{"-with", "role-duration-seconds=10"},
			want:    []string{"Error: input role-duration-seconds", "Exit code 2 (bad input)"},
			wantErr: "exit code 2 (bad input)",
		},
		{
			name:    "an undeclared input is refused before anything runs",
			args:    []string{"-with", "no-such-input=1"},
			wantErr: `input "no-such-input" is not declared in action.yml`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			var stdout, stderr bytes.Buffer
			err := run(ctx, tt.args, &stdout, &stderr)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("run: %v\n%s%s", err, stdout.String(), stderr.String())
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("run error = %v, want one containing %q", err, tt.wantErr)
			}
			out := stdout.String()
			if tt.wantErr == "" && !strings.HasPrefix(out, "Building the action from ") {
				t.Errorf("the output does not start by saying what it builds:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			checkNoSecrets(t, out)
		})
	}
}

var sessionKeyID = regexp.MustCompile(`ASIA[0-9A-Z]{16}`)

// checkNoSecrets fails if the demo printed a key it should have masked.
func checkNoSecrets(t *testing.T, out string) {
	t.Helper()
	for _, s := range []string{ststest.DemoUser.AccessKeyID, ststest.DemoUser.SecretAccessKey, "IQoJb3JpZ2luX2Vj"} {
		if strings.Contains(out, s) {
			t.Errorf("the output shows a secret (%s…)", s[:4])
		}
	}
	if k := sessionKeyID.FindString(out); k != "" {
		t.Errorf("the output shows a session access key ID (%s…)", k[:4])
	}
}

func TestFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantRole string
		wantErr  bool
	}{
		{name: "default role", wantRole: ststest.DemoRole.ARN},
		{name: "fail picks the locked role", args: []string{"-fail"}, wantRole: lockedRole.ARN},
		{name: "fail keeps an explicit role", args: []string{"-fail", "-role", "arn:aws:iam::222222222222:role/x"}, wantRole: "arn:aws:iam::222222222222:role/x"},
		{name: "with needs name=value", args: []string{"-with", "novalue"}, wantErr: true},
		{name: "no positional arguments", args: []string{"extra"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, err := parseFlags(tt.args, &bytes.Buffer{})
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseFlags(%q) = nil error", tt.args)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.role != tt.wantRole {
				t.Errorf("role = %q, want %q", o.role, tt.wantRole)
			}
		})
	}
}
