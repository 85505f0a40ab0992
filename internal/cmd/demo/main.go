// Command demo runs the assume-role action end to end on this machine, with
// no AWS account and no GitHub runner:
//
//	go run ./internal/cmd/demo
//
// It starts the ststest STS emulator on 127.0.0.1, builds the action from the
// module it is run in, lays out the files a runner gives a container action
// (GITHUB_ENV, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, HOME, a workspace), runs
// the binary with the runner's environment (INPUT_* from action.yml's
// defaults and the demo's with: values) and prints what a workflow author
// would see: the step's log with every ::add-mask:: value shown as ***, what
// it exported, its outputs and summary, and then a later step that calls
// `aws sts get-caller-identity` with the exported credentials, when the AWS
// CLI is installed.
//
// Flags:
//
//	-role ARN          the role to assume (default: the demo role)
//	-fail              assume a role whose trust policy refuses the demo user,
//	                   to show the ::error:: and that nothing is exported
//	-with name=value   set any other input, as a with: line would (repeatable)
//	-debug             run with step debug logging (RUNNER_DEBUG=1)
//
// The action does not inherit this shell's environment, so AWS_* variables
// or proxies set here do not change what it does.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// errUsage is returned for bad flags, which the flag package has already
// explained on stderr.
var errUsage = errors.New("bad usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	return demo(ctx, opts, stdout)
}
