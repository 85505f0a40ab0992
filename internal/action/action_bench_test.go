package action_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/action"
	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// BenchmarkRun runs the action's main stage in process, once per flow:
// everything a run does after the process has started, less the network.
//
// Each flow's answers are recorded once from the STS emulator (and the
// OIDC token endpoint) over loopback, then replayed byte for byte on a
// connection that needs no server: the figures, allocations included, are
// the action's own. The loopback-emulator case is keys+role against the
// emulator itself, for comparison; its allocations include the emulator's.
func BenchmarkRun(b *testing.B) {
	w := newBenchWorld(b)
	keys := []string{"aws-access-key-id", ststest.DemoUser.AccessKeyID, "aws-secret-access-key", ststest.DemoUser.SecretAccessKey}
	oidcEnv := map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": w.reqURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": w.reqToken}
	cases := []struct {
		name string
		env  map[string]string
		with []string
	}{
		{"keys+role", nil, append(keys, "role-to-assume", ststest.DemoRole.ARN)},
		{"keys-alone", nil, keys},
		{"oidc", oidcEnv, []string{"role-to-assume", ststest.DemoOIDCRole.ARN}},
		{"token-file", nil, []string{"role-to-assume", ststest.DemoOIDCRole.ARN, "web-identity-token-file", "token.jwt"}},
		{"role-chaining", w.chained(b), []string{"role-to-assume", ststest.DemoRole.ARN, "role-chaining", "true"}},
		{"aws-profile", nil, append(keys, "role-to-assume", ststest.DemoRole.ARN, "aws-profile", "bench", "overwrite-aws-profile", "true")},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s := w.newStep(b, c.env, c.with...)
			rec := &recorder{}
			if err := s.run(rec.dial); err != nil {
				b.Fatalf("recording the answers: %v\n%s", err, s.stdout.String())
			}
			if len(rec.answers) == 0 {
				b.Fatal("nothing was recorded")
			}
			s.benchLoop(b, rec.replay)
		})
	}
	b.Run("keys+role/loopback-emulator", func(b *testing.B) {
		s := w.newStep(b, nil, append(keys, "role-to-assume", ststest.DemoRole.ARN)...)
		s.benchLoop(b, nil)
	})
}

// benchWorld is the STS emulator and GitHub's token endpoint on loopback.
type benchWorld struct {
	emu                   *ststest.Emulator
	issuer                *ststest.TokenIssuer
	url, reqURL, reqToken string
	manifest              *runnertest.Manifest
}

func newBenchWorld(b *testing.B) *benchWorld {
	b.Helper()
	w := &benchWorld{emu: ststest.New()}
	w.emu.SeedDemo()
	srv := httptest.NewUnstartedServer(w.emu)
	// A new connection per run, as a new process makes.
	srv.Config.SetKeepAlivesEnabled(false)
	srv.Start()
	b.Cleanup(func() { w.emu.Close(); srv.Close() })
	w.url = srv.URL
	w.issuer, w.reqURL, w.reqToken = ststest.NewTokenServer(b)
	w.emu.SeedDemoOIDC(w.issuer)
	m, err := runnertest.LoadManifest("../../action.yml")
	if err != nil {
		b.Fatal(err)
	}
	w.manifest = m
	return w
}

// chained returns the job environment an earlier keys+role step leaves.
func (w *benchWorld) chained(b *testing.B) map[string]string {
	b.Helper()
	s := w.newStep(b, nil, "aws-access-key-id", ststest.DemoUser.AccessKeyID, "aws-secret-access-key", ststest.DemoUser.SecretAccessKey,
		"role-to-assume", ststest.DemoRole.ARN)
	if err := s.run(nil); err != nil {
		b.Fatal(err)
	}
	issued := w.emu.Issued()
	c := issued[len(issued)-1]
	return map[string]string{"AWS_ACCESS_KEY_ID": c.AccessKeyID, "AWS_SECRET_ACCESS_KEY": c.SecretAccessKey,
		"AWS_SESSION_TOKEN": c.SessionToken, "AWS_REGION": ststest.DemoRegion, "AWS_DEFAULT_REGION": ststest.DemoRegion}
}

// benchStep is one step's environment and runner files.
type benchStep struct {
	environ []string
	files   []string
	stdout  bytes.Buffer
}

