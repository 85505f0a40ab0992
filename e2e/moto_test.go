//go:build linux

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// The moto suite runs the binary against moto, an STS mock written outside
// this project, so that what our client and our emulator (internal/ststest)
// might both assume wrongly is checked against a third reading of the
// protocol. moto's known limits: it checks no sts:TagSession, no maximum
// session duration and no one-hour cap on chained sessions, matches trust
// principals literally (a trusted role ARN does not match that role's
// sessions), accepts any web identity token, and crashes on unsigned calls
// in enforcement mode. See /work/notes/sts.md for what it showed.

// Keys that moto, without enforcement, takes from anyone.
const (
	motoKeyID  = "AKIAIOSFODNN7EXAMPLE"
	motoSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var (
	motoOnce   sync.Once
	motoPython string // the interpreter that has moto, "" when none has
	motoWhy    string
)

// requireMoto skips the test when moto is not installed, except under
// CI=true, where it must run.
func requireMoto(t *testing.T) string {
	t.Helper()
	motoOnce.Do(func() {
		py, err := exec.LookPath("python3")
		if err != nil {
			motoWhy = "python3 is not on PATH"
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, py, "-c", "import sys, moto, moto.server; print(sys.executable)").CombinedOutput()
		if err != nil {
			motoWhy = fmt.Sprintf("%s cannot import moto.server (%v): %s", py, err, bytes.TrimSpace(out))
			return
		}
		motoPython = strings.TrimSpace(string(out))
	})
	if motoPython == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("moto is required under CI=true: %s (the machine image's python3 has moto 5 with its server extras)", motoWhy)
		}
		t.Skipf("moto is not installed, so the moto suite does not run: %s", motoWhy)
	}
	return motoPython
}

// motoSTS is a moto server of the test's own, behind a loopback proxy
// that records each exchange, so that what we exported can be compared with
// what moto answered.
type motoSTS struct {
	// URL is the proxy: the endpoint for the binary and the AWS CLI.
	URL string
	// raw is moto itself.
	raw string

	mu        sync.Mutex
	exchanges []motoExchange
}

// motoExchange is one request to moto and its answer.
type motoExchange struct {
	Action      string
	Params      url.Values
	AccessKeyID string // of the signature; "" for an unsigned call
	Status      int
	Body        string
}

// motoResult is the part of an STS answer the tests compare.
type motoResult struct {
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
		Expiration      time.Time
	}
	AssumedRoleUser struct{ Arn string }
	Arn, Account    string
}

var credentialRE = regexp.MustCompile(`Credential=([A-Z0-9]+)/`)

// startMoto starts `python3 -m moto.server` on a free loopback port with
// env added (INITIAL_NO_AUTH_ACTION_COUNT for enforcement) and stops it by
// its PID when the test ends, however it ends.
func startMoto(t *testing.T, env ...string) *motoSTS {
	t.Helper()
	py := requireMoto(t)
	var raw string
	for try := 1; ; try++ {
		port := freePort(t)
		log := &lockedBuffer{}
		cmd := exec.Command(py, "-m", "moto.server", "-H", "127.0.0.1", "-p", port)
		cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "PYTHONUNBUFFERED=1"}, env...)
		cmd.Stdout, cmd.Stderr = log, log
		// Should the test binary die before its cleanups, moto dies with it.
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting moto: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		pid := cmd.Process.Pid
		t.Cleanup(func() {
			// By the PID this test started, never by name.
			_ = syscall.Kill(pid, syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				_ = syscall.Kill(pid, syscall.SIGKILL)
				<-exited
			}
			if t.Failed() {
				t.Logf("moto's log:\n%s", log.String())
			}
		})
		addr := "127.0.0.1:" + port
		if waitListening(addr, exited, 60*time.Second) {
			raw = "http://" + addr
			break
		}
		if try < 3 && strings.Contains(log.String(), "already in use") {
			continue // another process took the port between our check and moto's bind
		}
		t.Fatalf("moto did not start listening on %s:\n%s", addr, log.String())
	}

	m := &motoSTS{raw: raw}
	target, _ := url.Parse(raw)
	proxy := &httputil.ReverseProxy{
		// The Host header stays the proxy's: it is signed.
		Rewrite: func(pr *httputil.ProxyRequest) { pr.Out.URL.Scheme, pr.Out.URL.Host = target.Scheme, target.Host },
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		params, _ := url.ParseQuery(string(body))
		ex := motoExchange{Action: params.Get("Action"), Params: params}
		if m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			ex.AccessKeyID = m[1]
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		proxy.ServeHTTP(rec, r)
		ex.Status, ex.Body = rec.status, rec.body.String()
		m.mu.Lock()
		m.exchanges = append(m.exchanges, ex)
		m.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	m.URL = srv.URL
	return m
}

