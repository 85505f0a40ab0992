#!/usr/bin/env bash
# release-gate.sh VERSION SOURCE: may SOURCE be released as VERSION?
# .github/workflows/release.yml runs it in its first job, and again in its
# last one, right before anything is published: a release is only made of a
# commit that is on main and for which the ci workflow passed on a push, and
# only once per version.
#
# On success it prints, as GITHUB_OUTPUT lines, what the moving tags do:
#   major=vX minor=vX.Y prerelease=true|false move-minor=true|false move-major=true|false
# vX.Y and vX move only to the newest stable release of their line: a fix
# released as v1.2.4 after v1.3.0 moves v1.2, not v1.
#
# Needs gh with GH_TOKEN (contents: read and actions: read on the repository)
# and GITHUB_REPOSITORY.
set -euo pipefail

die() { echo "::error::$*" >&2; exit 1; }
[[ $# -eq 2 ]] || die "usage: $0 VERSION SOURCE"
version=$1 source=$2
repo=${GITHUB_REPOSITORY:?}

# The same syntax internal/release.ParseVersion accepts.
re='^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z]+(\.[0-9A-Za-z]+)*)?$'
[[ $version =~ $re ]] || die "version '$version' is not vMAJOR.MINOR.PATCH[-PRERELEASE], such as v1.2.3 or v1.3.0-rc.1"
major=v${BASH_REMATCH[1]}
minor=$major.${BASH_REMATCH[2]}
prerelease=false
[[ -n ${BASH_REMATCH[4]} ]] && prerelease=true
[[ $source =~ ^[0-9a-f]{40}$ ]] || die "source '$source' is not a full commit SHA"

# On main: main is SOURCE or a descendant of it.
status=$(gh api "repos/$repo/compare/$source...main" --jq .status) ||
	die "cannot compare $source with main"
[[ $status == identical || $status == ahead ]] ||
	die "$source is not on main (main is '$status' of it); release only commits of main"

# CI passed: a successful run of the ci workflow on a push of SOURCE.
passed=$(gh api "repos/$repo/actions/workflows/ci.yml/runs?head_sha=$source&event=push&status=success&per_page=1" \
	--jq .total_count) || die "cannot list the ci runs of $source"
[[ $passed -ge 1 ]] || die "the ci workflow has not passed on a push of $source; wait for it, or fix main"

# A new version: the tag does not exist yet (a release is never redone).
if gh api "repos/$repo/git/ref/tags/$version" >/dev/null 2>&1; then
	die "tag $version already exists; release a new version"
fi

# The newest stable release of a line (PREFIX. and a pattern for the rest),
# counting this one; the moving tags vX.Y and vX themselves do not match.
newest() {
	{
		gh api --paginate "repos/$repo/git/matching-refs/tags/$1." --jq '.[].ref' | sed 's#^refs/tags/##'
		echo "$version"
	} | grep -E "^${1//./\\.}\\.$2\$" | sort -V | tail -n 1
}
move_minor=false move_major=false
if [[ $prerelease == false ]]; then
	[[ $(newest "$minor" '[0-9]+') == "$version" ]] && move_minor=true
	[[ $(newest "$major" '[0-9]+\.[0-9]+') == "$version" ]] && move_major=true
fi
echo "release $version of $source (on main, ci passed): move $minor: $move_minor, move $major: $move_major" >&2
cat <<EOF
major=$major
minor=$minor
prerelease=$prerelease
move-minor=$move_minor
move-major=$move_major
EOF
