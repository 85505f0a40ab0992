// Command bench measures what one run of the action costs, per flow, and how
// close that is to the physical limit: starting a process plus one STS round
// trip.
//
//	go run ./internal/cmd/bench [-runs 50] [-warmup 3] [-out FILE]
//	go run ./internal/cmd/bench -refresh [-calls 200] [-before OLD-BINARY] [-latency D] [-out FILE]
//
// With -refresh it measures a refreshing profile instead (refresh.go): the
// AssumeRole calls and wall time of AWS CLI commands that use it.
//
// It builds the action as the image does (CGO_ENABLED=0 go build -trimpath
// -ldflags="-s -w") and a trivial Go program (./trivial: one plain HTTP POST,
// then exit), starts the ststest STS emulator and a GitHub OIDC token
// endpoint in this process on 127.0.0.1, and runs each binary the way the
// runner runs a container action's main stage: a clean environment with the
// job's GITHUB_* variables, INPUT_* for every input of action.yml (its
// default unless the flow sets it) and fresh GITHUB_ENV, GITHUB_OUTPUT,
// GITHUB_STATE, GITHUB_PATH and GITHUB_STEP_SUMMARY files in a fresh job
// directory per run.
//
// Every run must exit 0 and make exactly the STS calls its flow needs (one);
// any other result stops the bench with an error. Runs of the different
// flows are interleaved, so that a change in the machine's load spreads over
// all of them instead of skewing one.
//
// For each flow it reports the wall time from exec to exit (median, p95),
// the time the emulator spent answering (the round trip, less the loopback
// transport), the rest, which is what the process itself costs, compared
// with the trivial program's, the peak RSS (getrusage ru_maxrss) and the CPU
// time. It then repeats the keys+role flow with 50 ms of emulator latency
// to show that only the round trip moves the wall time, reads the package
// init times (GODEBUG=inittrace=1), and checks the targets in BENCHMARKS.md.
// The report is Markdown, on stdout and, with -out, in FILE; progress goes to
// stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	runs, warmup int
	out          string
	// refresh selects the refreshing-profile bench; calls is its number of
	// sequential AWS CLI commands, before another build to compare with.
	refresh bool
	calls   int
	before  string
	latency time.Duration // with -refresh: the emulator's latency
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.runs, "runs", 50, "measured `runs` per flow (at least 30 for a meaningful p95)")
	fs.IntVar(&o.warmup, "warmup", 3, "unmeasured warm-up `runs` per flow")
	fs.StringVar(&o.out, "out", "", "also write the Markdown report to `file`")
	fs.BoolVar(&o.refresh, "refresh", false, "measure a refreshing profile (refresh-credentials) used by the AWS CLI instead of the main stage's flows")
	fs.IntVar(&o.calls, "calls", 200, "with -refresh: sequential AWS CLI `commands`")
	fs.StringVar(&o.before, "before", "", "with -refresh: also measure this built `binary` of the action (an older commit), first")
	fs.DurationVar(&o.latency, "latency", 0, "with -refresh: delay every STS answer by this `duration`, as a real round trip would")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.calls < 1 {
		return o, errors.New("-calls must be at least 1")
	}
	if o.runs < 1 || o.warmup < 0 {
		return o, errors.New("-runs must be at least 1 and -warmup at least 0")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	var md string
	var missed []string
	if o.refresh {
		if md, err = refreshBench(ctx, o, stderr); err != nil {
			return err
		}
	} else {
		rep, err := bench(ctx, o, stderr)
		if err != nil {
			return err
		}
		md, missed = rep.markdown(), rep.missed()
	}
	if _, err := io.WriteString(stdout, md); err != nil {
		return err
	}
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
			return err
		}
	}
	if len(missed) > 0 {
		fmt.Fprintf(stderr, "bench: targets missed: %v\n", missed)
	}
	return nil
}
