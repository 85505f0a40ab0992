// Package refresh keeps the session of a refreshing profile (aws-profile
// with refresh-credentials): the spec the action's main stage writes, which
// says how to assume the role again, and a cache that hands one session to
// every caller of the profile's credential_process until the session nears
// its end, when exactly one caller renews it under a file lock while the
// others wait for its result.
//
// Everything lives in the profile's directory, named after the profile
// (Files): <profile>.refresh.json (the spec), <profile>.session.json (the
// cached session) and <profile>.lock. The credential_process line names only
// the spec; the other two are derived from its path here and nowhere else.
package refresh

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/assume-role/assume-role/internal/sessiontags"
)

// The files of one profile, by suffix after the profile's name.
const (
	specSuffix    = ".refresh.json"
	sessionSuffix = ".session.json"
	lockSuffix    = ".lock"
)

// maxFileSize bounds what is read from the spec or the cache: both are a
// few kilobytes.
const maxFileSize = 1 << 20

// Files are the paths of one refreshing profile's files.
type Files struct {
	Spec, Session, Lock string
}

// FilesFor returns the files of profile in dir.
func FilesFor(dir, profile string) Files {
	base := filepath.Join(dir, profile)
	return Files{Spec: base + specSuffix, Session: base + sessionSuffix, Lock: base + lockSuffix}
}

// FilesOf returns the files that belong to the spec at path, which must be
// absolute and named <profile>.refresh.json.
func FilesOf(spec string) (Files, error) {
	name := filepath.Base(spec)
	profile, ok := strings.CutSuffix(name, specSuffix)
	if !filepath.IsAbs(spec) || !ok || profile == "" {
		return Files{}, fmt.Errorf("the spec %q is not an absolute path to a <profile>%s file", spec, specSuffix)
	}
	return FilesFor(filepath.Dir(spec), profile), nil
}

// Flows a spec can name: how the session is renewed.
const (
	FlowKeys      = "keys"       // long-term keys, kept in the spec's inputs
	FlowOIDC      = "oidc"       // a fresh GitHub ID token per renewal
	FlowTokenFile = "token-file" // the token file, read again per renewal
	FlowAmbient   = "ambient"    // the machine's own credentials, never keys from the environment or a profile
)

// specVersion is the version of Spec's format.
const specVersion = 1

// Spec is how a refreshing profile renews its session: the inputs of the
// step that wrote it (as the runner passed them, INPUT_ names), with the
// flow it used and the session tags it sent, so that a renewal is the same
// request as the first session's, lists, policies and transitive tag keys
// included, whatever the renewing process's environment holds.
type Spec struct {
	Version int               `json:"version"`
	Flow    string            `json:"flow"`
	Inputs  map[string]string `json:"inputs"`
	// Tags are the session tags the first session was issued with (after
	// any retry without the optional ones), sent as they are: a renewal
	// does not compute them again from its own environment.
	Tags []sessiontags.Tag `json:"tags"`
}

// Marshal returns the spec's file content.
func (s *Spec) Marshal() ([]byte, error) {
	s.Version = specVersion
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// SpecFile is a spec as read from its file.
type SpecFile struct {
	Spec
	// Hash is the SHA-256 of the file's bytes: a cached session belongs to
	// the spec with this hash and no other.
	Hash string
	// Owner is the file's owner (-1 where files have none): a cache file
	// written by anyone else than this user or the spec's owner is foreign.
	Owner int
}

// ReadSpec reads and checks the spec at path. It refuses a spec that is not
// a regular file, that others may write, or that is not one this version
// writes.
func ReadSpec(path string) (*SpecFile, error) {
	b, fi, err := readPrivate(path, 0o022)
	if err != nil {
		return nil, fmt.Errorf("reading the refresh spec: %w", err)
	}
	var s SpecFile
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s.Spec); err != nil {
		return nil, fmt.Errorf("reading the refresh spec %s: %w", path, err)
	}
	if s.Version != specVersion {
		return nil, fmt.Errorf("the refresh spec %s has version %d; this binary reads version %d: run the action again to rewrite the profile", path, s.Version, specVersion)
	}
	switch s.Flow {
	case FlowKeys, FlowOIDC, FlowTokenFile, FlowAmbient:
	default:
		return nil, fmt.Errorf("the refresh spec %s names an unknown flow %q", path, s.Flow)
	}
	s.Hash = HashOf(b)
	s.Owner = owner(fi)
	return &s, nil
}

// readPrivate reads a small regular file (never through a symbolic link)
// whose mode has none of the bits in forbidden.
func readPrivate(path string, forbidden fs.FileMode) ([]byte, fs.FileInfo, error) {
	f, err := openNoFollow(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, nil, err
	case !fi.Mode().IsRegular():
		return nil, nil, fmt.Errorf("%s is not a regular file", path)
	case fi.Mode().Perm()&forbidden != 0:
		return nil, nil, fmt.Errorf("%s has mode %v, which lets others change it", path, fi.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, nil, err
	}
	if len(b) > maxFileSize {
		return nil, nil, fmt.Errorf("%s is larger than %d bytes", path, maxFileSize)
	}
	return b, fi, nil
}

// GuardVar holds, for the processes a credential_process starts, which
// credential_process invocations they run under. A renewal whose own
// invocation is already there has reached its own profile again (a source
// that leads back to the profile) and stops at once instead of starting
// another copy of itself.
const GuardVar = "ASSUME_ROLE_CREDENTIAL_PROCESS"

// maxNesting bounds credential_process invocations nested in each other
// (a profile whose source is another such profile is legitimate, a chain of
// this length is not).
const maxNesting = 4

// ErrRecursion means a credential_process was started by itself.
var ErrRecursion = errors.New("credential-process started itself again: the credentials it renews with lead back to its own profile " +
	"(AWS_PROFILE or the default profile naming it, or a source_profile chain); it stops here instead of starting copies of itself")

// Guard checks the guard value a credential_process inherited (parent) for
// its own invocation, args, and returns the value to hand to the processes
// it starts.
func Guard(parent string, args []string) (string, error) {
	sum := sha256.Sum256([]byte(strings.Join(args, "\x00")))
	me := hex.EncodeToString(sum[:8])
	var seen []string
	if parent != "" {
		seen = strings.Split(parent, ",")
	}
	for _, s := range seen {
		if s == me {
			return parent, ErrRecursion
		}
	}
	if len(seen) >= maxNesting {
		return parent, fmt.Errorf("credential-process is nested %d deep in other credential_process commands: %w", len(seen), ErrRecursion)
	}
	return strings.Join(append(seen, me), ","), nil
}

// HashOf is the hash that binds a cached session to the spec whose file
// content is spec.
func HashOf(spec []byte) string {
	sum := sha256.Sum256(spec)
	return hex.EncodeToString(sum[:])
}
