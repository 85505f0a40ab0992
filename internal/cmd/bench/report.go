package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Targets, from the issue: the physical limit is one STS round trip plus
// starting a process.
const (
	targetRatio  = 2.0        // process cost beyond the round trip, × the trivial program's
	targetRSS    = 30_000_000 // bytes of peak RSS
	targetBinary = 12_000_000 // bytes
)

type machine struct {
	cpu, kernel, memory string
	nproc               int
	goVersion           string
	date                string
	loadStart, loadEnd  string
}

func describeMachine() machine {
	m := machine{
		nproc:     runtime.NumCPU(),
		goVersion: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
		date:      time.Now().UTC().Format("2006-01-02"),
		loadStart: loadAverage(),
		cpu:       procField("/proc/cpuinfo", "model name"),
		memory:    memTotal(),
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	return m
}

// procField returns the value of the first "name: value" line of a /proc
// file, or "unknown".
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// memTotal returns the machine's memory in GiB, from /proc/meminfo.
func memTotal() string {
	var kib int64
	if _, err := fmt.Sscanf(procField("/proc/meminfo", "MemTotal"), "%d kB", &kib); err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

type report struct {
	opts                    options
	machine                 machine
	sizes                   []int64 // action, trivial
	flows                   []*flow // keys+role first, trivial last
	initAction, initTrivial *initSummary
}

func median[T int64 | float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// p95 is the 95th percentile by the nearest-rank method.
func p95[T int64 | float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[int(math.Ceil(0.95*float64(len(s))))-1]
}

// stats are a flow's figures.
type stats struct {
	wall, wallP95, served, overhead, toRequest, afterAnswer, cpu time.Duration
	rssMedian, rssMax, floor                                     int64 // KiB
	minflt                                                       int64
}

func (f *flow) stats() stats {
	col := func(fn func(*sample) time.Duration) []time.Duration {
		out := make([]time.Duration, len(f.samples))
		for i, s := range f.samples {
			out[i] = fn(s)
		}
		return out
	}
	walls := col(func(s *sample) time.Duration { return s.wall })
	var rss []int64
	var floor int64
	var faults []int64
	for _, s := range f.samples {
		faults = append(faults, s.minflt)
		rss = append(rss, s.maxRSSKiB)
		floor = max(floor, s.floorKiB)
	}
	return stats{
		wall:        median(walls),
		wallP95:     p95(walls),
		served:      median(col(func(s *sample) time.Duration { return s.served })),
		overhead:    median(col(func(s *sample) time.Duration { return s.wall - s.served })),
		toRequest:   median(col(func(s *sample) time.Duration { return s.toRequest })),
		afterAnswer: median(col(func(s *sample) time.Duration { return s.afterAnswer })),
		cpu:         median(col(func(s *sample) time.Duration { return s.user + s.sys })),
		rssMedian:   median(rss),
		rssMax:      slices.Max(rss),
		floor:       floor,
		minflt:      median(faults),
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

func bytesize(n int64) string {
	return fmt.Sprintf("%s bytes (%.2f MiB, %.2f MB)", commas(n), float64(n)/(1<<20), float64(n)/1e6)
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (f *flow) calls() string {
	s := "1 " + f.wantActions[0]
	if f.trivial {
		s = "1 unsigned POST"
	}
	if f.wantTokens > 0 {
		s += fmt.Sprintf(" + %d ID token request", f.wantTokens)
	}
	return s
}

// actionFlows are the flows that run the action without added latency.
func (r *report) actionFlows() []*flow {
	var out []*flow
	for _, f := range r.flows {
		if !f.trivial && f.latency == 0 {
			out = append(out, f)
		}
	}
	return out
}

func (r *report) latencyFlow() *flow {
	for _, f := range r.flows {
		if f.latency > 0 {
			return f
		}
	}
	return nil
}

func (r *report) trivialFlow() *flow { return r.flows[len(r.flows)-1] }

// worst returns the action flow with the highest process cost ratio and the
// one with the highest peak RSS.
func (r *report) worst() (ratioFlow *flow, ratio float64, rssFlow *flow, rss int64) {
	base := r.trivialFlow().stats().overhead
	for _, f := range r.actionFlows() {
		st := f.stats()
		if q := float64(st.overhead) / float64(base); q > ratio {
			ratioFlow, ratio = f, q
		}
		if st.rssMax > rss {
			rssFlow, rss = f, st.rssMax
		}
	}
	return ratioFlow, ratio, rssFlow, rss
}

// missed names the targets not met.
func (r *report) missed() []string {
	var out []string
	_, ratio, _, rss := r.worst()
	if ratio > targetRatio {
		out = append(out, fmt.Sprintf("process cost %.2f× the trivial program's", ratio))
	}
	if rss*1024 > targetRSS {
		out = append(out, "peak RSS "+mib(rss))
	}
	if r.sizes[0] > targetBinary {
		out = append(out, "binary "+bytesize(r.sizes[0]))
	}
	return out
}

func yes(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**missed**"
}

func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	m := r.machine
	p("Measured %s on %d CPUs (%s), %s of memory, Linux %s, %s. ", m.date, m.nproc, m.cpu, m.memory, m.kernel, m.goVersion)
	p("%d measured runs per flow after %d warm-up runs, the flows interleaved round by round; load average %s at the start, %s at the end.\n\n",
		r.opts.runs, r.opts.warmup, m.loadStart, m.loadEnd)

	triv := r.trivialFlow().stats()
	p("| Flow | Calls per run | Wall median | Wall p95 | Round trip (emulator) | Wall − round trip | ÷ trivial's | Wall ÷ trivial's | exec → request | answer → exit | CPU user+sys | Page faults | Peak RSS median / max |\n")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, f := range r.flows {
		if f.latency > 0 {
			continue
		}
		st := f.stats()
		p("| %s | %s | %s | %s | %s | %s | %.2f× | %.2f× | %s | %s | %s | %d | %s / %s |\n",
			f.name, f.calls(), ms(st.wall), ms(st.wallP95), ms(st.served), ms(st.overhead),
			float64(st.overhead)/float64(triv.overhead), float64(st.wall)/float64(triv.wall),
			ms(st.toRequest), ms(st.afterAnswer), ms(st.cpu), st.minflt, mib(st.rssMedian), mib(st.rssMax))
	}
	var floor int64
	least := int64(math.MaxInt64)
	for _, f := range r.flows {
		floor = max(floor, f.stats().floor)
		for _, s := range f.samples {
			least = min(least, s.maxRSSKiB)
		}
	}
	above := "every figure is above it"
	if least <= floor {
		above = "**some figures are not above it, so they are only upper bounds**"
	}
	p("\nPeak RSS is the child's ru_maxrss, measured by a small launcher whose own peak RSS (%s, the most over all runs) is a floor below which the figure would mean nothing; %s.\n\n", mib(floor), above)

	if lf := r.latencyFlow(); lf != nil {
		base, slow := r.flows[0].stats(), lf.stats()
		p("Keys + role with the emulator answering at once and after %d ms (runs interleaved with the rest):\n\n", latency.Milliseconds())
		p("| Emulator latency | Wall median | Wall p95 | Round trip (emulator) | Wall − round trip |\n")
		p("|---|--:|--:|--:|--:|\n")
		p("| 0 ms | %s | %s | %s | %s |\n", ms(base.wall), ms(base.wallP95), ms(base.served), ms(base.overhead))
		p("| %d ms | %s | %s | %s | %s |\n", latency.Milliseconds(), ms(slow.wall), ms(slow.wallP95), ms(slow.served), ms(slow.overhead))
		p("| Difference | **%s** | %s | %s | %s |\n\n", ms(slow.wall-base.wall), ms(slow.wallP95-base.wallP95),
			ms(slow.served-base.served), ms(slow.overhead-base.overhead))
	}

	p("| Binary | Size |\n|---|--:|\n")
	p("| action (`CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\"`) | %s |\n", bytesize(r.sizes[0]))
	p("| trivial program, same flags | %s |\n\n", bytesize(r.sizes[1]))

	if r.initAction != nil && r.initTrivial != nil {
		p("Package initialisation, `GODEBUG=inittrace=1`, medians of %d runs (traced runs are not in the timings above):\n\n", initTraceRuns)
		p("| Binary | Packages with init work | Init clock, sum | Init allocations | Process start → last init done |\n|---|--:|--:|--:|--:|\n")
		for _, x := range []struct {
			name string
			s    *initSummary
		}{{"action", r.initAction}, {"trivial", r.initTrivial}} {
			p("| %s | %d | %.2f ms | %s bytes | %.2f ms |\n", x.name, x.s.packages, x.s.total, commas(x.s.bytes), x.s.mainAt)
		}
		p("\nThe action's costliest package inits:\n\n| Package | Init clock | Bytes | Allocs |\n|---|--:|--:|--:|\n")
		for _, in := range r.initAction.top {
			p("| `%s` | %.3f ms | %s | %s |\n", in.pkg, in.clock, commas(in.bytes), commas(in.allocs))
		}
		p("\n")
	}

	rf, ratio, sf, rss := r.worst()
	p("| Target | Limit | Measured | |\n|---|---|---|---|\n")
	p("| STS calls per run | 1 (GetCallerIdentity for keys alone) | exactly 1 in each of the %d runs of every flow, checked per run | %s |\n",
		r.opts.warmup+r.opts.runs, yes(true))
	p("| Process cost beyond the round trip | ≤ %.0f× the trivial program's (%s) | worst %.2f×: %s (%s) | %s |\n",
		targetRatio, ms(triv.overhead), ratio, rf.name, ms(rf.stats().overhead), yes(ratio <= targetRatio))
	p("| Peak RSS | ≤ 30 MB | worst %s (%.1f MB): %s | %s |\n", mib(rss), float64(rss)*1024/1e6, sf.name, yes(rss*1024 <= targetRSS))
	p("| Binary size | ≤ 12 MB | %s | %s |\n", bytesize(r.sizes[0]), yes(r.sizes[0] <= targetBinary))
	return b.String()
}
