package action

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// CancelledError means a signal stopped the step: the runner cancelling the
// job, docker stop, or Ctrl-C. It is no time-out, and no fault of STS: the
// exit status is the shell's for the signal (130 for SIGINT, 143 for
// SIGTERM), so that a wrapper tells it from an outage (4).
//
// main cancels the run's context with a *CancelledError as the cause;
// errors from the cancelled work are wrapped in a copy that keeps them.
type CancelledError struct {
	Signal os.Signal // nil when the context was cancelled some other way
	Err    error
}

func (e *CancelledError) Error() string {
	if e.Signal == nil {
		return "the step was cancelled before it finished; nothing was exported"
	}
	return fmt.Sprintf("the step was cancelled (%s) before it finished; nothing was exported", signalName(e.Signal))
}

func (e *CancelledError) Unwrap() error { return e.Err }

// ExitCode is 128 plus the signal's number, as a shell reports a command
// the signal ended; 130 (SIGINT's) without a signal.
func (e *CancelledError) ExitCode() int {
	if s, ok := e.Signal.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 128 + int(syscall.SIGINT)
}

// signalName is SIGTERM rather than Go's "terminated".
func signalName(s os.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	}
	return s.String()
}

// stopped tells why ctx ended, if it has: a cancellation (with the signal
// main recorded as the cause) or nil for a deadline or a live context.
func stopped(ctx context.Context, err error) *CancelledError {
	if !errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	c := &CancelledError{Err: err}
	var cause *CancelledError
	if errors.As(context.Cause(ctx), &cause) {
		c.Signal = cause.Signal
	}
	return c
}
