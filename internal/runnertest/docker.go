//go:build linux

package runnertest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Docker runs a container action's image on a Docker engine with the
// `docker run` command line that GitHub's runner builds
// (actions/runner DockerCommandManager.DockerRun, runner-contract §1.2):
//
//	docker run --name <image, sanitized>_<6 hex> --label <label>
//	  --workdir /github/workspace --rm
//	  -e NAME … -e GITHUB_ACTIONS=true [-e CI=true] [--entrypoint <exe>]
//	  [--network <net>]
//	  -v <docker socket>:/var/run/docker.sock -v <_temp>:/github/runner_temp
//	  -v <_temp>/_github_home:/github/home
//	  -v <_temp>/_github_workflow:/github/workflow
//	  -v <_temp>/_runner_file_commands:/github/file_commands
//	  -v <workspace>:/github/workspace <image>
//
// Only the names of the variables are on the command line; their values,
// host paths translated as the runner does (ContainerEnv), are the docker
// CLI's own environment, from which `-e NAME` copies them. So no value,
// and no secret, is ever in an argv that ps or the runner's
// `##[command]` log line shows. Unlike Container (buildah), there is no
// wrapper: the docker CLI and the engine do what they do under the runner.
type Docker struct {
	// Host is the engine's address, passed as `docker --host` (the
	// caller's DOCKER_HOST is not consulted): "unix:///…/docker.sock".
	// Its socket is what the runner's /var/run/docker.sock mount binds.
	Host string
	// Network is the --network value. The runner gives none (the default
	// bridge) unless the job has a container or services (then the job's
	// network). A test engine started with --bridge=none has no bridge, and
	// an STS emulator listening on the host's 127.0.0.1 is reachable only
	// from the host's network namespace: tests set "host".
	Network string
}

// Run runs the image's main stage: no --entrypoint, so the image's
// ENTRYPOINT and CMD run, as for an action.yml without runs.entrypoint.
func (d Docker) Run(image string) Launcher {
	return d.RunEntrypoint(image, "")
}

// RunEntrypoint runs one stage with `--entrypoint entrypoint` ("" for
// none): the runner starts the pre and post stages with pre-entrypoint and
// post-entrypoint, a single executable that replaces the image's
// ENTRYPOINT and drops its CMD. A later stage gets the state an earlier
// one saved as STATE_<name> variables; the caller puts those in env.
//
// Each stage is a new `--rm` container. When the context ends, the docker
// CLI gets SIGTERM and, attached without a TTY, forwards it to the
// container (docker run's default --sig-proxy); the action shuts down and
// the engine removes the container.
func (d Docker) RunEntrypoint(image, entrypoint string) Launcher {
	return func(ctx context.Context, j *Job, env map[string]string) *exec.Cmd {
		argv, cliEnv := d.Command(j.Dirs, image, entrypoint, env)
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Env = cliEnv
		cmd.Dir = j.Dirs.Root
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
		cmd.WaitDelay = 20 * time.Second
		return cmd
	}
}

// Command returns the docker CLI's argv for one stage and the environment
// it runs with: the container's variables (env with host paths translated,
// HOME forced), which `-e NAME` passes into the container by name.
//
// GITHUB_ACTIONS and CI are the runner's literal flags rather than names:
// the runner always adds -e GITHUB_ACTIONS=true, and -e CI=true when its
// environment for the step has no CI. Job.Exec's environment always holds
// both as "true" (the binary launcher needs them), standing in for these
// flags, so they are dropped from the names when they are "true".
func (d Docker) Command(dirs Dirs, image, entrypoint string, env map[string]string) (argv, cliEnv []string) {
	mounts := ContainerMounts(dirs)
	cenv := ContainerEnv(env, mounts)
	if cenv["GITHUB_ACTIONS"] == "true" {
		delete(cenv, "GITHUB_ACTIONS")
	}
	ci, hasCI := cenv["CI"]
	if ci == "true" {
		delete(cenv, "CI")
		hasCI = false
	}
	names := make([]string, 0, len(cenv))
	for k := range cenv {
		names = append(names, k)
	}
	sort.Strings(names)

	argv = []string{"docker"}
	if d.Host != "" {
		argv = append(argv, "--host", d.Host)
	}
	argv = append(argv, "run",
		"--name", sanitizeImage(image)+"_"+randomHex(3),
		"--label", DockerLabel,
		"--workdir", "/github/workspace",
		"--rm")
	for _, k := range names {
		argv = append(argv, "-e", k)
	}
	argv = append(argv, "-e", "GITHUB_ACTIONS=true")
	if !hasCI {
		argv = append(argv, "-e", "CI=true")
	}
	if entrypoint != "" {
		argv = append(argv, "--entrypoint", entrypoint)
	}
	if d.Network != "" {
		argv = append(argv, "--network", d.Network)
	}
	// The runner's order: the socket, then the mounts from the least to
	// the most specific (ContainerMounts lists them the other way round).
	argv = append(argv, "-v", d.socket()+":/var/run/docker.sock")
	for i := len(mounts) - 1; i >= 0; i-- {
		m := mounts[i]
		if strings.Contains(m.Host, ":") {
			panic(fmt.Sprintf("runnertest: cannot bind-mount %q with docker -v: it contains ':'", m.Host))
		}
		argv = append(argv, "-v", m.Host+":"+m.Container)
	}
	argv = append(argv, image)

	cliEnv = make([]string, 0, len(names))
	for _, k := range names {
		cliEnv = append(cliEnv, k+"="+cenv[k])
	}
	return argv, cliEnv
}

// socket is the host side of the runner's -v /var/run/docker.sock mount:
// the socket of the engine that runs the container, which is what
// /var/run/docker.sock is on a runner. A private engine's socket lives
// elsewhere, and binding a host path that does not exist would make the
// engine create a directory there.
func (d Docker) socket() string {
	if p, ok := strings.CutPrefix(d.Host, "unix://"); ok {
		return p
	}
	return "/var/run/docker.sock"
}

// DockerLabel is the --label of every container Docker starts. The runner
// labels its containers with the first six hex digits of the SHA-256 of
// its .runner file, to find its own leftovers; this is the same for the
// runner simulation, so a test can find containers it left on an engine.
var DockerLabel = func() string {
	sum := sha256.Sum256([]byte("assume-role/internal/runnertest"))
	return hex.EncodeToString(sum[:])[:6]
}()

// sanitizeImage is the runner's NameValidation.Sanitize of the image for
// the container's name: ASCII letters and '_' kept, digits kept once
// something was, everything else dropped.
func sanitizeImage(image string) string {
	var b strings.Builder
	for _, c := range image {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c >= '0' && c <= '9' && b.Len() > 0:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
