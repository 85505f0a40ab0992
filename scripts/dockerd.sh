#!/usr/bin/env bash
# dockerd.sh starts and stops a private Docker engine: its own socket, data
# root and exec root under one folder, so that it shares nothing with any
# other engine on the machine, and it touches neither iptables nor network
# links (no bridge: containers run with --network host or none).
#
# Usage:
#   scripts/dockerd.sh start DIR
#       Creates DIR, starts dockerd with
#         --storage-driver=overlay2 --iptables=false --ip6tables=false
#         --bridge=none --host unix://DIR/docker.sock --data-root DIR/data
#         --exec-root DIR/exec --pidfile DIR/dockerd.pid
#         --config-file DIR/daemon.json (empty: /etc/docker is not read)
#       in the background, logging to DIR/dockerd.log, waits until
#       `docker -H unix://DIR/docker.sock version` answers, and prints the
#       DOCKER_HOST value (unix://DIR/docker.sock) as the only line on stdout.
#       If the engine recorded in DIR/dockerd.pid is already running, it only
#       prints that value. On failure it prints the log's tail to stderr,
#       stops what it started and exits non-zero.
#   scripts/dockerd.sh stop DIR
#       Stops the engine by the PID it recorded in DIR/dockerd.pid (SIGTERM,
#       then SIGKILL after ASSUME_ROLE_DOCKERD_STOP_TIMEOUT seconds), also its
#       containerd by the PID that one recorded, waits for both to exit,
#       kills what a dead dockerd left running (container processes recorded
#       in their init.pid files, and their shims), and unmounts whatever is still mounted under DIR (dockerd leaves
#       DIR/exec/netns/default behind), so that `rm -rf DIR` works after it.
#       Never stops a process by name. Safe to call twice, on a DIR whose start
#       failed, or on a DIR that does not exist.
#
# A PID is only signalled if its command line is a dockerd (or containerd)
# that uses DIR, so a stale pidfile whose PID was reused is harmless.
#
# Environment:
#   ASSUME_ROLE_DOCKERD_START_TIMEOUT  seconds to wait for the engine (default 60)
#   ASSUME_ROLE_DOCKERD_STOP_TIMEOUT   seconds to wait after SIGTERM (default 30)
#
# Needs root and dockerd (Debian: docker.io). The socket path must fit in a
# unix socket address (107 bytes), so keep DIR short.
set -euo pipefail

die() { echo "dockerd.sh: $*" >&2; exit 1; }
usage() { die "usage: $0 start|stop DIR"; }

