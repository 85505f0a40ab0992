package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/assume-role/assume-role/internal/action"
	"github.com/assume-role/assume-role/internal/devtool"
	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// lockedRole is a role in the demo's deployment account whose trust policy
// names only another account, so the demo user is refused: -fail assumes it.
var lockedRole = ststest.Role{
	ARN:   "arn:aws:iam::222222222222:role/production",
	Trust: []string{"arn:aws:iam::333333333333:root"},
}

// stepTimeout bounds one run of the action or of the AWS CLI.
const stepTimeout = 2 * time.Minute

type options struct {
	role  string
	fail  bool
	debug bool
	with  map[string]string // -with values, the last of a name winning
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{with: map[string]string{}}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: go run ./internal/cmd/demo [flags]\n\n"+
			"Runs the action against a local STS emulator and shows what a workflow would see.\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.role, "role", ststest.DemoRole.ARN, "role-to-assume `ARN` (or role name)")
	fs.BoolVar(&o.fail, "fail", false, "assume a role whose trust policy refuses the caller (default role "+lockedRole.ARN+")")
	fs.BoolVar(&o.debug, "debug", false, "turn on step debug logging (RUNNER_DEBUG=1)")
	fs.Func("with", "set an input, as a with: line would: `name=value` (repeatable)", func(s string) error {
		name, value, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return errors.New("want name=value")
		}
		o.with[name] = value
		return nil
	})
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	roleSet := false
	fs.Visit(func(f *flag.Flag) { roleSet = roleSet || f.Name == "role" })
	if o.fail && !roleSet {
		o.role = lockedRole.ARN
	}
	return o, nil
}

// demo runs the whole show and writes it to w.
func demo(ctx context.Context, o *options, w io.Writer) error {
	root, err := devtool.ModuleRoot(ctx)
	if err != nil {
		return err
	}
	manifest, err := runnertest.LoadManifest(filepath.Join(root, "action.yml"))
	if err != nil {
		return err
	}
	// Refuse an undeclared -with before the build.
	if _, err := manifest.InputValues(o.with); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "assume-role-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	bin := filepath.Join(dir, "assume-role")
	// The first build compiles the AWS SDK and takes a while: say why
	// nothing else is happening.
	fmt.Fprintf(w, "Building the action from %s…\n", root)
	if err := devtool.Build(ctx, root, bin, "."); err != nil {
		return err
	}

	emu := ststest.New()
	emu.SeedDemo()
	emu.AddRole(lockedRole)
	endpoint, stop, err := devtool.Serve(ctx, emu)
	if err != nil {
		return fmt.Errorf("starting the STS emulator: %w", err)
	}
	defer stop()
	defer emu.Close() // before stop: it releases requests that would hold stop up

	with := map[string]string{
		"aws-region":            ststest.DemoRegion,
		"role-to-assume":        o.role,
		"aws-access-key-id":     ststest.DemoUser.AccessKeyID,
		"aws-secret-access-key": ststest.DemoUser.SecretAccessKey,
		"sts-endpoint":          endpoint,
	}
	maps.Copy(with, o.with)
	values, err := manifest.InputValues(with)
	if err != nil {
		return err
	}

	fmt.Fprintf(w, "STS emulator: %s (demo user %s, account 111111111111)\n", endpoint, ststest.DemoUser.ARN)
	fmt.Fprintln(w)

	job, err := runnertest.NewJobAt(dir, manifest)
	if err != nil {
		return err
	}
	job.Env["GITHUB_TRIGGERING_ACTOR"] = "octocat"
	step, err := job.Exec(ctx, runnertest.Binary(bin), runnertest.Step{
		Inputs: with,
		// The runner's id for a uses: ./ step without an id.
		Env:            map[string]string{"GITHUB_ACTION": "__self"},
		Debug:          o.debug,
		Timeout:        stepTimeout,
		CombinedOutput: true,
	})
	if err != nil {
		return err
	}
	// A file the runner cannot read fails the step: say so rather than
	// showing half of it.
	if step.ParseErr != nil {
		return fmt.Errorf("the runner would fail the step %w", step.ParseErr)
	}
	show(w, manifest, values, step, o.debug)
	fmt.Fprintf(w, "\n== STS calls the emulator answered ==\n")
	calls := emu.Calls()
	if len(calls) == 0 {
		fmt.Fprintln(w, "(none)")
	}
	for _, c := range calls {
		result := "OK"
		if c.ErrorCode != "" {
			result = c.ErrorCode
		}
		fmt.Fprintf(w, "%s (HTTP %d %s)\n", c.Action, c.Status, result)
		if tags := sessionTags(c.Params); len(tags) > 0 {
			fmt.Fprintf(w, "  session tags: %s\n", strings.Join(tags, ", "))
		}
	}

	exported := step.EnvFile != "" || step.OutputFile != ""
	switch {
	case step.ExitCode != action.ExitOK && o.fail:
		if exported {
			return errors.New("the failed step exported something: it must export nothing")
		}
		fmt.Fprintf(w, "\nNothing was exported: GITHUB_ENV and GITHUB_OUTPUT are empty, so later steps keep the job's old credentials (none here).\n")
		return nil
	case step.ExitCode != action.ExitOK:
		return fmt.Errorf("the action failed with exit code %d (%s)", step.ExitCode, exitName(step.ExitCode))
	case o.fail:
		return fmt.Errorf("-fail: the action assumed %s, but the demo expected a refusal", o.role)
	}
	return laterStep(ctx, w, job, endpoint, with["aws-profile"])
}

