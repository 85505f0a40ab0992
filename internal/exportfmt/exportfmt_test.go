package exportfmt_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/exportfmt"
)

// TestEnvShell evaluates the env format in a real POSIX shell, as
// eval "$(assume-role ...)" does, and reads the values back.
func TestEnvShell(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no POSIX shell")
	}
	nasty := []string{
		"plain",
		"it's",
		"''",
		`'\''`,
		`"double" \"escaped\"`,
		"$HOME ${PATH} $(id) `id`",
		"a  b   c ",
		`back\slash\`,
		"!history *glob? [x] ~tilde #hash ;semi &amp |pipe <in >out",
		"-n",
		"%s %d",
		"ünïcödé ✓",
		"wJalr/XUtn+FEMI=K7MDENG==",
	}
	for _, v := range nasty {
		s := exportfmt.Session{AccessKeyID: "AKID", SecretAccessKey: v, SessionToken: v + v, Region: v}
		var out bytes.Buffer
		if err := exportfmt.Write(&out, exportfmt.Env, s); err != nil {
			t.Fatalf("Write(%q): %v", v, err)
		}
		cmd := exec.Command(sh, "-c", `eval "$(cat)"; printf '%s\0' "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$AWS_REGION" "$AWS_DEFAULT_REGION"`)
		cmd.Stdin = &out
		cmd.Env = []string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"}
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("sh on %q: %v", out.String(), err)
		}
		want := strings.Join([]string{v, v + v, v, v}, "\x00") + "\x00"
		if string(got) != want {
			t.Errorf("value %q came back from the shell as %q", v, got)
		}
	}
}

// The JSON formats parse back into exactly the session.
func TestJSONParse(t *testing.T) {
	t.Parallel()
	s := exportfmt.Session{
		AccessKeyID:     "ASIA<&>EXAMPLE",
		SecretAccessKey: `se"cr\et/+=`,
		SessionToken:    "tok\u2028en",
		Expiration:      time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		Region:          "eu-west-1",
	}
	var vars map[string]string
	decode(t, exportfmt.JSON, s, &vars)
	wantVars := map[string]string{
		"AWS_ACCESS_KEY_ID":         s.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":     s.SecretAccessKey,
		"AWS_SESSION_TOKEN":         s.SessionToken,
		"AWS_CREDENTIAL_EXPIRATION": "2030-01-02T03:04:05Z",
		"AWS_REGION":                "eu-west-1",
		"AWS_DEFAULT_REGION":        "eu-west-1",
	}
	if !reflect.DeepEqual(vars, wantVars) {
		t.Errorf("json = %v, want %v", vars, wantVars)
	}

	var proc struct {
		Version                       int
		AccessKeyID                   string `json:"AccessKeyId"`
		SecretAccessKey, SessionToken string
		Expiration                    time.Time
	}
	decode(t, exportfmt.CredentialProcess, s, &proc)
	if proc.Version != 1 || proc.AccessKeyID != s.AccessKeyID || proc.SecretAccessKey != s.SecretAccessKey ||
		proc.SessionToken != s.SessionToken || !proc.Expiration.Equal(s.Expiration) {
		t.Errorf("credential-process = %+v, want %+v", proc, s)
	}

	// Empty token and expiry are left out, not written as "".
	var raw map[string]any
	decode(t, exportfmt.CredentialProcess, exportfmt.Session{AccessKeyID: "a", SecretAccessKey: "b"}, &raw)
	if want := map[string]any{"Version": 1.0, "AccessKeyId": "a", "SecretAccessKey": "b"}; !reflect.DeepEqual(raw, want) {
		t.Errorf("credential-process without token = %v, want %v", raw, want)
	}
	raw = nil
	decode(t, exportfmt.JSON, exportfmt.Session{AccessKeyID: "a", SecretAccessKey: "b"}, &raw)
	if want := map[string]any{"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}; !reflect.DeepEqual(raw, want) {
		t.Errorf("json without token = %v, want %v", raw, want)
	}
}

