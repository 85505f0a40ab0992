//go:build linux

package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/ststest"
)

// actBinary finds nektos/act v0.2.x: $ACT, act on PATH, or ~/go/bin/act
// (where `go install github.com/nektos/act@v0.2.89` puts it). Under
// CI=true, where .ci/run builds it and sets ACT, a missing act is a
// failure; elsewhere the test skips (building act takes minutes).
func actBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("ACT"), "act", filepath.Join(os.Getenv("HOME"), "go", "bin", "act")} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	const missing = "nektos/act is missing: go install github.com/nektos/act@v0.2.89, or set ACT"
	if os.Getenv("CI") == "true" {
		t.Fatal(missing)
	}
	t.Skip(missing)
	return ""
}

var jobImage struct {
	once sync.Once
	tag  string
	err  error
}

// Before stopDocker (this file's init runs first): a private engine goes
// with its images, the caller's keeps them.
func init() {
	afterTests = append(afterTests, func() {
		if jobImage.tag != "" && dockerEngine.dir == "" && dockerEngine.host != "" {
			if out, err := dockerCLI("image", "rm", jobImage.tag); err != nil {
				fmt.Fprintf(os.Stderr, "docker image rm %s: %v\n%s", jobImage.tag, err, out)
			}
		}
	})
}

// actJobImage imports the image of the job container into the test's
// engine: an empty root with the usual links into /usr, a root user and a
// PATH, to which the workflow mounts the host's /usr read-only (bash for
// run: steps and the AWS CLI). Everything else in it (its /tmp, /root,
// /var/run) is the container's own, as in a real job container.
func actJobImage(t *testing.T) string {
	t.Helper()
	jobImage.once.Do(func() {
		jobImage.tag = fmt.Sprintf("localhost/assume-role-job:e2e-%d", os.Getpid())
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		add := func(h *tar.Header) {
			h.ModTime = time.Unix(0, 0)
			if jobImage.err == nil {
				jobImage.err = tw.WriteHeader(h)
			}
		}
		for _, d := range []string{"usr", "etc", "root", "var", "var/run", "tmp", "dev", "proc", "sys"} {
			mode := int64(0o755)
			if d == "tmp" {
				mode = 0o1777
			}
			add(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: mode})
		}
		for _, l := range []string{"bin", "sbin", "lib", "lib64"} {
			add(&tar.Header{Typeflag: tar.TypeSymlink, Name: l, Linkname: "usr/" + l})
		}
		passwd := "root:x:0:0:root:/root:/bin/sh\n"
		add(&tar.Header{Typeflag: tar.TypeReg, Name: "etc/passwd", Mode: 0o644, Size: int64(len(passwd))})
		if jobImage.err == nil {
			_, jobImage.err = tw.Write([]byte(passwd))
		}
		if jobImage.err == nil {
			jobImage.err = tw.Close()
		}
		if jobImage.err != nil {
			return
		}
		cmd := exec.Command("docker", "--host", dockerEngine.host, "import",
			"--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "-", jobImage.tag)
		cmd.Stdin = &b
		if out, err := cmd.CombinedOutput(); err != nil {
			jobImage.err = fmt.Errorf("docker import: %v\n%s", err, out)
		}
	})
	if jobImage.err != nil {
		t.Fatal(jobImage.err)
	}
	return jobImage.tag
}

