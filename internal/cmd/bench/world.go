package main

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/assume-role/assume-role/internal/devtool"
	"github.com/assume-role/assume-role/internal/ststest"
)

// oidcPrefix is where the token endpoint is served; STS is served at /.
const oidcPrefix = "/oidc"

// world is the fake AWS and GitHub the binaries talk to: the STS emulator
// with its demo world and a GitHub OIDC token endpoint whose tokens the
// demo OIDC role trusts, on one loopback HTTP server that times every
// request it answers.
type world struct {
	emu    *ststest.Emulator
	issuer *ststest.TokenIssuer
	// url is the STS endpoint; reqURL and reqToken are what a runner gives
	// a job with permission id-token: write.
	url, reqURL, reqToken string

	stop func() // shuts the server down

	mu  sync.Mutex
	got served // since the last take
}

// served is what the server did during one run.
type served struct {
	busy        time.Duration // time spent in handlers
	sts, tokens int           // STS and token endpoint requests
	// first is when the first request arrived, last when the last answer
	// was ready.
	first, last time.Time
}

func newWorld(ctx context.Context) (*world, error) {
	w := &world{emu: ststest.New(), issuer: ststest.NewTokenIssuer()}
	w.emu.SeedDemo()
	w.emu.SeedDemoOIDC(w.issuer)
	mux := http.NewServeMux()
	mux.Handle("/", w.meter(w.emu, &w.got.sts))
	mux.Handle(oidcPrefix+"/", w.meter(w.issuer, &w.got.tokens))
	var err error
	if w.url, w.stop, err = devtool.Serve(ctx, mux); err != nil {
		return nil, err
	}
	w.reqURL, w.reqToken = w.issuer.RequestURL(w.url+oidcPrefix), w.issuer.RequestToken()
	return w, nil
}

// meter counts the requests h answers in *n and records their times in
// w.got. The time is recorded before net/http flushes the response, so it is
// in place by the time the client has the answer.
func (w *world) meter(h http.Handler, n *int) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(rw, r)
		end := time.Now()
		w.mu.Lock()
		defer w.mu.Unlock()
		w.got.busy += end.Sub(start)
		*n++
		if w.got.first.IsZero() {
			w.got.first = start
		}
		w.got.last = end
	})
}

// take returns what was served since the last take and starts counting
// afresh.
func (w *world) take() served {
	w.mu.Lock()
	defer w.mu.Unlock()
	got := w.got
	w.got = served{}
	return got
}

func (w *world) close() {
	w.emu.Close()
	w.stop()
}
