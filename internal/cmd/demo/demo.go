package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/assume-role/assume-role/internal/action"
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
	with  []input // -with values, in the order given
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
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
		o.with = append(o.with, input{name: name, value: value})
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
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	manifest, err := loadManifest(filepath.Join(root, "action.yml"))
	if err != nil {
		return err
	}
	if err := checkDeclared(manifest, o.with); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "assume-role-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	bin := filepath.Join(dir, "assume-role")
	if err := build(ctx, root, bin); err != nil {
		return err
	}

	emu := ststest.New()
	emu.SeedDemo()
	emu.AddRole(lockedRole)
	endpoint, stop, err := serve(ctx, emu)
	if err != nil {
		return err
	}
	defer stop()

	with := append([]input{
		{name: "aws-region", value: ststest.DemoRegion},
		{name: "role-to-assume", value: o.role},
		{name: "aws-access-key-id", value: ststest.DemoUser.AccessKeyID},
		{name: "aws-secret-access-key", value: ststest.DemoUser.SecretAccessKey},
		{name: "sts-endpoint", value: endpoint},
	}, o.with...)

	fmt.Fprintf(w, "STS emulator: %s (demo user %s, account 111111111111)\n", endpoint, ststest.DemoUser.ARN)
	fmt.Fprintf(w, "Action: built from %s\n\n", root)

	job, err := newJob(dir)
	if err != nil {
		return err
	}
	step, err := job.run(ctx, bin, manifest, with, o.debug)
	if err != nil {
		return err
	}
	show(w, step, o.debug)
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

	exported := step.envFile != "" || step.outputFile != ""
	switch {
	case step.exitCode != action.ExitOK && o.fail:
		if exported {
			return errors.New("the failed step exported something: it must export nothing")
		}
		fmt.Fprintf(w, "\nNothing was exported: GITHUB_ENV and GITHUB_OUTPUT are empty, so later steps keep the job's old credentials (none here).\n")
		return nil
	case step.exitCode != action.ExitOK:
		return fmt.Errorf("the action failed with exit code %d (%s)", step.exitCode, exitName(step.exitCode))
	case o.fail:
		return fmt.Errorf("-fail: the action assumed %s, but the demo expected a refusal", o.role)
	}
	return laterStep(ctx, w, job, step, endpoint)
}

// moduleRoot is the directory of the go.mod of the working directory.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run the demo from inside the assume-role module (go run ./internal/cmd/demo)")
	}
	return filepath.Dir(gomod), nil
}

// build compiles the action as the Dockerfile does: static, trimmed paths.
func build(ctx context.Context, root, bin string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the action: %w\n%s", err, out)
	}
	return nil
}

// serve starts the emulator on a free loopback port and returns its URL and
// a function that shuts it down.
func serve(ctx context.Context, emu *ststest.Emulator) (string, func(), error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("starting the STS emulator: %w", err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // always ErrServerClosed after Shutdown
	}()
	stop := func() {
		emu.Close()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		<-done
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// laterStep runs the AWS CLI as a later run: step would, with only the job's
// environment (the step's GITHUB_ENV exports) to find credentials in.
func laterStep(ctx context.Context, w io.Writer, job *job, step *stepResult, endpoint string) error {
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
	fmt.Fprintf(w, "\n== A later step: aws %s ==\n", strings.Join(args, " "))
	env := map[string]string{
		"PATH": os.Getenv("PATH"),
		"HOME": job.dirs.hostHome,
		// Keep the CLI away from this machine's AWS configuration and any
		// instance metadata: the step's exports must be enough.
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_PAGER":                   "",
	}
	for _, e := range step.env {
		env[e.Name] = e.Value
	}
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, aws, args...)
	cmd.Env = environ(env)
	cmd.Dir = job.dirs.workspace
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	m := step.masker()
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		fmt.Fprintln(w, m.mask(line))
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