// TestActContainerJob runs a consumer's job with `container:` under
// nektos/act, a runner that does not share its temp directory (/tmp) with
// the action's container, and uses each export from a later run: step in
// the job container with the AWS CLI: the environment, a named profile, and
// a profile that renews its session through credential_process. Each step
// has its own session name, so the ARN a later step gets says which export
// it used. A step with role-profiles writes three profiles, in three accounts, at once.
func TestActContainerJob(t *testing.T) {
	t.Parallel()
	act := actBinary(t)
	requireTool(t, awsCLI, "awscli")
	_, image := docker(t)
	jobImg := actJobImage(t)
	e, url := world(t)
	e.AddRole(auditRole)
	e.AddRole(callerRole)

	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	// The action as a consumer gets it, but with the image the tests built
	// (act cannot build the Dockerfile here: no registry for its builder).
	yml, err := os.ReadFile("../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(yml, []byte("\n  image: Dockerfile\n")) {
		t.Fatal("action.yml has no `image: Dockerfile` line to replace")
	}
	yml = bytes.Replace(yml, []byte("\n  image: Dockerfile\n"), []byte("\n  image: docker://"+image+"\n"), 1)
	if err := os.MkdirAll(filepath.Join(repo, "action"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "action", "action.yml"), yml, 0o644); err != nil {
		t.Fatal(err)
	}
	step := func(session string, extra ...string) string {
		s := fmt.Sprintf("      - uses: ./action\n        with:\n          aws-region: us-east-1\n          sts-endpoint: %s\n"+
			"          aws-access-key-id: %s\n          aws-secret-access-key: ${{ secrets.SECRET_KEY }}\n"+
			"          role-to-assume: %s\n          role-session-name: %s\n",
			url, ststest.DemoUser.AccessKeyID, ststest.DemoRole.ARN, session)
		for i := 0; i+1 < len(extra); i += 2 {
			s += fmt.Sprintf("          %s: %s\n", extra[i], extra[i+1])
		}
		return s
	}
	later := func(out string, args ...string) string {
		return fmt.Sprintf("      - shell: bash\n        run: %s sts get-caller-identity --endpoint-url %s --query Arn --output text %s > \"$GITHUB_WORKSPACE/%s\"\n",
			awsCLI, url, strings.Join(args, " "), out)
	}
	workflow := "on: push\nenv:\n  AWS_EC2_METADATA_DISABLED: \"true\"\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n" +
		"    container:\n      image: " + jobImg + "\n      volumes: [\"/usr:/usr:ro\"]\n    steps:\n" +
		step("env-export") + later("env.arn") +
		step("named-profile", "aws-profile", "prod") + later("profile.arn", "--profile", "prod") +
		step("renewing", "aws-profile", "renew", "refresh-credentials", "true") + later("refresh.arn", "--profile", "renew") +
		// Three roles in one step, each a profile.
		fmt.Sprintf("      - uses: ./action\n        with:\n          aws-region: us-east-1\n          sts-endpoint: %s\n"+
			"          aws-access-key-id: %s\n          aws-secret-access-key: ${{ secrets.SECRET_KEY }}\n          role-session-name: many\n"+
			"          role-profiles: |\n            # three accounts\n            many-deploy=%s\n            many-audit=%s\n            many-ci=%s\n",
			url, ststest.DemoUser.AccessKeyID, ststest.DemoRole.ARN, auditRole.ARN, callerRole.ARN) +
		later("many-deploy.arn", "--profile", "many-deploy") + later("many-audit.arn", "--profile", "many-audit") +
		later("many-ci.arn", "--profile", "many-ci") +
		// The profile's files are where the job container reads them.
		"      - shell: bash\n        run: cat \"$AWS_CONFIG_FILE\" > \"$GITHUB_WORKSPACE/config.txt\"\n"
	wf := filepath.Join(dir, "deploy.yml")
	if err := os.WriteFile(wf, []byte(workflow), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, act, "push", "-W", wf, "-C", repo, "-P", "ubuntu-latest="+jobImg,
		"--pull=false", "--action-offline-mode", "--no-cache-server", "--action-cache-path", filepath.Join(dir, "act-cache"),
		"--container-daemon-socket", "-", "--rm", "--bind", "-s", "SECRET_KEY="+ststest.DemoUser.SecretAccessKey)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+dockerEngine.host, "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("act ran the job in %s", time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("act: %v\n%s", err, out)
	}
	want := func(session string) string { return "arn:aws:sts::222222222222:assumed-role/deploy/" + session }
	for file, session := range map[string]string{"env.arn": "env-export", "profile.arn": "named-profile", "refresh.arn": "renewing", "many-deploy.arn": "many",
		"many-audit.arn": "!arn:aws:sts::333333333333:assumed-role/readonly/many", "many-ci.arn": "!arn:aws:sts::111111111111:assumed-role/ci/many"} {
		w := want(session)
		if arn, ok := strings.CutPrefix(session, "!"); ok {
			w = arn
		}
		got, err := os.ReadFile(filepath.Join(repo, file))
		if err != nil || strings.TrimSpace(string(got)) != w {
			t.Errorf("%s: %q (%v), want %s", file, got, err, w)
		}
	}
	config, err := os.ReadFile(filepath.Join(repo, "config.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "credential_process = /var/run/act/workflow/assume-role-aws/assume-role credential-process "; !strings.Contains(string(config), want) {
		t.Errorf("the config file lacks %q:\n%s", want, config)
	}
	if !strings.Contains(string(out), "Wrote profile prod with the session's keys to /var/run/act/workflow/assume-role-aws") {
		t.Errorf("act's log does not say where the profile went:\n%s", out)
	}
	for _, c := range e.Issued() {
		for _, s := range []string{c.SecretAccessKey, c.SessionToken} {
			if strings.Contains(string(out), s) {
				t.Errorf("act's output shows a secret of session %s", c.AccessKeyID)
			}
		}
	}
	if strings.Contains(string(out), ststest.DemoUser.SecretAccessKey) {
		t.Error("act's output shows the input secret key")
	}
}
