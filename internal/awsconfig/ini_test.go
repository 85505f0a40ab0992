package awsconfig

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestSplitLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{"a\nb\n", []string{"a\n", "b\n"}},
		{"a\r\nb\r\n", []string{"a\r\n", "b\r\n"}},
		{"a\rb\n\nc", []string{"a\r", "b\n", "\n", "c"}},
		{"\r\r\n\n", []string{"\r", "\r\n", "\n"}},
	}
	for _, tc := range tests {
		if got := splitLines(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitLines(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	const (
		B = kindBlank
		C = kindComment
		H = kindHeader
		O = kindOption
		K = kindContinuation
		X = kindOrphan
	)
	tests := []struct {
		name string
		in   string
		want []kind
	}{
		{"plain", "[a]\nk = v\n", []kind{H, O}},
		{"orphan before first header", "k = v\n[a]\n", []kind{X, H}},
		{"comments and blanks", "# c\n[a]\n; c\n\nk=v\n", []kind{C, H, C, B, O}},
		{"nested", "[a]\ns3 =\n  max = 10\n\n  addressing = path\nk = v\n", []kind{H, O, K, B, K, O}},
		{"indented header continues a value", "[a]\nk = v\n  [b]\n", []kind{H, O, K}},
		{"indented header after a header", "[a]\n  [b]\n", []kind{H, H}},
		{"indented header after deeper option", "[a]\n    k = v\n  [b]\n", []kind{H, O, H}},
		{"comment does not end a value", "[a]\nk =\n# c\n  x\n", []kind{H, O, C, K}},
		{"line without delimiter keeps the option", "[a]\nk = v\nbad\n  [b]\n", []kind{H, O, O, K}},
		{"empty option name starts no value", "[a]\n= v\n  [b]\n", []kind{H, O, H}},
		{"not headers", "[a]\n[]\nx[b]\n", []kind{H, O, O}},
		{"header with trailing text", "[a] # note\n", []kind{H}},
		{"CRLF", "[a]\r\nk = v\r\n\r\n", []kind{H, O, B}},
		{"lone CR ends a line", "[a]\rk = v\r", []kind{H, O}},
	}
	for _, tc := range tests {
		d := parse(tc.in)
		var got []kind
		for _, l := range d.lines {
			got = append(got, l.kind)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: kinds of %q = %v, want %v", tc.name, tc.in, got, tc.want)
		}
	}
}

// TestClassifyMatchesPython checks our headers against Python's configparser,
// which the AWS CLI reads the files with, on inputs it accepts.
func TestClassifyMatchesPython(t *testing.T) {
	t.Parallel()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	inputs := []string{
		"[a]\nk = v\n  [b]\n",
		"[a]\n  [b]\n",
		"[a]\n    k = v\n  [b]\n",
		"[a]\nk =\n# c\n  x\n[b]\n",
		"[a]\nk = v\nbad\n  [b]\n[c]\n",
		"[a]\n= v\n  [b]\n",
		"[a]\n[]\nx[b]\n[c]]\n",
		"[a] # note\n[ b ]\n",
		"[a]\rk = v\r[b]\r\n",
		"[a]\n\tk = v\n [b]\n\t\t[c]\nx: y\n  [d]\n",
		"[a]\nk =\n\n\n  [b]\n[c]\n",
		"[profile x]\ns3 =\n  max = 1\n[sso-session y]\n",
	}
	// Print each header's name, as Python sees it, one per line. The file is
	// read as botocore reads it: opened with universal newlines, which
	// read_string would not use.
	const script = `import configparser, sys
cp = configparser.RawConfigParser()
try:
    cp.read([sys.argv[1]])
except configparser.ParsingError:
    pass
print("\n".join(s.replace("\r", "\\r") for s in cp.sections()))`
	dir := t.TempDir()
	for i, in := range inputs {
		path := filepath.Join(dir, strconv.Itoa(i))
		if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(python, "-c", script, path)
		cmd.Env = []string{"PYTHONIOENCODING=utf-8"}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("python on %q: %v", in, err)
		}
		var want []string
		if s := strings.TrimRight(string(out), "\n"); s != "" {
			want = strings.Split(s, "\n")
		}
		var got []string
		for _, l := range parse(in).lines {
			if l.kind == kindHeader {
				got = append(got, l.header)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("headers of %q = %q, Python says %q", in, got, want)
		}
	}
}

func TestShlexSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{"profile x", []string{"profile", "x"}, true},
		{"profile  \t x ", []string{"profile", "x"}, true},
		{`profile "x"`, []string{"profile", "x"}, true},
		{`profile 'x y'`, []string{"profile", "x y"}, true},
		{`profile x\ y`, []string{"profile", "x y"}, true},
		{`profile "a\"b\c"`, []string{"profile", `a"b\c`}, true},
		{`profile a"b"c`, []string{"profile", "abc"}, true},
		{`profile ''`, []string{"profile", ""}, true},
		{`profile "x`, nil, false},
		{`profile 'x`, nil, false},
		{`profile x\`, nil, false},
	}
	for _, tc := range tests {
		got, ok := shlexSplit(tc.in)
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("shlexSplit(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestHeaderMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header, name  string
		config, creds bool
	}{
		{"ci", "ci", false, true},
		{" ci ", "ci", false, true},
		{"profile ci", "ci", true, false},
		{"profile   ci ", "ci", true, false},
		{` profile "ci"`, "ci", true, false},
		{"profiles ci", "ci", true, false}, // botocore only checks the prefix
		{"profile ci x", "ci", false, false},
		{"profile cix", "ci", false, false},
		{"sso-session ci", "ci", false, false},
		{"default", "default", true, true},
		{" default", "default", true, true},
		{"profile default", "default", true, false},
		{"DEFAULT", "default", true, false},
		{"Default", "default", true, false},
	}
	for _, tc := range tests {
		if got := configHeader(tc.header, tc.name); got != tc.config {
			t.Errorf("configHeader(%q, %q) = %v, want %v", tc.header, tc.name, got, tc.config)
		}
		if got := credentialsHeader(tc.header, tc.name); got != tc.creds {
			t.Errorf("credentialsHeader(%q, %q) = %v, want %v", tc.header, tc.name, got, tc.creds)
		}
	}
}

func TestEditText(t *testing.T) {
	t.Parallel()
	match := func(h string) bool { return credentialsHeader(h, "p") }
	sec := []string{"[p]", "k = new"}
	tests := []struct {
		name    string
		in      string
		section []string
		want    string
		lost    int // -1 when the edit must succeed
	}{
		{"empty", "", sec, "[p]\nk = new\n", -1},
		{"append after final newline", "[a]\nx = 1\n", sec, "[a]\nx = 1\n\n[p]\nk = new\n", -1},
		{"append without final newline", "[a]\nx = 1", sec, "[a]\nx = 1\n\n[p]\nk = new\n", -1},
		{"append after blank line", "[a]\nx = 1\n\n", sec, "[a]\nx = 1\n\n[p]\nk = new\n", -1},
		{"append with CRLF", "[a]\r\nx = 1\r\n", sec, "[a]\r\nx = 1\r\n\r\n[p]\r\nk = new\r\n", -1},
		{"replace in place, keeping what follows", "[p]\nk = old\n# about b\n\n[b]\n", sec, "[p]\nk = new\n# about b\n\n[b]\n", -1},
		{"replace drops comments and nested values inside", "[p]\n# mine\nk = old\ns3 =\n  x = 1\n[b]\n", sec, "[p]\nk = new\n[b]\n", -1},
		{"replace first, drop duplicate", "[p]\nk = 1\n[b]\n[ p ]\nk = 2\n", sec, "[p]\nk = new\n[b]\n", -1},
		{"move to the end before an indented header", "[p]\n    k = old\n  [b]\nx = 1\n", sec, "  [b]\nx = 1\n\n[p]\nk = new\n", -1},
		{"indented header after previous option", "[a]\nx = 1\n[p]\n    k = old\n  [b]\n", sec, "", 4},
		{"remove at end", "[a]\nx = 1\n\n[p]\nk = 1\n", nil, "[a]\nx = 1\n", -1},
		{"remove in middle", "[a]\nx = 1\n\n[p]\nk = 1\n\n[b]\n", nil, "[a]\nx = 1\n\n[b]\n", -1},
		{"remove at start", "[p]\nk = 1\n\n[b]\n", nil, "[b]\n", -1},
		{"remove keeps trailing comment", "[a]\n\n[p]\nk = 1\n# b\n[b]\n", nil, "[a]\n\n# b\n[b]\n", -1},
		{"remove nothing", "[a]\n", nil, "[a]\n", -1},
		{"remove indented header's anchor", "[a]\nx = 1\n[p]\n    k = 1\n  [b]\n", nil, "", 4},
	}
	for _, tc := range tests {
		got, lost, ok := editText(tc.in, match, tc.section)
		if tc.lost >= 0 {
			if ok || lost != tc.lost {
				t.Errorf("%s: editText(%q) = %q, %d, %v; want line %d lost", tc.name, tc.in, got, lost, ok, tc.lost)
			}
			continue
		}
		if !ok || got != tc.want {
			t.Errorf("%s: editText(%q) = %q, %d, %v; want %q", tc.name, tc.in, got, lost, ok, tc.want)
		}
	}
}

// Write then Remove gives back the original file whenever the profile was
// appended to a file ending in a newline.
func TestEditTextInverse(t *testing.T) {
	t.Parallel()
	match := func(h string) bool { return configHeader(h, "p") }
	for _, in := range []string{"", "[a]\nx = 1\n", "# only a comment\n", "[a]\r\nx = 1\r\n", "[a]\ns3 =\n  x = 1\n"} {
		added, _, ok := editText(in, match, []string{"[profile p]", "region = eu-west-1"})
		if !ok {
			t.Fatalf("adding to %q failed", in)
		}
		removed, _, ok := editText(added, match, nil)
		if !ok || removed != in {
			t.Errorf("add then remove on %q = %q, want it unchanged", in, removed)
		}
	}
}
