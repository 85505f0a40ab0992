package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/refresh"
	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// refreshDir is where the action writes a job's profiles.
func refreshDir(job *runnertest.Job) string { return filepath.Join(job.Dirs.Temp, "assume-role-aws") }

// specOf is the spec a refreshing profile's credential_process names.
func specOf(job *runnertest.Job, profile string) string {
	return filepath.Join(refreshDir(job), profile+".refresh.json")
}

// processOutput is what a credential_process prints.
type processOutput struct {
	Version                                    int
	AccessKeyId, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
}

// credentialProcess runs the profile's credential_process command as the
// AWS CLI would, from a later step, and returns what it printed.
func credentialProcess(t *testing.T, job *runnertest.Job, profile string, env ...string) (processOutput, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := job.Command(ctx, filepath.Join(refreshDir(job), "assume-role"), "credential-process", "--spec", specOf(job, profile))
	cmd.Env = append(cmd.Env, env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var out processOutput
	if code == 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("credential_process printed %q: %v", b, err)
		}
	}
	return out, stderr.String(), code
}

// refreshStep writes the refreshing profile "deploy" with keys and role,
// and extra inputs.
func refreshStep(t *testing.T, job *runnertest.Job, url string, kv ...string) *runnertest.Result {
	t.Helper()
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, append([]string{"role-to-assume", ststest.DemoRole.ARN,
		"aws-profile", "deploy", "refresh-credentials", "true"}, kv...)...)})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	return r
}

func assumeRoleCalls(e *ststest.Emulator) []ststest.Call {
	var out []ststest.Call
	for _, c := range e.Calls() {
		if c.Action == "AssumeRole" {
			out = append(out, c)
		}
	}
	return out
}

func TestRefreshingProfileUsesTheStepsMaskedSessionFirst(t *testing.T) {
	t.Parallel()
	e, url, issuer, job := oidcWorld(t)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: keyless(url, "role-to-assume", ststest.DemoOIDCRole.ARN,
		"aws-profile", "deploy", "refresh-credentials", "true")})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	config, _ := os.ReadFile(filepath.Join(refreshDir(job), "config"))
	want := "credential_process = " + filepath.Join(refreshDir(job), "assume-role") + " credential-process --spec " + specOf(job, "deploy") + "\n"
	if !strings.Contains(string(config), want) {
		t.Fatalf("config:\n%s", config)
	}
	first := lastIssued(t, e)
	// A later step: the CLI runs credential_process, which hands out the
	// session the step obtained, and masked, without another STS call.
	job.Env["AWS_EC2_METADATA_DISABLED"] = "true"
	out, stderr, code := job.Shell(t, 60*time.Second, awsCLI, "configure", "export-credentials", "--profile", "deploy", "--format", "env")
	if code != 0 || !strings.Contains(out, first.SecretAccessKey) {
		t.Fatalf("exit %d, %s %s", code, out, stderr)
	}
	if !slices.Contains(job.Masks, first.SecretAccessKey) || !slices.Contains(job.Masks, first.SessionToken) {
		t.Error("the session handed out is not masked")
	}
	if n := len(e.Issued()); n != 1 || issuer.Requests() != 1 {
		t.Errorf("%d sessions and %d ID tokens, want 1 of each", n, issuer.Requests())
	}
	// Renewals mint a fresh ID token each.
	e.SetSessionLifetime(4 * time.Second)
	if err := os.Remove(filepath.Join(refreshDir(job), "deploy.session.json")); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:sts::222222222222:assumed-role/github-deploy/GitHubActions"
	for i := range 2 {
		if got, code, stderr := profileIdentity(t, job, url, "deploy"); code != 0 || got != arn {
			t.Fatalf("renewal %d: %q exit %d %s", i, got, code, stderr)
		}
		time.Sleep(3 * time.Second)
	}
	if n := issuer.Requests(); n != 3 {
		t.Errorf("ID token requests %d, want 3: one per session", n)
	}
	if toks := tokensSent(e); len(toks) != 3 || toks[1] == toks[2] {
		t.Errorf("renewals did not send fresh tokens: %d sent", len(toks))
	}
}

