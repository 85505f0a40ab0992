package e2e

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var (
	uuidRE  = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timeRE  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|\d{8}T\d{6}Z`)
	delimRE = regexp.MustCompile(`ghadelimiter_[0-9a-f]{32}`)
	waitRE  = regexp.MustCompile(`retrying in [0-9.]+m?s`)
)

// normalize replaces what changes between runs (ports, request IDs, times,
// delimiters, issued secrets) with stable placeholders.
func normalize(s, url string, secrets map[string]string) string {
	for placeholder, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, placeholder)
		}
	}
	s = strings.ReplaceAll(s, url, "<STS>")
	s = uuidRE.ReplaceAllString(s, "<UUID>")
	s = timeRE.ReplaceAllString(s, "<TIME>")
	s = delimRE.ReplaceAllString(s, "<DELIM>")
	s = waitRE.ReplaceAllString(s, "retrying in <WAIT>")
	return s
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./e2e -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (go test ./e2e -run %s -update rewrites it)\n--- want\n%s\n--- got\n%s", path, t.Name(), want, got)
	}
}
