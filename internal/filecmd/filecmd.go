// Package filecmd writes GitHub Actions file commands: the files named by
// GITHUB_ENV, GITHUB_OUTPUT, GITHUB_STATE and GITHUB_STEP_SUMMARY. It is the
// only code in this action that writes them.
//
// Entries are written in the runner's heredoc form
//
//	NAME<<ghadelimiter_<32 hex digits>
//	VALUE
//	ghadelimiter_<32 hex digits>
//
// with a fresh random delimiter per entry. The runner ends a heredoc at the
// first line equal to its delimiter and reads any later lines as new entries,
// so a value that contained the delimiter could set other variables (for
// example LD_PRELOAD) for every later step. Format therefore checks every name
// and value before it renders anything, and refuses a value that contains its
// delimiter. go-githubactions is not used for this because its delimiter is
// fixed, it checks nothing, and it panics on I/O errors.
//
// Parse reads a file with the runner's own rules, so tests can prove that the
// runner reads back exactly the entries Format wrote.
//
// Errors never contain a value, because values are usually secrets. Names are
// not secret and are quoted with %q.
package filecmd

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Kind selects a key-value file command: which runner variable holds the
// file's path, and which names the file accepts.
type Kind int

const (
	// Env is GITHUB_ENV: environment variables for the later steps of the
	// job. Names must match ^[A-Za-z_][A-Za-z0-9_]*$, and NODE_OPTIONS (in any
	// case) is refused because the runner drops it with an error annotation.
	Env Kind = iota + 1

	// Output is GITHUB_OUTPUT: outputs of this step. Names must match
	// ^[A-Za-z_][A-Za-z0-9_-]*$, so they can be the output ids declared in
	// action.yml, such as aws-account-id.
	Output

	// State is GITHUB_STATE: values for this action's pre and post stages,
	// which receive them as the environment variables STATE_<name>. Names
	// follow the Env rule; NODE_OPTIONS is allowed, as it only becomes
	// STATE_NODE_OPTIONS.
	State
)

