#!/usr/bin/env bash
# container-test.sh builds the action's image from ./Dockerfile with buildah,
# on a machine with no Docker engine and no reachable registry, and prints
# the image and binary sizes.
#
# The Dockerfile's builder (ARG GO_IMAGE, golang:1.26-bookworm on a real
# runner) cannot be pulled here, so a stand-in is assembled from the host's
# own Go toolchain: a trimmed GOROOT at /usr/local/go, busybox as /bin/sh and
# the host's CA bundle. It is tagged with the Go version and rebuilt only when
# that tag is missing or was made from a different `go version`.
#
# Usage: scripts/container-test.sh [image-tag]     (default localhost/assume-role:test)
#
# Environment:
#   ASSUME_ROLE_BUILDAH_ROOT  buildah storage, kept between runs so that
#                             re-runs are warm (default /var/tmp/assume-role-buildah).
#                             internal/runnertest.ContainerEntrypoint uses the
#                             same default.
#   ASSUME_ROLE_HOST_CACHES   1 (default): bind-mount the host's module and
#                             build caches into the build's RUN steps (fast,
#                             works offline). 0: a clean-room build that
#                             downloads modules through GOPROXY and compiles
#                             everything, as a real runner does.
#
# Needs root, buildah and a static busybox (Debian: buildah busybox-static).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
image=${1:-localhost/assume-role:test}
root=${ASSUME_ROLE_BUILDAH_ROOT:-/var/tmp/assume-role-buildah}
host_caches=${ASSUME_ROLE_HOST_CACHES:-1}
# Bump when the way the builder is assembled changes, to force a rebuild.
recipe=r1

die() { echo "container-test: $*" >&2; exit 1; }
bh() { buildah --root "$root/storage" --runroot "$root/run" --storage-driver vfs "$@"; }

[[ $EUID -eq 0 ]] || die "must run as root (buildah's chroot isolation without user namespaces)"
command -v buildah >/dev/null || die "buildah is missing: apt-get install -y buildah busybox-static"
command -v go >/dev/null || die "go is missing from PATH"
busybox=/bin/busybox
[[ -x $busybox ]] || die "$busybox is missing: apt-get install -y busybox-static"
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked and cannot run in a scratch image: apt-get install -y busybox-static"
fi
cabundle=/etc/ssl/certs/ca-certificates.crt
[[ -r $cabundle ]] || die "$cabundle is missing: apt-get install -y ca-certificates"

mkdir -p "$root"
# One build at a time per storage: concurrent `go test` runs share it.
exec 9>"$root/lock"
flock 9

# Working containers of runnertest.ContainerEntrypoint are named
# assume-role-run-<pid>-<n>; remove those whose process is gone (a test
# binary killed before it could clean up).
while read -r name; do
	[[ $name =~ ^assume-role-(run|builder)-([0-9]+)- ]] || continue
	kill -0 "${BASH_REMATCH[2]}" 2>/dev/null && continue
	bh rm "$name" >/dev/null 2>&1 || true
done < <(bh containers --noheading --format '{{.ContainerName}}')
# e2e/container_test.go tags its image localhost/assume-role:e2e-<pid>, so
# that concurrent test binaries never run each other's build; drop the tags
# of test binaries that are gone.
while read -r name; do
	[[ $name =~ ^localhost/assume-role:e2e-([0-9]+)$ ]] || continue
	kill -0 "${BASH_REMATCH[1]}" 2>/dev/null && continue
	bh rmi "$name" >/dev/null 2>&1 || true
done < <(bh images --noheading --format '{{.Name}}:{{.Tag}}')

t0=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }

