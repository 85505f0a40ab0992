package main

import (
	"bufio"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// initTraceRuns is how many traced runs the init times are the median of.
const initTraceRuns = 11

// pkgInit is one package's init as GODEBUG=inittrace=1 reports it.
type pkgInit struct {
	pkg    string
	clock  float64 // ms
	bytes  int64
	allocs int64
}

// initSummary is the package inits of a binary: medians over traced runs.
type initSummary struct {
	packages int
	total    float64 // ms of init clock, summed over packages
	bytes    int64
	mainAt   float64   // ms from process start until the last init ended
	top      []pkgInit // the costliest packages, by median clock
}

// parseInitTrace reads the lines
//
//	init internal/bytealg @0.008 ms, 0 ms clock, 0 bytes, 0 allocs
//
// that GODEBUG=inittrace=1 writes to stderr. It returns them with the time
// the last init ended, from the process start.
func parseInitTrace(stderr string) (inits []pkgInit, end float64) {
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 11 || f[0] != "init" || !strings.HasPrefix(f[2], "@") {
			continue
		}
		at, err1 := strconv.ParseFloat(strings.TrimPrefix(f[2], "@"), 64)
		clock, err2 := strconv.ParseFloat(f[4], 64)
		bytes, err3 := strconv.ParseInt(f[7], 10, 64)
		allocs, err4 := strconv.ParseInt(f[9], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			continue
		}
		inits = append(inits, pkgInit{pkg: f[1], clock: clock, bytes: bytes, allocs: allocs})
		end = max(end, at+clock)
	}
	return inits, end
}

// initTrace runs f with GODEBUG=inittrace=1 and summarises the medians.
// The traced runs are not part of the timings.
func (b *bencher) initTrace(ctx context.Context, f *flow) (*initSummary, error) {
	traced := *f
	traced.env = map[string]string{"BENCH_GODEBUG": "inittrace=1"}
	for k, v := range f.env {
		traced.env[k] = v
	}
	traced.samples = nil
	clocks := map[string][]float64{}
	last := map[string]pkgInit{}
	var totals, ends []float64
	var bytes []int64
	for range initTraceRuns {
		s, err := b.runFlow(ctx, &traced)
		if err != nil {
			return nil, err
		}
		inits, end := parseInitTrace(s.stderr)
		if len(inits) == 0 {
			return nil, fmt.Errorf("%s: no init trace on stderr", f.name)
		}
		var total float64
		var n int64
		for _, in := range inits {
			clocks[in.pkg] = append(clocks[in.pkg], in.clock)
			last[in.pkg] = in
			total += in.clock
			n += in.bytes
		}
		totals, ends, bytes = append(totals, total), append(ends, end), append(bytes, n)
	}
	sum := &initSummary{packages: len(clocks), total: median(totals), mainAt: median(ends), bytes: median(bytes)}
	for pkg, c := range clocks {
		in := last[pkg]
		in.clock = median(c)
		sum.top = append(sum.top, in)
	}
	slices.SortFunc(sum.top, func(a, b pkgInit) int {
		if a.clock != b.clock {
			if a.clock > b.clock {
				return -1
			}
			return 1
		}
		return strings.Compare(a.pkg, b.pkg)
	})
	sum.top = sum.top[:min(len(sum.top), 10)]
	return sum, nil
}
