package action

import (
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

// write appends the exports; check has passed on the same entries.
func (t *targets) write(e *exports, rnd io.Reader) error {
	if err := t.check(e, rnd); err != nil {
		return err
	}
	if len(e.state) > 0 {
		// The post stage needs this to clean up; without GITHUB_STATE (not a
		// GitHub runner) there is no post stage either.
		if t.state == "" {
			return &filecmd.FileError{Var: filecmd.State.String(), Err: filecmd.ErrNotSet}
		}
		if err := filecmd.Append(filecmd.State, t.state, e.state, rnd); err != nil {
			return err
		}
	}
	if err := filecmd.Append(filecmd.Env, t.env, e.env, rnd); err != nil {
		return err
	}
	return filecmd.Append(filecmd.Output, t.output, e.outputs, rnd)
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
