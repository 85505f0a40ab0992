package filecmd_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/filecmd"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// goldenCases are the exact bytes Format writes with delimiters from a fresh
// seqReader. Each is also parsed back with the runner's rules.
var goldenCases = []struct {
	name    string
	kind    filecmd.Kind
	entries []filecmd.Entry
}{
	{
		name: "env_credentials",
		kind: filecmd.Env,
		entries: []filecmd.Entry{
			{Name: "AWS_ACCESS_KEY_ID", Value: "ASIAIOSFODNN7EXAMPLE"},
			{Name: "AWS_SECRET_ACCESS_KEY", Value: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
			{Name: "AWS_SESSION_TOKEN", Value: "IQoJb3JpZ2luX2VjEXAMPLE+/=="},
			{Name: "AWS_REGION", Value: "eu-west-1"},
		},
	},
	{
		name: "output_ids",
		kind: filecmd.Output,
		entries: []filecmd.Entry{
			{Name: "aws-account-id", Value: "123456789012"},
			{Name: "aws-arn", Value: "arn:aws:sts::123456789012:assumed-role/deploy/gha"},
		},
	},
	{
		name: "state",
		kind: filecmd.State,
		entries: []filecmd.Entry{
			{Name: "cleanup_profile", Value: "gha-deploy"},
		},
	},
	{
		name: "tricky_values",
		kind: filecmd.Output,
		entries: []filecmd.Entry{
			{Name: "empty", Value: ""},
			{Name: "newline_only", Value: "\n"},
			{Name: "two_lines", Value: "line 1\nline 2"},
			{Name: "trailing_newline", Value: "last line\n"},
			{Name: "blank_lines", Value: "\n\na\n\n"},
			{Name: "crlf", Value: "a\r\nb\r\n"},
			{Name: "cr_only", Value: "\r"},
			{Name: "equals_and_heredoc", Value: "A=B\nC<<D\n<<\n="},
			{Name: "naive_delimiter", Value: naiveDelimiter + "\n" + naiveDelimiter},
			{Name: "unicode", Value: "héllo 世界 🎉\u2028\ufeff"},
		},
	},
}

func TestFormatGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := filecmd.Format(tc.kind, tc.entries, &seqReader{})
			if err != nil {
				t.Fatalf("Format: %v", err)
			}
			checkGolden(t, tc.name, got)

			parsed, err := filecmd.Parse(got)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(parsed, tc.entries) {
				t.Errorf("Parse(Format(entries)) = %q, want %q", parsed, tc.entries)
			}
		})
	}
}

// checkGolden compares got with testdata/<name>.golden, or rewrites the file
// when -update is set.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update to accept it)\ngot:\n%q\nwant:\n%q", path, got, want)
	}
}

func TestFormatEmpty(t *testing.T) {
	t.Parallel()
	got, err := filecmd.Format(filecmd.Env, nil, &seqReader{})
	if err != nil || len(got) != 0 {
		t.Errorf("Format(nil) = %q, %v; want no bytes and no error", got, err)
	}
}

func TestFormatDelimiterPerEntry(t *testing.T) {
	t.Parallel()
	got, err := filecmd.Format(filecmd.Env, []filecmd.Entry{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}}, &seqReader{})
	if err != nil {
		t.Fatal(err)
	}
	want := "A<<" + seqDelim0 + "\n1\n" + seqDelim0 + "\nB<<" + seqDelim1 + "\n2\n" + seqDelim1 + "\n"
	if string(got) != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
}

func TestFormatCryptoRand(t *testing.T) {
	t.Parallel()
	entries := []filecmd.Entry{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}}
	got, err := filecmd.Format(filecmd.Env, entries, nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(got), "\n")
	d0, d1 := strings.TrimPrefix(lines[0], "A<<"), strings.TrimPrefix(lines[3], "B<<")
	for _, d := range []string{d0, d1} {
		if len(d) != len(seqDelim0) || !strings.HasPrefix(d, "ghadelimiter_") {
			t.Errorf("delimiter %q is not ghadelimiter_ and 32 hex digits", d)
		}
	}
	if d0 == d1 {
		t.Errorf("both entries got delimiter %q", d0)
	}
	if parsed, err := filecmd.Parse(got); err != nil || !reflect.DeepEqual(parsed, entries) {
		t.Errorf("Parse = %q, %v; want %q", parsed, err, entries)
	}
}

// secret marks values in rejection tests; no error message may contain it.
const secret = "SECRETcf1b"

