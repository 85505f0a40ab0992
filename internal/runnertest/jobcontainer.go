//go:build linux

package runnertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// JobContainerMounts returns the runner's mounts of a job container (a job
// with `container:`), most specific first: the order in which the runner
// translates the host paths in a later step's environment
// (runner-contract §9). The externals, tool cache and Docker socket are
// left out: nothing here uses them.
func JobContainerMounts(d Dirs) []Mount {
	return []Mount{
		{d.Workflow, "/github/workflow"},
		{d.Home, "/github/home"},
		{d.Work, "/__w"},
	}
}

// KubernetesActionMounts returns what a container action's pod mounts on a
// Kubernetes-mode runner with container hooks up to v0.6
// (runner-container-hooks containerVolumes): the runner's work volume at
// /__w, and the workspace, file commands and workflow directories at their
// /github paths; no /github/home (actions/runner-container-hooks#181) and
// no /github/runner_temp. The runner still translates the environment for
// the mounts of ContainerMounts.
func KubernetesActionMounts(d Dirs) []Mount {
	return []Mount{
		{d.Workspace, "/github/workspace"},
		{d.FileCommands, "/github/file_commands"},
		{d.Workflow, "/github/workflow"},
		{d.Work, "/__w"},
	}
}

// UnsharedTempMounts returns the mounts of a runner that shares only the
// workspace and the step's own files with a container action: nothing of
// the runner's temp directory but the file commands, no home, no /__w. What
// the action writes anywhere else is gone when it exits.
func UnsharedTempMounts(d Dirs) []Mount {
	return []Mount{
		{d.Workspace, "/github/workspace"},
		{d.FileCommands, "/github/file_commands"},
		{d.Workflow, "/github/workflow"},
	}
}

// Isolated runs the static binary at path as a container action's main
// stage whose container has the given mounts (ContainerMounts for GitHub's
// runner, KubernetesActionMounts, UnsharedTempMounts), with the environment
// the runner gives it: host paths translated for ContainerMounts, HOME
// /github/home, working directory /github/workspace. The binary is
// /assume-role in a fresh root (see ContainerCommand), so that a path of
// the host in anything it writes points nowhere. It needs root, like
// Container, and no image.
func Isolated(path string, mounts func(Dirs) []Mount) Launcher {
	return IsolatedAs(path, "/assume-role", mounts)
}

// IsolatedAs is Isolated with the binary at name in the root, such as
// /cleanup for the post stage (the image's link to /assume-role, whose name
// tells the binary which stage it is).
func IsolatedAs(path, name string, mounts func(Dirs) []Mount) Launcher {
	return func(ctx context.Context, j *Job, env map[string]string) *exec.Cmd {
		binds := append(mounts(j.Dirs), Mount{path, name})
		return j.isolated(ctx, binds, ContainerEnv(env, ContainerMounts(j.Dirs)), "/github/workspace", name)
	}
}

// ContainerCommand returns argv as a later run: step of a job with
// `container:` runs it (the runner's `docker exec` into the job container):
// the job's environment with its host paths translated for
// JobContainerMounts, HOME /github/home, in the workspace as /__w sees it.
//
// The job container is a fresh root file system, private to a mount
// namespace (unshare -m): the host's /usr, /etc and libraries for the
// programs (the AWS CLI), a private /tmp, /dev and /proc, and the job's
// directories bound at /__w, /github/home and /github/workflow. Nothing
// else of the host is there, the job's own directories under their host
// names least of all, so a host path written inside a file (a
// credential_process command) fails as it would in the job container. The
// mounts vanish with the namespace when the command exits.
func (j *Job) ContainerCommand(ctx context.Context, argv ...string) *exec.Cmd {
	env := j.runEnv()
	env["RUNNER_WORKSPACE"] = filepath.Dir(j.Dirs.Workspace)
	mounts := JobContainerMounts(j.Dirs)
	cenv := ContainerEnv(env, mounts)
	return j.isolated(ctx, mounts, cenv, ContainerPath(j.Dirs.Workspace, mounts), argv...)
}

// ContainerShell runs ContainerCommand for a test and returns what it wrote
// and its exit code. It skips without root, except under CI=true.
func (j *Job) ContainerShell(t testing.TB, timeout time.Duration, argv ...string) (stdout, stderr string, code int) {
	t.Helper()
	RequireIsolation(t)
	return runTest(t, timeout, argv, j.ContainerCommand)
}

// RequireIsolation skips the test unless it can make the fresh roots of
// ContainerCommand and Isolated (root and unshare), and fails it under
// CI=true, where .ci/run runs as root.
func RequireIsolation(t testing.TB) {
	t.Helper()
	why := ""
	if _, err := exec.LookPath("unshare"); err != nil {
		why = "unshare (util-linux) is missing"
	} else if os.Geteuid() != 0 {
		why = "not root: a mount namespace with bind mounts needs root"
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: .ci/run runs as root)", why)
	}
	t.Skip(why)
}

// isolated runs argv in a fresh root with binds (host path, path in the
// root), env and working directory cwd (a path in the root).
func (j *Job) isolated(ctx context.Context, binds []Mount, env map[string]string, cwd string, argv ...string) *exec.Cmd {
	root, err := os.MkdirTemp(j.Dirs.Root, "root-")
	if err != nil {
		// The command then fails with the reason; a Launcher cannot fail.
		root = filepath.Join(j.Dirs.Root, "root-missing")
	}
	args := []string{"--mount", "--propagation", "private", "bash", "-c", isolatedRun, "isolated-run", root, cwd}
	for _, b := range binds {
		if strings.Contains(b.Host, "\x00") || strings.Contains(b.Container, "\x00") || b.Container == "" || b.Container[0] != '/' {
			panic(fmt.Sprintf("runnertest: bad mount %+v", b))
		}
		args = append(args, b.Host, b.Container)
	}
	args = append(args, "--")
	args = append(args, argv...)
	cmd := exec.CommandContext(ctx, "unshare", args...)
	cmd.Env = Environ(env)
	cmd.Dir = j.Dirs.Root
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// isolatedRun builds the fresh root in a new mount namespace and runs the
// command there: $1 the root, $2 the working directory, then pairs of host
// path and path in the root up to "--", then the command. Binds of files
// (the action's binary) get a file to mount on, directories a directory.
// The programs it calls are looked up on the caller's PATH before chroot.
const isolatedRun = `set -eu
root=$1 cwd=$2
shift 2
mount -t tmpfs -o mode=0755 jobroot "$root"
for d in usr etc bin sbin lib lib32 lib64 libx32; do
	if [ -L "/$d" ]; then
		ln -s "$(readlink "/$d")" "$root/$d"
	elif [ -d "/$d" ]; then
		mkdir "$root/$d"
		mount --rbind "/$d" "$root/$d"
	fi
done
mkdir -p "$root/dev" "$root/proc" "$root/tmp"
chmod 1777 "$root/tmp"
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
while [ "$1" != -- ]; do
	src=$1 dst=$root$2
	shift 2
	if [ -d "$src" ]; then
		mkdir -p "$dst"
	else
		mkdir -p "$(dirname "$dst")"
		: >"$dst"
	fi
	mount --bind "$src" "$dst"
done
shift
exec chroot "$root" /usr/bin/env -C "$cwd" "$@"
`
