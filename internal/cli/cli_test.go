package cli

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/action"
	"github.com/assume-role/assume-role/internal/inputs"
	"github.com/assume-role/assume-role/internal/ststest"
)

func run(t *testing.T, terminal bool, environ []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e strings.Builder
	err = Run(context.Background(), args, action.Env{Environ: environ}, IO{Stdin: strings.NewReader(""), Stdout: &o, Stderr: &e, StdoutIsTerminal: terminal})
	return o.String(), e.String(), err
}

func TestWarnsWhenPrintingToATerminal(t *testing.T) {
	t.Parallel()
	em, url := ststest.NewTestServer(t)
	em.SeedDemo()
	env := []string{"AWS_ACCESS_KEY_ID=" + ststest.DemoUser.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + ststest.DemoUser.SecretAccessKey,
		"AWS_REGION=us-east-1", "STS_ENDPOINT=" + url, "ROLE_TO_ASSUME=" + ststest.DemoRole.ARN}
	for _, terminal := range []bool{true, false} {
		out, errOut, err := run(t, terminal, env)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(errOut, "warning: printing credentials to a terminal"); got != terminal {
			t.Errorf("terminal %v: warning shown %v\n%s", terminal, got, errOut)
		}
		if !strings.HasPrefix(out, "export AWS_ACCESS_KEY_ID=") {
			t.Errorf("stdout %q", out)
		}
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	t.Parallel()
	em, url := ststest.NewTestServer(t)
	em.SeedDemo()
	env := []string{"AWS_ACCESS_KEY_ID=" + ststest.DemoUser.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + ststest.DemoUser.SecretAccessKey,
		"AWS_REGION=eu-west-1", "STS_ENDPOINT=" + url, "ROLE_TO_ASSUME=arn:aws:iam::222222222222:role/none", "FORMAT=json"}
	out, _, err := run(t, false, env, "--role-to-assume", ststest.DemoRole.ARN, "--aws-region", "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"AWS_REGION": "us-east-1"`) || em.Calls()[0].Params.Get("RoleArn") != ststest.DemoRole.ARN {
		t.Errorf("flags did not win, or FORMAT from the environment was ignored: %s", out)
	}
}

func TestCredentialProcessIgnoresTheEnvironment(t *testing.T) {
	t.Parallel()
	// A step that exported a session runs credential_process: its
	// AWS_ACCESS_KEY_ID must not become the source keys.
	_, _, err := run(t, false, []string{"AWS_ACCESS_KEY_ID=ASIASTALESTALESTALE1", "AWS_SECRET_ACCESS_KEY=x", "AWS_REGION=us-east-1"},
		"credential-process")
	var ie *inputs.InputError
	if !errors.As(err, &ie) || ie.Input != "aws-region" {
		t.Fatalf("want the missing --aws-region to be reported (the environment's AWS_REGION ignored), got %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"exec"}, {"extra-arg"}, {"--format"}} {
		_, _, err := run(t, false, nil, args...)
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != action.ExitBadInput {
			t.Errorf("%v: %v", args, err)
		}
	}
	if _, _, err := run(t, false, nil, "-h"); !errors.Is(err, ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}
