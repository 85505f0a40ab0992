#!/usr/bin/env bash
# rehearse-release.sh rehearses a release of assume-role on this machine,
# with nothing reachable but 127.0.0.1, and checks what users would get:
#
#   1. starts a private Docker engine (scripts/dockerd.sh: its own socket,
#      data and exec roots, overlay2, no bridge, no iptables, a pidfile) and
#      Debian's docker-registry on 127.0.0.1;
#   2. runs the release process (internal/cmd/release, as release.yml does)
#      for REHEARSAL_VERSION against that registry, in a temporary clone of
#      this repository's HEAD: binaries, SHA256SUMS, the multi-platform image
#      pushed by digest, smoke tests, the release commit and its tag (nothing
#      is pushed anywhere);
#   3. runs a consumer's workflow (scripts/rehearsal/consumer.yml) with
#      nektos/act, `uses: assume-role/assume-role@<version>` resolved to the
#      release commit, against the project's STS emulator on 127.0.0.1:
#      keys + role, OIDC (the emulator's ID-token endpoint handed to the job),
#      AccessDenied; a later step uses the exports with the AWS CLI; the post
#      stage runs; act's whole output is scanned for every secret;
#   4. prints the release commit's `image:` line on a line of its own, and
#      the job times: the release image pulled cold from the registry, warm.
#
# Every process it starts (dockerd and its containerd, the registry, the
# emulator) is stopped by the PID it recorded, on success and on failure.
# It exits 0 only if every check passed.
#
# Usage: scripts/rehearse-release.sh [--bench]
#   --bench  also times (c) of BENCHMARKS.md: the same job with
#            `uses: <main>` (image: Dockerfile) built cold by act, from a
#            stand-in for the golang builder (see below).
#
# Environment:
#   REHEARSAL_VERSION  the rehearsed version (default v1.0.0)
#   ACT                nektos/act v0.2.89 (default: act on PATH, else ~/go/bin/act)
#   REHEARSAL_KEEP=1   keep the scratch folder (its path is printed)
#
# The job runs in a container (act -P ubuntu-latest=<image>) whose /usr is
# the host's, read-only: act's -self-hosted mode runs a container action
# without mounting the file-command files it names, so the action could not
# export. That also gives the `run:` steps the host's /usr/bin/aws.
#
# Needs root, dockerd (docker.io), docker-registry, git, go, jq, act and the
# AWS CLI v2 at /usr/bin/aws; qemu-user-static, if installed, runs the arm64
# binary in the release's smoke test.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=${REHEARSAL_VERSION:-v1.0.0}
bench=0
case ${1:-} in
--bench) bench=1 ;;
"") ;;
*) echo "usage: $0 [--bench]" >&2; exit 2 ;;
esac