// recorder keeps a copy of what the proxy answered.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// lockedBuffer is moto's log, written by os/exec while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// waitListening polls addr with plain TCP connections: an HTTP probe would
// be an unsigned call, which moto's enforcement mode crashes on.
func waitListening(addr string, exited <-chan struct{}, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// calls returns the exchanges of one action ("" for all).
func (m *motoSTS) calls(action string) []motoExchange {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []motoExchange
	for _, ex := range m.exchanges {
		if action == "" || ex.Action == action {
			out = append(out, ex)
		}
	}
	return out
}

// answer parses moto's answer to the last successful call of action.
func (m *motoSTS) answer(t *testing.T, action string) (motoExchange, motoResult) {
	t.Helper()
	calls := m.calls(action)
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Status != http.StatusOK {
			continue
		}
		var doc struct {
			AssumeRole  *motoResult `xml:"AssumeRoleResult"`
			WebIdentity *motoResult `xml:"AssumeRoleWithWebIdentityResult"`
			Caller      *motoResult `xml:"GetCallerIdentityResult"`
		}
		if err := xml.Unmarshal([]byte(calls[i].Body), &doc); err != nil {
			t.Fatalf("moto's %s answer: %v\n%s", action, err, calls[i].Body)
		}
		for _, r := range []*motoResult{doc.AssumeRole, doc.WebIdentity, doc.Caller} {
			if r != nil {
				return calls[i], *r
			}
		}
		t.Fatalf("moto's %s answer has no result:\n%s", action, calls[i].Body)
	}
	t.Fatalf("moto answered no %s with 200; exchanges: %+v", action, m.calls(""))
	return motoExchange{}, motoResult{}
}

// iam makes one signed IAM call to moto itself (not through the proxy) and
// returns the answer's body.
func (m *motoSTS) iam(t *testing.T, kv ...string) string {
	t.Helper()
	form := url.Values{"Version": {"2010-05-08"}}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	body := form.Encode()
	req, err := http.NewRequest(http.MethodPost, m.raw+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: motoKeyID, SecretAccessKey: motoSecret},
		req, hex.EncodeToString(sum[:]), "iam", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("iam %s: HTTP %d\n%s", form.Get("Action"), resp.StatusCode, b)
	}
	return string(b)
}

// motoInputs are a step's inputs against moto: its endpoint, the region and
// kv (name, value pairs; "<unset>" drops a name).
func motoInputs(m *motoSTS, kv ...string) map[string]string {
	in := map[string]string{"aws-region": "us-east-1", "sts-endpoint": m.URL,
		"aws-access-key-id": motoKeyID, "aws-secret-access-key": motoSecret}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "<unset>" {
			delete(in, kv[i])
			continue
		}
		in[kv[i]] = kv[i+1]
	}
	return in
}

