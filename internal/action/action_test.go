package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/assume-role/assume-role/internal/filecmd"
	"github.com/assume-role/assume-role/internal/inputs"
	"github.com/assume-role/assume-role/internal/stsclient"
	"github.com/assume-role/assume-role/internal/ststest"
)

// step is one in-process run of the action with runner files in a temp dir.
type step struct {
	env            map[string]string
	dial           func(ctx context.Context, network, addr string) (net.Conn, error)
	stdout         bytes.Buffer
	envPath, out   string
	summary        string
	ambientCalls   atomic.Int32
	ambientSkipEnv atomic.Bool
	sourceProfile  string
}

func newStep(t *testing.T, inputsKV ...string) *step {
	t.Helper()
	dir := t.TempDir()
	s := &step{env: map[string]string{}}
	for name, p := range map[string]*string{"GITHUB_ENV": &s.envPath, "GITHUB_OUTPUT": &s.out, "GITHUB_STEP_SUMMARY": &s.summary} {
		*p = filepath.Join(dir, name)
		if err := os.WriteFile(*p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		s.env[name] = *p
	}
	for i := 0; i < len(inputsKV); i += 2 {
		s.env[inputs.Prefix+strings.ToUpper(inputsKV[i])] = inputsKV[i+1]
	}
	return s
}

func (s *step) run(ctx context.Context, ambient aws.CredentialsProvider) error {
	var environ []string
	for k, v := range s.env {
		environ = append(environ, k+"="+v)
	}
	env := Env{Environ: environ, Stdout: &s.stdout, DialContext: s.dial, SourceProfile: s.sourceProfile}
	if env.DialContext == nil {
		env.DialContext = loopbackOnly(nil, nil)
	}
	if ambient != nil {
		env.AmbientCredentials = func(_ context.Context, _ string, skipEnv bool) (aws.CredentialsProvider, error) {
			s.ambientCalls.Add(1)
			s.ambientSkipEnv.Store(skipEnv)
			return ambient, nil
		}
	}
	return Run(ctx, env)
}

func (s *step) exported(t *testing.T) (env, out map[string]string) {
	t.Helper()
	read := func(p string) map[string]string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := filecmd.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, e := range entries {
			m[e.Name] = e.Value
		}
		return m
	}
	return read(s.envPath), read(s.out)
}

func demo(url string, kv ...string) []string {
	return append([]string{"aws-region", "us-east-1", "sts-endpoint", url,
		"aws-access-key-id", ststest.DemoUser.AccessKeyID, "aws-secret-access-key", ststest.DemoUser.SecretAccessKey}, kv...)
}

func TestMissingFileCommandTargetsStopBeforeSTS(t *testing.T) {
	t.Parallel()
	e, url := ststest.NewTestServer(t)
	e.SeedDemo()
	for _, name := range []string{"GITHUB_ENV", "GITHUB_OUTPUT"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStep(t, demo(url, "role-to-assume", ststest.DemoRole.ARN)...)
			delete(s.env, name)
			err := s.run(context.Background(), nil)
			var fe *filecmd.FileError
			if !errors.As(err, &fe) || fe.Var != name {
				t.Fatalf("want a FileError for %s, got %v", name, err)
			}
			if _, code := Explain(err); code != ExitInternal {
				t.Errorf("exit code %d", code)
			}
		})
	}
	if n := e.CallCount(""); n != 0 {
		t.Errorf("STS was called %d times for a session that could not be exported", n)
	}
}

// failingWriter accepts the first n bytes, then fails: the log broke after
// the masks may or may not have reached the runner.
type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n <= 0 {
		return 0, errors.New("broken pipe")
	}
	w.n -= len(p)
	return len(p), nil
}

func TestBrokenLogExportsNothing(t *testing.T) {
	t.Parallel()
	e, url := ststest.NewTestServer(t)
	e.SeedDemo()
	s := newStep(t, demo(url, "role-to-assume", ststest.DemoRole.ARN)...)
	var environ []string
	for k, v := range s.env {
		environ = append(environ, k+"="+v)
	}
	err := Run(context.Background(), Env{Environ: environ, Stdout: &failingWriter{n: 10}})
	if err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Fatalf("want the write error, got %v", err)
	}
	env, out := s.exported(t)
	if len(env) != 0 || len(out) != 0 {
		t.Errorf("exported despite a broken log: %v %v", env, out)
	}
}

