package main

import (
	"io"
	"testing"
	"time"
)

func TestParseInitTrace(t *testing.T) {
	t.Parallel()
	trace := "init internal/bytealg @0.003 ms, 0 ms clock, 0 bytes, 0 allocs\n" +
		"some other line the program wrote\n" +
		"init github.com/assume-role/assume-role/internal/inputs @1.8 ms, 0.87 ms clock, 374448 bytes, 3816 allocs\n" +
		"init runtime @0.038 ms, 0.097 ms clock, 0 bytes, 0 allocs\n"
	inits, end := parseInitTrace(trace)
	if len(inits) != 3 {
		t.Fatalf("got %d inits: %+v", len(inits), inits)
	}
	in := inits[1]
	if in.pkg != "github.com/assume-role/assume-role/internal/inputs" || in.clock != 0.87 || in.bytes != 374448 || in.allocs != 3816 {
		t.Errorf("parsed %+v", in)
	}
	if end < 2.669 || end > 2.671 {
		t.Errorf("end = %v, want 2.67 (1.8 + 0.87)", end)
	}
}

func TestMedianAndP95(t *testing.T) {
	t.Parallel()
	var xs []time.Duration
	for i := 100; i >= 1; i-- {
		xs = append(xs, time.Duration(i))
	}
	if got := median(xs); got != 50 { // (50+51)/2 in integer nanoseconds
		t.Errorf("median = %d", got)
	}
	if got := p95(xs); got != 95 {
		t.Errorf("p95 = %d", got)
	}
	if got := median([]int64{3, 1, 2}); got != 2 {
		t.Errorf("median of three = %d", got)
	}
	if got := p95([]int64{7}); got != 7 {
		t.Errorf("p95 of one = %d", got)
	}
	if xs[0] != 100 {
		t.Error("median sorted its argument")
	}
}

func TestCommas(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 10092706: "10,092,706"} {
		if got := commas(n); got != want {
			t.Errorf("commas(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestParseFlagsRefresh(t *testing.T) {
	t.Parallel()
	o, err := parseFlags([]string{"-refresh", "-calls", "20", "-before", "/tmp/old"}, io.Discard)
	if err != nil || !o.refresh || o.calls != 20 || o.before != "/tmp/old" {
		t.Fatalf("%+v %v", o, err)
	}
	if _, err := parseFlags([]string{"-refresh", "-calls", "0"}, io.Discard); err == nil {
		t.Error("-calls 0 accepted")
	}
}