// checkExportedSession checks that a step exported exactly the session
// moto issued, and that a later step's AWS CLI is, to moto, that session.
func checkExportedSession(t *testing.T, m *motoSTS, job *runnertest.Job, r *runnertest.Result, issued motoResult) {
	t.Helper()
	c := issued.Credentials
	want := map[string]string{
		"AWS_ACCESS_KEY_ID": c.AccessKeyID, "AWS_SECRET_ACCESS_KEY": c.SecretAccessKey, "AWS_SESSION_TOKEN": c.SessionToken,
		// moto answers with microseconds; we export whole seconds.
		"AWS_CREDENTIAL_EXPIRATION": c.Expiration.UTC().Truncate(time.Second).Format(time.RFC3339),
		"AWS_REGION":                "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
	}
	for k, v := range want {
		if r.Env[k] != v {
			t.Errorf("GITHUB_ENV %s = %q, moto issued %q", k, r.Env[k], v)
		}
	}
	if r.Outputs["authenticated-arn"] != issued.AssumedRoleUser.Arn {
		t.Errorf("output authenticated-arn = %q, moto's AssumedRoleUser is %q", r.Outputs["authenticated-arn"], issued.AssumedRoleUser.Arn)
	}
	before := len(m.calls("GetCallerIdentity"))
	got := callerIdentity(t, job, m.URL)
	ex, who := m.answer(t, "GetCallerIdentity")
	if len(m.calls("GetCallerIdentity")) != before+1 || ex.AccessKeyID != c.AccessKeyID {
		t.Errorf("the later step's call was not signed with the exported session (signed by %q)", ex.AccessKeyID)
	}
	if got != issued.AssumedRoleUser.Arn || who.Arn != issued.AssumedRoleUser.Arn {
		t.Errorf("to moto, the later step is %q (CLI printed %q); the session moto issued is %q", who.Arn, got, issued.AssumedRoleUser.Arn)
	}
	if r.Outputs["aws-account-id"] != who.Account {
		t.Errorf("output aws-account-id = %q, moto says %q", r.Outputs["aws-account-id"], who.Account)
	}
}

func secretsOfMoto(issued motoResult) []string {
	return []string{issued.Credentials.AccessKeyID, issued.Credentials.SecretAccessKey, issued.Credentials.SessionToken}
}

func TestMotoKeysAndRoleWithEveryInput(t *testing.T) {
	t.Parallel()
	m := startMoto(t)
	job := runnertest.NewJob(t, manifest)
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: motoInputs(m,
		"role-to-assume", "arn:aws:iam::222222222222:role/deploy",
		"role-session-name", "moto-e2e",
		"role-duration-seconds", "1800",
		"role-external-id", "ext-4711",
		"inline-session-policy", policy,
		"managed-session-policies", "arn:aws:iam::aws:policy/ReadOnlyAccess\narn:aws:iam::222222222222:policy/extra",
		"custom-tags", `{"Team": "payments", "Cost Center": "42"}`,
		"transitive-tag-keys", "Team\nCost Center",
		"allowed-account-ids", "111111111111, 222222222222",
		"mask-aws-account-id", "true",
		"output-credentials", "true",
		"unset-current-credentials", "true",
		"retry-max-attempts", "2",
		"action-timeout-s", "60",
	)})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	ex, issued := m.answer(t, "AssumeRole")
	if n := len(m.calls("")); n != 1 {
		t.Errorf("moto saw %d calls, want one AssumeRole", n)
	}
	p := ex.Params
	for k, v := range map[string]string{
		"RoleArn": "arn:aws:iam::222222222222:role/deploy", "RoleSessionName": "moto-e2e", "DurationSeconds": "1800",
		"ExternalId": "ext-4711", "Policy": policy,
		"PolicyArns.member.1.arn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "PolicyArns.member.2.arn": "arn:aws:iam::222222222222:policy/extra",
		"TransitiveTagKeys.member.1": "Team", "TransitiveTagKeys.member.2": "Cost Center",
	} {
		if p.Get(k) != v {
			t.Errorf("moto got %s = %q, want %q", k, p.Get(k), v)
		}
	}
	tags := map[string]string{}
	for i := 1; p.Get(fmt.Sprintf("Tags.member.%d.Key", i)) != ""; i++ {
		tags[p.Get(fmt.Sprintf("Tags.member.%d.Key", i))] = p.Get(fmt.Sprintf("Tags.member.%d.Value", i))
	}
	if tags["Team"] != "payments" || tags["Cost Center"] != "42" || tags["GitHub"] != "Actions" || tags["Repository"] != "octo-org/octo-repo" {
		t.Errorf("moto got the tags %v", tags)
	}
	if ex.AccessKeyID != motoKeyID {
		t.Errorf("AssumeRole was signed by %q, want the input keys", ex.AccessKeyID)
	}
	if issued.AssumedRoleUser.Arn != "arn:aws:sts::222222222222:assumed-role/deploy/moto-e2e" {
		t.Errorf("moto issued %q", issued.AssumedRoleUser.Arn)
	}
	if d := time.Until(issued.Credentials.Expiration); d < 29*time.Minute || d > 31*time.Minute {
		t.Errorf("moto's session lasts %s, want the 30m asked for", d)
	}
	c := issued.Credentials
	for k, v := range map[string]string{
		"aws-access-key-id": c.AccessKeyID, "aws-secret-access-key": c.SecretAccessKey, "aws-session-token": c.SessionToken,
		"aws-expiration": c.Expiration.UTC().Truncate(time.Second).Format(time.RFC3339),
	} {
		if r.Outputs[k] != v {
			t.Errorf("output %s = %q, moto issued %q", k, r.Outputs[k], v)
		}
	}
	runnertest.CheckNoLeak(t, r, true, append(secretsOfMoto(issued), motoSecret)...)
	if !contains(r.Masks, "222222222222") {
		t.Error("mask-aws-account-id: the account was not masked")
	}
	checkExportedSession(t, m, job, r, issued)
}

