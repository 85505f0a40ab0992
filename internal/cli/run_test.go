package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/assume-role/assume-role/internal/action"
	"github.com/assume-role/assume-role/internal/ststest"
	"github.com/assume-role/assume-role/internal/version"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update to accept):\n%s", path, got)
	}
}

// keysEnv is a shell of account 111111111111 with its keys in the standard
// variables and the emulator as STS.
func keysEnv(url string, extra ...string) []string {
	return append([]string{"AWS_ACCESS_KEY_ID=" + ststest.DemoUser.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + ststest.DemoUser.SecretAccessKey,
		"AWS_REGION=us-east-1", "STS_ENDPOINT=" + url, "HOME=/nonexistent"}, extra...)
}

// exitOf returns the exit code and message of a Run error.
func exitOf(t *testing.T, err error) (int, string) {
	t.Helper()
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("want an *ExitError, got %T %v", err, err)
	}
	return ee.Code, ee.Error()
}

func TestHelpGoesToStdout(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"exec", "--help"}} {
		out, errOut, err := run(t, false, nil, args...)
		if !errors.Is(err, ErrHelp) || errOut != "" {
			t.Errorf("%v: err %v, stderr %q", args, err, errOut)
		}
		golden(t, "help.golden", out)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, _, err := run(t, false, nil, args...)
		if err != nil || out != "assume-role "+version.String()+"\n" {
			t.Errorf("%v: %q, %v", args, out, err)
		}
	}
}

func TestUnknownFlagSuggests(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ arg, want string }{
		{"--disble-retry", "unknown flag --disble-retry; did you mean --disable-retry? (assume-role --help lists the flags)"},
		{"--role-to-asume=x", "did you mean --role-to-assume?"},
		{"--formt", "did you mean --format?"},
		{"--zzzzzzzz", "unknown flag --zzzzzzzz (assume-role --help lists the flags)"},
		// Inputs that only the action's runner files use are not flags.
		{"--mask-aws-account-id", "unknown flag --mask-aws-account-id"},
		{"--output-credentials", "unknown flag --output-credentials"},
		{"--refresh-credentials", "unknown flag --refresh-credentials"},
	} {
		out, errOut, err := run(t, false, nil, tt.arg)
		code, msg := exitOf(t, err)
		if code != action.ExitBadInput || !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") || out != "" || errOut != "" {
			t.Errorf("%s: exit %d %q (stdout %q, stderr %q)", tt.arg, code, msg, out, errOut)
		}
	}
}

func TestBareBooleanFlags(t *testing.T) {
	t.Parallel()
	em, url := ststest.NewTestServer(t)
	em.SeedDemo()
	em.Inject("AssumeRole", ststest.InternalError, ststest.InternalError)
	// Bare --disable-retry is one attempt: the injected 500 is final.
	_, _, err := run(t, false, keysEnv(url), "--role-to-assume", ststest.DemoRole.ARN, "--disable-retry")
	if code, msg := exitOf(t, err); code != action.ExitUnavailable || em.CallCount("AssumeRole") != 1 {
		t.Errorf("exit %d after %d calls: %s", code, em.CallCount("AssumeRole"), msg)
	}
	// --name=false is still accepted, and retries.
	if _, errOut, err := run(t, false, keysEnv(url), "--role-to-assume", ststest.DemoRole.ARN, "--disable-retry=false"); err != nil {
		t.Errorf("--disable-retry=false: %v\n%s", err, errOut)
	}
}