// newStep lays out a job directory and the environment the runner gives
// the action: the job's variables, INPUT_* for every input of action.yml
// (its default unless with sets it) and fresh file-command files.
func (w *benchWorld) newStep(b *testing.B, jobEnv map[string]string, with ...string) *benchStep {
	b.Helper()
	root := b.TempDir()
	ws := filepath.Join(root, "work", "repo", "repo")
	temp := filepath.Join(root, "work", "_temp")
	if err := os.MkdirAll(ws, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll(temp, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "token.jwt"), []byte(w.issuer.Mint(ststest.DefaultAudience)+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "CI": "true", "HOME": filepath.Join(temp, "_github_home"),
		"GITHUB_REPOSITORY": "octo-org/octo-repo", "GITHUB_WORKFLOW": "deploy", "GITHUB_RUN_ID": "1234567890",
		"GITHUB_RUN_ATTEMPT": "1", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
		"GITHUB_REF": "refs/heads/main", "GITHUB_REF_NAME": "main", "GITHUB_ACTOR": "octocat",
		"GITHUB_EVENT_NAME": "push", "GITHUB_JOB": "deploy", "GITHUB_SERVER_URL": "https://github.com",
		"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "RUNNER_ENVIRONMENT": "github-hosted",
		"GITHUB_WORKSPACE": ws, "RUNNER_TEMP": temp, "RUNNER_WORKSPACE": filepath.Dir(ws),
	}
	for k, v := range jobEnv {
		env[k] = v
	}
	for name, in := range w.manifest.Inputs {
		env["INPUT_"+strings.ToUpper(name)] = in.Default
	}
	with = append([]string{"aws-region", ststest.DemoRegion, "sts-endpoint", w.url}, with...)
	for i := 0; i+1 < len(with); i += 2 {
		if _, ok := w.manifest.Inputs[with[i]]; !ok {
			b.Fatalf("input %q is not in action.yml", with[i])
		}
		env["INPUT_"+strings.ToUpper(with[i])] = with[i+1]
	}
	s := &benchStep{}
	// Where the runner keeps them: aws-profile checks that RUNNER_TEMP holds
	// this step's GITHUB_ENV.
	commands := filepath.Join(temp, "_runner_file_commands")
	if err := os.MkdirAll(commands, 0o755); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"} {
		p := filepath.Join(commands, name)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			b.Fatal(err)
		}
		env[name] = p
		s.files = append(s.files, p)
	}
	s.environ = runnertest.Environ(env)
	return s
}

type dialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

func (s *benchStep) run(dial dialFunc) error {
	s.stdout.Reset()
	return action.Run(context.Background(), action.Env{Environ: s.environ, Stdout: &s.stdout, DialContext: dial})
}

// benchLoop runs the step b.N times, each with new, empty runner files, as
// the runner creates for each step. (Truncating the same files instead
// would make ext4 flush them on close, its guard for files rewritten in
// place, which a step never meets.)
func (s *benchStep) benchLoop(b *testing.B, dial dialFunc) {
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for _, p := range s.files {
			if err := os.Remove(p); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if err := s.run(dial); err != nil {
			b.Fatalf("%v\n%s", err, s.stdout.String())
		}
	}
}

// recorder dials for real and keeps every byte each address answered.
type recorder struct {
	mu      sync.Mutex
	answers map[string]*bytes.Buffer
}

func (r *recorder) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.answers == nil {
		r.answers = map[string]*bytes.Buffer{}
	}
	if r.answers[addr] != nil {
		panic("recorder: two connections to " + addr + " in one run")
	}
	buf := &bytes.Buffer{}
	r.answers[addr] = buf
	return &teeConn{Conn: c, w: buf}, nil
}

// replay answers a dial to a recorded address with its recorded answer.
func (r *recorder) replay(_ context.Context, _, addr string) (net.Conn, error) {
	buf, ok := r.answers[addr]
	if !ok {
		panic("replay: nothing recorded for " + addr)
	}
	return &cannedConn{answer: buf.Bytes(), written: make(chan struct{})}, nil
}

type teeConn struct {
	net.Conn
	w io.Writer
}

func (c *teeConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	_, _ = c.w.Write(p[:n])
	return n, err
}

// cannedConn swallows the request and then reads back a recorded answer.
// Reads wait for the first write: net/http drops a connection that answers
// before it has been asked anything.
type cannedConn struct {
	answer  []byte
	off     int
	written chan struct{}
	once    sync.Once
}

func (c *cannedConn) Write(p []byte) (int, error) {
	c.once.Do(func() { close(c.written) })
	return len(p), nil
}

func (c *cannedConn) Read(p []byte) (int, error) {
	<-c.written
	if c.off >= len(c.answer) {
		return 0, io.EOF
	}
	n := copy(p, c.answer[c.off:])
	c.off += n
	return n, nil
}

func (c *cannedConn) Close() error {
	c.once.Do(func() { close(c.written) })
	return nil
}

func (c *cannedConn) LocalAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}
func (c *cannedConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 443}
}
func (c *cannedConn) SetDeadline(t time.Time) error      { return nil }
func (c *cannedConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *cannedConn) SetWriteDeadline(t time.Time) error { return nil }