func TestMotoKeysOnly(t *testing.T) {
	t.Parallel()
	m := startMoto(t)
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: motoInputs(m)})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	ex, who := m.answer(t, "GetCallerIdentity")
	if len(m.calls("")) != 1 || ex.AccessKeyID != motoKeyID {
		t.Errorf("want one GetCallerIdentity signed with the input keys: %+v", m.calls(""))
	}
	if r.Env["AWS_ACCESS_KEY_ID"] != motoKeyID || r.Env["AWS_SECRET_ACCESS_KEY"] != motoSecret || r.Env["AWS_SESSION_TOKEN"] != "" {
		t.Errorf("GITHUB_ENV %v, want the input keys", r.Env)
	}
	if r.Outputs["authenticated-arn"] != who.Arn || r.Outputs["aws-account-id"] != who.Account {
		t.Errorf("outputs %v, moto answered %s in %s", r.Outputs, who.Arn, who.Account)
	}
	runnertest.CheckNoLeak(t, r, false, motoSecret)
	if got := callerIdentity(t, job, m.URL); got != who.Arn {
		t.Errorf("a later step is %q, the step saw %q", got, who.Arn)
	}
}

func TestMotoTokenFile(t *testing.T) {
	t.Parallel()
	m := startMoto(t)
	job := runnertest.NewJob(t, manifest)
	token := fakeJWT(t, map[string]any{"iss": "https://token.actions.githubusercontent.com", "aud": "sts.amazonaws.com",
		"sub": "repo:octo-org/octo-repo:ref:refs/heads/main", "exp": time.Now().Add(5 * time.Minute).Unix()})
	if err := os.WriteFile(filepath.Join(job.Dirs.Workspace, "token.jwt"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: motoInputs(m,
		"aws-access-key-id", "<unset>", "aws-secret-access-key", "<unset>",
		"role-to-assume", "arn:aws:iam::222222222222:role/github-deploy", "web-identity-token-file", "token.jwt")})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	ex, issued := m.answer(t, "AssumeRoleWithWebIdentity")
	if ex.AccessKeyID != "" || ex.Params.Get("WebIdentityToken") != token || ex.Params.Get("RoleSessionName") != "GitHubActions" {
		t.Errorf("moto got a signed call or the wrong token: %+v", ex)
	}
	runnertest.CheckNoLeak(t, r, false, append(secretsOfMoto(issued), token)...)
	checkExportedSession(t, m, job, r, issued)
}

// TestMotoOIDC: GitHub's ID token (from the runner's token endpoint, here
// the project's token server) traded with moto.
func TestMotoOIDC(t *testing.T) {
	t.Parallel()
	m := startMoto(t)
	issuer, reqURL, reqToken := ststest.NewTokenServer(t)
	job := runnertest.NewJob(t, manifest)
	job.Env["ACTIONS_ID_TOKEN_REQUEST_URL"] = reqURL
	job.Env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = reqToken
	job.Masks = append(job.Masks, reqToken)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: motoInputs(m,
		"aws-access-key-id", "<unset>", "aws-secret-access-key", "<unset>",
		"role-to-assume", "arn:aws:iam::222222222222:role/github-deploy", "role-duration-seconds", "1200")})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	ex, issued := m.answer(t, "AssumeRoleWithWebIdentity")
	token := ex.Params.Get("WebIdentityToken")
	if ex.AccessKeyID != "" || issuer.Requests() != 1 || token == "" || ex.Params.Get("DurationSeconds") != "1200" {
		t.Errorf("moto got %+v after %d token requests", ex, issuer.Requests())
	}
	runnertest.CheckNoLeak(t, r, false, append(secretsOfMoto(issued), token, reqToken)...)
	checkExportedSession(t, m, job, r, issued)
}

