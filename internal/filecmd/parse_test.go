package filecmd_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/filecmd"
)

type entries = []filecmd.Entry

// TestParse covers the runner's rules on hand-written files, including the
// cases in actions/runner's own FileCommandManager tests.
func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want entries
	}{
		{"empty file", "", nil},
		{"only newlines", "\n\n\n", nil},
		{"simple", "A=B\n", entries{{"A", "B"}}},
		{"simple at EOF", "A=B", entries{{"A", "B"}}},
		{"empty value", "A=\n", entries{{"A", ""}}},
		{"split at first equals", "A=B=C\n", entries{{"A", "B=C"}}},
		{"equals before heredoc", "A=B<<C\n", entries{{"A", "B<<C"}}},
		{"CR kept in simple value", "A=1\r\n", entries{{"A", "1\r"}}},
		{"blank lines skipped", "\nA=1\n\nB=2\n\n", entries{{"A", "1"}, {"B", "2"}}},
		{"duplicates kept in order", "A=1\nA=2\n", entries{{"A", "1"}, {"A", "2"}}},
		{"empty name (runner fails later)", "=x\n", entries{{"", "x"}}},
		{"odd name", "A B<C=1\n", entries{{"A B<C", "1"}}},
		{"heredoc", "A<<EOF\nhello\nworld\nEOF\n", entries{{"A", "hello\nworld"}}},
		{"heredoc delimiter at EOF", "A<<EOF\nx\nEOF", entries{{"A", "x"}}},
		{"heredoc empty, no lines", "A<<EOF\nEOF\n", entries{{"A", ""}}},
		{"heredoc empty line", "A<<EOF\n\nEOF\n", entries{{"A", ""}}},
		{"heredoc one newline", "A<<EOF\n\n\nEOF\n", entries{{"A", "\n"}}},
		{"heredoc trailing newline", "A<<EOF\nx\n\nEOF\n", entries{{"A", "x\n"}}},
		{"heredoc keeps CR", "A<<EOF\nx\r\ny\r\nEOF\n", entries{{"A", "x\r\ny\r"}}},
		{"heredoc delimiter must match exactly", "A<<EOF\n EOF\nEOF \nEOF\r\neof\nEOF\n", entries{{"A", " EOF\nEOF \nEOF\r\neof"}}},
		{"heredoc value with equals and heredoc", "A<<EOF\nB=1\nC<<D\nEOF\n", entries{{"A", "B=1\nC<<D"}}},
		{"heredoc before equals", "A<<B=C\nx\nB=C\n", entries{{"A", "x"}}},
		{"heredoc split at first <<", "A<<<EOF<<X\nx\n<EOF<<X\n", entries{{"A", "x"}}},
		{"heredoc then simple", "A<<EOF\n1\nEOF\nB=2\n", entries{{"A", "1"}, {"B", "2"}}},
		{"UTF-8 BOM skipped", "\ufeffA=1\n", entries{{"A", "1"}}},
		{"BOM kept inside", "A=\ufeff\n", entries{{"A", "\ufeff"}}},
		{"unicode", "A<<EOF\nhéllo 世界\nEOF\n", entries{{"A", "héllo 世界"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := filecmd.Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		want   error
		line   int
		before entries // entries the runner has already applied
	}{
		{"no equals or heredoc", "SECRET_NO_EQUALS\n", filecmd.ErrInvalidFormat, 1, nil},
		{"bad line after good", "A=1\n\nSECRET\nB=2\n", filecmd.ErrInvalidFormat, 3, entries{{"A", "1"}}},
		{"single <", "A<B\n", filecmd.ErrInvalidFormat, 1, nil},
		{"heredoc without name", "<<EOF\nx\nEOF\n", filecmd.ErrInvalidFormat, 1, nil},
		{"heredoc without delimiter", "A<<\nx\n\n", filecmd.ErrInvalidFormat, 1, nil},
		{"delimiter not found", "A<<EOF\nSECRET\n", filecmd.ErrDelimiterNotFound, 1, nil},
		{"header at EOF", "A=1\nB<<EOF", filecmd.ErrDelimiterNotFound, 2, entries{{"A", "1"}}},
		{"delimiter with CR", "A<<EOF\nx\nEOF\r\n", filecmd.ErrDelimiterNotFound, 1, nil},
		{"last line without newline", "A<<EOF\nSECRET", filecmd.ErrMissingNewline, 1, nil},
		// actions/runner SetEnvFileCommand_Heredoc_MissingNewLineMultipleLinesEnv.
		{"runner missing newline case", "MY_OUTPUT<<EOF line one\n line two\n line three EOF", filecmd.ErrMissingNewline, 1, nil},
		{"invalid UTF-8", "A=1\nB=\xff\n", filecmd.ErrNotUTF8, 2, nil},
		{"UTF-16 BOM", "\xff\xfeA\x00=\x001\x00", filecmd.ErrNotUTF8, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := filecmd.Parse([]byte(tc.in))
			var pe *filecmd.ParseError
			if !errors.As(err, &pe) || !errors.Is(err, tc.want) || pe.Line != tc.line {
				t.Fatalf("Parse(%q) error = %v, want %v at line %d", tc.in, err, tc.want, tc.line)
			}
			if !reflect.DeepEqual(got, tc.before) {
				t.Errorf("Parse(%q) entries = %q, want %q", tc.in, got, tc.before)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q contains file content", err)
			}
		})
	}
}

// TestInjection shows why the delimiter must be random and checked: with the
// fixed delimiter of go-githubactions, a value can end its own heredoc and
// set any other variable for the rest of the job.
func TestInjection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		value     string
		injected  entries // what the runner reads from the naive format
		naiveFail bool    // whether the runner also fails the step
	}{
		{
			name:      "simple line",
			value:     "x\n" + naiveDelimiter + "\nLD_PRELOAD=/tmp/evil.so",
			injected:  entries{{"ROLE_SESSION_NAME", "x"}, {"LD_PRELOAD", "/tmp/evil.so"}},
			naiveFail: true, // the writer's own closing delimiter is then an invalid line
		},
		{
			name:     "heredoc that reuses the writer's closing delimiter",
			value:    "x\n" + naiveDelimiter + "\nLD_PRELOAD<<" + naiveDelimiter + "\n/tmp/evil.so",
			injected: entries{{"ROLE_SESSION_NAME", "x"}, {"LD_PRELOAD", "/tmp/evil.so"}},
		},
		{
			name:     "several variables",
			value:    "x\n" + naiveDelimiter + "\nBASH_ENV=/tmp/evil.sh\nAWS_ACCESS_KEY_ID<<" + naiveDelimiter + "\nAKIAATTACKER",
			injected: entries{{"ROLE_SESSION_NAME", "x"}, {"BASH_ENV", "/tmp/evil.sh"}, {"AWS_ACCESS_KEY_ID", "AKIAATTACKER"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := filecmd.Parse([]byte(naiveFormat("ROLE_SESSION_NAME", tc.value)))
			if !reflect.DeepEqual(got, tc.injected) {
				t.Errorf("naive format read as %q, want the injection %q", got, tc.injected)
			}
			if (err != nil) != tc.naiveFail {
				t.Errorf("naive format: Parse error = %v, want failure %v", err, tc.naiveFail)
			}

			want := entries{{"ROLE_SESSION_NAME", tc.value}}
			out, err := filecmd.Format(filecmd.Env, want, nil)
			if err != nil {
				t.Fatalf("Format: %v", err)
			}
			if got, err := filecmd.Parse(out); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("our format read as %q, %v; want exactly %q", got, err, want)
			}

			// An attacker who knew our delimiter is refused, not obeyed.
			known := strings.ReplaceAll(tc.value, naiveDelimiter, seqDelim0)
			if _, err := filecmd.Format(filecmd.Env, entries{{"ROLE_SESSION_NAME", known}}, &seqReader{}); !errors.Is(err, filecmd.ErrValueDelimiter) {
				t.Errorf("Format with a known delimiter = %v, want ErrValueDelimiter", err)
			}
		})
	}
}