func TestEndpointPrecedence(t *testing.T) {
	t.Parallel()
	e, url := ststest.NewTestServer(t)
	e.SeedDemo()
	for _, tc := range []struct {
		name    string
		env     map[string]string
		profile string // the CLI's --source-profile, from a config file with endpoint settings
		ok      bool
		// dialed is the address the SDK went to when it was not the emulator.
		dialed string
		// logged is the debug line of the resolved endpoint.
		logged string
	}{
		{name: "AWS_ENDPOINT_URL_STS", env: map[string]string{"AWS_ENDPOINT_URL_STS": url, "AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, ok: true,
			logged: "STS endpoint: " + url + " (AWS_ENDPOINT_URL_STS)"},
		{name: "AWS_ENDPOINT_URL", env: map[string]string{"AWS_ENDPOINT_URL": url}, ok: true},
		{name: "ignored", env: map[string]string{"AWS_ENDPOINT_URL_STS": url, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
			dialed: "sts.us-east-1.amazonaws.com:443", logged: "STS endpoint: https://sts.us-east-1.amazonaws.com (the SDK's endpoint for us-east-1)"},
		{name: "fips", env: map[string]string{"AWS_USE_FIPS_ENDPOINT": "true"},
			dialed: "sts-fips.us-east-1.amazonaws.com:443", logged: "STS endpoint: https://sts-fips.us-east-1.amazonaws.com (the SDK's endpoint for us-east-1, with AWS_USE_FIPS_ENDPOINT)"},
		{name: "dualstack", env: map[string]string{"AWS_USE_DUALSTACK_ENDPOINT": "TRUE"}, dialed: "sts.us-east-1.api.aws:443"},
		{name: "fips and dualstack", env: map[string]string{"AWS_USE_FIPS_ENDPOINT": "true", "AWS_USE_DUALSTACK_ENDPOINT": "true"}, dialed: "sts-fips.us-east-1.api.aws:443"},
		{name: "fips off", env: map[string]string{"AWS_USE_FIPS_ENDPOINT": "false"}, dialed: "sts.us-east-1.amazonaws.com:443"},
		// A configured endpoint wins over FIPS, as in the AWS CLI.
		{name: "fips with an endpoint", env: map[string]string{"AWS_USE_FIPS_ENDPOINT": "true", "AWS_ENDPOINT_URL_STS": url}, ok: true},
		{name: "profile endpoint_url", profile: "src", ok: true, logged: "(endpoint_url of profile src)"},
		{name: "profile services endpoint_url", profile: "svc", ok: true, logged: "(endpoint_url of sts in the services section of profile svc)"},
		{name: "environment before profile", profile: "src", env: map[string]string{"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:1"}, logged: "(AWS_ENDPOINT_URL_STS)"},
		{name: "profile ignores endpoints", profile: "ignoring", dialed: "sts.us-east-1.amazonaws.com:443"},
		{name: "profile fips", profile: "fips", dialed: "sts-fips.us-east-1.amazonaws.com:443", logged: "with use_fips_endpoint of profile fips"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kv := demo("", "role-to-assume", ststest.DemoRole.ARN, "disable-retry", "true", "action-timeout-s", "2")
			s := newStep(t, kv...)
			delete(s.env, "INPUT_STS-ENDPOINT")
			s.env["RUNNER_DEBUG"] = "1"
			if tc.profile != "" {
				s.sourceProfile = tc.profile
				s.env["AWS_CONFIG_FILE"] = writeConfig(t, url)
			}
			for k, v := range tc.env {
				s.env[k] = v
			}
			// Endpoints off this machine: the dialer refuses them and
			// records that the SDK tried.
			var dialed []string
			s.dial = loopbackOnly(nil, &dialed)
			err := s.run(context.Background(), nil)
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v\n%s", err, tc.ok, s.stdout.String())
			}
			if tc.dialed != "" && (len(dialed) == 0 || dialed[0] != tc.dialed) {
				t.Errorf("dialed %v, want %s", dialed, tc.dialed)
			}
			if tc.logged != "" && !strings.Contains(s.stdout.String(), tc.logged) {
				t.Errorf("the log lacks %q:\n%s", tc.logged, s.stdout.String())
			}
		})
	}
}

