package ststest_test

import (
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/assume-role/assume-role/internal/ststest"
)

// fastRetries is the SDK's standard retryer without the backoff sleeps.
func fastRetries(o *sts.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

// TestFaults checks what an SDK client without retries observes for each
// fault, and that the faulted request is recorded.
func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault ststest.Fault
		// check inspects the error; status and code are checked for API errors.
		status int
		code   string
		check  func(t *testing.T, err error)
	}{
		{fault: ststest.Throttle, status: 400, code: "Throttling"},
		{fault: ststest.InternalError, status: 500, code: "InternalFailure"},
		{fault: ststest.Unavailable, status: 503, code: "ServiceUnavailable"},
		{fault: ststest.ClockSkew, status: 403, code: "SignatureDoesNotMatch", check: func(t *testing.T, err error) {
			if msg := asAPIError(t, err).message; !strings.HasPrefix(msg, "Signature expired: ") || !strings.HasSuffix(msg, " - 5 min.)") {
				t.Errorf("message = %q, want STS's Signature expired wording", msg)
			}
		}},
		{fault: ststest.ExpiredToken, status: 400, code: "ExpiredToken"},
		{fault: ststest.Reset, check: func(t *testing.T, err error) {
			var ae smithy.APIError
			if errors.As(err, &ae) || !strings.Contains(err.Error(), "connection reset by peer") && !strings.Contains(err.Error(), "EOF") {
				t.Errorf("error = %v, want a transport error (reset or EOF)", err)
			}
		}},
		{fault: ststest.Hang, check: func(t *testing.T, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error = %v, want context.DeadlineExceeded", err)
			}
		}},
		{fault: ststest.BadGateway, check: func(t *testing.T, err error) {
			// Not an API error: the body is a proxy's HTML page. The status
			// is still there for the retryer and the classifier.
			var re *awshttp.ResponseError
			var ae smithy.APIError
			if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadGateway || errors.As(err, &ae) {
				t.Errorf("error = %v, want a 502 response error that is no API error", err)
			}
		}},
		{fault: ststest.OtherService, check: func(t *testing.T, err error) {
			// Well-formed XML of another service: the SDK finds no
			// AssumeRoleResult in a 200 answer.
			var re *awshttp.ResponseError
			var ae smithy.APIError
			if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusOK || errors.As(err, &ae) {
				t.Errorf("error = %v, want a 200 response error that is no API error", err)
			}
		}},
		{fault: ststest.MalformedXML, check: func(t *testing.T, err error) {
			// The SDK surfaces the parser's error inside the HTTP response
			// error of a 200, not as a smithy.DeserializationError.
			var se *xml.SyntaxError
			var re *awshttp.ResponseError
			var ae smithy.APIError
			if !errors.As(err, &se) || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusOK || errors.As(err, &ae) {
				t.Errorf("error = %v, want an *xml.SyntaxError in a 200 response", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.fault.String(), func(t *testing.T) {
			t.Parallel()
			emu, url := demoServer(t)
			emu.Inject("AssumeRole", tc.fault)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			if tc.fault == ststest.Hang {
				ctx, cancel = context.WithTimeout(t.Context(), 200*time.Millisecond)
			}
			defer cancel()
			_, err := newClient(url, userCreds(ststest.DemoUser)).AssumeRole(ctx, &sts.AssumeRoleInput{
				RoleArn: aws.String(ststest.DemoRole.ARN), RoleSessionName: aws.String("faulty"),
			})
			if err == nil {
				t.Fatal("AssumeRole succeeded, want the fault")
			}
			if tc.code != "" {
				got := asAPIError(t, err)
				if got.status != tc.status || got.code != tc.code {
					t.Errorf("got %d %s (%s), want %d %s", got.status, got.code, got.message, tc.status, tc.code)
				}
			}
			if tc.check != nil {
				tc.check(t, err)
			}

			// Hang is recorded once the server notices the client left.
			deadline := time.Now().Add(5 * time.Second)
			for emu.Calls()[0].Fault == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			calls := emu.Calls()
			if len(calls) != 1 || calls[0].Fault != tc.fault || calls[0].Action != "AssumeRole" || calls[0].ErrorCode != tc.code {
				t.Errorf("Calls() = %+v, want one AssumeRole with fault %v and code %q", calls, tc.fault, tc.code)
			}
			if len(emu.Issued()) != 0 {
				t.Error("a faulted request issued credentials")
			}

			// The queue is drained: the next request is served normally.
			if _, err := newClient(url, userCreds(ststest.DemoUser)).GetCallerIdentity(t.Context(), nil); err != nil {
				t.Errorf("request after the fault: %v", err)
			}
		})
	}
}

// TestInjectQueue checks the order, scope and accounting of injected faults
// with the SDK's standard retryer, as the action's client uses it.
func TestInjectQueue(t *testing.T) {
	t.Parallel()
	emu, url := demoServer(t)
	emu.Inject("AssumeRole", ststest.Throttle, ststest.Unavailable)
	emu.Inject("", ststest.InternalError)

	client := newClient(url, userCreds(ststest.DemoUser), fastRetries)
	// GetCallerIdentity does not match the AssumeRole queue, so it takes the
	// any-action fault, and its retry succeeds.
	if _, err := client.GetCallerIdentity(t.Context(), nil); err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	out, err := client.AssumeRole(t.Context(), &sts.AssumeRoleInput{
		RoleArn: aws.String(ststest.DemoRole.ARN), RoleSessionName: aws.String("retried"),
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::222222222222:assumed-role/deploy/retried" {
		t.Errorf("Arn = %q", got)
	}

	type summary struct {
		action string
		status int
		code   string
		fault  ststest.Fault
	}
	var got []summary
	for _, c := range emu.Calls() {
		got = append(got, summary{c.Action, c.Status, c.ErrorCode, c.Fault})
	}
	want := []summary{
		{"GetCallerIdentity", 500, "InternalFailure", ststest.InternalError},
		{"GetCallerIdentity", 200, "", 0},
		{"AssumeRole", 400, "Throttling", ststest.Throttle},
		{"AssumeRole", 503, "ServiceUnavailable", ststest.Unavailable},
		{"AssumeRole", 200, "", 0},
	}
	if len(got) != len(want) {
		t.Fatalf("calls = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("call %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if emu.CallCount("AssumeRole") != 3 || emu.CallCount("GetCallerIdentity") != 2 {
		t.Errorf("CallCount: AssumeRole %d, GetCallerIdentity %d", emu.CallCount("AssumeRole"), emu.CallCount("GetCallerIdentity"))
	}
	if n := len(emu.Issued()); n != 1 {
		t.Errorf("Issued() = %d, want 1", n)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	emu, url := demoServer(t)
	emu.SetRateLimit(5)

	const clients = 20
	var (
		wg                   sync.WaitGroup
		mu                   sync.Mutex
		ok, throttled, other int
	)
	for range clients {
		wg.Go(func() {
			_, err := newClient(url, userCreds(ststest.DemoUser)).GetCallerIdentity(t.Context(), nil)
			mu.Lock()
			defer mu.Unlock()
			var ae smithy.APIError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &ae) && ae.ErrorCode() == "Throttling" && ae.ErrorMessage() == "Rate exceeded":
				throttled++
			default:
				other++
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	wg.Wait()
	// The burst is 5; a few more pass if the bucket refills meanwhile, at
	// 5 per second, on a slow machine.
	if ok < 5 || ok > 10 || throttled != clients-ok {
		t.Errorf("%d succeeded, %d throttled, %d other; want 5-10 to succeed and the rest throttled", ok, throttled, other)
	}

	emu.SetRateLimit(0)
	for range 10 {
		if _, err := newClient(url, userCreds(ststest.DemoUser)).GetCallerIdentity(t.Context(), nil); err != nil {
			t.Fatalf("with the limit off: %v", err)
		}
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	logged := make(chan slog.Record, 10)
	emu, url := demoServer(t, ststest.WithLogger(slog.New(recordHandler(logged))))
	emu.SetLatency(150 * time.Millisecond)
	client := newClient(url, userCreds(ststest.DemoUser))

	start := time.Now()
	if _, err := client.GetCallerIdentity(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("answered after %v, want >= 150ms", d)
	}
	if status := logStatus(<-logged); status != http.StatusOK {
		t.Errorf("logged status %d, want 200", status)
	}

	// A client that gives up during the latency gets no answer, and the
	// emulator stops waiting as soon as it notices. The latency is long so
	// that a busy machine cannot blur the two.
	emu.SetLatency(5 * time.Second)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := client.GetCallerIdentity(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want context.DeadlineExceeded", err)
	}
	select {
	case r := <-logged:
		if status := logStatus(r); status != 0 {
			t.Errorf("abandoned call logged with status %d, want 0", status)
		}
	case <-time.After(4 * time.Second):
		t.Error("the emulator kept waiting after the client left")
	}
	if c := emu.Calls()[1]; c.Status != 0 {
		t.Errorf("abandoned call recorded with status %d, want 0", c.Status)
	}
}

// recordHandler sends every log record to ch.
type recordHandler chan slog.Record

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h recordHandler) WithGroup(string) slog.Handler            { return h }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	h <- r.Clone()
	return nil
}

func logStatus(r slog.Record) int64 {
	var status int64 = -1
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "status" {
			status = a.Value.Int64()
		}
		return true
	})
	return status
}

// TestClockSkew runs the emulator clock away from the client's, which
// signs with the real time.
func TestClockSkew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		skew    time.Duration
		retries bool
		wantMsg string // empty for success
	}{
		{name: "within five minutes", skew: 4 * time.Minute},
		{name: "server ahead", skew: 10 * time.Minute, wantMsg: "Signature expired: "},
		{name: "server behind", skew: -10 * time.Minute, wantMsg: "Signature not yet current: "},
		// The SDK reads the skew from the Date header of the error and
		// retries with a corrected clock, as it does against real STS.
		{name: "server ahead, SDK corrects", skew: 10 * time.Minute, retries: true},
		{name: "server behind, SDK corrects", skew: -10 * time.Minute, retries: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			emu, url := demoServer(t, ststest.WithClock(func() time.Time { return time.Now().Add(tc.skew) }))
			var opts []func(*sts.Options)
			if tc.retries {
				opts = append(opts, fastRetries)
			}
			_, err := newClient(url, userCreds(ststest.DemoUser), opts...).GetCallerIdentity(t.Context(), nil)
			if tc.wantMsg == "" {
				if err != nil {
					t.Fatalf("GetCallerIdentity: %v", err)
				}
				if tc.retries && emu.CallCount("") != 2 {
					t.Errorf("CallCount = %d, want a failed attempt and a corrected one", emu.CallCount(""))
				}
				return
			}
			got := asAPIError(t, err)
			if got.status != http.StatusForbidden || got.code != "SignatureDoesNotMatch" || !strings.HasPrefix(got.message, tc.wantMsg) {
				t.Errorf("got %d %s %q, want 403 SignatureDoesNotMatch %q...", got.status, got.code, got.message, tc.wantMsg)
			}
		})
	}
}
