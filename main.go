// Command assume-role is a GitHub container action that assumes an AWS IAM
// role, masks every secret in the log and exports the session to the steps
// that follow. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/assume-role/assume-role/internal/action"
	"github.com/assume-role/assume-role/internal/logcmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		os.Exit(action.Report(logcmd.New(os.Stdout), err))
	}
}

func run(ctx context.Context) error {
	env := action.Env{
		Environ:            os.Environ(),
		Stdout:             os.Stdout,
		AmbientCredentials: action.DefaultChain,
	}
	if isCleanup(os.Args) {
		return action.Cleanup(ctx, env)
	}
	return action.Run(ctx, env)
}

// isCleanup reports whether the binary runs as the action's post stage: the
// runner starts it through the /cleanup link (post-entrypoint takes a single
// executable and no arguments of its own), or a user runs "cleanup".
func isCleanup(args []string) bool {
	return filepath.Base(args[0]) == "cleanup" || (len(args) > 1 && args[1] == "cleanup")
}