func TestEverythingIsCheckedBeforeSTS(t *testing.T) {
	t.Parallel()
	em, url := ststest.NewTestServer(t)
	em.SeedDemo()
	role := "--role-to-assume=" + ststest.DemoRole.ARN
	for _, tt := range []struct {
		env  []string
		args []string
		code int
		want string
	}{
		{nil, []string{role, "--format", "yaml"}, 2, `--format "yaml" is not an output format: use one of env, dotenv, json, ini, credential-process`},
		{[]string{"FORMAT=yml"}, []string{role}, 2, `FORMAT "yml" is not an output format`},
		{nil, []string{role, "--format"}, 2, "--format needs a value"},
		{nil, []string{"exec", role, "--", "no-such-command-here"}, 127, `exec: exec: "no-such-command-here": executable file not found in $PATH; nothing was assumed`},
		{nil, []string{"exec", role}, 2, "exec needs a command"},
		{nil, []string{role, "stray"}, 2, `unexpected argument "stray"`},
		{nil, []string{role, "--aws-profile", "deploy"}, 2, "--aws-profile names the profile that --format ini prints"},
		{nil, []string{role, "--role-duration-seconds", "10"}, 2, `--role-duration-seconds (ROLE_DURATION_SECONDS) ("10") is out of range`},
		{nil, []string{role, "--format", "ini", "--aws-profile", "bad name"}, 2, `--aws-profile ("bad name") is not a usable profile name`},
		{nil, []string{"--role-chaining"}, 2, `--role-chaining (ROLE_CHAINING) ("true") needs --role-to-assume: set --role-to-assume to the role to chain into, or remove --role-chaining`},
		{nil, []string{role, "--source-profile", "nope"}, 2, "--source-profile nope: there is no profile nope in /nonexistent/.aws/config or /nonexistent/.aws/credentials"},
	} {
		_, _, err := run(t, false, keysEnv(url, tt.env...), tt.args...)
		code, msg := exitOf(t, err)
		if code != tt.code || !strings.Contains(msg, tt.want) {
			t.Errorf("%v %v: exit %d %q, want %d %q", tt.env, tt.args, code, msg, tt.code, tt.want)
		}
	}
	if calls := em.Calls(); len(calls) != 0 {
		t.Errorf("STS was called %d times for command lines that were wrong", len(calls))
	}
}

func TestINIProfileName(t *testing.T) {
	t.Parallel()
	em, url := ststest.NewTestServer(t)
	em.SeedDemo()
	// AWS_PROFILE is the AWS CLI's, not --aws-profile: it changes nothing.
	env := keysEnv(url, "AWS_PROFILE=elsewhere", "ROLE_TO_ASSUME="+ststest.DemoRole.ARN)
	out, _, err := run(t, false, env, "--format", "ini", "--aws-profile", "deploy")
	if err != nil || !strings.HasPrefix(out, "[deploy]\n") {
		t.Errorf("--aws-profile deploy: %q, %v", out, err)
	}
	out, _, err = run(t, false, env, "--format", "ini")
	if err != nil || !strings.HasPrefix(out, "[default]\n") {
		t.Errorf("without --aws-profile (AWS_PROFILE set): %q, %v", out, err)
	}
}

func TestNoGitHubTagsOutsideGitHub(t *testing.T) {
	t.Parallel()
	em, url := ststest.NewTestServer(t)
	em.SeedDemo()
	// A role that allows sts:AssumeRole and not sts:TagSession.
	noTags := ststest.Role{ARN: "arn:aws:iam::222222222222:role/no-tags", Trust: []string{"arn:aws:iam::111111111111:root"}}
	em.AddRole(noTags)
	// A shell that happens to have GitHub-looking variables is still not GitHub.
	env := keysEnv(url, "GITHUB_REPOSITORY=octo/repo", "GITHUB_SHA=abc")
	if _, errOut, err := run(t, false, env, "--role-to-assume", noTags.ARN); err != nil {
		t.Fatalf("outside GitHub: %v\n%s", err, errOut)
	}
	p := em.Calls()[0].Params
	if p.Get("Tags.member.1.Key") != "" || p.Get("RoleSessionName") != "assume-role" {
		t.Errorf("outside GitHub: tags %q, session name %q", p.Get("Tags.member.1.Key"), p.Get("RoleSessionName"))
	}
	// Only what the user asks for.
	if _, _, err := run(t, false, env, "--role-to-assume", ststest.DemoRole.ARN, "--custom-tags", `{"Team":"web"}`); err != nil {
		t.Fatal(err)
	}
	p = em.Calls()[1].Params
	if p.Get("Tags.member.1.Key") != "Team" || p.Get("Tags.member.2.Key") != "" {
		t.Errorf("custom tags only: %v", p)
	}
	// In a GitHub Actions run: step the GitHub tags and name are right.
	if _, _, err := run(t, false, append(env, "GITHUB_ACTIONS=true"), "--role-to-assume", ststest.DemoRole.ARN); err != nil {
		t.Fatal(err)
	}
	p = em.Calls()[2].Params
	if p.Get("Tags.member.1.Key") != "GitHub" || p.Get("RoleSessionName") != "GitHubActions" {
		t.Errorf("in GitHub Actions: %v", p)
	}
}