[[ $# -eq 2 ]] || usage
cmd=$1
dir=$2
[[ -n $dir ]] || usage
start_timeout=${ASSUME_ROLE_DOCKERD_START_TIMEOUT:-60}
stop_timeout=${ASSUME_ROLE_DOCKERD_STOP_TIMEOUT:-30}

# ours PID NAME: PID is alive and is a NAME process started for $dir.
ours() {
	local pid=$1 name=$2 cmdline
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	cmdline=$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null) || return 1
	[[ $cmdline == *"$name"* && $cmdline == *"$dir/"* ]]
}

# alive PID: PID exists and is not a zombie.
alive() {
	local state
	state=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
	[[ -n $state && $state != Z ]]
}

# wait_exit PID SECONDS: 0 once PID is gone, 1 if it is still there.
wait_exit() {
	local pid=$1 deadline=$((SECONDS + $2))
	while alive "$pid"; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

# terminate PID NAME: SIGTERM, wait, SIGKILL, wait.
terminate() {
	local pid=$1 name=$2
	ours "$pid" "$name" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	if ! wait_exit "$pid" "$stop_timeout"; then
		echo "dockerd.sh: $name $pid did not stop within ${stop_timeout}s, killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
		wait_exit "$pid" 10 || die "$name $pid does not exit"
	fi
}

# unmount_all: unmount every mount point at or under $dir, deepest first.
unmount_all() {
	local m
	# mountinfo field 5 is the mount point, with spaces as \040.
	awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r m; do
		m=$(printf '%b' "$m")
		umount "$m" 2>/dev/null || umount -l "$m" ||
			echo "dockerd.sh: cannot unmount $m" >&2
	done
}

# orphans: after a dockerd that was SIGKILLed (or died), its containers'
# shims and processes keep running. Each container's init PID is recorded
# under the exec root; kill it and its parent, the shim, when that parent is
# a containerd-shim of this engine.
orphans() {
	local f pid shim
	for f in "$dir"/exec/containerd/daemon/io.containerd.runtime.v2.task/*/*/init.pid; do
		[[ -r $f ]] || continue
		pid=$(<"$f")
		[[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || continue
		shim=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || continue
		ours "$shim" containerd-shim || continue
		echo "dockerd.sh: killing container process $pid and its shim $shim, left by a dead dockerd" >&2
		kill -KILL "$pid" 2>/dev/null || true
		wait_exit "$pid" 10 || true
		terminate "$shim" containerd-shim
	done
}

stop() {
	[[ -d $dir ]] || return 0
	local pid="" cpid=""
	[[ -r $dir/dockerd.pid ]] && pid=$(<"$dir/dockerd.pid")
	# dockerd's own containerd; read it before dockerd exits and removes it.
	[[ -r $dir/exec/containerd/containerd.pid ]] && cpid=$(<"$dir/exec/containerd/containerd.pid")
	[[ -n $pid ]] && terminate "$pid" dockerd
	# dockerd stops its containerd on a clean exit; after a SIGKILL it would not.
	[[ -n $cpid ]] && terminate "$cpid" containerd
	orphans
	rm -f "$dir/dockerd.pid"
	unmount_all
}

start() {
	command -v dockerd >/dev/null || die "dockerd is missing: apt-get install -y docker.io"
	command -v docker >/dev/null || die "docker (the client) is missing: apt-get install -y docker.io"
	[[ $EUID -eq 0 ]] || die "must run as root"
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd -P)
	local host=unix://$dir/docker.sock
	((${#dir} + 12 <= 107)) || die "$dir/docker.sock is too long for a unix socket; use a shorter DIR"

	if [[ -r $dir/dockerd.pid ]] && ours "$(<"$dir/dockerd.pid")" dockerd &&
		docker -H "$host" version >/dev/null 2>&1; then
		echo "$host"
		return 0
	fi

	mkdir -p "$dir/data" "$dir/exec"
	echo '{}' >"$dir/daemon.json"
	# stdin and stdout are not inherited, so a caller reading this script's
	# stdout (a test's exec.Command) sees EOF when the script exits.
	dockerd --storage-driver=overlay2 --iptables=false --ip6tables=false --bridge=none \
		--host "$host" --data-root "$dir/data" --exec-root "$dir/exec" \
		--pidfile "$dir/dockerd.pid" --config-file "$dir/daemon.json" \
		</dev/null >>"$dir/dockerd.log" 2>&1 &
	local pid=$!

	local deadline=$((SECONDS + start_timeout))
	until docker -H "$host" version >/dev/null 2>&1; do
		if ! alive "$pid" || ((SECONDS >= deadline)); then
			if alive "$pid"; then
				echo "dockerd.sh: dockerd $pid not ready after ${start_timeout}s" >&2
			else
				echo "dockerd.sh: dockerd exited during start" >&2
			fi
			tail -n 20 "$dir/dockerd.log" >&2 || true
			# The pidfile may not be written yet: stop by the PID from $!.
			[[ -r $dir/dockerd.pid ]] || echo "$pid" >"$dir/dockerd.pid"
			stop
			exit 1
		fi
		sleep 0.1
	done
	echo "$host"
}

case $cmd in
start) start ;;
stop)
	[[ -d $dir ]] && dir=$(cd "$dir" && pwd -P)
	stop
	;;
*) usage ;;
esac