func decode(t *testing.T, format string, s exportfmt.Session, v any) {
	t.Helper()
	var out bytes.Buffer
	if err := exportfmt.Write(&out, format, s); err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(&out)
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		t.Fatalf("%s output %q: %v", format, out.String(), err)
	}
	if d.More() {
		t.Errorf("%s output has more than one JSON value", format)
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	ok := exportfmt.Session{AccessKeyID: "AKID", SecretAccessKey: "secret", Region: "eu-west-1"}
	tests := []struct {
		name    string
		formats []string // nil for all
		edit    func(s *exportfmt.Session)
		varName string
	}{
		{"no key id", nil, func(s *exportfmt.Session) { s.AccessKeyID = "" }, "AWS_ACCESS_KEY_ID"},
		{"no secret", nil, func(s *exportfmt.Session) { s.SecretAccessKey = "" }, "AWS_SECRET_ACCESS_KEY"},
		{"newline", nil, func(s *exportfmt.Session) { s.SecretAccessKey = "a\nb" }, "AWS_SECRET_ACCESS_KEY"},
		{"carriage return", nil, func(s *exportfmt.Session) { s.SessionToken = "a\rb" }, "AWS_SESSION_TOKEN"},
		{"tab", nil, func(s *exportfmt.Session) { s.SecretAccessKey = "a\tb" }, "AWS_SECRET_ACCESS_KEY"},
		{"NUL", nil, func(s *exportfmt.Session) { s.AccessKeyID = "a\x00" }, "AWS_ACCESS_KEY_ID"},
		{"invalid UTF-8", nil, func(s *exportfmt.Session) { s.SecretAccessKey = "\xff" }, "AWS_SECRET_ACCESS_KEY"},
		{"region with newline", nil, func(s *exportfmt.Session) { s.Region = "x\ny" }, "AWS_REGION"},
		{"padded", []string{exportfmt.Dotenv, exportfmt.INI}, func(s *exportfmt.Session) { s.SecretAccessKey = "secret " }, "AWS_SECRET_ACCESS_KEY"},
		{"leading quote", []string{exportfmt.Dotenv}, func(s *exportfmt.Session) { s.SessionToken = `"tok"` }, "AWS_SESSION_TOKEN"},
	}
	for _, tc := range tests {
		formats := tc.formats
		if formats == nil {
			formats = exportfmt.Formats()
		}
		for _, format := range formats {
			s := ok
			tc.edit(&s)
			var out bytes.Buffer
			err := exportfmt.Write(&out, format, s)
			var ve *exportfmt.ValueError
			if !errors.As(err, &ve) || ve.Name != tc.varName || ve.Format != format {
				t.Errorf("%s as %s: Write = %v, want a *ValueError for %s", tc.name, format, err, tc.varName)
			}
			if out.Len() != 0 {
				t.Errorf("%s as %s: wrote %q before refusing", tc.name, format, out.String())
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("%s as %s: error %q shows the value", tc.name, format, err)
			}
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	t.Parallel()
	for _, f := range []string{"", "ENV", "yaml", "credential_process"} {
		var out bytes.Buffer
		err := exportfmt.Write(&out, f, exportfmt.Session{AccessKeyID: "a", SecretAccessKey: "b"})
		var ue *exportfmt.UnknownFormatError
		if !errors.As(err, &ue) || ue.Format != f {
			t.Errorf("Write(%q) = %v, want an *UnknownFormatError", f, err)
		}
		for _, known := range exportfmt.Formats() {
			if err != nil && !strings.Contains(err.Error(), known) {
				t.Errorf("error %q does not list %s", err, known)
			}
		}
		if out.Len() != 0 {
			t.Errorf("Write(%q) wrote %q", f, out.String())
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterError(t *testing.T) {
	t.Parallel()
	for _, f := range exportfmt.Formats() {
		if err := exportfmt.Write(failWriter{}, f, exportfmt.Session{AccessKeyID: "a", SecretAccessKey: "b"}); err == nil || err.Error() != "disk full" {
			t.Errorf("%s: Write = %v, want the writer's error", f, err)
		}
	}
}