func TestRoleChainingUsesTheEnvironmentsKeys(t *testing.T) {
	t.Parallel()
	em, url := ststest.NewTestServer(t)
	em.SeedDemo()
	// A session an earlier assume-role printed, in the standard variables.
	first, _, err := run(t, false, keysEnv(url), "--role-to-assume", ststest.DemoRole.ARN, "--format", "dotenv")
	if err != nil {
		t.Fatal(err)
	}
	env := append(strings.Split(strings.TrimSpace(first), "\n"), "STS_ENDPOINT="+url, "HOME=/nonexistent")
	_, errOut, err := run(t, false, env, "--role-chaining", "--role-to-assume", ststest.DemoRole.ARN, "--role-duration-seconds", "900")
	if err != nil {
		t.Fatalf("--role-chaining with keys in the environment: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "with credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment\n") {
		t.Errorf("the log does not name the environment's keys:\n%s", errOut)
	}
	calls := em.Calls()
	if got, want := calls[len(calls)-1].AccessKeyID, em.Issued()[0].AccessKeyID; got != want {
		t.Errorf("chained call signed by %s, want the first session %s", got, want)
	}
}

// sharedFilesWithCI writes AWS shared files in a new directory: config,
// and credentials with the demo user's keys as profile ci.
func sharedFilesWithCI(t *testing.T, config string) (dir, configPath, credentialsPath string) {
	t.Helper()
	dir = t.TempDir()
	configPath, credentialsPath = filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	keys := "[ci]\naws_access_key_id = " + ststest.DemoUser.AccessKeyID + "\naws_secret_access_key = " + ststest.DemoUser.SecretAccessKey + "\n"
	for path, content := range map[string]string{configPath: config, credentialsPath: keys} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, configPath, credentialsPath
}

func TestRegionSources(t *testing.T) {
	t.Parallel()
	em, url := ststest.NewTestServer(t)
	em.SeedDemo()
	_, config, credentials := sharedFilesWithCI(t, "[default]\nregion = eu-west-1\n[profile ci]\nregion = eu-central-1\n")
	base := []string{"STS_ENDPOINT=" + url, "ROLE_TO_ASSUME=" + ststest.DemoRole.ARN, "AWS_CONFIG_FILE=" + config,
		"AWS_SHARED_CREDENTIALS_FILE=" + credentials, "AWS_ACCESS_KEY_ID=" + ststest.DemoUser.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + ststest.DemoUser.SecretAccessKey}
	for _, tt := range []struct {
		env  []string
		args []string
		want string
	}{
		{[]string{"AWS_REGION=us-west-2", "AWS_DEFAULT_REGION=ap-south-1"}, nil, "us-west-2"},
		{[]string{"AWS_DEFAULT_REGION=ap-south-1"}, nil, "ap-south-1"},
		{nil, nil, "eu-west-1"},
		{[]string{"AWS_PROFILE=ci"}, nil, "eu-central-1"},
		{nil, []string{"--source-profile", "ci"}, "eu-central-1"},
		{[]string{"AWS_REGION=us-west-2"}, []string{"--aws-region", "us-east-2"}, "us-east-2"},
	} {
		out, errOut, err := run(t, false, append(append([]string{}, base...), tt.env...), append([]string{"--format", "json"}, tt.args...)...)
		if err != nil || !strings.Contains(out, `"AWS_REGION": "`+tt.want+`"`) {
			t.Errorf("%v %v: want region %s, got %s %v %s", tt.env, tt.args, tt.want, out, err, errOut)
		}
	}
	_, _, err := run(t, false, []string{"ROLE_TO_ASSUME=" + ststest.DemoRole.ARN, "HOME=/nonexistent"})
	if _, msg := exitOf(t, err); !strings.HasPrefix(msg, "--aws-region (AWS_REGION) is required: give --aws-region, or set AWS_REGION or AWS_DEFAULT_REGION, or region in the AWS profile") {
		t.Errorf("missing region: %s", msg)
	}
}

func TestMessagesSpeakTheCLIsLanguage(t *testing.T) {
	t.Parallel()
	em, url := ststest.NewTestServer(t)
	em.SeedDemo()
	dir, config, credentials := sharedFilesWithCI(t, "")
	files := []string{"AWS_CONFIG_FILE=" + config, "AWS_SHARED_CREDENTIALS_FILE=" + credentials}
	role := "--role-to-assume=" + ststest.DemoRole.ARN
	// Where the keys came from, by name.
	_, errOut, err := run(t, false, append([]string{"AWS_REGION=us-east-1", "STS_ENDPOINT=" + url, "HOME=" + dir}, files...), role, "--source-profile", "ci")
	if err != nil || !strings.Contains(errOut, "Assuming "+ststest.DemoRole.ARN+" with credentials from profile ci of the AWS shared files (") {
		t.Errorf("--source-profile: %v\n%s", err, errOut)
	}
	_, errOut, err = run(t, false, keysEnv(url), role, "--aws-access-key-id", ststest.DemoUser.AccessKeyID, "--aws-secret-access-key", ststest.DemoUser.SecretAccessKey)
	if err != nil || !strings.Contains(errOut, "with credentials from --aws-access-key-id and --aws-secret-access-key\n") {
		t.Errorf("key flags: %v\n%s", err, errOut)
	}

	// No credentials anywhere: no workflow permissions on a laptop.
	var out strings.Builder
	err = Run(t.Context(), []string{role}, action.Env{Environ: []string{"AWS_REGION=us-east-1", "STS_ENDPOINT=" + url, "HOME=/nonexistent"},
		AmbientCredentials: func(context.Context, string, bool) (aws.CredentialsProvider, error) {
			return nil, errors.New("no EC2 IMDS role found")
		}}, IO{Stdout: &out, Stderr: &out})
	code, msg := exitOf(t, err)
	if code != action.ExitBadInput || strings.Contains(msg, "id-token") || strings.Contains(msg, "permissions") ||
		!strings.Contains(msg, "give --aws-access-key-id and --aws-secret-access-key, --source-profile") {
		t.Errorf("no credentials: exit %d %s", code, msg)
	}

	// A check after STS names its flag too.
	_, _, err = run(t, false, keysEnv(url), role, "--allowed-account-ids", "333333333333")
	if _, msg := exitOf(t, err); msg != "the credentials belong to account 222222222222, which --allowed-account-ids (333333333333) does not list; "+
		"nothing was printed. Check --role-to-assume, or add the account to --allowed-account-ids if it is expected." {
		t.Errorf("account not allowed: %s", msg)
	}

	// An STS refusal names flags, not secrets.
	_, _, err = run(t, false, keysEnv(url), role, "--aws-access-key-id", "AKIAUNKNOWNUNKNOWN12", "--aws-secret-access-key", "x")
	if _, msg := exitOf(t, err); !strings.Contains(msg, "check the access key ID the call was signed with") || strings.Contains(msg, "secret (") {
		t.Errorf("unknown key: %s", msg)
	}
}

func TestConnectionFailuresPointAtTheEndpointAndProxy(t *testing.T) {
	t.Parallel()
	// Nothing listens on the port of a closed server.
	closed := httptest.NewServer(http.NotFoundHandler())
	dead := closed.URL
	closed.Close()
	_, errOut, err := run(t, false, keysEnv(dead, "STS_ENDPOINT="+dead), "--role-to-assume", ststest.DemoRole.ARN,
		"--retry-max-attempts", "2")
	code, msg := exitOf(t, err)
	if code != action.ExitUnavailable || !strings.Contains(msg, "check --sts-endpoint, --http-proxy and --no-proxy, and this machine's network path to STS") ||
		strings.Contains(msg, "retry-max-attempts") {
		t.Errorf("final advice: exit %d %s", code, msg)
	}
	if want := "STS attempt 1 of 2 got no answer from " + dead + " directly (no proxy applies) ("; !strings.Contains(errOut, want) {
		t.Errorf("retry line lacks %q:\n%s", want, errOut)
	}
	// Through a proxy, the line names it (its password hidden).
	_, errOut, _ = run(t, false, keysEnv(dead, "STS_ENDPOINT=https://sts.example.test", "HTTPS_PROXY=http://user:pw@"+strings.TrimPrefix(dead, "http://")),
		"--role-to-assume", ststest.DemoRole.ARN, "--retry-max-attempts", "2")
	if want := "got no answer from https://sts.example.test through the proxy http://user:xxxxx@"; !strings.Contains(errOut, want) || strings.Contains(errOut, ":pw@") {
		t.Errorf("retry line lacks %q:\n%s", want, errOut)
	}
}

func TestTokenSourceIsNamed(t *testing.T) {
	t.Parallel()
	em, url := ststest.NewTestServer(t)
	issuer := ststest.NewTokenIssuer()
	em.SeedDemoOIDC(issuer)
	env := []string{"AWS_REGION=us-east-1", "STS_ENDPOINT=" + url, "HOME=/nonexistent", "GITLAB_OIDC_TOKEN=" + issuer.Mint("sts.amazonaws.com")}
	_, errOut, err := run(t, false, env, "--role-to-assume", ststest.DemoOIDCRole.ARN, "--web-identity-token-env", "GITLAB_OIDC_TOKEN")
	if err != nil || !strings.Contains(errOut, "Assuming "+ststest.DemoOIDCRole.ARN+" with the web identity token in GITLAB_OIDC_TOKEN\n") {
		t.Errorf("%v\n%s", err, errOut)
	}
}

// TestUsageErrorsGolden pins the one line each bad command line gets, as
// a user sees it, with its exit code.
func TestUsageErrorsGolden(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for _, args := range [][]string{
		{"--disble-retry"},
		{"--role-to-asume", "x"},
		{"--refresh-credentials"},
		{"--format"},
		{"--format", "yaml"},
		{"stray"},
		{"exec"},
		{"exec", "--format", "json", "--", "true"},
		{"--aws-profile", "deploy"},
		{"--disable-retry=maybe", "--aws-region", "us-east-1"},
		{"--aws-region", "us east"},
		{"--aws-region", "us-east-1", "--role-chaining"},
		{"credential-process", "--role-to-assume", "arn:aws:iam::222222222222:role/deploy"},
	} {
		_, _, err := run(t, false, []string{"HOME=/nonexistent"}, args...)
		code, msg := exitOf(t, err)
		fmt.Fprintf(&b, "$ assume-role %s\nexit %d: %s\n\n", strings.Join(args, " "), code, msg)
	}
	golden(t, "usage-errors.golden", b.String())
}
