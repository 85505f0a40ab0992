package refresh

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/assume-role/assume-role/internal/awsconfig"
)

// MaxWindow is the refresh window of a session of 32 minutes or more: the
// cache hands out a session until it has less than this left, then renews
// it. It is one minute more than the 15 minutes at which botocore (the AWS
// CLI, boto3) calls a credential_process again on every use, so that in the
// steady state each AWS CLI command runs the process once, not twice.
const MaxWindow = 16 * time.Minute

// Window is the refresh window of a session that lasts lifetime in all:
// MaxWindow, or half the lifetime when that is shorter, so that a session
// always serves for at least half its life. STS's shortest session (900 s)
// is handed out for its first 7.5 minutes; the default hour for 44 minutes.
// No caller is ever handed a session with less than the window left, so a
// caller that uses it at once (as the AWS CLI does) never meets its end.
func Window(lifetime time.Duration) time.Duration {
	if half := lifetime / 2; half < MaxWindow {
		return half
	}
	return MaxWindow
}

// Session is a session as the cache keeps it.
type Session struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
	// Obtained is when it was issued (by this host's clock): with
	// Expiration it gives the lifetime, and so the window.
	Obtained time.Time
}

// fresh reports whether s may be handed out at now.
func (s *Session) fresh(now time.Time) bool {
	return now.Before(s.Expiration.Add(-Window(s.Expiration.Sub(s.Obtained))))
}

// cacheVersion is the version of the cache file's format.
const cacheVersion = 1

// entry is the cache file.
type entry struct {
	Version int    `json:"version"`
	Spec    string `json:"spec_sha256"`
	Session
}

// maxLifetime bounds the lifetime a cache file may claim: STS issues at most
// 12 hours; a file claiming more was not written by us.
const maxLifetime = 12*time.Hour + time.Minute

// WriteSession writes s as the cache of the spec with hash specHash: 0600,
// replaced atomically, so that a reader sees the old or the new session,
// never half of one.
func WriteSession(path, specHash string, s Session) error {
	b, err := EncodeSession(specHash, s)
	if err != nil {
		return err
	}
	return awsconfig.WritePrivate(path, b)
}

// EncodeSession returns the cache file's content for s, for the spec with
// hash specHash (see HashOf).
func EncodeSession(specHash string, s Session) ([]byte, error) {
	b, err := json.Marshal(entry{Version: cacheVersion, Spec: specHash, Session: s})
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// CreateLock creates the lock file if it is missing, 0600, so that the main
// stage owns it (and lists it for the post stage) before any caller locks it.
func CreateLock(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// Cache is the session cache of one spec.
type Cache struct {
	Files Files
	Spec  *SpecFile
	Now   func() time.Time
	// Renew obtains a new session; it runs at most once per expiry across
	// every process that shares the cache, under the lock.
	Renew func(ctx context.Context) (Session, error)
	// LockWait bounds the wait for another process's renewal (default
	// 5 minutes).
	LockWait time.Duration
	// Ignored, when set, hears why a cache file was not used (corrupt,
	// foreign, or for another spec); it is then replaced.
	Ignored func(reason string)
}

// Result is what Get handed out, and how.
type Result struct {
	Session
	// Renewed is set when this call renewed the session.
	Renewed bool
	// StoreErr is set when a renewed session could not be cached: it is
	// still valid and handed out, but the next caller renews again.
	StoreErr error
}

// Get returns a session that has more than its window left: the cached one,
// or, if it has not, a new one from Renew. Only one process renews at a
// time; the others wait for the lock and then find its session.
func (c *Cache) Get(ctx context.Context) (*Result, error) {
	if s, ok := c.load(false); ok {
		return &Result{Session: s}, nil
	}
	unlock, err := c.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Whoever held the lock before may have renewed it meanwhile.
	if s, ok := c.load(true); ok {
		return &Result{Session: s}, nil
	}
	s, err := c.Renew(ctx)
	if err != nil {
		return nil, err
	}
	if !s.fresh(c.Now()) {
		return nil, fmt.Errorf("STS issued a session that expires at %s, within its refresh window already: check this machine's clock",
			s.Expiration.UTC().Format(time.RFC3339))
	}
	r := &Result{Session: s, Renewed: true}
	r.StoreErr = WriteSession(c.Files.Session, c.Spec.Hash, s)
	return r, nil
}

// load reads the cache and returns its session if it can be handed out.
// Anything else than a fresh session of ours is ignored; report says
// whether to tell Ignored why (once per call of Get is enough).
func (c *Cache) load(report bool) (Session, bool) {
	s, err := c.read()
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Session{}, false
	case err != nil:
		if report && c.Ignored != nil {
			c.Ignored(err.Error())
		}
		return Session{}, false
	}
	return s, s.fresh(c.Now())
}

// read reads and checks the cache file: never trusted, it must be a 0600
// regular file of this user or the spec's owner, in the current format, for
// this very spec, with a plausible session.
func (c *Cache) read() (Session, error) {
	path := c.Files.Session
	b, fi, err := readPrivate(path, 0o077)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Session{}, err
		}
		return Session{}, fmt.Errorf("ignoring the cached session: %w", err)
	}
	if o := owner(fi); o != os.Geteuid() && o != c.Spec.Owner {
		return Session{}, fmt.Errorf("ignoring the cached session: %s belongs to user %d, not to this user or the spec's owner", path, o)
	}
	var e entry
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Session{}, fmt.Errorf("ignoring the cached session: %s is not a cache file: %v", path, err)
	}
	s := e.Session
	lifetime := s.Expiration.Sub(s.Obtained)
	switch {
	case e.Version != cacheVersion:
		return Session{}, fmt.Errorf("ignoring the cached session: %s has version %d", path, e.Version)
	case e.Spec != c.Spec.Hash:
		return Session{}, fmt.Errorf("ignoring the cached session: %s belongs to another spec", path)
	case !validKeyID(s.AccessKeyID) || s.SecretAccessKey == "" || s.SessionToken == "":
		return Session{}, fmt.Errorf("ignoring the cached session: %s holds no complete session", path)
	case lifetime <= 0 || lifetime > maxLifetime || s.Obtained.After(c.Now().Add(time.Minute)):
		return Session{}, fmt.Errorf("ignoring the cached session: %s claims a session from %s to %s", path,
			s.Obtained.UTC().Format(time.RFC3339), s.Expiration.UTC().Format(time.RFC3339))
	}
	return s, nil
}

func validKeyID(id string) bool {
	if len(id) < 16 || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// lock takes the profile's lock, waiting at most LockWait for another
// process that holds it.
func (c *Cache) lock(ctx context.Context) (func(), error) {
	wait := c.LockWait
	if wait == 0 {
		wait = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	unlock, err := lockFile(ctx, c.Files.Lock)
	if err != nil {
		return nil, fmt.Errorf("locking %s to renew the session: %w", c.Files.Lock, err)
	}
	return unlock, nil
}