func TestMotoRoleChaining(t *testing.T) {
	t.Parallel()
	m := startMoto(t)
	job := runnertest.NewJob(t, manifest)
	first := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: motoInputs(m, "role-to-assume", "arn:aws:iam::222222222222:role/deploy")})
	if first.ExitCode != 0 {
		t.Fatalf("first step: exit %d\n%s", first.ExitCode, first.Stdout)
	}
	_, s1 := m.answer(t, "AssumeRole")
	second := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: motoInputs(m,
		"aws-access-key-id", "<unset>", "aws-secret-access-key", "<unset>",
		"role-to-assume", "arn:aws:iam::333333333333:role/release", "role-chaining", "true")})
	if second.ExitCode != 0 {
		t.Fatalf("second step: exit %d\n%s", second.ExitCode, second.Stdout)
	}
	ex, s2 := m.answer(t, "AssumeRole")
	if ex.AccessKeyID != s1.Credentials.AccessKeyID || ex.Params.Get("RoleArn") != "arn:aws:iam::333333333333:role/release" {
		t.Errorf("the chained AssumeRole was signed by %q, want the first session %q", ex.AccessKeyID, s1.Credentials.AccessKeyID)
	}
	if s2.AssumedRoleUser.Arn != "arn:aws:sts::333333333333:assumed-role/release/GitHubActions" {
		t.Errorf("moto issued %q", s2.AssumedRoleUser.Arn)
	}
	runnertest.CheckNoLeak(t, second, false, secretsOfMoto(s2)...)
	checkExportedSession(t, m, job, second, s2)
}

func TestMotoRefreshProfileWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	m := startMoto(t)
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: motoInputs(m,
		"role-to-assume", "arn:aws:iam::222222222222:role/deploy", "aws-profile", "deploy", "refresh-credentials", "true",
		"role-duration-seconds", "1800")})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	_, first := m.answer(t, "AssumeRole")
	// The AWS CLI runs the profile's credential_process, which hands out
	// the step's own session from its cache first.
	if got, code, stderr := profileIdentity(t, job, m.URL, "deploy"); code != 0 || got != first.AssumedRoleUser.Arn || len(m.calls("AssumeRole")) != 1 {
		t.Fatalf("aws --profile deploy with the cached session: %q exit %d, %d AssumeRole\n%s", got, code, len(m.calls("AssumeRole")), stderr)
	}
	if ex, _ := m.answer(t, "GetCallerIdentity"); ex.AccessKeyID != first.Credentials.AccessKeyID {
		t.Errorf("the CLI signed with %q, want the step's session", ex.AccessKeyID)
	}
	// Without it, credential_process assumes the role again, and the CLI
	// signs its call with what that returned.
	if err := os.Remove(filepath.Join(job.Dirs.Temp, "assume-role-aws", "deploy.session.json")); err != nil {
		t.Fatal(err)
	}
	got, code, stderr := profileIdentity(t, job, m.URL, "deploy")
	if code != 0 {
		t.Fatalf("aws --profile deploy: exit %d\n%s", code, stderr)
	}
	assumes := m.calls("AssumeRole")
	_, renewed := m.answer(t, "AssumeRole")
	ex, who := m.answer(t, "GetCallerIdentity")
	if len(assumes) != 2 || renewed.Credentials.AccessKeyID == first.Credentials.AccessKeyID {
		t.Fatalf("want the step's AssumeRole and one by credential_process, got %d", len(assumes))
	}
	if ex.AccessKeyID != renewed.Credentials.AccessKeyID || got != renewed.AssumedRoleUser.Arn || who.Arn != got {
		t.Errorf("the CLI is %q to moto (signed by %q); credential_process got %q (%s)", who.Arn, ex.AccessKeyID, renewed.AssumedRoleUser.Arn, renewed.Credentials.AccessKeyID)
	}
	// Over 15 minutes: botocore renews credentials that expire within 15
	// minutes at once, so a 900 s session would be renewed twice per command.
	if d := assumes[1].Params.Get("DurationSeconds"); d != "1800" {
		t.Errorf("the renewal asked for %q seconds, want the step's 1800", d)
	}
	runnertest.CheckNoLeak(t, r, false, append(secretsOfMoto(first), motoSecret)...)
}

