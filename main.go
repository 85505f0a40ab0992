// Command assume-role assumes an AWS IAM role with one STS call and hands
// the session on. In a GitHub Actions container step it is the action: it
// masks every secret in the log and exports the session to the steps that
// follow. Anywhere else it is a CLI with the same inputs as flags. See
// README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/assume-role/assume-role/internal/action"
	"github.com/assume-role/assume-role/internal/cli"
	"github.com/assume-role/assume-role/internal/logcmd"
	"github.com/assume-role/assume-role/internal/refresh"

	"golang.org/x/term"
)

func main() {
	ctx, stop := cancelOnSignal(context.Background())
	err := run(ctx)
	stop()
	if err != nil {
		os.Exit(report(err))
	}
}

// cancelOnSignal cancels the context at the first SIGINT or SIGTERM, with
// the signal recorded as the cause, so that the step reports a
// cancellation (exit 130 or 143) rather than a time-out. After that first
// one the default action is back: a second signal ends the process at once.
// exec registers the signals itself while its command runs, to pass them on.
func cancelOnSignal(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs)
			cancel(&action.CancelledError{Signal: s})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

func run(ctx context.Context) error {
	env := action.Env{
		Environ:            os.Environ(),
		Stdout:             os.Stdout,
		AmbientCredentials: action.DefaultChain,
		MachineCredentials: action.MachineChain,
	}
	if len(os.Args) > 1 && os.Args[1] == "credential-process" {
		// What this process starts learns that it runs under this
		// credential_process (env.Environ keeps the parent's value, which
		// the CLI checks): a source leading back here stops at once.
		if next, err := refresh.Guard(os.Getenv(refresh.GuardVar), os.Args[2:]); err == nil {
			if err := os.Setenv(refresh.GuardVar, next); err != nil {
				return err
			}
		}
	}
	switch {
	case isCleanup(os.Args):
		return action.Cleanup(ctx, env)
	case os.Getenv("GITHUB_ACTIONS") == "true" && len(os.Args) == 1:
		return action.Run(ctx, env)
	}
	return cli.Run(ctx, os.Args[1:], env, cli.IO{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		// A real terminal check: /dev/null is a character device too.
		StdoutIsTerminal: term.IsTerminal(int(os.Stdout.Fd())),
	})
}

// isCleanup reports whether the binary runs as the action's post stage: the
// runner starts it through the /cleanup link (post-entrypoint takes a single
// executable and no arguments of its own), or a user runs "cleanup".
func isCleanup(args []string) bool {
	return filepath.Base(args[0]) == "cleanup" || (len(args) > 1 && args[1] == "cleanup")
}

// report prints err once, where the mode's reader looks for it, and
// returns the exit code.
func report(err error) int {
	var exit *cli.ExitError
	switch {
	case errors.Is(err, cli.ErrHelp):
		return 0
	case errors.As(err, &exit):
		if exit.Err != nil {
			fmt.Fprintln(os.Stderr, "error:", exit.Err)
		}
		return exit.Code
	case os.Getenv("GITHUB_ACTIONS") == "true" && (len(os.Args) == 1 || isCleanup(os.Args)):
		return action.Report(logcmd.New(os.Stdout), err)
	}
	return action.Report(logcmd.NewPlain(os.Stderr, false), err)
}
