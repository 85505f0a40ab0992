package runnertest

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// variants are the forms in which a secret may escape: the runner masks some
// encodings itself, but a scan that only looked for the raw value would miss
// a leak through a JSON document or a URL.
func variants(secret string) map[string]string {
	j, _ := json.Marshal(secret)
	return map[string]string{
		"raw":         secret,
		"url-encoded": url.QueryEscape(secret),
		"path-escape": url.PathEscape(secret),
		"json":        strings.Trim(string(j), `"`),
		"base64":      base64.StdEncoding.EncodeToString([]byte(secret)),
		"base64url":   base64.RawURLEncoding.EncodeToString([]byte(secret)),
	}
}

// CheckNoLeak fails the test if any secret appears where it must not:
// anywhere in stdout except the data of its own ::add-mask:: command, in
// stderr, in the step summary, in annotation properties, in GITHUB_STATE, or
// (unless outputsAllowed) in GITHUB_OUTPUT. It also checks that every secret
// written to GITHUB_ENV or GITHUB_OUTPUT was masked by the time the step
// ended, since the runner prints later steps' env in their log headers.
func CheckNoLeak(t testing.TB, r *Result, outputsAllowed bool, secrets ...string) {
	t.Helper()
	var log strings.Builder
	for _, line := range Lines(r.Stdout) {
		if c, ok := ParseCommand(line); ok && c.Name == "add-mask" && !c.Legacy {
			continue
		}
		log.WriteString(line + "\n")
	}
	var props strings.Builder
	for _, c := range r.Commands {
		props.WriteString(c.Props + "\n")
	}
	places := map[string]string{
		"stdout":           log.String(),
		"stderr":           r.Stderr,
		"step summary":     r.Summary,
		"annotation props": props.String(),
		"GITHUB_STATE":     r.StateFile,
	}
	if !outputsAllowed {
		places["GITHUB_OUTPUT"] = r.OutputFile
	}
	masked := map[string]bool{}
	for _, m := range r.Masks {
		masked[m] = true
	}
	for _, s := range secrets {
		if len(s) < 8 {
			t.Fatalf("leak scan: secret %q is too short to scan for reliably", s)
		}
		for where, text := range places {
			for form, v := range variants(s) {
				if strings.Contains(text, v) {
					t.Errorf("leak: a secret (%s…, %s form) appears in %s", s[:4], form, where)
				}
			}
		}
		if (strings.Contains(r.EnvFile, s) || strings.Contains(r.OutputFile, s)) && !masked[s] {
			t.Errorf("leak: a secret (%s…) was exported without ::add-mask::", s[:4])
		}
	}
}