// Lists and text that a command line would mangle reach STS unchanged on
// every renewal, from the spec.
func TestRefreshRenewsWithTheSameRequest(t *testing.T) {
	t.Parallel()
	for name, kv := range map[string][]string{
		"two managed policies":   {"managed-session-policies", "arn:aws:iam::aws:policy/ReadOnlyAccess\narn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
		"multi-line custom tags": {"custom-tags", "{\"Team\": \"payments\",\n \"Env\": \"prod\"}", "transitive-tag-keys", "Team\nEnv"},
		"60-character profile":   {"aws-profile", strings.Repeat("p", 60)},
		"policy with space hash": {"inline-session-policy", `{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"s3:prefix":"x #1"}}}]}`},
		"external id and quotes": {"role-to-assume", ststest.DemoExternalIDRole.ARN, "role-external-id", ststest.DemoExternalID, "role-session-name", "ci+deploy=1,x@y.z"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, url := world(t)
			job := runnertest.NewJob(t, manifest)
			r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, append([]string{"role-to-assume", ststest.DemoRole.ARN,
				"aws-profile", "deploy", "refresh-credentials", "true"}, kv...)...)})
			if r.ExitCode != 0 {
				t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
			}
			profile := "deploy"
			if kv[0] == "aws-profile" {
				profile = kv[1]
			}
			if err := os.Remove(filepath.Join(refreshDir(job), profile+".session.json")); err != nil {
				t.Fatal(err)
			}
			if _, code, _ := profileIdentity(t, job, url, profile); code != 0 {
				t.Fatal("the renewed profile does not work")
			}
			calls := assumeRoleCalls(e)
			if len(calls) != 2 {
				t.Fatalf("%d AssumeRole calls, want the step's and one renewal", len(calls))
			}
			if a, b := calls[0].Params, calls[1].Params; a.Encode() != b.Encode() {
				t.Errorf("the renewal asked for something else:\nstep:    %v\nrenewal: %v", a, b)
			}
			if kv[0] == "custom-tags" && calls[1].Params.Get("TransitiveTagKeys.member.1") == "" {
				t.Errorf("the renewal dropped transitive-tag-keys: %v", calls[1].Params)
			}
		})
	}
}

