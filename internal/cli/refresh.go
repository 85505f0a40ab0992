package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/assume-role/assume-role/internal/action"
	"github.com/assume-role/assume-role/internal/exportfmt"
	"github.com/assume-role/assume-role/internal/logcmd"
	"github.com/assume-role/assume-role/internal/refresh"
)

// specArg returns the spec of "credential-process --spec FILE", the line a
// refreshing profile's credential_process runs; ok is false for the
// ordinary credential-process with flags.
func specArg(args []string) (spec string, ok bool) {
	switch {
	case len(args) == 2 && args[0] == "--spec":
		return args[1], true
	case len(args) == 1 && strings.HasPrefix(args[0], "--spec="):
		return strings.TrimPrefix(args[0], "--spec="), true
	}
	return "", false
}

// serveSpec is a refreshing profile's credential_process: it prints the
// cached session, renewing it as the spec says when it nears its end. It
// prints nothing else on success: the Go SDK shows a credential_process's
// stderr in the calling step's log.
func serveSpec(ctx context.Context, path string, env action.Env, stdio IO) error {
	files, err := refresh.FilesOf(path)
	if err != nil {
		return &ExitError{Code: action.ExitBadInput, Err: err}
	}
	spec, err := refresh.ReadSpec(files.Spec)
	if err != nil {
		return &ExitError{Code: action.ExitBadInput, Err: err}
	}
	now := env.Now
	if now == nil {
		now = time.Now
	}
	c := &refresh.Cache{
		Files: files, Spec: spec, Now: now,
		Renew: func(ctx context.Context) (refresh.Session, error) {
			obtained := now()
			s, err := action.Renew(ctx, env, logcmd.NewPlain(io.Discard, false), &spec.Spec)
			if err != nil {
				return refresh.Session{}, err
			}
			return refresh.Session{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken,
				Expiration: s.Expiration, Obtained: obtained}, nil
		},
		Ignored: func(reason string) { fmt.Fprintln(stdio.Stderr, "assume-role credential-process:", reason) },
	}
	res, err := c.Get(ctx)
	if err != nil {
		return err
	}
	if res.StoreErr != nil {
		fmt.Fprintf(stdio.Stderr, "assume-role credential-process: the renewed session was not cached (%v); the next caller renews again\n", res.StoreErr)
	}
	s := exportfmt.Session{AccessKeyID: res.AccessKeyID, SecretAccessKey: res.SecretAccessKey, SessionToken: res.SessionToken, Expiration: res.Expiration}
	if err := exportfmt.Write(stdio.Stdout, exportfmt.CredentialProcess, s); err != nil {
		return &ExitError{Code: action.ExitInternal, Err: err}
	}
	return nil
}
