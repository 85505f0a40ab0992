#!/usr/bin/env bash
# bench.sh measures what one run of the action costs (see BENCHMARKS.md):
#
#   1. go run ./internal/cmd/bench: builds the action as the image does and
#      a trivial Go program, and runs both the way the runner runs a
#      container action, against the in-process STS emulator, per flow. It
#      prints a Markdown report and fails if a run exits non-zero or makes
#      any STS call but the one its flow needs.
#   2. go test -bench for input parsing, file-command formatting and the
#      in-process action.Run, with -benchmem.
#
# Usage: scripts/bench.sh [bench flags]     e.g. -runs 100 -out /tmp/bench.md
#
# Environment:
#   BENCH_GO_TEST  1 (default): also run step 2. 0: only step 1.
#   BENCH_TIME     -benchtime of step 2 (default 1s).
#
# Takes about a minute on 2 CPUs. Results vary with the machine's load: run
# it on a quiet machine, and compare figures from the same run.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

go run ./internal/cmd/bench "$@"

if [[ ${BENCH_GO_TEST:-1} == 1 ]]; then
	echo
	echo '```'
	go test -run '^$' -bench . -benchmem -benchtime "${BENCH_TIME:-1s}" \
		./internal/inputs ./internal/filecmd ./internal/action
	echo '```'
fi
