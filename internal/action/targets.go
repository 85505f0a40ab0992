package action

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/assume-role/assume-role/internal/filecmd"
)

// targets are the runner's file-command files this step writes.
type targets struct {
	env, output, state, summary string
}

// openTargets checks, before any STS call, that the files later steps read
// exist and can be written, so that a session is never created only to be
// lost. The summary is optional: outside github.com it may be missing.
func openTargets(env *Env) (*targets, error) {
	t := &targets{
		env:     env.getenv(filecmd.Env.String()),
		output:  env.getenv(filecmd.Output.String()),
		summary: env.getenv(filecmd.SummaryVar),
		state:   env.getenv(filecmd.State.String()),
	}
	for _, c := range []struct {
		kind filecmd.Kind
		path string
	}{{filecmd.Env, t.env}, {filecmd.Output, t.output}} {
		if c.path == "" {
			return nil, &filecmd.FileError{Var: c.kind.String(), Err: filecmd.ErrNotSet}
		}
		f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return nil, &filecmd.FileError{Var: c.kind.String(), Path: c.path, Err: err}
		}
		f.Close()
	}
	return t, nil
}

// check validates every entry first, so that a value the runner would
// misread stops the export before any file changes.
func (t *targets) check(e *exports, rnd io.Reader) error {
	if _, err := filecmd.Format(filecmd.Env, e.env, rnd); err != nil {
		return err
	}
	_, err := filecmd.Format(filecmd.Output, e.outputs, rnd)
	return err
}

// write appends the exports; check has passed on the same entries. The
// runner applies a failed step's file commands too, so the order is
// state, outputs, then GITHUB_ENV last: the session reaches later steps
// only once everything else is written, and a failure part way undoes
// what was appended before it. The returned undo takes all of it back,
// for a failure after write (the log).
func (t *targets) write(e *exports, rnd io.Reader) (undo func() error, err error) {
	if err := t.check(e, rnd); err != nil {
		return nil, err
	}
	var undos []filecmd.Undo
	undo = func() error {
		var errs []error
		for i := len(undos) - 1; i >= 0; i-- {
			errs = append(errs, undos[i]())
		}
		return errors.Join(errs...)
	}
	add := func(kind filecmd.Kind, path string, entries []filecmd.Entry) error {
		u, err := filecmd.AppendUndoable(kind, path, entries, rnd)
		if err != nil {
			if uerr := undo(); uerr != nil {
				return errors.Join(err, fmt.Errorf("taking back what was written before: %w", uerr))
			}
			return err
		}
		undos = append(undos, u)
		return nil
	}
	if len(e.state) > 0 {
		// The post stage needs this to clean up; without GITHUB_STATE (not a
		// GitHub runner) there is no post stage either.
		if t.state == "" {
			return nil, &filecmd.FileError{Var: filecmd.State.String(), Err: filecmd.ErrNotSet}
		}
		if err := add(filecmd.State, t.state, e.state); err != nil {
			return nil, err
		}
	}
	if err := add(filecmd.Output, t.output, e.outputs); err != nil {
		return nil, err
	}
	if err := add(filecmd.Env, t.env, e.env); err != nil {
		return nil, err
	}
	return undo, nil
}

// writeSummary appends the step summary. It runs after the exports, and its
// failure is only a warning: the summary is for people, the exports are what
// later steps need.
func (t *targets) writeSummary(e *exports) error {
	if t.summary == "" {
		return nil
	}
	return filecmd.AppendSummary(t.summary, e.summary)
}
