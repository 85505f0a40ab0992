package ststest

import (
	"net/http/httptest"
	"testing"
)

// NewTestServer starts the emulator on a loopback HTTP server and returns it
// with the server's base URL (http://127.0.0.1:port), to be used as the STS
// endpoint. The server is shut down by tb.Cleanup, after releasing any
// request held by the Hang fault.
func NewTestServer(tb testing.TB, opts ...Option) (*Emulator, string) {
	tb.Helper()
	e := New(opts...)
	srv := httptest.NewServer(e)
	tb.Cleanup(func() {
		e.Close()
		srv.Close()
	})
	return e, srv.URL
}

// NewTokenServer starts a [TokenIssuer] on a loopback HTTP server and returns
// it with the values a runner gives a job with permission id-token: write:
// requestURL for ACTIONS_ID_TOKEN_REQUEST_URL (with its api-version query)
// and requestToken for ACTIONS_ID_TOKEN_REQUEST_TOKEN. The server is shut
// down by tb.Cleanup.
func NewTokenServer(tb testing.TB, opts ...IssuerOption) (issuer *TokenIssuer, requestURL, requestToken string) {
	tb.Helper()
	ti := NewTokenIssuer(opts...)
	srv := httptest.NewServer(ti)
	tb.Cleanup(srv.Close)
	return ti, ti.RequestURL(srv.URL), ti.RequestToken()
}