// laterStep runs the AWS CLI as a later run: step would, with only the job's
// environment (the step's GITHUB_ENV exports) to find credentials in.
// With aws-profile the session is in that profile, which a later step
// selects with --profile (AWS_PROFILE is only exported with
// output-env-credentials).
func laterStep(ctx context.Context, w io.Writer, job *runnertest.Job, endpoint, profile string) error {
	// Debian's awscli first, the one the end-to-end tests use; then PATH.
	aws, err := exec.LookPath("/usr/bin/aws")
	if err != nil {
		aws, err = exec.LookPath("aws")
	}
	if err != nil {
		fmt.Fprintf(w, "\n(The AWS CLI is not installed, so no later step runs: apt-get install awscli to see one.)\n")
		return nil
	}
	args := []string{"sts", "get-caller-identity", "--endpoint-url", endpoint, "--output", "json"}
	if profile != "" {
		args = append(args, "--profile", profile)
	}
	fmt.Fprintf(w, "\n== A later step: aws %s ==\n", strings.Join(args, " "))
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	cmd := job.Command(ctx, append([]string{aws}, args...)...)
	// Keep the CLI away from this machine's AWS configuration and any
	// instance metadata: the step's exports must be enough. These go
	// first, since the last value of a name wins: the exports override
	// them. This machine's PATH goes last, for the CLI's interpreter.
	cmd.Env = append([]string{
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	}, cmd.Env...)
	cmd.Env = append(cmd.Env, "PATH="+os.Getenv("PATH"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	m := runnertest.NewMasker(job.Masks...)
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		fmt.Fprintln(w, m.Mask(line))
	}
	if err != nil {
		return fmt.Errorf("aws sts get-caller-identity with the exported credentials: %w", err)
	}
	return nil
}

// sessionTags lists the Key=Value session tags of an STS Query request
// (Tags.member.N.Key and .Value), in request order.
func sessionTags(p url.Values) []string {
	var tags []string
	for i := 1; ; i++ {
		k := p.Get(fmt.Sprintf("Tags.member.%d.Key", i))
		if k == "" {
			return tags
		}
		tags = append(tags, k+"="+p.Get(fmt.Sprintf("Tags.member.%d.Value", i)))
	}
}

// exitName names the action's exit codes (internal/action/report.go).
func exitName(code int) string {
	switch code {
	case action.ExitOK:
		return "success"
	case action.ExitBadInput:
		return "bad input"
	case action.ExitRefused:
		return "AWS refused"
	case action.ExitUnavailable:
		return "STS unavailable"
	case action.ExitInternal:
		return "internal error"
	}
	return "unknown"
}
