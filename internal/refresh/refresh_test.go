package refresh

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ lifetime, want time.Duration }{
		{15 * time.Minute, 450 * time.Second}, // STS's shortest session
		{30 * time.Minute, 15 * time.Minute},
		{time.Hour, MaxWindow},
		{12 * time.Hour, MaxWindow},
		{10 * time.Second, 5 * time.Second},
	} {
		if got := Window(c.lifetime); got != c.want {
			t.Errorf("Window(%s) = %s, want %s", c.lifetime, got, c.want)
		}
	}
}

func TestFilesOf(t *testing.T) {
	t.Parallel()
	f := FilesFor("/tmp/x", "deploy")
	got, err := FilesOf(f.Spec)
	if err != nil || got != f {
		t.Fatalf("FilesOf(%s) = %v, %v", f.Spec, got, err)
	}
	if f.Session != "/tmp/x/deploy.session.json" || f.Lock != "/tmp/x/deploy.lock" {
		t.Errorf("files %+v", f)
	}
	for _, bad := range []string{"deploy.refresh.json", "/tmp/x/deploy.json", "/tmp/x/.refresh.json"} {
		if _, err := FilesOf(bad); err == nil {
			t.Errorf("FilesOf(%q) accepted", bad)
		}
	}
}

func TestGuardStopsOnlyTheSameInvocation(t *testing.T) {
	t.Parallel()
	a := []string{"--spec", "/tmp/a.refresh.json"}
	b := []string{"--spec", "/tmp/b.refresh.json"}
	v1, err := Guard("", a)
	if err != nil {
		t.Fatal(err)
	}
	// A profile whose source is another refreshing profile is fine...
	v2, err := Guard(v1, b)
	if err != nil {
		t.Fatal(err)
	}
	// ...but reaching a itself again is not.
	if _, err := Guard(v2, a); !errors.Is(err, ErrRecursion) {
		t.Fatalf("a under a: %v", err)
	}
	deep := ""
	for i := range maxNesting {
		if deep, err = Guard(deep, []string{"n", string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Guard(deep, []string{"other"}); !errors.Is(err, ErrRecursion) {
		t.Fatalf("nested %d deep: %v", maxNesting+1, err)
	}
}

// world is a spec on disk and a renewal that counts its calls.
type world struct {
	files Files
	spec  *SpecFile
	now   time.Time
	calls atomic.Int32
	// lifetime of the sessions Renew issues.
	lifetime time.Duration
	ignored  []string
	mu       sync.Mutex
}

func newWorld(t *testing.T) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{files: FilesFor(dir, "deploy"), now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), lifetime: time.Hour}
	s := Spec{Flow: FlowKeys, Inputs: map[string]string{"INPUT_ROLE-TO-ASSUME": "arn:aws:iam::111111111111:role/r"}}
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.files.Spec, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if w.spec, err = ReadSpec(w.files.Spec); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) cache() *Cache {
	return &Cache{
		Files: w.files, Spec: w.spec,
		Now: func() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now },
		Renew: func(ctx context.Context) (Session, error) {
			n := w.calls.Add(1)
			time.Sleep(20 * time.Millisecond) // long enough for the others to pile up
			w.mu.Lock()
			defer w.mu.Unlock()
			return Session{AccessKeyID: "ASIARENEWED" + strings.Repeat("0", 8) + string(rune('A'+n)), SecretAccessKey: "s", SessionToken: "t",
				Obtained: w.now, Expiration: w.now.Add(w.lifetime)}, nil
		},
		Ignored: func(r string) { w.mu.Lock(); w.ignored = append(w.ignored, r); w.mu.Unlock() },
	}
}

func (w *world) advance(d time.Duration) { w.mu.Lock(); w.now = w.now.Add(d); w.mu.Unlock() }

func TestCacheHandsOutOneSessionUntilItsWindow(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.cache()
	first, err := c.Get(context.Background())
	if err != nil || !first.Renewed {
		t.Fatalf("empty cache: %+v %v", first, err)
	}
	fi, err := os.Stat(w.files.Session)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file %v %v", fi, err)
	}
	for range 200 {
		w.advance(time.Second)
		r, err := c.Get(context.Background())
		if err != nil || r.Renewed || r.AccessKeyID != first.AccessKeyID {
			t.Fatalf("within the session: %+v %v", r, err)
		}
	}
	// One hour sessions are handed out until 16 minutes are left.
	w.advance(time.Hour - MaxWindow - 200*time.Second - time.Second)
	if r, _ := c.Get(context.Background()); r.Renewed {
		t.Fatal("renewed before the window")
	}
	w.advance(2 * time.Second)
	r, err := c.Get(context.Background())
	if err != nil || !r.Renewed || r.AccessKeyID == first.AccessKeyID {
		t.Fatalf("in the window: %+v %v", r, err)
	}
	if n := w.calls.Load(); n != 2 {
		t.Errorf("%d renewals, want 2", n)
	}
}

func TestCacheParallelCallersRenewOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var wg sync.WaitGroup
	keys := make([]string, 32)
	for i := range keys {
		wg.Go(func() {
			r, err := w.cache().Get(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			keys[i] = r.AccessKeyID
		})
	}
	wg.Wait()
	if n := w.calls.Load(); n != 1 {
		t.Errorf("%d renewals for 32 parallel callers, want 1", n)
	}
	for _, k := range keys {
		if k != keys[0] {
			t.Fatalf("callers got different sessions: %v", keys)
		}
	}
}

func TestCacheNeverTrustsAForeignFile(t *testing.T) {
	t.Parallel()
	good := func(w *world) []byte {
		b, err := EncodeSession(w.spec.Hash, Session{AccessKeyID: "ASIAGOOD000000000000", SecretAccessKey: "s", SessionToken: "t",
			Obtained: w.now, Expiration: w.now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for name, plant := range map[string]func(w *world) error{
		"corrupt":  func(w *world) error { return os.WriteFile(w.files.Session, []byte("{\"version\":1,"), 0o600) },
		"not JSON": func(w *world) error { return os.WriteFile(w.files.Session, []byte("AKIA..."), 0o600) },
		"other spec": func(w *world) error {
			return os.WriteFile(w.files.Session, []byte(strings.Replace(string(good(w)), w.spec.Hash, strings.Repeat("0", 64), 1)), 0o600)
		},
		"group-readable": func(w *world) error {
			if err := os.WriteFile(w.files.Session, good(w), 0o600); err != nil {
				return err
			}
			return os.Chmod(w.files.Session, 0o640)
		},
		"symbolic link": func(w *world) error {
			other := filepath.Join(filepath.Dir(w.files.Session), "elsewhere")
			if err := os.WriteFile(other, good(w), 0o600); err != nil {
				return err
			}
			return os.Symlink(other, w.files.Session)
		},
		"ten-year session": func(w *world) error {
			b, _ := EncodeSession(w.spec.Hash, Session{AccessKeyID: "ASIAGOOD000000000000", SecretAccessKey: "s", SessionToken: "t",
				Obtained: w.now, Expiration: w.now.Add(10 * 365 * 24 * time.Hour)})
			return os.WriteFile(w.files.Session, b, 0o600)
		},
		"unknown field": func(w *world) error {
			return os.WriteFile(w.files.Session, []byte(strings.Replace(string(good(w)), "{", `{"extra":1,`, 1)), 0o600)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			if err := plant(w); err != nil {
				t.Fatal(err)
			}
			r, err := w.cache().Get(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !r.Renewed || r.AccessKeyID == "ASIAGOOD000000000000" || r.StoreErr != nil && name != "symbolic link" {
				t.Fatalf("%+v", r)
			}
			if len(w.ignored) != 1 {
				t.Errorf("ignored %q", w.ignored)
			}
			if name == "symbolic link" {
				return // never written through
			}
			// Replaced by a good one, which the next caller uses.
			again, err := w.cache().Get(context.Background())
			if err != nil || again.Renewed || again.AccessKeyID != r.AccessKeyID {
				t.Fatalf("after replacing: %+v %v", again, err)
			}
		})
	}
}

func TestCacheRefusesASessionThatIsAlreadyStale(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.cache()
	c.Renew = func(context.Context) (Session, error) {
		return Session{AccessKeyID: "ASIASTALE00000000000", SecretAccessKey: "s", SessionToken: "t", Obtained: w.now.Add(-time.Hour), Expiration: w.now.Add(time.Minute)}, nil
	}
	if _, err := c.Get(context.Background()); err == nil || !strings.Contains(err.Error(), "clock") {
		t.Fatalf("got %v", err)
	}
}

func TestReadSpecRefusesWhatOthersCanWrite(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if err := os.Chmod(w.files.Spec, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSpec(w.files.Spec); err == nil {
		t.Fatal("accepted a world-writable spec")
	}
}
