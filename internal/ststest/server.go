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