# --- The builder stand-in ----------------------------------------------------
goroot=$(go env GOROOT)
gover=$(go env GOVERSION)
goversion=$(go version)
builder=localhost/assume-role-go:${gover#go}-$recipe

have=$(bh inspect --type image --format '{{index .OCIv1.Config.Labels "io.github.assume-role.go-version"}}' "$builder" 2>/dev/null || true)
if [[ $have != "$goversion" ]]; then
	echo "container-test: assembling $builder from $goroot ($goversion)"
	tb=$(date +%s.%N)
	ctr=$(bh from --name "assume-role-builder-$$-0" scratch)
	trap 'bh rm "$ctr" >/dev/null 2>&1 || true' EXIT
	mnt=$(bh mount "$ctr")
	mkdir -p "$mnt"/{bin,tmp,root,etc/ssl/certs,usr/local/go,go/bin,go/pkg/mod}
	chmod 1777 "$mnt/tmp"
	# Only what `CGO_ENABLED=0 go build` reads: the go command, the compiler,
	# assembler and linker, the assembler's headers, and the standard library's
	# sources without tests and the toolchain's own commands. vfs copies the
	# whole tree for every layer, so every megabyte left out counts.
	tar -C "$goroot" -cf - \
		--exclude=src/cmd --exclude=testdata --exclude='*_test.go' \
		bin/go pkg/tool/linux_amd64/compile pkg/tool/linux_amd64/asm pkg/tool/linux_amd64/link \
		pkg/include src go.env VERSION |
		tar -C "$mnt/usr/local/go" -xf -
	cp "$busybox" "$mnt/bin/busybox"
	for applet in sh ls cat env mkdir rm wget; do ln -s busybox "$mnt/bin/$applet"; done
	cp "$cabundle" "$mnt/etc/ssl/certs/ca-certificates.crt"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$mnt/etc/passwd"
	bh unmount "$ctr" >/dev/null
	# The same configuration as the golang image.
	bh config \
		--env PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		--env GOPATH=/go --env GOTOOLCHAIN=local --env GOLANG_VERSION="${gover#go}" \
		--workingdir /go \
		--label io.github.assume-role.go-version="$goversion" \
		"$ctr"
	bh commit --quiet --rm "$ctr" "$builder" >/dev/null
	trap - EXIT
	echo "container-test: builder ready in $(elapsed "$tb")"
else
	echo "container-test: reusing $builder"
fi

# --- The action's image --------------------------------------------------------
bud=(bud --isolation chroot --pull=never --build-arg GO_IMAGE="$builder" -t "$image" -f "$repo/Dockerfile")
if [[ $host_caches == 1 ]]; then
	# RUN steps see the host's caches; the Dockerfile itself is unchanged.
	bud+=(-v "$(go env GOMODCACHE):/go/pkg/mod" -v "$(go env GOCACHE):/root/.cache/go-build")
fi
tb=$(date +%s.%N)
bh "${bud[@]}" "$repo" >&2
echo "container-test: built $image in $(elapsed "$tb")"
# Drop the previous build of the tag, now untagged.
bh rmi --prune >/dev/null 2>&1 || true

# --- Sizes -------------------------------------------------------------------------
# The image as stored: the sum of its (uncompressed) layers, which is what
# `buildah images` rounds; and the binary itself.
size=$(bh inspect --type image --format '{{.Manifest}}' "$image" |
	grep -o '"layers":.*' | grep -o '"size":[0-9]*' | awk -F: '{ n += $2 } END { print n }')
ctr=$(bh from --pull=never --quiet --name "assume-role-builder-$$-1" "$image")
trap 'bh rm "$ctr" >/dev/null 2>&1 || true' EXIT
mnt=$(bh mount "$ctr")
binary=$(stat -c %s "$mnt/assume-role")
# The post stage's entrypoint (action.yml post-entrypoint: /cleanup): the
# binary under another name, which is how it knows to clean up.
link=$(readlink "$mnt/cleanup" || true)
bh unmount "$ctr" >/dev/null
[[ $link == /assume-role ]] || die "/cleanup in $image links to '$link', want /assume-role"
bh rm "$ctr" >/dev/null
trap - EXIT
mib() { awk -v n="$1" 'BEGIN { printf "%.2f MiB", n / 1048576 }'; }
echo "container-test: image $image: $size bytes ($(mib "$size")) in layers, $(bh images --noheading --format '{{.Size}}' "$image") per buildah images"
echo "container-test: binary /assume-role: $binary bytes ($(mib "$binary"))"
echo "container-test: total $(elapsed "$t0")"
