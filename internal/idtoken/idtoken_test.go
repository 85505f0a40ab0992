package idtoken

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func jwt(claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	b, _ := json.Marshal(claims)
	return h + "." + base64.RawURLEncoding.EncodeToString(b) + ".c2lnbmF0dXJl"
}

// tokenServer answers like GitHub's token service after the given statuses.
func tokenServer(t *testing.T, statuses []int, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if r.Header.Get("Authorization") != "Bearer request-token" {
			http.Error(w, `{"message":"bad bearer"}`, http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("api-version") != "2.0" || r.URL.Query().Get("audience") != "sts.amazonaws.com" {
			http.Error(w, "bad query "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		if i < len(statuses) {
			http.Error(w, `{"message":"try later"}`, statuses[i])
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestFetch(t *testing.T) {
	t.Parallel()
	token := jwt(map[string]any{"sub": "repo:o/r:ref:refs/heads/main", "aud": "sts.amazonaws.com"})
	good, _ := json.Marshal(map[string]string{"value": token})
	for _, tc := range []struct {
		name     string
		statuses []int
		body     string
		reqToken string
		wantErr  string
		calls    int32
	}{
		{name: "ok", body: string(good), calls: 1},
		{name: "retries 5xx and 429", statuses: []int{500, 503, 429}, body: string(good), calls: 4},
		{name: "gives up after attempts", statuses: []int{500, 500, 500, 500, 500, 500}, body: string(good), wantErr: "HTTP 500", calls: 5},
		{name: "401 at once", reqToken: "wrong", body: string(good), wantErr: "HTTP 401", calls: 1},
		{name: "404 at once", statuses: []int{404}, body: string(good), wantErr: "HTTP 404", calls: 1},
		{name: "garbage JSON", body: "<html>" + token, wantErr: "not the JSON object", calls: 1},
		{name: "no JWT", body: `{"value":"abc"}`, wantErr: "no JWT", calls: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, n := tokenServer(t, tc.statuses, tc.body)
			rt := tc.reqToken
			if rt == "" {
				rt = "request-token"
			}
			f := &Fetcher{RequestURL: srv.URL + "/token?api-version=2.0", RequestToken: rt, BaseDelay: time.Millisecond}
			got, err := f.Fetch(context.Background(), "sts.amazonaws.com")
			if tc.wantErr == "" {
				if err != nil || got != token {
					t.Fatalf("got %q, %v", got, err)
				}
			} else {
				var fe *FetchError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), rt) {
					t.Fatalf("the error shows a secret: %v", err)
				}
			}
			if n.Load() != tc.calls {
				t.Errorf("requests = %d, want %d", n.Load(), tc.calls)
			}
		})
	}
}

func TestFetchMissingEnv(t *testing.T) {
	t.Parallel()
	if _, err := (&Fetcher{}).Fetch(context.Background(), "x"); err == nil {
		t.Fatal("want an error without the request variables")
	}
}

func TestFetchHonoursContext(t *testing.T) {
	t.Parallel()
	srv, _ := tokenServer(t, []int{500, 500, 500, 500}, "{}")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	f := &Fetcher{RequestURL: srv.URL + "?api-version=2.0", RequestToken: "request-token", BaseDelay: time.Second}
	start := time.Now()
	if _, err := f.Fetch(ctx, "sts.amazonaws.com"); err == nil {
		t.Fatal("want an error")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %s after the deadline", d)
	}
}

// TestEachAttemptHasADeadlineThatCoversTheBody: an endpoint that sends its
// headers and then stalls is given up on per attempt and retried, even with
// a client that has no timeout of its own; the last try succeeds.
func TestEachAttemptHasADeadlineThatCoversTheBody(t *testing.T) {
	t.Parallel()
	token := jwt(map[string]any{"sub": "x", "aud": "sts.amazonaws.com"})
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 2 {
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"value":"`))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		_, _ = w.Write([]byte(`{"value":"` + token + `"}`))
	}))
	t.Cleanup(srv.Close)
	var retries []string
	f := &Fetcher{RequestURL: srv.URL + "?api-version=2.0", RequestToken: "request-token", Client: &http.Client{},
		AttemptTimeout: 100 * time.Millisecond, BaseDelay: time.Millisecond,
		OnRetry: func(_ int, _ time.Duration, err error) { retries = append(retries, err.Error()) }}
	start := time.Now()
	got, err := f.Fetch(context.Background(), "sts.amazonaws.com")
	if err != nil || got != token {
		t.Fatalf("got %q, %v", got, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	if len(retries) != 1 || !strings.Contains(retries[0], "no whole answer within 100ms") {
		t.Errorf("retries %q, want one that names the attempt's deadline", retries)
	}
}

// TestStuckEndpointIsGivenUpEarly: an endpoint that stalls on every
// attempt costs two attempts' deadlines, not all five.
func TestStuckEndpointIsGivenUpEarly(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	f := &Fetcher{RequestURL: srv.URL + "?api-version=2.0", RequestToken: "request-token", AttemptTimeout: 50 * time.Millisecond, BaseDelay: time.Millisecond}
	_, err := f.Fetch(context.Background(), "sts.amazonaws.com")
	var fe *FetchError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "no whole answer within 50ms") {
		t.Fatalf("err = %v", err)
	}
	if got := n.Load(); got != maxStalls {
		t.Errorf("%d attempts, want %d", got, maxStalls)
	}
}

func TestReadFile(t *testing.T) {
	t.Parallel()
	token := jwt(map[string]any{"sub": "system:serviceaccount:ci:deployer"})
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("token", token+"\n")
	write("empty", " \n")
	write("garbage", "not a token")
	write("huge", strings.Repeat("a", 70<<10))
	if err := os.Symlink(filepath.Join(dir, "token"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want, err string }{
		{path: "token", want: token},
		{path: filepath.Join(dir, "token"), want: token},
		{path: "missing", err: "does not exist"},
		{path: "empty", err: "is empty"},
		{path: "garbage", err: "does not hold a JWT"},
		{path: "huge", err: "larger than"},
		{path: "link", err: "symbolic link"},
		{path: ".", err: "not a regular file"},
	} {
		got, err := ReadFile(tc.path, dir)
		if tc.err != "" {
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.path, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v", tc.path, got, err)
		}
	}
	if !projectedToken.MatchString("/var/run/secrets/eks.amazonaws.com/serviceaccount/token") ||
		projectedToken.MatchString("/var/run/secrets/../../etc/serviceaccount/token") {
		t.Error("projected token pattern")
	}
}

func TestParseClaims(t *testing.T) {
	t.Parallel()
	c, err := ParseClaims(jwt(map[string]any{"iss": "https://token.actions.githubusercontent.com", "aud": "sts.amazonaws.com",
		"sub": "repo:o/r:environment:prod", "environment": "prod", "job_workflow_ref": "o/r/.github/workflows/d.yml@refs/heads/main"}))
	if err != nil || c.Audience[0] != "sts.amazonaws.com" || c.Environment != "prod" || c.Subject != "repo:o/r:environment:prod" {
		t.Fatalf("%+v %v", c, err)
	}
	c, err = ParseClaims(jwt(map[string]any{"aud": []string{"a", "b"}}))
	if err != nil || len(c.Audience) != 2 {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{"", "a.b", "a.!!!.c", "a." + base64.RawURLEncoding.EncodeToString([]byte("[]")) + ".c"} {
		if _, err := ParseClaims(bad); err == nil {
			t.Errorf("ParseClaims(%q) accepted", bad)
		}
	}
}
