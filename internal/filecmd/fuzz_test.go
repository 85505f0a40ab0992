package filecmd_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/assume-role/assume-role/internal/filecmd"
)

var (
	envName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	outputName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
)

// wantFormatErr is an independent statement of Format's rules: the reason
// and name of the first refused entry, or nil if Format must succeed with
// delimiters from a fresh seqReader.
func wantFormatErr(kind filecmd.Kind, es []filecmd.Entry) (string, error) {
	for _, e := range es {
		re := envName
		if kind == filecmd.Output {
			re = outputName
		}
		switch {
		case !re.MatchString(e.Name):
			return e.Name, filecmd.ErrNameSyntax
		case kind == filecmd.Env && strings.ToUpper(e.Name) == "NODE_OPTIONS":
			return e.Name, filecmd.ErrNameBlocked
		case strings.Contains(e.Value, "\x00"):
			return e.Name, filecmd.ErrValueNUL
		case !utf8.ValidString(e.Value):
			return e.Name, filecmd.ErrValueUTF8
		}
	}
	for i, e := range es {
		if strings.Contains(e.Value, []string{seqDelim0, seqDelim1}[i]) {
			return e.Name, filecmd.ErrValueDelimiter
		}
	}
	return "", nil
}

// validName turns any string into a name Format accepts for kind, so that
// most fuzz inputs reach the round trip instead of stopping at the name.
func validName(kind filecmd.Kind, s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' ||
			i > 0 && ('0' <= c && c <= '9' || kind == filecmd.Output && c == '-')
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) == 0 || kind == filecmd.Env && strings.EqualFold(string(b), "NODE_OPTIONS") {
		b = append([]byte{'_'}, b...)
	}
	return string(b)
}

func FuzzFormatParse(f *testing.F) {
	seeds := []struct {
		kind           uint8
		n1, v1, n2, v2 string
	}{
		{0, "AWS_ACCESS_KEY_ID", "ASIAIOSFODNN7EXAMPLE", "AWS_SESSION_TOKEN", "IQoJb3JpZ2luX2VjEXAMPLE+/=="},
		{1, "aws-account-id", "123456789012", "aws-arn", "arn:aws:sts::123456789012:assumed-role/r/s"},
		{2, "state", "", "x", "\n"},
		{0, "A", "line 1\nline 2", "B", "last\n"},
		{0, "A", "\n\n", "B", "\na\n\n"},
		{1, "a", "a\r\nb\r\n", "b", "\r"},
		{1, "a", "A=B", "b", "C<<D\n<<\n="},
		{0, "A", "x\n" + naiveDelimiter + "\nLD_PRELOAD=/tmp/evil.so", "B", naiveDelimiter},
		{0, "A", "x\n" + seqDelim0 + "\nLD_PRELOAD=x", "B", "y"},
		{0, "A", "x", "B", seqDelim1 + "\n"},
		{0, "A", "ghadelimiter_", "B", "ghadelimiter_0001"},
		{2, "A", "héllo 世界 🎉", "B", "\u2028\ufeff\u0085"},
		{0, "NODE_OPTIONS", "--require=x", "node_options", "y"},
		{1, "1a", "x", "a-b", "y"},
		{0, "A", "\xff", "B", "\x00"},
		{0, "", "", "", ""},
		// Workflow-command text the runner would act on in a log line.
		{1, "a", "x\r::save-state name=files::/etc/passwd", "b", "\u00a0::set-output name=x::y"},
		{0, "A", "x\r\n\u3000::add-mask::y", "B", "##[set-env name=LD_PRELOAD]/tmp/x"},
	}
	for _, s := range seeds {
		f.Add(s.kind, s.n1, s.v1, s.n2, s.v2)
	}
	f.Fuzz(func(t *testing.T, k uint8, n1, v1, n2, v2 string) {
		kind := filecmd.Kind(k%3) + filecmd.Env
		for _, es := range [][]filecmd.Entry{
			{{Name: n1, Value: v1}, {Name: n2, Value: v2}},
			{{Name: validName(kind, n1), Value: v1}, {Name: validName(kind, n2), Value: v2}},
		} {
			out, err := filecmd.Format(kind, es, &seqReader{})
			wantName, wantErr := wantFormatErr(kind, es)
			if wantErr != nil {
				if !errors.Is(err, wantErr) || out != nil {
					t.Fatalf("Format(%v, %q) = %q, %v; want no bytes and %v", kind, es, out, err, wantErr)
				}
				var ne *filecmd.NameError
				var ve *filecmd.ValueError
				if !(errors.As(err, &ne) && ne.Name == wantName) && !(errors.As(err, &ve) && ve.Name == wantName) {
					t.Fatalf("Format error %#v does not name entry %q", err, wantName)
				}
				continue
			}
			if err != nil {
				t.Fatalf("Format(%v, %q): %v", kind, es, err)
			}
			got, err := filecmd.Parse(out)
			if err != nil || !reflect.DeepEqual(got, es) {
				t.Fatalf("Parse(Format(%q)) = %q, %v\nformatted: %q", es, got, err, out)
			}
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"A=B\n",
		"A<<EOF\nx\nEOF\n",
		"A<<EOF\nx",
		"A<<EOF\nx\n",
		"=x\n<<y\n",
		"A<<B=C\nx\nB=C\n",
		"\ufeffA=1\r\n",
		"A=\xff",
		naiveFormat("A", "x\n"+naiveDelimiter+"\nLD_PRELOAD=x"),
	} {
		f.Add([]byte(s))
	}
	golden, _ := filepath.Glob(filepath.Join("testdata", "*.golden"))
	for _, path := range golden {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := filecmd.Parse(data)
		if err != nil {
			var pe *filecmd.ParseError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("Parse error %#v is not a *ParseError with a line", err)
			}
		}
		// Whatever the runner read, writing it again with Format (when Format
		// accepts it) must read back the same.
		out, ferr := filecmd.Format(filecmd.Output, got, &seqReader{})
		if ferr != nil {
			return
		}
		again, err := filecmd.Parse(out)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("Parse(Format(%q)) = %q, %v", got, again, err)
		}
	})
}
