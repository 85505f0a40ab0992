// Command assume-role is a GitHub container action that assumes an AWS IAM
// role, masks every secret in the log and exports the session to the steps
// that follow. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
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
	return action.Run(ctx, action.Env{
		Environ:            os.Environ(),
		Stdout:             os.Stdout,
		AmbientCredentials: action.DefaultChain,
	})
}