// TestMotoExportFormats: every way the session leaves the binary (the
// action's named profile and each CLI format) is used by the AWS CLI, and
// moto sees the session it issued.
func TestMotoExportFormats(t *testing.T) {
	t.Parallel()
	requireTool(t, awsCLI, "awscli")
	m := startMoto(t)

	t.Run("aws-profile", func(t *testing.T) {
		job := runnertest.NewJob(t, manifest)
		r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: motoInputs(m,
			"role-to-assume", "arn:aws:iam::222222222222:role/deploy", "aws-profile", "moto")})
		if r.ExitCode != 0 {
			t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
		}
		_, issued := m.answer(t, "AssumeRole")
		got, code, stderr := profileIdentity(t, job, m.URL, "moto")
		ex, _ := m.answer(t, "GetCallerIdentity")
		if code != 0 || got != issued.AssumedRoleUser.Arn || ex.AccessKeyID != issued.Credentials.AccessKeyID {
			t.Errorf("aws --profile moto is %q (exit %d, signed by %q), moto issued %q\n%s", got, code, ex.AccessKeyID, issued.AssumedRoleUser.Arn, stderr)
		}
	})

	shellEnv := []string{"AWS_ACCESS_KEY_ID=" + motoKeyID, "AWS_SECRET_ACCESS_KEY=" + motoSecret, "AWS_REGION=us-east-1",
		"STS_ENDPOINT=" + m.URL, "ROLE_TO_ASSUME=arn:aws:iam::222222222222:role/deploy"}
	for _, format := range []string{"env", "dotenv", "json", "ini", "credential-process"} {
		t.Run(format, func(t *testing.T) {
			out, errOut, code := cli(t, shellEnv, "", "--format", format, "--role-session-name", "fmt-"+format)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			ex, issued := m.answer(t, "AssumeRole")
			if ex.Params.Get("RoleSessionName") != "fmt-"+format {
				t.Fatalf("moto's last AssumeRole is %q's", ex.Params.Get("RoleSessionName"))
			}
			for _, s := range append(secretsOfMoto(issued), motoSecret) {
				if strings.Contains(errOut, s) {
					t.Errorf("stderr shows a secret: %s", errOut)
				}
			}
			dir := t.TempDir()
			file := filepath.Join(dir, "out")
			if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
				t.Fatal(err)
			}
			// Each format the way its reader takes it, with nothing else
			// to find credentials in.
			env := []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=us-east-1",
				"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}
			argv := []string{awsCLI, "sts", "get-caller-identity", "--endpoint-url", m.URL, "--output", "text", "--query", "Arn"}
			switch format {
			case "env":
				argv = append([]string{"/bin/sh", "-c", `. "$0" && exec "$@"`, file}, argv...)
			case "dotenv":
				env = append(env, strings.Split(strings.TrimSpace(out), "\n")...)
			case "json":
				var vars map[string]string
				if err := json.Unmarshal([]byte(out), &vars); err != nil {
					t.Fatalf("%v: %s", err, out)
				}
				for k, v := range vars {
					env = append(env, k+"="+v)
				}
			case "ini":
				env = append(env, "AWS_SHARED_CREDENTIALS_FILE="+file)
			case "credential-process":
				cfg := filepath.Join(dir, "config")
				if err := os.WriteFile(cfg, []byte("[default]\ncredential_process = /bin/cat "+file+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				env = append(env, "AWS_CONFIG_FILE="+cfg)
			}
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env = env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("the AWS CLI with the %s output: %v\n%s", format, err, stderr.String())
			}
			got := strings.TrimSpace(stdout.String())
			cex, who := m.answer(t, "GetCallerIdentity")
			if cex.AccessKeyID != issued.Credentials.AccessKeyID || got != issued.AssumedRoleUser.Arn || who.Arn != got {
				t.Errorf("with the %s output the CLI is %q (signed by %q); moto issued %q (%s)", format, got, cex.AccessKeyID,
					issued.AssumedRoleUser.Arn, issued.Credentials.AccessKeyID)
			}
		})
	}
}

