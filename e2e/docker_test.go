//go:build linux

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/runnertest"
)

// The Docker engine and the image in it, one of each per test binary: the
// engine is started on first use and stopped by stopDocker from TestMain.
var dockerEngine struct {
	once  sync.Once
	err   error
	host  string // DOCKER_HOST value
	dir   string // the private engine's folder; "" for the caller's engine
	image string
	// How long the engine took to answer and the image to load.
	start, load time.Duration
}

func init() { afterTests = append(afterTests, stopDocker) }

// dockerScript is the helper that starts and stops the private engine.
const dockerScript = "../scripts/dockerd.sh"

// docker returns the engine and the image to run. The image is the one
// containerImage built from ./Dockerfile with buildah, moved as a
// docker-archive into the engine (docker load), and checked to have the
// same image ID there: Docker runs the very image buildah built, and the
// Dockerfile is not built a second time (Docker's classic builder cannot
// mount the host's module and build caches, so it would compile the AWS
// SDK from scratch, a minute on this machine).
//
// The engine is the caller's if DOCKER_HOST is set, else a private one that
// scripts/dockerd.sh starts under $TMPDIR/assume-role-dockerd-<pid>. It
// skips under -short and when dockerd or root is missing, except under
// CI=true, where .ci/run installs docker.io and the test must run.
func docker(t *testing.T) (runnertest.Docker, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: starting a Docker engine and running the image takes seconds")
	}
	why := ""
	if os.Getenv("DOCKER_HOST") == "" {
		if _, err := exec.LookPath("dockerd"); err != nil {
			why = "dockerd is missing: install the Debian package docker.io to run this test (or set DOCKER_HOST)"
		} else if os.Geteuid() != 0 {
			why = "not root: a private dockerd needs root (or set DOCKER_HOST)"
		}
	}
	if _, err := exec.LookPath("docker"); why == "" && err != nil {
		why = "the docker CLI is missing: install the Debian package docker.io to run this test"
	}
	if why != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (CI=true: .ci/run must provide it)", why)
		}
		t.Skip(why)
	}
	buildahImage := containerImage(t)
	dockerEngine.once.Do(func() {
		dockerEngine.err = startDocker(buildahImage)
	})
	if dockerEngine.err != nil {
		t.Fatal(dockerEngine.err)
	}
	t.Logf("docker engine %s ready in %s, image %s loaded in %s", dockerEngine.host,
		dockerEngine.start.Round(time.Millisecond), dockerEngine.image, dockerEngine.load.Round(time.Millisecond))
	// --network host: the emulator listens on the host's 127.0.0.1, and a
	// private engine has no bridge. GitHub's runner passes no --network
	// (the default bridge) unless the job has a container or services.
	return runnertest.Docker{Host: dockerEngine.host, Network: "host"}, dockerEngine.image
}

func startDocker(buildahImage string) error {
	start := time.Now()
	if host := os.Getenv("DOCKER_HOST"); host != "" {
		dockerEngine.host = host
	} else {
		sweepEngines()
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("assume-role-dockerd-%d", os.Getpid()))
		dockerEngine.dir = dir
		var stderr bytes.Buffer
		cmd := exec.Command("bash", dockerScript, "start", dir)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("%s start %s: %v\n%s", dockerScript, dir, err, stderr.String())
		}
		dockerEngine.host = strings.TrimSpace(string(out))
	}
	dockerEngine.start = time.Since(start)

	start = time.Now()
	// A tag of this process's own, in case the engine is shared.
	dockerEngine.image = buildahImage
	tmp, err := os.MkdirTemp("", "assume-role-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	archive := filepath.Join(tmp, "image.tar")
	root := runnertest.BuildahRoot()
	bh := []string{"--root", root + "/storage", "--runroot", root + "/run", "--storage-driver", "vfs"}
	if out, err := exec.Command("buildah", append(bh, "push", "--quiet", buildahImage,
		"docker-archive:"+archive+":"+buildahImage)...).CombinedOutput(); err != nil {
		return fmt.Errorf("buildah push %s to a docker-archive: %v\n%s", buildahImage, err, out)
	}
	if out, err := dockerCLI("load", "--quiet", "--input", archive); err != nil {
		return fmt.Errorf("docker load: %v\n%s", err, out)
	}
	want, err := exec.Command("buildah", append(bh, "inspect", "--type", "image", "--format", "{{.FromImageID}}", buildahImage)...).Output()
	if err != nil {
		return fmt.Errorf("buildah inspect %s: %v", buildahImage, err)
	}
	got, err := dockerCLI("image", "inspect", "--format", "{{.Id}}", buildahImage)
	if err != nil {
		return fmt.Errorf("docker image inspect: %v\n%s", err, got)
	}
	if g, w := strings.TrimSpace(got), "sha256:"+strings.TrimSpace(string(want)); g != w {
		return fmt.Errorf("the engine's %s is %s, buildah's %s: not the same image", buildahImage, g, w)
	}
	dockerEngine.load = time.Since(start)
	return nil
}

// dockerCLI runs the docker CLI against the test's engine.
func dockerCLI(args ...string) (string, error) {
	out, err := exec.Command("docker", append([]string{"--host", dockerEngine.host}, args...)...).CombinedOutput()
	return string(out), err
}

// stopDocker stops what startDocker started, by the PID the script
// recorded, or removes the image from the caller's engine. TestMain runs
// it (afterTests) after the tests, passed or failed. A test binary killed before it
// gets there (a -timeout panic) leaves its engine to sweepEngines.
func stopDocker() {
	if dockerEngine.host == "" {
		return
	}
	if dockerEngine.dir == "" {
		if out, err := dockerCLI("image", "rm", dockerEngine.image); err != nil {
			fmt.Fprintf(os.Stderr, "docker image rm %s: %v\n%s", dockerEngine.image, err, out)
		}
		return
	}
	if err := stopEngine(dockerEngine.dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}

func stopEngine(dir string) error {
	if out, err := exec.Command("bash", dockerScript, "stop", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("%s stop %s: %v\n%s", dockerScript, dir, err, out)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing the engine's folder: %w", err)
	}
	return nil
}

// sweepEngines stops and removes the private engines of test binaries that
// are gone, found by the PID in their folder's name.
func sweepEngines() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "assume-role-dockerd-*"))
	for _, dir := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(dir), "assume-role-dockerd-"))
		if err != nil || pid == os.Getpid() || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			continue
		}
		if err := stopEngine(dir); err != nil {
			fmt.Fprintln(os.Stderr, "sweeping a stale engine:", err)
		}
	}
}

// dockerLauncher runs the image as the runner does, with entrypoint ("" for
// the image's own), and checks each command line it makes: no variable's
// value on it, only names, apart from the runner's two literal flags.
func dockerLauncher(t *testing.T, entrypoint string) runnertest.Launcher {
	t.Helper()
	d, image := docker(t)
	launch := d.RunEntrypoint(image, entrypoint)
	return func(ctx context.Context, j *runnertest.Job, env map[string]string) *exec.Cmd {
		cmd := launch(ctx, j, env)
		for _, arg := range cmd.Args {
			name, _, ok := strings.Cut(arg, "=")
			if _, isVar := env[name]; ok && isVar && arg != "GITHUB_ACTIONS=true" && arg != "CI=true" {
				t.Errorf("the docker command line carries the value of %s", name)
			}
		}
		for name, v := range env {
			if strings.HasPrefix(name, "INPUT_") && len(v) >= 8 && strings.Contains(strings.Join(cmd.Args, " "), v) {
				t.Errorf("the docker command line carries the value of %s", name)
			}
		}
		return cmd
	}
}