// Every check runs before the STS call: a refused refreshing profile costs
// no session and leaves nothing on disk.
func TestRefreshRefusalsBeforeTheSTSCall(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		inputs map[string]string
		env    map[string]string
		want   string
	}{
		"role chaining": {inputs: keyless("URL", "role-to-assume", ststest.DemoRole.ARN, "role-chaining", "true",
			"aws-profile", "p", "refresh-credentials", "true"), want: "chained",
			env: map[string]string{"AWS_ACCESS_KEY_ID": "ASIAEARLIERSESSION01", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"}},
		"temporary keys": {inputs: with("URL", "role-to-assume", ststest.DemoRole.ARN, "aws-session-token", "t",
			"aws-profile", "p", "refresh-credentials", "true"), want: "temporary"},
		"an earlier step's session in the environment": {inputs: keyless("URL", "role-to-assume", ststest.DemoRole.ARN, "force-skip-oidc", "true",
			"aws-profile", "p", "refresh-credentials", "true"), want: "AWS_SESSION_TOKEN",
			env: map[string]string{"AWS_ACCESS_KEY_ID": "ASIAEARLIERSESSION01", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"}},
		"keys only in a shared credentials file": {inputs: keyless("URL", "role-to-assume", ststest.DemoRole.ARN, "force-skip-oidc", "true",
			"aws-profile", "p", "refresh-credentials", "true"), want: "machine's own credentials",
			env: map[string]string{"AWS_SHARED_CREDENTIALS_FILE": "AMBIENT", "AWS_CONFIG_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true"}},
		"existing profile": {inputs: with("URL", "role-to-assume", ststest.DemoRole.ARN, "aws-profile", "taken", "refresh-credentials", "true"),
			want: "overwrite-aws-profile"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, url := world(t)
			job := runnertest.NewJob(t, manifest)
			ambient := filepath.Join(t.TempDir(), "credentials")
			_ = os.WriteFile(ambient, []byte("[default]\naws_access_key_id = "+ststest.DemoUser.AccessKeyID+"\naws_secret_access_key = "+ststest.DemoUser.SecretAccessKey+"\n"), 0o600)
			for k, v := range c.env {
				job.Env[k] = strings.ReplaceAll(v, "AMBIENT", ambient)
			}
			dir := refreshDir(job)
			var before []string
			if name == "existing profile" {
				if r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, "role-to-assume", ststest.DemoRole.ARN, "aws-profile", "taken")}); r.ExitCode != 0 {
					t.Fatal(r.Stdout)
				}
				before = listDir(t, dir)
			}
			calls := e.CallCount("")
			in := map[string]string{}
			for k, v := range c.inputs {
				in[k] = strings.ReplaceAll(v, "URL", url)
			}
			r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: in})
			if r.ExitCode != 2 || !strings.Contains(strings.Join(r.Errors(), ""), c.want) {
				t.Errorf("exit %d, errors %q, want 2 and %q", r.ExitCode, r.Errors(), c.want)
			}
			if n := e.CallCount("") - calls; n != 0 {
				t.Errorf("%d STS calls before the refusal", n)
			}
			if got := listDir(t, dir); !slices.Equal(got, before) {
				t.Errorf("files left: %v (before %v)", got, before)
			}
			if r.EnvFile != "" || r.StateFile != "" {
				t.Errorf("exported %q, state %q", r.EnvFile, r.StateFile)
			}
		})
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// A failure after the STS call (here GITHUB_OUTPUT cannot be written) puts
// every file back: no long-term keys stay behind, and an earlier step's
// profile is untouched.
func TestRefreshRollsBackWhenTheExportFails(t *testing.T) {
	t.Parallel()
	_, url := world(t)
	job := runnertest.NewJob(t, manifest)
	if r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, "role-to-assume", ststest.DemoRole.ARN, "aws-profile", "prod")}); r.ExitCode != 0 {
		t.Fatal(r.Stdout)
	}
	dir := refreshDir(job)
	creds, _ := os.ReadFile(filepath.Join(dir, "credentials"))
	config, _ := os.ReadFile(filepath.Join(dir, "config"))
	fullOutput := func(ctx context.Context, j *runnertest.Job, env map[string]string) *exec.Cmd {
		env["GITHUB_OUTPUT"] = "/dev/full" // opens for append, fails on write
		return runnertest.Binary(binary)(ctx, j, env)
	}
	r := job.Run(t, fullOutput, runnertest.Step{Inputs: with(url, "role-to-assume", ststest.DemoRole.ARN, "aws-profile", "deploy", "refresh-credentials", "true")})
	if r.ExitCode == 0 {
		t.Fatal("the step succeeded")
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{"config", "credentials"}) {
		t.Errorf("left %v", got)
	}
	c2, _ := os.ReadFile(filepath.Join(dir, "credentials"))
	f2, _ := os.ReadFile(filepath.Join(dir, "config"))
	if string(c2) != string(creds) || string(f2) != string(config) {
		t.Errorf("the shared files changed:\n%s\n%s", c2, f2)
	}
	if strings.Contains(string(c2)+string(f2), ststest.DemoUser.SecretAccessKey) {
		t.Error("the long-term secret stayed on disk")
	}
	// The state came first, so a crash would still have been cleaned up.
	if !strings.Contains(r.State["files"], "deploy.refresh.json") {
		t.Errorf("state %q", r.State)
	}
}

// The ambient flow renews with the machine's own credentials alone: with
// AWS_PROFILE naming the profile (as the log says to) and the step's keys in
// the environment, a renewal neither calls itself nor signs with those keys.
func TestAmbientRefreshNeverReachesItself(t *testing.T) {
	t.Parallel()
	e, url, issuer, job := oidcWorld(t)
	// A self-hosted runner with a web identity token file (EKS, for one),
	// and no GitHub ID token.
	delete(job.Env, "ACTIONS_ID_TOKEN_REQUEST_URL")
	delete(job.Env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte(issuer.Mint(ststest.DefaultAudience)), 0o600); err != nil {
		t.Fatal(err)
	}
	job.Env["AWS_WEB_IDENTITY_TOKEN_FILE"] = token
	job.Env["AWS_ROLE_ARN"] = ststest.DemoOIDCRole.ARN
	job.Env["AWS_ENDPOINT_URL_STS"] = url
	job.Env["AWS_EC2_METADATA_DISABLED"] = "true"
	for _, profile := range []string{"deploy", "default"} {
		r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: keyless(url, "role-to-assume", ststest.DemoRole.ARN,
			"aws-profile", profile, "refresh-credentials", "true")})
		if r.ExitCode != 0 {
			t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
		}
		if !strings.Contains(r.Stdout, "with the machine's own credentials") {
			t.Errorf("the log does not say how it renews:\n%s", r.Stdout)
		}
	}
	webIdentityCalls := func() int { return e.CallCount("AssumeRoleWithWebIdentity") }
	before := webIdentityCalls()
	// A later step that exported some other session and selects the
	// profile through AWS_PROFILE.
	earlier := ststest.DemoUser
	job.Env["AWS_PROFILE"] = "deploy"
	for _, name := range []string{"deploy", "default"} {
		if err := os.Remove(filepath.Join(refreshDir(job), name+".session.json")); err != nil {
			t.Fatal(err)
		}
		out, stderr, code := credentialProcess(t, job, name, "AWS_ACCESS_KEY_ID="+earlier.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+earlier.SecretAccessKey)
		if code != 0 || out.AccessKeyId == "" {
			t.Fatalf("%s: exit %d %s", name, code, stderr)
		}
	}
	// botocore prefers a web identity in the environment to any profile:
	// a plain "aws" on this runner finds the default profile only without.
	for _, k := range []string{"AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		delete(job.Env, k)
	}
	if got, code, stderr := callerIdentityDefault(t, job, url); code != 0 || !strings.Contains(got, "assumed-role/deploy/") {
		t.Fatalf("default profile: %q exit %d %s", got, code, stderr)
	}
	calls := assumeRoleCalls(e)
	for _, c := range calls {
		if c.AccessKeyID == earlier.AccessKeyID {
			t.Errorf("a renewal signed with the environment's keys")
		}
	}
	if n := webIdentityCalls() - before; n != 2 {
		t.Errorf("%d web identity calls for 2 renewals", n)
	}
}

