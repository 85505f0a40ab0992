package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/ststest"
)

// cli runs the binary as a plain command, outside GitHub Actions, with
// exactly env.
func cli(t *testing.T, env []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// userEnv is a shell of account B: its keys in the standard variables.
func userEnv(url string) []string {
	return []string{"AWS_ACCESS_KEY_ID=" + ststest.DemoUser.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + ststest.DemoUser.SecretAccessKey,
		"AWS_REGION=us-east-1", "STS_ENDPOINT=" + url}
}

func TestCLIFormats(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	out, errOut, code := cli(t, userEnv(url), "", "--role-to-assume", ststest.DemoRole.ARN, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	s := lastIssued(t, e)
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if got["AWS_ACCESS_KEY_ID"] != s.AccessKeyID || got["AWS_SECRET_ACCESS_KEY"] != s.SecretAccessKey || got["AWS_REGION"] != "us-east-1" {
		t.Errorf("json %v", got)
	}
	for _, sec := range append(secretsOf(s), ststest.DemoUser.SecretAccessKey) {
		if strings.Contains(errOut, sec) {
			t.Errorf("stderr shows a secret: %s", errOut)
		}
	}
	if strings.Contains(out, "::") || strings.Contains(errOut, "::add-mask::") {
		t.Errorf("workflow commands outside GitHub Actions:\n%s\n%s", out, errOut)
	}

	// The shell format, evaluated by a shell, gives the same session.
	out, _, code = cli(t, userEnv(url), "", "--role-to-assume", ststest.DemoRole.ARN)
	if code != 0 {
		t.Fatal(code)
	}
	sh := exec.Command("/bin/sh", "-c", `eval "$(cat)"; printf '%s|%s' "$AWS_SECRET_ACCESS_KEY" "$AWS_CREDENTIAL_EXPIRATION"`)
	sh.Stdin = strings.NewReader(out)
	b, err := sh.Output()
	s = lastIssued(t, e)
	if err != nil || string(b) != s.SecretAccessKey+"|"+s.Expiration.UTC().Format(time.RFC3339) {
		t.Errorf("eval gave %q, %v", b, err)
	}
}

func TestCLIExec(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	env := append(userEnv(url), "AWS_PROFILE=stale", "ROLE_TO_ASSUME="+ststest.DemoRole.ARN)
	out, errOut, code := cli(t, env, "from stdin", "exec", "--", "/bin/sh", "-c",
		`printf '%s|%s|%s|' "$AWS_ACCESS_KEY_ID" "${AWS_PROFILE-unset}" "$(cat)"; exit 7`)
	if code != 7 {
		t.Fatalf("exit %d, want the command's 7: %s", code, errOut)
	}
	if want := lastIssued(t, e).AccessKeyID + "|unset|from stdin|"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
	_, errOut, code = cli(t, env, "", "exec", "--", "/no/such/command")
	if code != 127 || !strings.Contains(errOut, "no/such/command") {
		t.Errorf("missing command: exit %d, %s", code, errOut)
	}
}

func TestCLICredentialProcessWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	requireTool(t, awsCLI, "awscli")
	e, url := world(t)
	dir := t.TempDir()
	// Account B's keys in a profile's source, assumed into account A by
	// credential_process: the CLI runs the binary whenever it needs keys.
	config := filepath.Join(dir, "config")
	content := "[profile deploy]\nregion = us-east-1\ncredential_process = " + binary +
		" credential-process --aws-access-key-id " + ststest.DemoUser.AccessKeyID +
		" --aws-secret-access-key " + ststest.DemoUser.SecretAccessKey +
		" --role-to-assume " + ststest.DemoRole.ARN + " --aws-region us-east-1 --sts-endpoint " + url + "\n"
	if err := os.WriteFile(config, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(awsCLI, "sts", "get-caller-identity", "--profile", "deploy", "--endpoint-url", url, "--output", "text", "--query", "Arn")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "AWS_CONFIG_FILE=" + config, "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true"}
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	// Outside GitHub Actions the session is not named GitHubActions.
	if got := strings.TrimSpace(string(b)); got != "arn:aws:sts::222222222222:assumed-role/deploy/assume-role" {
		t.Errorf("the AWS CLI is %s", got)
	}
	if e.CallCount("AssumeRole") != 1 || e.CallCount("GetCallerIdentity") != 1 {
		t.Errorf("calls %+v", e.Calls())
	}
}

func TestCLIWebIdentityFromAnEnvironmentVariable(t *testing.T) {
	t.Parallel()
	e, url := world(t)
	issuer, _, _ := ststest.NewTokenServer(t)
	e.SeedDemoOIDC(issuer)
	// As GitLab gives a job its id_tokens: a variable holding the JWT.
	env := []string{"AWS_REGION=us-east-1", "STS_ENDPOINT=" + url, "GITLAB_OIDC_TOKEN=" + issuer.Mint("sts.amazonaws.com"),
		"ROLE_TO_ASSUME=" + ststest.DemoOIDCRole.ARN, "WEB_IDENTITY_TOKEN_ENV=GITLAB_OIDC_TOKEN"}
	out, errOut, code := cli(t, env, "", "--format", "dotenv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "AWS_ACCESS_KEY_ID="+lastIssued(t, e).AccessKeyID+"\n") || e.CallCount("AssumeRoleWithWebIdentity") != 1 {
		t.Errorf("dotenv %q", out)
	}
	_, errOut, code = cli(t, []string{"AWS_REGION=us-east-1", "ROLE_TO_ASSUME=" + ststest.DemoOIDCRole.ARN, "WEB_IDENTITY_TOKEN_ENV=MISSING"}, "")
	if code != 2 || !strings.Contains(errOut, "web-identity-token-env") {
		t.Errorf("missing token variable: exit %d, %s", code, errOut)
	}
}

func TestCLIUsage(t *testing.T) {
	t.Parallel()
	out, errOut, code := cli(t, nil, "", "--help")
	if code != 0 || errOut != "" || !strings.Contains(out, "--role-to-assume ARN") || !strings.Contains(out, "$ROLE_TO_ASSUME") {
		t.Errorf("--help: exit %d\n%s%s", code, out, errOut)
	}
	_, errOut, code = cli(t, nil, "", "--aws-region", "us east")
	if code != 2 || !strings.HasPrefix(errOut, "error: --aws-region (AWS_REGION) (\"us east\") is not a region code") {
		t.Errorf("bad input: exit %d, %q", code, errOut)
	}
	_, errOut, code = cli(t, nil, "", "--disble-retry")
	if code != 2 || errOut != "error: unknown flag --disble-retry; did you mean --disable-retry? (assume-role --help lists the flags)\n" {
		t.Errorf("unknown flag: exit %d, %q", code, errOut)
	}
	out, _, code = cli(t, nil, "", "--version")
	if code != 0 || !strings.HasPrefix(out, "assume-role ") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
}

// /dev/null is a character device but not a terminal: printing the session
// there is no reason for the terminal warning.
func TestCLINoTerminalWarningForDevNull(t *testing.T) {
	t.Parallel()
	_, url := world(t)
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	cmd := exec.Command(binary, "--role-to-assume", ststest.DemoRole.ARN)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "AWS_EC2_METADATA_DISABLED=true"}, userEnv(url)...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = devNull, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), "terminal") {
		t.Errorf("warned about a terminal for /dev/null:\n%s", stderr.String())
	}
}

// The image's entrypoint is the CLI too: `docker run IMAGE --version` (no
// GITHUB_ACTIONS, arguments given) prints the version and exits 0, and
// --help goes to stdout.
func TestImageVersionAndHelp(t *testing.T) {
	t.Parallel()
	_, image := docker(t)
	out, err := dockerCLI("run", "--rm", "--network", "host", image, "--version")
	if err != nil || !strings.HasPrefix(out, "assume-role ") || strings.Count(out, "\n") != 1 {
		t.Errorf("docker run %s --version: %v\n%s", image, err, out)
	}
	cmd := exec.Command("docker", "--host", dockerEngine.host, "run", "--rm", "--network", "host", image, "--help")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || !strings.Contains(stdout.String(), "--role-to-assume ARN") || stderr.Len() != 0 {
		t.Errorf("docker run %s --help: %v\nstdout:\n%s\nstderr:\n%s", image, err, stdout.String(), stderr.String())
	}
}
