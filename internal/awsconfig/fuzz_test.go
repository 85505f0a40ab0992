package awsconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRoundTrip edits arbitrary file text with a valid profile section and
// checks that the profile is then there exactly once, with exactly our lines,
// and that every original line outside the replaced sections, blank lines
// aside, is still there, in order, with every header still read as a header,
// and that nothing else was added.
func FuzzRoundTrip(f *testing.F) {
	for _, name := range []string{"config", "credentials"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), uint8(0))
		f.Add(strings.ReplaceAll(string(b), "\n", "\r\n"), uint8(3))
	}
	for _, s := range []string{
		"", "[ci]", "[profile ci]\nregion = x", "[default]\n[profile default]\n",
		"k = v\n[a]\n  [ci]\n", "[a]\nx = 1\n[ci]\n    k = 1\n  [b]\n",
		"[ci]\r[ci]\r\n[ ci ]\n", "[a]\ns3 =\n\n  [ci]\n", "# c\n\n[ci]\n# c\n\n",
	} {
		for sel := range uint8(6) {
			f.Add(s, sel)
		}
	}
	names := []string{"ci", "default", "a.b+c=d,e@f-g_h"}
	f.Fuzz(func(t *testing.T, text string, sel uint8) {
		name := names[int(sel)%len(names)]
		config := sel/uint8(len(names))%2 == 1
		match := func(h string) bool { return credentialsHeader(h, name) }
		section := []string{"[" + name + "]", "aws_access_key_id = ASIA/EXAMPLE+", "aws_secret_access_key = s3cr3t=="}
		if config {
			match = func(h string) bool { return configHeader(h, name) }
			section = []string{"[profile " + name + "]", "region = eu-west-1"}
		}

		before := parse(text)
		after, lost, ok := editText(text, match, section)
		if !ok {
			// Only an indented header can be lost, and it must be one.
			if lost >= len(before.lines) || before.lines[lost].kind != kindHeader ||
				!isSpace(rune(before.lines[lost].text[0])) {
				t.Fatalf("edit refused, blaming line %d, which is not an indented header:\n%q", lost, text)
			}
			return
		}

		// The profile is there once, with our lines only.
		d := parse(after)
		bodies := d.bodies(match)
		if len(bodies) != 1 {
			t.Fatalf("profile found %d times in %q", len(bodies), after)
		}
		var got []string
		for _, l := range d.lines[bodies[0].start:bodies[0].end] {
			got = append(got, trimEOL(l.text))
		}
		if strings.Join(got, "\n") != strings.Join(section, "\n") {
			t.Fatalf("profile section = %q, want %q in %q", got, section, after)
		}

		// Every other line is kept, in order: the output without our section
		// is the input without the replaced ones, but for a terminator added
		// to the last line and a blank line before an appended section.
		removed := make([]bool, len(before.lines))
		for _, sp := range before.bodies(match) {
			for i := sp.start; i < sp.end; i++ {
				removed[i] = true
			}
		}
		var rest []line
		rest = append(rest, d.lines[:bodies[0].start]...)
		rest = append(rest, d.lines[bodies[0].end:]...)
		j := 0
		for i, l := range before.lines {
			// Blank lines are skipped: one ending in a lone "\r" and the next
			// starting with "\n" become one line break when an edit brings
			// them together, which only such mixed files can show.
			if removed[i] || l.kind == kindBlank {
				continue
			}
			for j < len(rest) && trimEOL(rest[j].text) != trimEOL(l.text) {
				if trimSpace(rest[j].text) != "" {
					t.Fatalf("line %d %q missing or out of order; got %q instead in %q", i, l.text, rest[j].text, after)
				}
				j++
			}
			if j == len(rest) {
				t.Fatalf("line %d %q missing from %q", i, l.text, after)
			}
			if l.kind == kindHeader && rest[j].kind != kindHeader {
				t.Fatalf("header on line %d %q is no longer a header in %q", i, l.text, after)
			}
			j++
		}
		for ; j < len(rest); j++ {
			if trimSpace(rest[j].text) != "" {
				t.Fatalf("unexpected line %q in %q", rest[j].text, after)
			}
		}

		// Removing the profile again leaves no trace of it and loses no line
		// that is not blank.
		back, _, ok := editText(after, match, nil)
		if ok && len(parse(back).bodies(match)) != 0 {
			t.Fatalf("profile still in %q after removal", back)
		}
	})
}