die() { echo "rehearse-release: FAIL: $*" >&2; exit 1; }
say() { echo "rehearse-release: $*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

act=${ACT:-$(command -v act || echo "$HOME/go/bin/act")}
for tool in dockerd docker-registry git go jq "$act" /usr/bin/aws; do
	command -v "$tool" >/dev/null || die "$tool is missing (see .ci/run)"
done
[[ $("$act" --version) == *" 0.2.89" ]] || die "$act is not act 0.2.89: $("$act" --version)"
[[ $EUID -eq 0 ]] || die "must run as root (dockerd)"

# Short: the engine's socket path must fit in a unix socket address.
tmp=$(mktemp -d /tmp/rehearse.XXXXXX)
registry_pid="" sts_pid=""
cleanup() {
	local rc=$?
	set +e
	if [[ -n $sts_pid ]]; then kill "$sts_pid" 2>/dev/null; wait "$sts_pid" 2>/dev/null; fi
	if [[ -n $registry_pid ]]; then kill "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null; fi
	"$repo/scripts/dockerd.sh" stop "$tmp/d"
	if [[ ${REHEARSAL_KEEP:-0} == 1 ]]; then
		say "kept $tmp"
	else
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Nothing may leave the machine: every proxy-aware client (act, the action,
# the AWS CLI, go) fails fast instead of reaching any address but loopback.
export HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost
export http_proxy=$HTTP_PROXY https_proxy=$HTTPS_PROXY no_proxy=$NO_PROXY
# go itself still needs the module proxy for crane, and does not need a proxy
# variable for it: it is only unset for go below.
nogoproxy=(env -u HTTP_PROXY -u HTTPS_PROXY -u http_proxy -u https_proxy)

# --- 1. Engine and registry --------------------------------------------------
t=$(now)
DOCKER_HOST=$("$repo/scripts/dockerd.sh" start "$tmp/d")
export DOCKER_HOST
say "docker engine at $DOCKER_HOST ($(docker version --format '{{.Server.Version}}'))"

free_port() {
	local port
	for _ in $(seq 50); do
		port=$((20000 + RANDOM % 20000))
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
	done
	die "no free port"
}
port=$(free_port)
mkdir -p "$tmp/registry"
cat >"$tmp/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $tmp/registry/data
http:
  addr: 127.0.0.1:$port
  secret: rehearsal-$RANDOM$RANDOM
EOF
docker-registry serve "$tmp/registry/config.yml" </dev/null >"$tmp/registry/log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
	curl -fsS --noproxy '*' "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
	kill -0 "$registry_pid" 2>/dev/null || { cat "$tmp/registry/log" >&2; die "docker-registry exited"; }
	sleep 0.1
done
curl -fsS --noproxy '*' "http://127.0.0.1:$port/v2/" >/dev/null || die "docker-registry does not answer on 127.0.0.1:$port"
registry=127.0.0.1:$port/assume-role/assume-role
say "registry at 127.0.0.1:$port (pid $registry_pid); engine and registry up in $(secs "$t" "$(now)") s"

# --- 2. The release ---------------------------------------------------------------
clone=$tmp/assume-role
git clone -q --no-hardlinks "$repo" "$clone"
export GIT_AUTHOR_NAME="assume-role rehearsal" GIT_AUTHOR_EMAIL=rehearsal@assume-role.invalid
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
t=$(now)
(cd "$clone" && "${nogoproxy[@]}" go run ./internal/cmd/release -version "$version" -registry "$registry" \
	-dist "$tmp/dist" -summary "$tmp/release.json") | tee "$tmp/release.log"
say "release process took $(secs "$t" "$(now)") s"
index=$(jq -r .image "$tmp/release.json")
commit=$(jq -r .commit "$tmp/release.json")
[[ $(git -C "$clone" rev-parse "$version^{commit}") == "$commit" ]] || die "tag $version does not point at the release commit"
[[ $(git -C "$clone" rev-parse "$commit^") == $(git -C "$repo" rev-parse HEAD) ]] || die "the release commit's parent is not HEAD"
changed=$(git -C "$clone" diff --name-only "$commit^" "$commit")
[[ $changed == action.yml ]] || die "the release commit changes $changed, want action.yml only"
image_line=$(git -C "$clone" show "$commit:action.yml" | sed -n 's/^ *\(image: .*\)$/\1/p')
[[ $image_line == "image: docker://$index" ]] || die "release commit's action.yml says '$image_line', want image: docker://$index"
[[ $(git -C "$repo" show HEAD:action.yml | sed -n 's/^ *\(image: .*\)$/\1/p') == "image: Dockerfile" ]] ||
	die "HEAD's action.yml does not say image: Dockerfile"
(cd "$tmp/dist" && sha256sum --quiet -c SHA256SUMS) || die "SHA256SUMS does not match the binaries"
[[ $(wc -l <"$tmp/dist/SHA256SUMS") -eq 6 ]] || die "SHA256SUMS does not list six binaries"
# act reads the action from the folder: check the release commit out there.
git -C "$clone" checkout -q --detach "$version"

# --- 3. A consumer's workflow under act ----------------------------------------------
"${nogoproxy[@]}" go build -o "$tmp/sts-emulator" "$repo/internal/cmd/sts-emulator"
"$tmp/sts-emulator" -oidc -addr 127.0.0.1:0 </dev/null >"$tmp/sts.json" 2>"$tmp/sts.log" &
sts_pid=$!
for _ in $(seq 100); do
	[[ -s $tmp/sts.json ]] && break
	kill -0 "$sts_pid" 2>/dev/null || { cat "$tmp/sts.log" >&2; die "the STS emulator exited"; }
	sleep 0.1
done
banner=$(cat "$tmp/sts.json")
field() { jq -er ".$1" <<<"$banner"; }
sts_url=$(field url)
[[ $sts_url == http://127.0.0.1:* ]] || die "the emulator is not on 127.0.0.1: $sts_url"
say "STS emulator at $sts_url (pid $sts_pid)"

# The job's image: an empty root with the host's /usr mounted read-only
# (bash, the AWS CLI and its Python), made without any registry.
jobroot=$tmp/jobroot
mkdir -p "$jobroot"/{etc,tmp,root,home,usr,var/run}
for l in bin sbin lib lib64; do ln -s "usr/$l" "$jobroot/$l"; done
chmod 1777 "$jobroot/tmp"
echo 'root:x:0:0:root:/root:/bin/bash' >"$jobroot/etc/passwd"
echo 'root:x:0:' >"$jobroot/etc/group"
tar -C "$jobroot" --numeric-owner -cf - . | docker import - assume-role-rehearsal-job:latest >/dev/null

consumer=$tmp/consumer
mkdir -p "$consumer/.github/workflows" "$tmp/out" "$tmp/home"
sed "s/RELEASE_VERSION/$version/g" "$repo/scripts/rehearsal/consumer.yml" >"$consumer/.github/workflows/consumer.yml"
git -C "$consumer" init -q
git -C "$consumer" add -A
git -C "$consumer" commit -qm "a consumer"
secrets_file=$tmp/out/secrets
: >"$secrets_file"

# act_job JOB LOG [uses-ref=folder]: runs one job of the consumer workflow;
# returns act's exit code.
act_job() {
	local job=$1 log=$2 mapping=${3:-assume-role/assume-role@$version=$clone}
	(cd "$consumer" && HOME=$tmp/home "$act" push -j "$job" \
		-P ubuntu-latest=assume-role-rehearsal-job:latest \
		--container-options "-v /usr:/usr:ro -v $tmp/out:$tmp/out" \
		--network host --pull=false --action-offline-mode --no-cache-server \
		--action-cache-path "$tmp/actcache" --rm \
		--local-repository "$mapping" \
		-s AWS_ACCESS_KEY_ID="$(field access_key_id)" \
		-s AWS_SECRET_ACCESS_KEY="$(field secret_access_key)" \
		-s ID_TOKEN_REQUEST_TOKEN="$(field id_token_request_token)" \
		--var REGION="$(field region)" --var STS_URL="$sts_url" \
		--var ROLE_ARN="$(field role_arn)" --var OIDC_ROLE_ARN="$(field oidc_role_arn)" \
		--var EXTERNAL_ID_ROLE_ARN="$(field external_id_role_arn)" \
		--var ID_TOKEN_REQUEST_URL="$(field id_token_request_url)" \
		--env STS_URL="$sts_url" --env REHEARSAL_SECRETS="$secrets_file" \
		--env HTTP_PROXY="$HTTP_PROXY" --env HTTPS_PROXY="$HTTPS_PROXY" --env NO_PROXY="$NO_PROXY" \
		</dev/null >"$log" 2>&1)
}

failures=0
check() { # check DESCRIPTION COMMAND...: records a failed check, goes on.
	local what=$1
	shift
	if "$@"; then
		say "ok: $what"
	else
		echo "rehearse-release: FAILED: $what" >&2
		failures=$((failures + 1))
	fi
}
has() { grep -qF -- "$2" "$1"; }
lacks() { ! grep -qF -- "$2" "$1"; }
show_log() { sed 's/^/    | /' "$1"; }

# The release process ran the image, so the engine has it: drop it, so that
# the first job pulls it cold from the registry.
docker image rm -f "$index" >/dev/null
! docker image inspect "$index" >/dev/null 2>&1 || die "the release image is still in the engine"

declare -A took
run_job() { # run_job NAME JOB WANT_RC
	local name=$1 job=$2 want=$3 rc=0 t
	t=$(now)
	act_job "$job" "$tmp/act-$name.log" || rc=$?
	took[$name]=$(secs "$t" "$(now)")
	say "act job $job ($name): exit $rc in ${took[$name]} s"
	show_log "$tmp/act-$name.log"
	if [[ $want == 0 ]]; then
		check "$name: the job succeeded" test "$rc" -eq 0
	else
		check "$name: the job failed" test "$rc" -ne 0
	fi
}

run_job keys-cold keys 0
log=$tmp/act-keys-cold.log
check "keys: act pulled the release image from the registry" has "$log" "docker pull image=$index"
check "keys: the main stage assumed the role" has "$log" "Assumed arn:aws:iam::222222222222:role/deploy as arn:aws:sts::222222222222:assumed-role/deploy/rehearsal"
check "keys: a later step used the exports (aws sts get-caller-identity)" has "$log" "REHEARSAL keys: aws sts get-caller-identity: arn:aws:sts::222222222222:assumed-role/deploy/rehearsal"
check "keys: the post stage ran from the image (/cleanup)" has "$log" 'entrypoint=["/cleanup"]'
check "keys: the post stage succeeded" has "$log" "Success - Post Assume the role with keys"
check "keys: the post stage blanked the exports" grep -qE '::set-env:: AWS_SECRET_ACCESS_KEY=$' "$log"

run_job oidc oidc 0
log=$tmp/act-oidc.log
check "oidc: the main stage used the job's ID token" has "$log" "assumed-role/github-deploy/rehearsal-oidc"
check "oidc: a later step used the exports (aws sts get-caller-identity)" has "$log" "REHEARSAL oidc: aws sts get-caller-identity: arn:aws:sts::222222222222:assumed-role/github-deploy/rehearsal-oidc"
check "oidc: the post stage succeeded" has "$log" "Success - Post Assume the role with the job's ID token"

run_job denied denied 1
log=$tmp/act-denied.log
check "denied: the step failed" has "$log" "Failure - Main Assume a role whose trust policy refuses the caller"
check "denied: it says AccessDenied in one ::error::" test "$(grep -c '::error' "$log")" -eq 1 -a "$(grep -c 'AccessDenied' "$log")" -ge 1
check "denied: the next step did not run" lacks "$log" "REHEARSAL denied: the step after the failure ran"
check "denied: nothing was exported (outputs, env, in a failure() step)" has "$log" "REHEARSAL denied: the step failed and exported nothing"
check "denied: no ::set-env:: or ::set-output:: with a value" test -z "$(grep -E '::set-(env|output):: [A-Za-z_-]+=.' "$log" || true)"

# (b): the same job again, the image now in the engine.
run_job keys-warm keys 0

# Every secret of the rehearsal, and any JWT, must be masked everywhere in
# act's output: the long-term keys, the ID-token request token, and each
# session the jobs received (written by the jobs to a file, not the log).
mapfile -t secrets < <(
	field access_key_id
	field secret_access_key
	field id_token_request_token
	grep -v '^$' "$secrets_file"
)
check "the jobs handed over their three sessions (9 values)" test "$(grep -vc '^$' "$secrets_file")" -eq 9
leaks=0
for f in "$tmp"/act-*.log; do
	for s in "${secrets[@]}"; do
		if grep -qF -- "$s" "$f"; then
			echo "rehearse-release: LEAK: a secret (${s:0:4}…) appears unmasked in $(basename "$f")" >&2
			leaks=$((leaks + 1))
		fi
	done
	if grep -qE 'eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}' "$f"; then
		echo "rehearse-release: LEAK: a JWT appears in $(basename "$f")" >&2
		leaks=$((leaks + 1))
	fi
done
check "no secret and no JWT unmasked in act's output (${#secrets[@]} secrets, $(ls "$tmp"/act-*.log | wc -l) logs)" test "$leaks" -eq 0

# --- Benchmarks: (a) and (b) repeated, then (c) -----------------------------------
# main_step LOG: the main step's duration in seconds, as act reports it.
main_step() {
	grep -o 'Success - Main Assume the role with keys \[[^]]*\]' "$1" | grep -o '\[.*\]' | tr -d '[]' |
		awk '{ d = $0; t = 0
			if (d ~ /ms$/) { sub(/ms$/, "", d); t = d / 1000 }
			else { if (match(d, /^[0-9]+m/)) { t = substr(d, 1, RLENGTH - 1) * 60; d = substr(d, RLENGTH + 1) }; sub(/s$/, "", d); t += d }
			printf "%.2f", t }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
if [[ $bench == 1 ]]; then
	runs=${REHEARSAL_BENCH_RUNS:-5}
	: >"$tmp/bench-cold" && : >"$tmp/bench-warm"
	for i in $(seq "$runs"); do
		docker image rm -f "$index" >/dev/null
		t=$(now)
		act_job keys "$tmp/bench-cold-$i.log" || die "bench run $i (cold) failed"
		echo "$(secs "$t" "$(now)") $(main_step "$tmp/bench-cold-$i.log")" >>"$tmp/bench-cold"
		t=$(now)
		act_job keys "$tmp/bench-warm-$i.log" || die "bench run $i (warm) failed"
		echo "$(secs "$t" "$(now)") $(main_step "$tmp/bench-warm-$i.log")" >>"$tmp/bench-warm"
	done
	for kind in cold warm; do
		say "bench ($kind, $runs runs): job wall time median $(cut -d' ' -f1 "$tmp/bench-$kind" | median) s" \
			"(runs: $(cut -d' ' -f1 "$tmp/bench-$kind" | tr '\n' ' ')), main step median $(cut -d' ' -f2 "$tmp/bench-$kind" | median) s" \
			"(runs: $(cut -d' ' -f2 "$tmp/bench-$kind" | tr '\n' ' '))"
	done
	say "bench: compressed image layers: $(jq -r '.layer_bytes | to_entries | map("\(.key) \(.value) bytes") | join(", ")' "$tmp/release.json")"
	say "bench: CLI binaries: $(cd "$tmp/dist" && stat -c '%n %s' assume-role_* | tr '\n' ',' | sed 's/,$//; s/,/, /g')"

	# (c) image: Dockerfile, built cold.
	# A real runner pulls the golang builder (about 300 MB) and downloads
	# the modules; neither is reachable here, and act gives Dockerfile RUN
	# steps no network. The stand-in is the host's Go (a trimmed GOROOT)
	# with the module cache this build needs baked in (GOPROXY=off), so the
	# figure includes the build context, `go mod download` from that cache,
	# and compiling everything with an empty build cache, and excludes the
	# image pull and the module download.
	standin=$tmp/standin
	mkdir -p "$standin"/{bin,tmp,root,etc/ssl/certs,usr/local/go,go/pkg/mod}
	chmod 1777 "$standin/tmp"
	goroot=$(go env GOROOT)
	tar -C "$goroot" -cf - --exclude=src/cmd --exclude=testdata --exclude='*_test.go' \
		bin/go pkg/tool/linux_amd64/compile pkg/tool/linux_amd64/asm pkg/tool/linux_amd64/link \
		pkg/include src go.env VERSION | tar -C "$standin/usr/local/go" -xf -
	cp /bin/busybox "$standin/bin/busybox"
	for applet in sh ls cat env mkdir rm ln; do ln -s busybox "$standin/bin/$applet"; done
	cp /etc/ssl/certs/ca-certificates.crt "$standin/etc/ssl/certs/"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$standin/etc/passwd"
	(cd "$clone" && "${nogoproxy[@]}" env GOMODCACHE="$standin/go/pkg/mod" GOFLAGS=-mod=mod go mod download)
	tar -C "$standin" --numeric-owner -cf - . |
		docker import -c 'ENV PATH=/go/bin:/usr/local/go/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			-c 'ENV GOPATH=/go' -c 'ENV GOTOOLCHAIN=local' -c 'ENV GOPROXY=off' -c 'ENV GOFLAGS=-mod=mod' \
			-c 'WORKDIR /go' - assume-role-standin-go:latest >/dev/null
	src=$tmp/source
	git clone -q "$clone" "$src"
	git -C "$src" checkout -q --detach "$commit^"
	sed -i 's#^FROM golang:[^ ]* AS golang$#FROM assume-role-standin-go:latest AS golang#' "$src/Dockerfile"
	grep -q '^FROM assume-role-standin-go:latest AS golang$' "$src/Dockerfile" || die "could not swap the builder in the Dockerfile"
	sed -i "s/RELEASE_VERSION/$version/g; s#assume-role/assume-role@$version#assume-role/assume-role@main#" \
		"$consumer/.github/workflows/consumer.yml"
	git -C "$consumer" commit -qam "uses: @main"
	docker builder prune -af >/dev/null 2>&1 || true
	t=$(now)
	rc=0
	act_job keys "$tmp/act-dockerfile.log" "assume-role/assume-role@main=$src" || rc=$?
	took[dockerfile]=$(secs "$t" "$(now)")
	show_log "$tmp/act-dockerfile.log"
	check "(c): the job with image: Dockerfile succeeded" test "$rc" -eq 0
	say "bench (c): job wall time ${took[dockerfile]} s, main step (the build included) $(main_step "$tmp/act-dockerfile.log") s"
fi

say "release commit $commit, tag $version, image $index"
echo "$image_line"
say "timing (act wall time for the keys job, set-up to clean-up): (a) release image pulled cold ${took[keys-cold]} s, (b) warm ${took[keys-warm]} s${took[dockerfile]:+, (c) image: Dockerfile built cold ${took[dockerfile]} s}"
for name in keys-cold keys-warm ${took[dockerfile]:+dockerfile}; do
	f=$tmp/act-$name.log
	say "  $name: main step $(grep -o 'Success - Main Assume the role with keys \[[^]]*\]' "$f" | grep -o '\[.*\]'), post step $(grep -o 'Success - Post Assume the role with keys \[[^]]*\]' "$f" | grep -o '\[.*\]')"
done
if ((failures > 0)); then
	die "$failures check(s) failed"
fi
say "all checks passed"