// writeConfig writes a shared config file whose profiles set STS endpoint
// options in each of the ways the AWS CLI reads them.
func writeConfig(t *testing.T, url string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config")
	body := `[profile src]
endpoint_url = ` + url + `

[profile svc]
endpoint_url = http://127.0.0.1:1
services = local

[services local]
sts =
  endpoint_url = ` + url + `

[profile ignoring]
endpoint_url = ` + url + `
ignore_configured_endpoint_urls = true

[profile fips]
use_fips_endpoint = true
`
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEndpointVariableMustBeBoolean(t *testing.T) {
	t.Parallel()
	s := newStep(t, demo("http://127.0.0.1:1", "role-to-assume", ststest.DemoRole.ARN)...)
	s.env["AWS_USE_FIPS_ENDPOINT"] = "yes"
	err := s.run(context.Background(), nil)
	var ev *EnvVarError
	if !errors.As(err, &ev) || ev.Name != "AWS_USE_FIPS_ENDPOINT" {
		t.Fatalf("err = %v, want an EnvVarError", err)
	}
	if msg, code := Explain(err); code != ExitBadInput || !strings.Contains(msg, `AWS_USE_FIPS_ENDPOINT is "yes"`) {
		t.Errorf("Explain = %q, %d", msg, code)
	}
}

func TestHTTPProxyInput(t *testing.T) {
	t.Parallel()
	e, url := ststest.NewTestServer(t)
	e.SeedDemo()
	target, _ := urlParse(url)
	var proxied atomic.Int32
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		proxied.Add(1)
		pr.Out.URL.Scheme, pr.Out.URL.Host = "http", target.Host
		pr.Out.Host = pr.In.Host // sts.example.test: the Host header is signed
	}}
	proxy := httptest.NewServer(rp)
	t.Cleanup(proxy.Close)
	// sts.example.test is routed to the emulator by the dialer: no DNS.
	routes := map[string]string{"sts.example.test:80": target.Host}
	s := newStep(t, demo("http://sts.example.test", "role-to-assume", ststest.DemoRole.ARN, "http-proxy", proxy.URL, "disable-retry", "true")...)
	s.dial = loopbackOnly(routes, nil)
	if err := s.run(context.Background(), nil); err != nil {
		t.Fatalf("%v\n%s", err, s.stdout.String())
	}
	if proxied.Load() != 1 {
		t.Errorf("proxy saw %d requests, want 1", proxied.Load())
	}
	if !strings.Contains(s.stdout.String(), "plain HTTP") {
		t.Errorf("a plain-HTTP endpoint off this machine must be warned about:\n%s", s.stdout.String())
	}

	// no-proxy sends the same request around the proxy, straight to the
	// emulator.
	s = newStep(t, demo("http://sts.example.test", "role-to-assume", ststest.DemoRole.ARN, "http-proxy", proxy.URL,
		"no-proxy", ".example.test", "disable-retry", "true")...)
	s.dial = loopbackOnly(routes, nil)
	if err := s.run(context.Background(), nil); err != nil {
		t.Fatalf("no-proxy: %v", err)
	}
	if proxied.Load() != 1 {
		t.Errorf("proxy saw %d requests, want still 1", proxied.Load())
	}
}