func TestFormatRejects(t *testing.T) {
	t.Parallel()
	ok := filecmd.Entry{Name: "OK", Value: secret}
	tests := []struct {
		name    string
		kind    filecmd.Kind
		entries []filecmd.Entry
		want    error  // reason, for errors.Is
		bad     string // Name field of the *NameError or *ValueError
	}{
		{"empty name", filecmd.Env, []filecmd.Entry{{"", secret}}, filecmd.ErrNameSyntax, ""},
		{"leading digit", filecmd.Env, []filecmd.Entry{{"1A", secret}}, filecmd.ErrNameSyntax, "1A"},
		{"dash in env", filecmd.Env, []filecmd.Entry{{"A-B", secret}}, filecmd.ErrNameSyntax, "A-B"},
		{"dash in state", filecmd.State, []filecmd.Entry{{"A-B", secret}}, filecmd.ErrNameSyntax, "A-B"},
		{"leading dash in output", filecmd.Output, []filecmd.Entry{{"-a", secret}}, filecmd.ErrNameSyntax, "-a"},
		{"leading digit in output", filecmd.Output, []filecmd.Entry{{"9a", secret}}, filecmd.ErrNameSyntax, "9a"},
		{"equals in name", filecmd.Env, []filecmd.Entry{{"A=B", secret}}, filecmd.ErrNameSyntax, "A=B"},
		{"heredoc in name", filecmd.Output, []filecmd.Entry{{"A<<B", secret}}, filecmd.ErrNameSyntax, "A<<B"},
		{"newline in name", filecmd.Env, []filecmd.Entry{{"A\nLD_PRELOAD", secret}}, filecmd.ErrNameSyntax, "A\nLD_PRELOAD"},
		{"space in name", filecmd.Env, []filecmd.Entry{{"A B", secret}}, filecmd.ErrNameSyntax, "A B"},
		{"dot in name", filecmd.Output, []filecmd.Entry{{"a.b", secret}}, filecmd.ErrNameSyntax, "a.b"},
		{"non-ASCII name", filecmd.Env, []filecmd.Entry{{"É", secret}}, filecmd.ErrNameSyntax, "É"},
		{"NUL in name", filecmd.Env, []filecmd.Entry{{"A\x00", secret}}, filecmd.ErrNameSyntax, "A\x00"},
		{"NODE_OPTIONS", filecmd.Env, []filecmd.Entry{{"NODE_OPTIONS", secret}}, filecmd.ErrNameBlocked, "NODE_OPTIONS"},
		{"node_options", filecmd.Env, []filecmd.Entry{{"node_options", secret}}, filecmd.ErrNameBlocked, "node_options"},
		{"Node_Options", filecmd.Env, []filecmd.Entry{{"Node_Options", secret}}, filecmd.ErrNameBlocked, "Node_Options"},
		{"NUL in value", filecmd.Env, []filecmd.Entry{{"A", secret + "\x00"}}, filecmd.ErrValueNUL, "A"},
		{"invalid byte", filecmd.Env, []filecmd.Entry{{"A", secret + "\xff"}}, filecmd.ErrValueUTF8, "A"},
		{"truncated sequence", filecmd.Output, []filecmd.Entry{{"a", secret + "\xe2\x82"}}, filecmd.ErrValueUTF8, "a"},
		{"UTF-8 surrogate", filecmd.Env, []filecmd.Entry{{"A", secret + "\xed\xa0\x80"}}, filecmd.ErrValueUTF8, "A"},
		{"overlong encoding", filecmd.Env, []filecmd.Entry{{"A", secret + "\xc0\xaf"}}, filecmd.ErrValueUTF8, "A"},
		{"delimiter as a line", filecmd.Env, []filecmd.Entry{{"A", secret + "\n" + seqDelim0 + "\nLD_PRELOAD=x"}}, filecmd.ErrValueDelimiter, "A"},
		{"delimiter inside a line", filecmd.Output, []filecmd.Entry{{"a", secret + seqDelim0 + secret}}, filecmd.ErrValueDelimiter, "a"},
		{"delimiter of second entry", filecmd.Env, []filecmd.Entry{ok, {"B", secret + "\n" + seqDelim1}}, filecmd.ErrValueDelimiter, "B"},
		{"bad second entry", filecmd.Env, []filecmd.Entry{ok, {"2B", secret}}, filecmd.ErrNameSyntax, "2B"},
		{"bad value after good entry", filecmd.State, []filecmd.Entry{ok, {"B", "\xff" + secret}}, filecmd.ErrValueUTF8, "B"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := filecmd.Format(tc.kind, tc.entries, &seqReader{})
			if err == nil {
				t.Fatalf("Format = %q, want an error", out)
			}
			if out != nil {
				t.Errorf("Format returned %q with its error, want nothing", out)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %q does not match %q", err, tc.want)
			}
			var nameErr *filecmd.NameError
			var valueErr *filecmd.ValueError
			switch {
			case errors.As(err, &nameErr):
				if nameErr.Name != tc.bad || nameErr.Kind != tc.kind {
					t.Errorf("NameError{Kind: %v, Name: %q}, want {%v, %q}", nameErr.Kind, nameErr.Name, tc.kind, tc.bad)
				}
			case errors.As(err, &valueErr):
				if valueErr.Name != tc.bad || valueErr.Kind != tc.kind {
					t.Errorf("ValueError{Kind: %v, Name: %q}, want {%v, %q}", valueErr.Kind, valueErr.Name, tc.kind, tc.bad)
				}
			default:
				t.Errorf("error %T is neither *NameError nor *ValueError", err)
			}
			msg := err.Error()
			if strings.Contains(msg, secret) {
				t.Errorf("error message %q contains the value", msg)
			}
			if !strings.Contains(msg, tc.kind.String()) {
				t.Errorf("error message %q does not name %v", msg, tc.kind)
			}
			if strings.ContainsAny(msg, "\n\x00") {
				t.Errorf("error message %q contains a raw newline or NUL", msg)
			}
			if msg != strings.ToLower(msg[:1])+msg[1:] {
				t.Errorf("error message %q is not lowercase", msg)
			}
		})
	}
}

func TestFormatAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind filecmd.Kind
		e    filecmd.Entry
	}{
		{"underscore", filecmd.Env, filecmd.Entry{Name: "_", Value: "x"}},
		{"mixed case", filecmd.Env, filecmd.Entry{Name: "aWs_Region9", Value: "x"}},
		{"NODE_OPTIONS output", filecmd.Output, filecmd.Entry{Name: "NODE_OPTIONS", Value: "x"}},
		{"NODE_OPTIONS state", filecmd.State, filecmd.Entry{Name: "NODE_OPTIONS", Value: "x"}},
		{"NODE_OPTIONS prefix in env", filecmd.Env, filecmd.Entry{Name: "NODE_OPTIONS_X", Value: "x"}},
		{"output id", filecmd.Output, filecmd.Entry{Name: "aws-account-id", Value: "123456789012"}},
		{"trailing dash", filecmd.Output, filecmd.Entry{Name: "a-", Value: "x"}},
		{"delimiter prefix only", filecmd.Env, filecmd.Entry{Name: "A", Value: "ghadelimiter_\nghadelimiter_00"}},
		{"other delimiter", filecmd.Env, filecmd.Entry{Name: "A", Value: seqDelim1}},
		{"name looks like delimiter", filecmd.Env, filecmd.Entry{Name: seqDelim0, Value: "x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := filecmd.Format(tc.kind, []filecmd.Entry{tc.e}, &seqReader{})
			if err != nil {
				t.Fatalf("Format: %v", err)
			}
			got, err := filecmd.Parse(out)
			if err != nil || len(got) != 1 || got[0] != tc.e {
				t.Errorf("Parse(Format(%q)) = %q, %v", tc.e, got, err)
			}
		})
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestFormatRandomFails(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name string
		rnd  io.Reader
		want error
	}{
		{"read error", errReader{boom}, boom},
		{"short", strings.NewReader("0123456789"), io.ErrUnexpectedEOF},
		{"empty", strings.NewReader(""), io.EOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := filecmd.Format(filecmd.Env, []filecmd.Entry{{Name: "A", Value: secret}}, tc.rnd)
			if !errors.Is(err, tc.want) || out != nil {
				t.Errorf("Format = %q, %v; want no bytes and %v", out, err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("error message %q contains the value", err)
			}
		})
	}
}

func TestFormatUnknownKind(t *testing.T) {
	t.Parallel()
	for _, k := range []filecmd.Kind{0, 4, -1} {
		if out, err := filecmd.Format(k, []filecmd.Entry{{Name: "A", Value: "1"}}, &seqReader{}); err == nil || out != nil {
			t.Errorf("Format(%v) = %q, %v; want an error", k, out, err)
		}
	}
}

func TestKindString(t *testing.T) {
	t.Parallel()
	for k, want := range map[filecmd.Kind]string{
		filecmd.Env:    "GITHUB_ENV",
		filecmd.Output: "GITHUB_OUTPUT",
		filecmd.State:  "GITHUB_STATE",
		0:              "Kind(0)",
	} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}
