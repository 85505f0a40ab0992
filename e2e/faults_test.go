package e2e

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// TestFaults runs the built binary against every kind of STS failure and
// checks what a user would see: retried and succeeded, or failed at once
// with one clear error and nothing exported.
func TestFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		faults []ststest.Fault
		inputs []string
		exit   int
		calls  int
		within time.Duration
	}{
		{name: "throttled-then-ok", faults: []ststest.Fault{ststest.Throttle, ststest.Throttle, ststest.Throttle}, exit: 0, calls: 4, within: 20 * time.Second},
		{name: "500-then-ok", faults: []ststest.Fault{ststest.InternalError}, exit: 0, calls: 2, within: 3 * time.Second},
		{name: "503-then-ok", faults: []ststest.Fault{ststest.Unavailable, ststest.Unavailable}, exit: 0, calls: 3, within: 3 * time.Second},
		{name: "reset-then-ok", faults: []ststest.Fault{ststest.Reset}, exit: 0, calls: 2, within: 3 * time.Second},
		{name: "clock-skew-refused", faults: []ststest.Fault{ststest.ClockSkew}, inputs: []string{"retry-max-attempts", "1"}, exit: 3, calls: 1, within: 3 * time.Second},
		{name: "502-html-then-ok", faults: []ststest.Fault{ststest.BadGateway}, exit: 0, calls: 2, within: 3 * time.Second},
		{name: "502-html-out", faults: []ststest.Fault{ststest.BadGateway, ststest.BadGateway}, inputs: []string{"retry-max-attempts", "2"}, exit: 4, calls: 2, within: 5 * time.Second},
		{name: "other-service", faults: []ststest.Fault{ststest.OtherService}, exit: 4, calls: 1, within: 3 * time.Second},
		{name: "malformed-xml", faults: []ststest.Fault{ststest.MalformedXML}, exit: 4, calls: 1, within: 3 * time.Second},
		{name: "expired-source", faults: []ststest.Fault{ststest.ExpiredToken}, exit: 3, calls: 1, within: 3 * time.Second},
		{name: "throttled-out", faults: []ststest.Fault{ststest.Throttle, ststest.Throttle}, inputs: []string{"retry-max-attempts", "2"}, exit: 4, calls: 2, within: 10 * time.Second},
		{name: "hang-per-attempt-timeout", faults: []ststest.Fault{ststest.Hang}, inputs: []string{"retry-max-attempts", "1", "action-timeout-s", "30"}, exit: 4, calls: 1, within: 15 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, url := world(t)
			e.Inject("AssumeRole", tc.faults...)
			job := runnertest.NewJob(t, manifest)
			start := time.Now()
			r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, append([]string{"role-to-assume", ststest.DemoRole.ARN}, tc.inputs...)...)})
			d := time.Since(start)
			if r.ExitCode != tc.exit {
				t.Fatalf("exit %d, want %d\n%s", r.ExitCode, tc.exit, r.Stdout)
			}
			if got := e.CallCount(""); got != tc.calls {
				t.Errorf("STS saw %d calls, want %d", got, tc.calls)
			}
			if d > tc.within {
				t.Errorf("took %s, want under %s", d, tc.within)
			}
			var secrets []string
			for _, c := range e.Issued() {
				secrets = append(secrets, secretsOf(c)...)
			}
			runnertest.CheckNoLeak(t, r, false, append(secrets, ststest.DemoUser.SecretAccessKey)...)
			if tc.exit == 0 {
				if r.Env["AWS_ACCESS_KEY_ID"] != lastIssued(t, e).AccessKeyID {
					t.Error("the session was not exported")
				}
				return
			}
			if r.EnvFile != "" || r.OutputFile != "" {
				t.Errorf("exported on failure")
			}
			golden(t, "faults/"+tc.name+".golden", normalize(strings.Join(r.Errors(), "\n")+"\n", url, nil))
		})
	}
}

// TestClockSkewHeals: a runner whose clock is 10 minutes off gets
// "Signature expired" once; the SDK reads STS's clock from the answer,
// corrects its own and the retry succeeds.
func TestClockSkewHeals(t *testing.T) {
	t.Parallel()
	e, url := ststest.NewTestServer(t, ststest.WithClock(func() time.Time { return time.Now().Add(10 * time.Minute) }))
	e.SeedDemo()
	job := runnertest.NewJob(t, manifest)
	r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Inputs: with(url, "role-to-assume", ststest.DemoRole.ARN)})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
	}
	if got := e.CallCount(""); got != 2 {
		t.Errorf("STS calls %d, want the refused one and the corrected retry", got)
	}
}

// TestLoadMatrix is a 256-job matrix starting at once against STS limited
// to 50 requests a second (the rest answered with Throttling): every job
// must get its session. It reports the latency spread and the total STS
// calls. Skipped with -short.
func TestLoadMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped with -short")
	}
	const jobs, perSecond = 256, 50
	e, url := world(t)
	e.SetRateLimit(perSecond)
	durations := make([]time.Duration, jobs)
	var wg sync.WaitGroup
	failed := make(chan string, jobs)
	start := time.Now()
	for i := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			job := runnertest.NewJob(t, manifest)
			r := job.Run(t, runnertest.Binary(binary), runnertest.Step{Timeout: 3 * time.Minute,
				Inputs: with(url, "role-to-assume", ststest.DemoRole.ARN, "role-session-name", fmt.Sprintf("matrix-%d", i))})
			durations[i] = r.Duration
			if r.ExitCode != 0 || r.Env["AWS_SESSION_TOKEN"] == "" {
				failed <- fmt.Sprintf("job %d: exit %d: %v", i, r.ExitCode, r.Errors())
			}
		}()
	}
	wg.Wait()
	total := time.Since(start)
	close(failed)
	for f := range failed {
		t.Error(f)
	}
	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	calls, throttled := e.CallCount(""), 0
	for _, c := range e.Calls() {
		if c.ErrorCode == "Throttling" {
			throttled++
		}
	}
	t.Logf("load: %d jobs, STS at %d req/s: all done in %s; per job p50 %s, p99 %s, max %s; STS calls %d (%d throttled, %.2f per job)",
		jobs, perSecond, total.Round(time.Millisecond), durations[jobs/2].Round(time.Millisecond),
		durations[jobs*99/100].Round(time.Millisecond), durations[jobs-1].Round(time.Millisecond), calls, throttled, float64(calls)/jobs)
	if len(e.Issued()) != jobs {
		t.Errorf("issued %d sessions for %d jobs", len(e.Issued()), jobs)
	}
}