func TestAmbientCredentials(t *testing.T) {
	t.Parallel()
	e, url := ststest.NewTestServer(t)
	e.SeedDemo()
	user := credentials.NewStaticCredentialsProvider(ststest.DemoUser.AccessKeyID, ststest.DemoUser.SecretAccessKey, "")

	t.Run("role without keys uses the default chain", func(t *testing.T) {
		t.Parallel()
		s := newStep(t, "aws-region", "us-east-1", "sts-endpoint", url, "role-to-assume", ststest.DemoRole.ARN)
		if err := s.run(context.Background(), user); err != nil {
			t.Fatal(err)
		}
		if s.ambientCalls.Load() != 1 || s.ambientSkipEnv.Load() {
			t.Errorf("default chain calls %d, skipEnv %v", s.ambientCalls.Load(), s.ambientSkipEnv.Load())
		}
		env, _ := s.exported(t)
		if !strings.HasPrefix(env["AWS_ACCESS_KEY_ID"], "ASIA") {
			t.Errorf("env = %v", env)
		}
	})
	t.Run("unset-current-credentials skips env keys", func(t *testing.T) {
		t.Parallel()
		s := newStep(t, "aws-region", "us-east-1", "sts-endpoint", url, "role-to-assume", ststest.DemoRole.ARN, "unset-current-credentials", "true")
		s.env["AWS_ACCESS_KEY_ID"], s.env["AWS_SECRET_ACCESS_KEY"] = "AKIASTALESTALESTALE1", "stale-secret"
		if err := s.run(context.Background(), user); err != nil {
			t.Fatal(err)
		}
		if !s.ambientSkipEnv.Load() {
			t.Error("the default chain was not told to skip the env keys")
		}
	})
	t.Run("no keys and no role checks and keeps the job's credentials", func(t *testing.T) {
		t.Parallel()
		s := newStep(t, "aws-region", "us-east-1", "sts-endpoint", url)
		if err := s.run(context.Background(), user); err != nil {
			t.Fatal(err)
		}
		env, out := s.exported(t)
		if _, ok := env["AWS_ACCESS_KEY_ID"]; ok || out["authenticated-arn"] != ststest.DemoUser.ARN || env["AWS_REGION"] != "us-east-1" {
			t.Errorf("env %v out %v", env, out)
		}
	})
	t.Run("output-env-credentials false exports no keys", func(t *testing.T) {
		t.Parallel()
		s := newStep(t, demo(url, "role-to-assume", ststest.DemoRole.ARN, "output-env-credentials", "false")...)
		if err := s.run(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		env, out := s.exported(t)
		if len(env) != 2 || out["aws-account-id"] != "222222222222" {
			t.Errorf("env %v out %v", env, out)
		}
	})
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	e, url := ststest.NewTestServer(t)
	e.SeedDemo()
	e.Inject("AssumeRole", ststest.Hang)
	s := newStep(t, demo(url, "role-to-assume", ststest.DemoRole.ARN)...)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := s.run(ctx, nil)
	var se *stsclient.Error
	if !errors.As(err, &se) || se.Kind != stsclient.TimedOut {
		t.Fatalf("want a timed-out STS error, got %v", err)
	}
	if _, code := Explain(err); code != ExitUnavailable {
		t.Errorf("exit code %d", code)
	}
}

func TestExplainExitCodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		code int
	}{
		{&inputs.InputError{Input: "aws-region", Problem: "is required"}, ExitBadInput},
		{&NoCredentialsError{Why: "x"}, ExitBadInput},
		// A cancellation wins over what the cancelled call failed with.
		{&CancelledError{Signal: syscall.SIGTERM, Err: &TimeoutError{Seconds: 1}}, 143},
		{&CancelledError{Signal: syscall.SIGINT}, 130},
		{&CancelledError{}, 130},
		{&AccountNotAllowedError{Account: "1", Allowed: []string{"2"}}, ExitRefused},
		{&TimeoutError{Seconds: 1, Err: errors.New("x")}, ExitUnavailable},
		{&CallError{Err: &stsclient.Error{Kind: stsclient.Refused, Code: "AccessDenied"}}, ExitRefused},
		{&stsclient.Error{Kind: stsclient.Unavailable}, ExitUnavailable},
		{&stsclient.Error{Kind: stsclient.Malformed}, ExitUnavailable},
		{errors.New("bug"), ExitInternal},
	} {
		if _, code := Explain(tc.err); code != tc.code {
			t.Errorf("Explain(%T) code %d, want %d", tc.err, code, tc.code)
		}
	}
}

func TestHuman(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		15 * time.Minute: "15m", time.Hour: "1h", 90 * time.Minute: "1h 30m", 12 * time.Hour: "12h", 59*time.Minute + 40*time.Second: "1h",
	} {
		if got := human(d); got != want {
			t.Errorf("human(%s) = %s, want %s", d, got, want)
		}
	}
}

func urlParse(s string) (*url.URL, error) { return url.Parse(s) }

// loopbackOnly dials loopback addresses, maps made-up hosts through routes,
// and refuses (recording the attempt) anything that would leave the machine.
func loopbackOnly(routes map[string]string, refused *[]string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var mu sync.Mutex
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if to, ok := routes[addr]; ok {
			addr = to
		}
		host, _, _ := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			if refused != nil {
				mu.Lock()
				*refused = append(*refused, addr)
				mu.Unlock()
			}
			return nil, fmt.Errorf("test dialer: %s is off this machine", addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}
