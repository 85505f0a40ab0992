package filecmd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// SummaryVar is the runner variable that holds the step summary file's path.
const SummaryVar = "GITHUB_STEP_SUMMARY"

// SummaryLimit is the largest step summary file, in bytes, that the runner
// uploads. A larger file gets an error annotation and is not shown at all.
const SummaryLimit = 1 << 20

var (
	// ErrNotSet means the runner variable that should hold the file's path is
	// empty, as it is outside a GitHub Actions step.
	ErrNotSet = errors.New("file command variable is not set")

	// ErrSummaryTooLarge means the step summary would exceed SummaryLimit.
	ErrSummaryTooLarge = errors.New("step summary would exceed the runner's 1 MiB limit")
)

// FileError reports that a file command file could not be written. Err is
// ErrNotSet, ErrSummaryTooLarge, or the error from the file system; a missing
// file matches errors.Is(err, fs.ErrNotExist).
type FileError struct {
	Var  string // the runner variable, such as "GITHUB_ENV"
	Path string // empty when Var is not set
	Err  error
}

func (e *FileError) Error() string {
	switch {
	case errors.Is(e.Err, ErrNotSet):
		return e.Var + " is not set: file commands only work inside a GitHub Actions step"
	case errors.Is(e.Err, fs.ErrNotExist):
		return fmt.Sprintf("%s file does not exist (the runner creates it before each step): %v", e.Var, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Var, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// Append formats entries with Format and appends them to the file at path,
// which the runner variable named by kind (such as GITHUB_ENV) holds.
//
// The file must exist: the runner creates it before each step, so Append
// never creates one. Everything is appended in a single write, and nothing is
// written if any entry is refused. If the file is not empty, the write starts
// with a newline, so that earlier content without a final newline cannot join
// the first line Append writes; the runner skips empty lines.
//
// Errors are returned, never panicked: a *NameError or *ValueError for a bad
// entry, and a *FileError when path is empty or the file cannot be written.
// A write that fails part way is cut off again, so that the runner never
// reads half an entry.
func Append(kind Kind, path string, entries []Entry, rnd io.Reader) error {
	_, err := AppendUndoable(kind, path, entries, rnd)
	return err
}

// Undo takes back an append: it cuts the file back to the size it had
// before. The runner reads file commands only after the step ends, even a
// failed one, so an append undone before the process exits never reaches
// it. Undo refuses (and changes nothing) if the file is no longer the size
// the append left, since cutting it would then remove someone else's lines.
type Undo func() error

// AppendUndoable is Append that also returns the Undo of what it wrote,
// for a step that must take its exports back when a later write fails.
func AppendUndoable(kind Kind, path string, entries []Entry, rnd io.Reader) (Undo, error) {
	if !kind.valid() {
		return nil, fmt.Errorf("%w: %v", errUnknownKind, kind)
	}
	if path == "" {
		return nil, &FileError{Var: kind.String(), Err: ErrNotSet}
	}
	data, err := Format(kind, entries, rnd)
	if err != nil {
		return nil, err
	}
	before, after, err := appendFile(kind.String(), path, func(size int64) ([]byte, error) {
		if size > 0 && len(data) > 0 {
			return append([]byte{'\n'}, data...), nil
		}
		return data, nil
	})
	if err != nil {
		return nil, err
	}
	return func() error {
		fi, err := os.Stat(path)
		if err != nil {
			return &FileError{Var: kind.String(), Path: path, Err: err}
		}
		if fi.Size() != after {
			return &FileError{Var: kind.String(), Path: path, Err: fmt.Errorf("%w: it grew from %d to %d bytes since", errNotUndone, after, fi.Size())}
		}
		if err := os.Truncate(path, before); err != nil {
			return &FileError{Var: kind.String(), Path: path, Err: err}
		}
		return nil
	}, nil
}

// errNotUndone means an append could not be taken back.
var errNotUndone = errors.New("the append was not undone")

// AppendSummary appends Markdown to the step summary file at path, which
// GITHUB_STEP_SUMMARY holds, adding a final newline if markdown lacks one.
// Like Append, it needs an existing file and writes once. It writes nothing
// and returns an error wrapping ErrSummaryTooLarge if the file would grow
// past SummaryLimit, because the runner would then drop the whole summary.
//
// The runner masks registered secrets in the summary line by line before it
// uploads it, but the file itself is not masked: never put secrets in it.
func AppendSummary(path, markdown string) error {
	if path == "" {
		return &FileError{Var: SummaryVar, Err: ErrNotSet}
	}
	if markdown != "" && !strings.HasSuffix(markdown, "\n") {
		markdown += "\n"
	}
	_, _, err := appendFile(SummaryVar, path, func(size int64) ([]byte, error) {
		if total := size + int64(len(markdown)); total > SummaryLimit {
			return nil, fmt.Errorf("%w: it would be %d bytes", ErrSummaryTooLarge, total)
		}
		return []byte(markdown), nil
	})
	return err
}

// appendFile opens the existing file at path for appending, asks data for the
// bytes to write given the file's current size, and writes them in one call.
// It returns the file's size before and after; a failed write is cut back
// to the size before.
func appendFile(name, path string, data func(size int64) ([]byte, error)) (before, after int64, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return 0, 0, &FileError{Var: name, Path: path, Err: err}
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = &FileError{Var: name, Path: path, Err: cerr}
		}
	}()

	fi, err := f.Stat()
	if err != nil {
		return 0, 0, &FileError{Var: name, Path: path, Err: err}
	}
	before = fi.Size()
	b, err := data(before)
	if err != nil {
		return 0, 0, &FileError{Var: name, Path: path, Err: err}
	}
	if len(b) == 0 {
		return before, before, nil
	}
	if err := writeOnce(f, b); err != nil {
		// A short write (a full disk) leaves part of an entry, which the
		// runner would read as a broken or different one. Only regular
		// files can be cut; /dev/full and pipes hold nothing to undo.
		if fi.Mode().IsRegular() {
			_ = f.Truncate(before)
		}
		return 0, 0, &FileError{Var: name, Path: path, Err: err}
	}
	return before, before + int64(len(b)), nil
}

// writeOnce writes b with a single call to w.Write. With O_APPEND the kernel
// places the write at the end of the file, even if another process appended
// since the file was opened.
func writeOnce(w io.Writer, b []byte) error {
	n, err := w.Write(b)
	if err != nil {
		return err
	}
	if n != len(b) {
		return io.ErrShortWrite
	}
	return nil
}
