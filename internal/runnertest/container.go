//go:build linux

package runnertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

// BuildahRoot is the directory of the buildah storage that
// scripts/container-test.sh builds the image into and Container runs it
// from: $ASSUME_ROLE_BUILDAH_ROOT, or /var/tmp/assume-role-buildah.
func BuildahRoot() string {
	if d := os.Getenv("ASSUME_ROLE_BUILDAH_ROOT"); d != "" {
		return d
	}
	return "/var/tmp/assume-role-buildah"
}

// Mount is one bind mount of a container action.
type Mount struct {
	Host, Container string
}

// ContainerMounts returns the runner's mounts for a container action of the
// job, most specific first: the order in which the runner looks them up to
// translate paths (runner-contract §1.2–1.3). The runner's
// /var/run/docker.sock mount is not among them: the runner does not
// translate paths under it, Docker adds it (the engine's own socket), and
// Container, which runs without an engine, leaves it out; the action does
// not use it.
func ContainerMounts(d Dirs) []Mount {
	// The runner adds them in the reverse order and inserts each at the
	// front of its list.
	return []Mount{
		{d.Workspace, "/github/workspace"},
		{d.FileCommands, "/github/file_commands"},
		{d.Workflow, "/github/workflow"},
		{d.Home, "/github/home"},
		{d.Temp, "/github/runner_temp"},
	}
}

// ContainerPath translates a host path as the runner's
// ContainerInfo.TranslateToContainerPath does: the first mount whose host
// path equals p, or is a directory that p is under, wins; anything else is
// returned unchanged.
func ContainerPath(p string, mounts []Mount) string {
	for _, m := range mounts {
		if p == m.Host {
			return m.Container
		}
		if strings.HasPrefix(p, m.Host+"/") {
			return m.Container + p[len(m.Host):]
		}
	}
	return p
}

// ContainerEnv returns env as the container sees it: every value
// translated by ContainerPath, and HOME=/github/home, which the runner forces.
func ContainerEnv(env map[string]string, mounts []Mount) map[string]string {
	out := make(map[string]string, len(env)+1)
	for k, v := range env {
		out[k] = ContainerPath(v, mounts)
	}
	out["HOME"] = "/github/home"
	return out
}

// Container runs image the way the runner runs a container action's main
// stage: ContainerEntrypoint with no entrypoint of its own, so the image's
// ENTRYPOINT runs.
func Container(image string) Launcher {
	return ContainerEntrypoint(image, "")
}

// ContainerEntrypoint runs image the way the runner runs one stage of a
// container action (`docker run --rm --workdir /github/workspace
// [--entrypoint …] -v … image`, runner-contract §1.2), with buildah in
// chroot isolation from the storage at BuildahRoot: the runner's five
// mounts, the working directory /github/workspace, and env with its host
// paths translated. Chroot isolation shares the host's network namespace,
// so the action reaches a server on the host's 127.0.0.1.
//
// The command is what docker would run: with entrypoint "" the image's
// ENTRYPOINT followed by its CMD, both read from the image's configuration;
// otherwise entrypoint alone, as `docker run --entrypoint` runs it (one
// executable, the image's CMD dropped), which is how the runner starts the
// pre and post stages (pre-entrypoint, post-entrypoint). The runner gives a
// later stage the state an earlier one saved as STATE_<name> variables;
// the caller puts those in env.
//
// Each call makes a working container (the analogue of `docker run --rm`)
// and removes it when the action exits. That happens inside the returned
// command, a small bash wrapper around `buildah from`, `buildah run` and
// `buildah rm`, so Run returns only once the container is gone. When the
// context ends, the wrapper's process group gets SIGTERM; buildah then
// kills the action (seen: exit status 1, "subprocess exited on killed" on
// stderr, no graceful shutdown as after docker stop's SIGTERM) and the
// container is still removed. A test binary killed outright leaves an
// assume-role-run-<pid>-* container behind, which the next
// scripts/container-test.sh removes.
//
// Unlike the runner, which passes only names (`-e NAME`) and the values
// through the docker CLI's environment, buildah run accepts only
// `--env NAME=value`: the values, secrets included, are on buildah's
// command line. Acceptable for tests with the emulator's throw-away keys,
// never for real ones. buildah's own messages about a non-zero exit
// ("subprocess exited with status N", "Error: exit status N"), which docker
// does not print, are removed from the end of stderr.
func ContainerEntrypoint(image, entrypoint string) Launcher {
	return func(ctx context.Context, j *Job, env map[string]string) *exec.Cmd {
		mounts := ContainerMounts(j.Dirs)
		args := []string{"-c", containerRun, "container-run", BuildahRoot(), image, entrypoint,
			"--workingdir", "/github/workspace"}
		for _, m := range mounts {
			if strings.ContainsAny(m.Host, ":,") {
				panic(fmt.Sprintf("runnertest: cannot bind-mount %q with buildah: it contains ':' or ','", m.Host))
			}
			args = append(args, "--volume", m.Host+":"+m.Container)
		}
		cenv := ContainerEnv(env, mounts)
		names := make([]string, 0, len(cenv))
		for k := range cenv {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			args = append(args, "--env", k+"="+cenv[k])
		}
		cmd := exec.CommandContext(ctx, "bash", args...)
		cmd.Dir = j.Dirs.Root
		// A group of its own, so that cancelling reaches the wrapper,
		// buildah and the action, and the wrapper can still clean up.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error {
			return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		}
		cmd.WaitDelay = 20 * time.Second
		return cmd
	}
}

