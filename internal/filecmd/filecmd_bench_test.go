package filecmd_test

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/assume-role/assume-role/internal/filecmd"
)

// benchEntries are the six GITHUB_ENV entries of a keys+role run, with
// values of the real sizes (an STS session token is about 400 to 1,000
// characters).
func benchEntries(b *testing.B) []filecmd.Entry {
	b.Helper()
	tok := make([]byte, 600)
	if _, err := rand.Read(tok); err != nil {
		b.Fatal(err)
	}
	return []filecmd.Entry{
		{Name: "AWS_REGION", Value: "us-east-1"},
		{Name: "AWS_DEFAULT_REGION", Value: "us-east-1"},
		{Name: "AWS_ACCESS_KEY_ID", Value: "ASIAEMULATOR7XQ2K4PD"},
		{Name: "AWS_SECRET_ACCESS_KEY", Value: "Xq3vN8+tLw2/9kJbR5mZcY0pHfE1sGdA7uTiVoKe"},
		{Name: "AWS_SESSION_TOKEN", Value: "IQoJb3JpZ2luX2Vj" + base64.StdEncoding.EncodeToString(tok)},
		{Name: "AWS_CREDENTIAL_EXPIRATION", Value: "2026-11-27T17:00:00Z"},
	}
}

// constReader is an endless source of one byte, so that a benchmark can
// leave crypto/rand out of the figure.
type constReader byte

func (r constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// BenchmarkFormat renders the six env entries of a keys+role run: with
// crypto/rand delimiters as the action does, and with a constant reader to
// show the cost of the checks and rendering alone.
func BenchmarkFormat(b *testing.B) {
	entries := benchEntries(b)
	for _, bc := range []struct {
		name string
		rnd  io.Reader
	}{{"crypto-rand", nil}, {"const-reader", constReader(7)}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := filecmd.Format(filecmd.Env, entries, bc.rnd); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAppend is Format plus the single write to the GITHUB_ENV file,
// which is emptied every 1,000 appends.
func BenchmarkAppend(b *testing.B) {
	entries := benchEntries(b)
	path := filepath.Join(b.TempDir(), "set_env")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n++; n%1000 == 0 {
			if err := os.Truncate(path, 0); err != nil {
				b.Fatal(err)
			}
		}
		if err := filecmd.Append(filecmd.Env, path, entries, nil); err != nil {
			b.Fatal(err)
		}
	}
}