// TestMotoCLISourceProfile: the CLI with --source-profile sends that
// profile's keys to the profile's endpoint_url, and prints what moto issued.
func TestMotoCLISourceProfile(t *testing.T) {
	t.Parallel()
	m := startMoto(t)
	dir := t.TempDir()
	cfg, creds := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	if err := os.WriteFile(cfg, []byte("[profile src]\nregion = us-east-1\nendpoint_url = "+m.URL+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(creds, []byte("[src]\naws_access_key_id = "+motoKeyID+"\naws_secret_access_key = "+motoSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := cli(t, []string{"AWS_CONFIG_FILE=" + cfg, "AWS_SHARED_CREDENTIALS_FILE=" + creds},
		"", "--source-profile", "src", "--role-to-assume", "arn:aws:iam::222222222222:role/deploy", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	ex, issued := m.answer(t, "AssumeRole")
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	c := issued.Credentials
	if ex.AccessKeyID != motoKeyID || got["AWS_ACCESS_KEY_ID"] != c.AccessKeyID || got["AWS_SECRET_ACCESS_KEY"] != c.SecretAccessKey ||
		got["AWS_SESSION_TOKEN"] != c.SessionToken || got["AWS_CREDENTIAL_EXPIRATION"] != c.Expiration.UTC().Truncate(time.Second).Format(time.RFC3339) {
		t.Errorf("printed %v; moto issued %+v to a call signed by %q", got, c, ex.AccessKeyID)
	}
}

// TestMotoEnforcedRefusals runs against moto's IAM enforcement: after the
// setup calls, every request must be signed with a known key and allowed by
// the caller's policy and the role's trust policy.
func TestMotoEnforcedRefusals(t *testing.T) {
	t.Parallel()
	const setupCalls = 7
	m := startMoto(t, "INITIAL_NO_AUTH_ACTION_COUNT="+strconv.Itoa(setupCalls))
	m.iam(t, "Action", "CreateUser", "UserName", "ci")
	var key struct {
		AccessKey struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string
		} `xml:"CreateAccessKeyResult>AccessKey"`
	}
	if err := xml.Unmarshal([]byte(m.iam(t, "Action", "CreateAccessKey", "UserName", "ci")), &key); err != nil || key.AccessKey.AccessKeyID == "" {
		t.Fatalf("CreateAccessKey: %v", err)
	}
	id, secret := key.AccessKey.AccessKeyID, key.AccessKey.SecretAccessKey
	m.iam(t, "Action", "PutUserPolicy", "UserName", "ci", "PolicyName", "assume",
		"PolicyDocument", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:GetCallerIdentity"],"Resource":"*"}]}`)
	trust := func(principal string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
	}
	m.iam(t, "Action", "CreateRole", "RoleName", "deploy", "AssumeRolePolicyDocument", trust("arn:aws:iam::123456789012:user/ci"))
	m.iam(t, "Action", "CreateRole", "RoleName", "locked", "AssumeRolePolicyDocument", trust("arn:aws:iam::123456789012:user/nobody"))
	m.iam(t, "Action", "CreateRole", "RoleName", "release", "AssumeRolePolicyDocument", trust("arn:aws:iam::123456789012:user/ci"))
	// What the session of deploy may do: chain on.
	m.iam(t, "Action", "PutRolePolicy", "RoleName", "deploy", "PolicyName", "chain",
		"PolicyDocument", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:GetCallerIdentity"],"Resource":"*"}]}`)

	// Serial: the cases share one moto and the chained case needs the first.
	job := runnertest.NewJob(t, manifest)
	ok := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: motoInputs(m,
		"aws-access-key-id", id, "aws-secret-access-key", secret, "role-to-assume", "arn:aws:iam::123456789012:role/deploy")})
	if ok.ExitCode != 0 {
		t.Fatalf("the trusted role: exit %d\n%s", ok.ExitCode, ok.Stdout)
	}
	_, issued := m.answer(t, "AssumeRole")
	checkExportedSession(t, m, job, ok, issued)

	for _, tc := range []struct {
		name   string
		inputs []string
		want   []string
	}{
		{"untrusted role", []string{"aws-access-key-id", id, "aws-secret-access-key", secret, "role-to-assume", "arn:aws:iam::123456789012:role/locked"},
			[]string{"refused: AccessDenied: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole",
				`The trust policy of arn:aws:iam::123456789012:role/locked must allow arn:aws:iam::123456789012:user/ci`}},
		{"wrong secret", []string{"aws-access-key-id", id, "aws-secret-access-key", "not-" + secret, "role-to-assume", "arn:aws:iam::123456789012:role/deploy"},
			[]string{"refused: SignatureDoesNotMatch", "check the aws-secret-access-key secret"}},
		{"unknown key", []string{"aws-access-key-id", "AKIAUNKNOWN000000000", "aws-secret-access-key", secret, "role-to-assume", "arn:aws:iam::123456789012:role/deploy"},
			[]string{"refused: InvalidClientTokenId", "check the aws-access-key-id secret"}},
		// The chained caller is a session of deploy; release trusts only
		// the user, and the hint names the role to trust, not the session.
		{"chained", []string{"aws-access-key-id", "<unset>", "aws-secret-access-key", "<unset>", "role-chaining", "true",
			"role-to-assume", "arn:aws:iam::123456789012:role/release"},
			[]string{"User: arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions is not authorized",
				`Principal {"AWS": "arn:aws:iam::123456789012:role/deploy"}`}},
	} {
		before := len(m.calls(""))
		r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: motoInputs(m, tc.inputs...)})
		if r.ExitCode != 3 {
			t.Errorf("%s: exit %d, want 3\n%s", tc.name, r.ExitCode, r.Stdout)
		}
		if r.EnvFile != "" || r.OutputFile != "" {
			t.Errorf("%s: exported on failure: %q %q", tc.name, r.EnvFile, r.OutputFile)
		}
		if n := len(m.calls("")) - before; n != 1 {
			t.Errorf("%s: moto saw %d calls, want one (a refusal is not retried)", tc.name, n)
		}
		errs := r.Errors()
		if len(errs) != 1 {
			t.Errorf("%s: want one ::error::, got %q", tc.name, errs)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(errs[0], w) {
				t.Errorf("%s: the error lacks %q:\n%s", tc.name, w, errs[0])
			}
		}
		runnertest.CheckNoLeak(t, r, false, append(secretsOfMoto(issued), secret)...)
	}

	// moto's enforcement mode crashes on the unsigned
	// AssumeRoleWithWebIdentity and answers with Flask's HTML error page:
	// an STS that is down, not a refusal of the token (no trust-policy hint).
	token := fakeJWT(t, map[string]any{"iss": "https://token.actions.githubusercontent.com", "aud": "sts.amazonaws.com",
		"sub": "repo:octo-org/octo-repo:ref:refs/heads/main", "exp": time.Now().Add(5 * time.Minute).Unix()})
	if err := os.WriteFile(filepath.Join(job.Dirs.Workspace, "token.jwt"), []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	before := len(m.calls(""))
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: motoInputs(m,
		"aws-access-key-id", "<unset>", "aws-secret-access-key", "<unset>", "retry-max-attempts", "2",
		"role-to-assume", "arn:aws:iam::123456789012:role/deploy", "web-identity-token-file", "token.jwt")})
	calls := m.calls("")[before:]
	if len(calls) != 2 || calls[0].Status < 500 || !strings.Contains(calls[0].Body, "<html") {
		t.Fatalf("want two HTML 5xx answers from moto (a crash, retried once), got %+v", calls)
	}
	errs := r.Errors()
	if r.ExitCode != 4 || len(errs) != 1 || !strings.Contains(errs[0], "sts:AssumeRoleWithWebIdentity unavailable") ||
		strings.Contains(errs[0], "trust policy") || strings.Contains(errs[0], "printed above") {
		t.Errorf("a crashed STS: exit %d, errors %q", r.ExitCode, errs)
	}
	runnertest.CheckNoLeak(t, r, false, token)
}

// removeFilesHolding removes the files under dir, other than the shared
// config and credentials files, that contain s: a profile's session cache,
// whatever its name.
func removeFilesHolding(t *testing.T, dir, s string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() || d.Name() == "config" || d.Name() == "credentials" {
			return err
		}
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(s)) {
			return os.Remove(p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fakeJWT is a token with these claims and a signature nobody checks
// (moto accepts any token).
func fakeJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT","kid":"moto"}`)) + "." + enc(b) + "." + enc([]byte("not-a-signature"))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