// containerRun is the wrapper that ContainerEntrypoint runs with bash:
// $1 the storage root, $2 the image, $3 the entrypoint ("" for the
// image's), then buildah run's options. buildah run never applies the
// image's ENTRYPOINT or CMD itself, so the wrapper reads them from the
// image, NUL-separated, and passes the whole command. Exit status 125 is
// docker's for a container that could not be started.
const containerRun = `set -u
root=$1 image=$2 entrypoint=$3
shift 3
bh=(buildah --root "$root/storage" --runroot "$root/run" --storage-driver vfs)
errfile=$(mktemp) || exit 125
stopped=0 pid=
trap 'stopped=1; [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null' TERM INT HUP
if [ -n "$entrypoint" ]; then
	argv=("$entrypoint")
else
	"${bh[@]}" inspect --type image \
		--format '{{range .OCIv1.Config.Entrypoint}}{{.}}{{"\x00"}}{{end}}{{range .OCIv1.Config.Cmd}}{{.}}{{"\x00"}}{{end}}' \
		"$image" >"$errfile" || { rm -f "$errfile"; exit 125; }
	readarray -d '' argv <"$errfile"
	if [ "${#argv[@]}" -eq 0 ]; then
		echo "container-run: $image has neither ENTRYPOINT nor CMD" >&2
		rm -f "$errfile"
		exit 125
	fi
fi
ctr=$("${bh[@]}" from --pull=never --quiet --name "assume-role-run-$$-$(date +%s%N)" "$image") || { rm -f "$errfile"; exit 125; }
if [ "$stopped" = 1 ]; then
	"${bh[@]}" rm "$ctr" >/dev/null
	rm -f "$errfile"
	exit 143
fi
"${bh[@]}" run --isolation chroot "$@" "$ctr" -- "${argv[@]}" 2>"$errfile" &
pid=$!
while :; do
	wait "$pid"
	rc=$?
	kill -0 "$pid" 2>/dev/null || break
done
"${bh[@]}" rm "$ctr" >/dev/null || echo "container-run: could not remove the working container $ctr" >&2
IFS= read -r -d '' err <"$errfile"
rm -f "$errfile"
if [ "$rc" -ne 0 ]; then
	again=1
	while [ "$again" = 1 ]; do
		again=0
		for s in "subprocess exited with status $rc" "Error: exit status $rc"; do
			if [[ $err == *"$s"$'\n' ]]; then
				err=${err%"$s"$'\n'}
				again=1
			fi
		done
	done
fi
printf '%s' "$err" >&2
exit "$rc"
`