// callerIdentityDefault runs the AWS CLI without --profile.
func callerIdentityDefault(t *testing.T, job *runnertest.Job, endpoint string) (string, int, string) {
	t.Helper()
	requireTool(t, awsCLI, "awscli")
	stdout, stderr, code := job.Shell(t, 60*time.Second, awsCLI, "sts", "get-caller-identity", "--endpoint-url", endpoint, "--output", "text", "--query", "Arn")
	return strings.TrimSpace(stdout), code, stderr
}

func TestCredentialProcessStopsWhenItCallsItself(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	job := runnertest.NewJob(t, manifest)
	refreshStep(t, job, url)
	// Given the guard it hands to what it starts, the process refuses at
	// once, without an STS call.
	before := e.CallCount("")
	guard, err := refresh.Guard("", []string{"--spec", specOf(job, "deploy")})
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code := credentialProcess(t, job, "deploy", refresh.GuardVar+"="+guard)
	if code != 2 || !strings.Contains(stderr, "started itself again") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// And it really hands it on: a profile whose source is itself stops at
	// the second level instead of starting copies of itself.
	config := filepath.Join(t.TempDir(), "config")
	line := binary + " credential-process --source-profile loop --role-to-assume " + ststest.DemoRole.ARN + " --aws-region us-east-1 --sts-endpoint " + url
	if err := os.WriteFile(config, []byte("[profile loop]\ncredential_process = "+line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, stderr, code = cli(t, []string{"AWS_CONFIG_FILE=" + config}, "", strings.Fields(line)[1:]...)
	if code == 0 || time.Since(start) > 20*time.Second {
		t.Fatalf("exit %d after %s: %s", code, time.Since(start), stderr)
	}
	if n := e.CallCount("") - before; n != 0 {
		t.Errorf("%d STS calls", n)
	}
}

// 32 callers at once with no cached session make one AssumeRole and all
// get the same session; later callers get it from the cache.
func TestRefreshParallelCallersRenewOnce(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	job := runnertest.NewJob(t, manifest)
	refreshStep(t, job, url)
	if err := os.Remove(filepath.Join(refreshDir(job), "deploy.session.json")); err != nil {
		t.Fatal(err)
	}
	before := len(assumeRoleCalls(e))
	var wg sync.WaitGroup
	keys := make([]string, 32)
	for i := range keys {
		wg.Go(func() {
			out, stderr, code := credentialProcess(t, job, "deploy")
			if code != 0 {
				t.Errorf("exit %d %s", code, stderr)
			}
			keys[i] = out.AccessKeyId
		})
	}
	wg.Wait()
	if n := len(assumeRoleCalls(e)) - before; n != 1 {
		t.Errorf("%d AssumeRole calls for 32 parallel callers, want 1", n)
	}
	for _, k := range keys {
		if k != keys[0] {
			t.Fatalf("different sessions: %v", keys)
		}
	}
	for range 5 {
		if got, code, stderr := profileIdentity(t, job, url, "deploy"); code != 0 || !strings.Contains(got, "assumed-role/deploy/") {
			t.Fatalf("%q exit %d %s", got, code, stderr)
		}
	}
	if n := len(assumeRoleCalls(e)) - before; n != 1 {
		t.Errorf("%d AssumeRole calls after 5 AWS CLI calls, want still 1", n)
	}
}

// Sessions that expire every few seconds are renewed once per expiry, and
// no caller is handed one that has expired.
func TestRefreshShortSessionsRenewOncePerExpiry(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	job := runnertest.NewJob(t, manifest)
	const lifetime = 4 * time.Second
	e.SetSessionLifetime(lifetime)
	refreshStep(t, job, url)
	seen := map[string]time.Time{}
	var mu sync.Mutex
	deadline := time.Now().Add(13 * time.Second)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				out, stderr, code := credentialProcess(t, job, "deploy")
				got := time.Now()
				if code != 0 {
					t.Errorf("exit %d %s", code, stderr)
					return
				}
				if !out.Expiration.After(got) {
					t.Errorf("handed out a session that expired at %s, at %s", out.Expiration, got)
				}
				mu.Lock()
				seen[out.AccessKeyId] = out.Expiration
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	issued := e.Issued()
	if len(issued) != len(seen) {
		t.Errorf("%d sessions issued, %d handed out: each renewal must serve every caller", len(issued), len(seen))
	}
	// About one renewal per half-lifetime (the window), never a burst.
	if max := int(13*time.Second/(lifetime/2)) + 2; len(issued) > max || len(issued) < 3 {
		t.Errorf("%d sessions in 13 s of %s sessions, want 3 to %d", len(issued), lifetime, max)
	}
	if _, code, stderr := profileIdentity(t, job, url, "deploy"); code != 0 {
		t.Fatalf("the AWS CLI after the loop: %s", stderr)
	}
}

// A corrupt cache file is ignored and replaced; the post stage deletes
// every file of the profile.
func TestRefreshCacheCorruptAndCleanup(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	job := runnertest.NewJob(t, manifest)
	r := refreshStep(t, job, url)
	cache := filepath.Join(refreshDir(job), "deploy.session.json")
	if err := os.WriteFile(cache, []byte(`{"version":1,"AccessKeyID":"AKIAFOREIGN`), 0o600); err != nil {
		t.Fatal(err)
	}
	before := len(assumeRoleCalls(e))
	if got, code, stderr := profileIdentity(t, job, url, "deploy"); code != 0 || !strings.Contains(got, "assumed-role/deploy/") {
		t.Fatalf("%q %d %s", got, code, stderr)
	}
	if n := len(assumeRoleCalls(e)) - before; n != 1 {
		t.Errorf("%d AssumeRole calls, want one renewal", n)
	}
	b, _ := os.ReadFile(cache)
	if !strings.Contains(string(b), lastIssued(t, e).AccessKeyID) {
		t.Errorf("the cache was not replaced: %s", b)
	}
	pr := job.Run(t, cleanupLauncher(binary), runnertest.Step{Env: map[string]string{"STATE_files": r.State["files"]}})
	if pr.ExitCode != 0 {
		t.Fatalf("post: %s", pr.Stdout)
	}
	if left := listDir(t, refreshDir(job)); len(left) != 0 {
		t.Errorf("the post stage left %v", left)
	}
}

// The proxy's password reaches the spec (0600), never the credential_process
// command line that ps shows, and is masked.
func TestRefreshKeepsTheProxyPasswordOffTheCommandLine(t *testing.T) {
	t.Parallel()
	_, sts := world(t)
	job := runnertest.NewJob(t, manifest)
	proxy := "http://ci:Pr0xyPa55@127.0.0.1:1"
	r := refreshStep(t, job, sts, "http-proxy", proxy, "no-proxy", "127.0.0.1")
	config, _ := os.ReadFile(filepath.Join(refreshDir(job), "config"))
	if strings.Contains(string(config), "Pr0xyPa55") {
		t.Errorf("config:\n%s", config)
	}
	if !slices.Contains(r.Masks, "Pr0xyPa55") {
		t.Errorf("the proxy password is not masked: %v", r.Masks)
	}
	fi, err := os.Stat(specOf(job, "deploy"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("spec %v %v", fi, err)
	}
	var spec struct{ Inputs map[string]string }
	b, _ := os.ReadFile(specOf(job, "deploy"))
	if err := json.Unmarshal(b, &spec); err != nil || spec.Inputs["INPUT_HTTP-PROXY"] != proxy {
		t.Errorf("spec %s %v", b, err)
	}
}
