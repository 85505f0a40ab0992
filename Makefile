# bench measures the cost of one run of the action, per flow; see BENCHMARKS.md.
.PHONY: bench
bench:
	scripts/bench.sh