// String returns the name of the runner variable that holds the file's path,
// such as "GITHUB_ENV".
func (k Kind) String() string {
	switch k {
	case Env:
		return "GITHUB_ENV"
	case Output:
		return "GITHUB_OUTPUT"
	case State:
		return "GITHUB_STATE"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

func (k Kind) valid() bool { return k == Env || k == Output || k == State }

// Entry is one name and value in a key-value file command.
type Entry struct {
	Name  string
	Value string
}

// delimiterPrefix is the prefix of every heredoc delimiter, the same one that
// actions/toolkit uses. The prefix is followed by 32 hex digits.
const delimiterPrefix = "ghadelimiter_"

// Reasons for a NameError or a ValueError, for use with errors.Is.
var (
	ErrNameSyntax       = errors.New("name has characters the file command does not allow")
	ErrNameBlocked      = errors.New("name is refused by the runner")
	ErrValueNUL         = errors.New("value contains a NUL byte")
	ErrValueUTF8        = errors.New("value is not valid UTF-8")
	ErrValueDelimiter   = errors.New("value contains the heredoc delimiter")
	errUnknownKind      = errors.New("unknown file command kind")
	errDelimiterEntropy = errors.New("reading random bytes for the heredoc delimiter")
)

// NameError reports a name that Format refuses.
type NameError struct {
	Kind Kind
	Name string
	Err  error // ErrNameSyntax or ErrNameBlocked
}

func (e *NameError) Error() string {
	switch e.Err {
	case ErrNameSyntax:
		return fmt.Sprintf("invalid %s name %q: must match %s", e.Kind, e.Name, namePattern(e.Kind))
	case ErrNameBlocked:
		return fmt.Sprintf("invalid %s name %q: the runner refuses it", e.Kind, e.Name)
	}
	return fmt.Sprintf("invalid %s name %q: %v", e.Kind, e.Name, e.Err)
}

func (e *NameError) Unwrap() error { return e.Err }

// ValueError reports a value that Format refuses. It holds the entry's name
// but never the value.
type ValueError struct {
	Kind Kind
	Name string
	Err  error // ErrValueNUL, ErrValueUTF8 or ErrValueDelimiter
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("invalid %s entry %q: %v", e.Kind, e.Name, e.Err)
}

func (e *ValueError) Unwrap() error { return e.Err }

// Format renders entries for the file command of the given kind, each in the
// heredoc form NAME<<DELIM\nVALUE\nDELIM\n with its own delimiter
// "ghadelimiter_" followed by 32 hex digits from 16 bytes of rnd. A nil rnd
// means crypto/rand; tests pass a fixed reader to get fixed output.
//
// Format checks every entry before it renders any: a name must follow the
// kind's rule, and a value must be valid UTF-8 (the runner decodes the file as
// UTF-8) with no NUL byte and must not contain its delimiter. On any error it
// returns no bytes. The error is a *NameError or *ValueError for a bad entry.
//
// Any value that passes, including one with newlines, CR, '=' or "<<", is read
// back by the runner exactly; see Parse.
func Format(kind Kind, entries []Entry, rnd io.Reader) ([]byte, error) {
	if !kind.valid() {
		return nil, fmt.Errorf("%w: %v", errUnknownKind, kind)
	}
	for _, e := range entries {
		if err := checkEntry(kind, e); err != nil {
			return nil, err
		}
	}
	if rnd == nil {
		rnd = rand.Reader
	}

	delims := make([]string, len(entries))
	size := 0
	for i, e := range entries {
		d, err := newDelimiter(rnd)
		if err != nil {
			return nil, err
		}
		// Ending at the first line equal to d is all the runner needs, but
		// refusing d anywhere in the value is simpler to reason about and, with
		// a random d, never refuses a real value.
		if strings.Contains(e.Value, d) {
			return nil, &ValueError{Kind: kind, Name: e.Name, Err: ErrValueDelimiter}
		}
		delims[i] = d
		size += len(e.Name) + len("<<\n\n\n") + len(e.Value) + 2*len(d)
	}

	out := make([]byte, 0, size)
	for i, e := range entries {
		out = append(out, e.Name...)
		out = append(out, "<<"...)
		out = append(out, delims[i]...)
		out = append(out, '\n')
		out = append(out, e.Value...)
		out = append(out, '\n')
		out = append(out, delims[i]...)
		out = append(out, '\n')
	}
	return out, nil
}

func checkEntry(kind Kind, e Entry) error {
	if !validName(e.Name, kind == Output) {
		return &NameError{Kind: kind, Name: e.Name, Err: ErrNameSyntax}
	}
	if kind == Env && strings.EqualFold(e.Name, "NODE_OPTIONS") {
		return &NameError{Kind: kind, Name: e.Name, Err: ErrNameBlocked}
	}
	if strings.IndexByte(e.Value, 0) >= 0 {
		return &ValueError{Kind: kind, Name: e.Name, Err: ErrValueNUL}
	}
	if !utf8.ValidString(e.Value) {
		return &ValueError{Kind: kind, Name: e.Name, Err: ErrValueUTF8}
	}
	return nil
}

// validName reports whether name matches ^[A-Za-z_][A-Za-z0-9_]*$, or
// ^[A-Za-z_][A-Za-z0-9_-]*$ when dash is true. Such a name has no '=', "<<" or
// newline, so it cannot change how the runner splits the heredoc header.
func validName(name string, dash bool) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case i > 0 && '0' <= c && c <= '9':
		case i > 0 && dash && c == '-':
		default:
			return false
		}
	}
	return true
}

func namePattern(k Kind) string {
	if k == Output {
		return "^[A-Za-z_][A-Za-z0-9_-]*$"
	}
	return "^[A-Za-z_][A-Za-z0-9_]*$"
}

func newDelimiter(rnd io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", fmt.Errorf("%w: %w", errDelimiterEntropy, err)
	}
	return delimiterPrefix + hex.EncodeToString(b[:]), nil
}
