package awsconfig

import (
	"strings"
	"unicode"
)

// This file is a line-preserving editor for the AWS shared files, not an INI
// parser. It classifies each line the way Python's configparser does, since
// that is what the AWS CLI (botocore) reads the files with: a line counts as
// a section header only where configparser would see one, so that what we
// replace or keep is what the CLI sees as a profile. Lines are never
// re-serialised: everything outside the sections we edit keeps its bytes.

type kind uint8

const (
	kindBlank        kind = iota
	kindComment           // a whole-line comment starting with # or ;
	kindHeader            // [name]
	kindOption            // key = value, or any other content inside a section
	kindContinuation      // an indented line continuing the previous value (nested "s3 =" keys)
	kindOrphan            // content before the first header, which configparser rejects
)

type line struct {
	text   string // the raw line, terminator included
	kind   kind
	header string // the text between the brackets, for kindHeader
}

type doc struct {
	lines []line
	nl    string // terminator for lines we add: "\r\n" if the file's first one has "\r", else "\n"
}

// span is the body of a section, lines[start:end]: its header and every line
// up to its last option or continuation line. Blank and comment lines after
// that are left out, as they usually introduce the next section.
type span struct{ start, end int }

func parse(s string) *doc {
	d := &doc{nl: "\n"}
	for _, t := range splitLines(s) {
		d.lines = append(d.lines, line{text: t})
	}
	for _, l := range d.lines {
		if eol := l.text[len(trimEOL(l.text)):]; eol != "" {
			// A lone "\r" (old Mac files) becomes "\r\n": followed by a kept
			// line starting with "\n", it would join that line's terminator.
			if eol[0] == '\r' {
				d.nl = "\r\n"
			}
			break
		}
	}
	classify(d.lines)
	return d
}

// splitLines splits s after each "\r\n", "\n" or lone "\r": Python reads the
// files with universal newlines, so a lone "\r" ends a line for the CLI.
func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			out = append(out, s)
			break
		}
		n := i + 1
		if s[i] == '\r' && n < len(s) && s[n] == '\n' {
			n++
		}
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

func trimEOL(s string) string { return strings.TrimRight(s, "\r\n") }

// isSpace is Python's str.isspace, which configparser's strip() and \s use:
// Go's unicode.IsSpace plus the information separators U+001C to U+001F.
func isSpace(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f }

func trimSpace(s string) string { return strings.TrimFunc(s, isSpace) }

// classify follows RawConfigParser._read with its defaults (comment prefixes
// # and ;, no inline comments, empty lines allowed in values, = and :
// delimiters). Its one subtle rule is indentation: a line indented deeper
// than the option line before it continues that option's value, even if it
// looks like "[header]"; blank and comment lines do not end a value.
func classify(lines []line) {
	inSection, inValue := false, false
	indent := 0
	for i := range lines {
		l := &lines[i]
		raw := trimEOL(l.text)
		s := trimSpace(raw)
		switch {
		case s == "":
			l.kind = kindBlank
			continue
		case s[0] == '#' || s[0] == ';':
			l.kind = kindComment
			continue
		}
		ind := 0 // in characters, as Python counts
		for _, r := range raw {
			if !isSpace(r) {
				break
			}
			ind++
		}
		if inSection && inValue && ind > indent {
			l.kind = kindContinuation
			continue
		}
		indent = ind
		if name, ok := headerName(s); ok {
			l.kind, l.header = kindHeader, name
			inSection, inValue = true, false
			continue
		}
		if !inSection {
			l.kind = kindOrphan
			continue
		}
		l.kind = kindOption
		// A line without a delimiter is a parse error that leaves the current
		// option, and so inValue, as it was.
		if j := strings.IndexAny(s, "=:"); j >= 0 {
			inValue = strings.TrimRightFunc(s[:j], isSpace) != ""
		}
	}
}

// headerName matches configparser's `\[(?P<header>.+)\]` against a stripped
// line: the greedy match runs to the last "]", and text after it is ignored.
func headerName(s string) (string, bool) {
	if len(s) < 3 || s[0] != '[' {
		return "", false
	}
	j := strings.LastIndexByte(s, ']')
	if j < 2 {
		return "", false
	}
	return s[1:j], true
}

// credentialsHeader reports whether a credentials file header names the
// profile. Botocore compares the raw name; other SDKs trim it, and so do we,
// so that "[ name ]" counts as existing rather than getting a duplicate.
func credentialsHeader(header, name string) bool {
	return trimSpace(header) == name
}

// configHeader reports whether a config file header names the profile:
// "[profile name]", also quoted or with extra spaces, or "[default]" in any
// case for the default profile, as the AWS SDK for Go reads it. Like
// botocore, any header starting with "profile" that shell-splits into two
// words names the second word.
func configHeader(header, name string) bool {
	h := trimSpace(header)
	if name == DefaultProfile && strings.EqualFold(h, DefaultProfile) {
		return true
	}
	if !strings.HasPrefix(h, "profile") {
		return false
	}
	words, ok := shlexSplit(h)
	return ok && len(words) == 2 && words[1] == name
}

// shlexSplit is Python's shlex.split (POSIX mode, no comments), which
// botocore applies to config section names. ok is false where shlex raises.
func shlexSplit(s string) (words []string, ok bool) {
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\r', '\n':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case '\\':
			if i+1 == len(s) {
				return nil, false
			}
			i++
			w.WriteByte(s[i])
			inWord = true
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, false
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case '"':
			inWord = true
			for i++; ; i++ {
				if i == len(s) {
					return nil, false
				}
				if s[i] == '"' {
					break
				}
				// Inside double quotes a backslash escapes only " and \.
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				w.WriteByte(s[i])
			}
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, true
}

// bodies returns the bodies of the sections whose header match accepts.
func (d *doc) bodies(match func(string) bool) []span {
	var out []span
	for i, l := range d.lines {
		if l.kind != kindHeader || !match(l.header) {
			continue
		}
		end := i + 1
		for j := i + 1; j < len(d.lines) && d.lines[j].kind != kindHeader; j++ {
			if k := d.lines[j].kind; k == kindOption || k == kindContinuation {
				end = j + 1
			}
		}
		out = append(out, span{i, end})
	}
	return out
}

// edited is a document after an edit: each line with the index of the
// original line it came from, or -1 for a line we wrote.
type edited struct {
	text   []string
	origin []int
}

func (e *edited) add(text string, origin int) {
	e.text = append(e.text, text)
	e.origin = append(e.origin, origin)
}

func (e *edited) String() string { return strings.Join(e.text, "") }

// mode says where edit puts the new section.
type mode uint8

const (
	inPlace  mode = iota // where the first matching section was, else at the end
	atEnd                // always at the end, after removing every matching section
	removing             // nowhere: only remove, tidying the blank lines around each removal
)

// edit removes the bodies of the matching sections and writes section (the
// new lines, terminators excluded) as m says. Everything else is kept as is,
// except that a final line without a terminator gets one when a section is
// appended after it, and, when removing, one of the blank lines on either
// side of a removed body goes with it. That blank line is the one added
// before an appended section, so Remove after Write gives back the very
// file Write started from, if it ended in a line break.
func (d *doc) edit(match func(string) bool, section []string, m mode) *edited {
	spans := d.bodies(match)
	e := &edited{}
	placed := false
	blank := func(i int) bool { return i < len(d.lines) && d.lines[i].kind == kindBlank }
	for i := 0; i < len(d.lines); {
		if len(spans) == 0 || i != spans[0].start {
			e.add(d.lines[i].text, i)
			i++
			continue
		}
		sp := spans[0]
		spans = spans[1:]
		i = sp.end
		switch {
		case m == inPlace && !placed && section != nil:
			for _, s := range section {
				e.add(s+d.nl, -1)
			}
			placed = true
		case m == removing:
			atStart := len(e.text) == 0
			afterBlank := !atStart && e.origin[len(e.origin)-1] >= 0 && d.lines[e.origin[len(e.origin)-1]].kind == kindBlank
			switch {
			case afterBlank && (blank(i) || i == len(d.lines)):
				e.text, e.origin = e.text[:len(e.text)-1], e.origin[:len(e.origin)-1]
			case atStart && blank(i):
				i++
			}
		}
	}
	if section != nil && !placed {
		if n := len(e.text); n > 0 {
			last := e.text[n-1]
			if trimEOL(last) == last {
				e.text[n-1] += d.nl
			}
			if trimSpace(last) != "" {
				e.add(d.nl, -1)
			}
		}
		for _, s := range section {
			e.add(s+d.nl, -1)
		}
	}
	return e
}

// headerLost reports the first original line (counting from 0) that was a
// header and that the edited document no longer reads as one. That happens
// when an edit leaves an indented "[header]" right after an option line,
// which makes it a continuation of that option's value. ok is true when the
// edited document has exactly the headers it should.
func (d *doc) headerLost(e *edited) (lost int, ok bool) {
	wasHeader := func(i int) bool {
		if o := e.origin[i]; o >= 0 {
			return d.lines[o].kind == kindHeader
		}
		_, ok := headerName(trimSpace(e.text[i]))
		return ok
	}
	// Line by line, so that the blame falls on the header that was lost even
	// when another header has the same name.
	lines := parse(e.String()).lines
	if len(lines) != len(e.text) {
		// The edit joined or split lines: compare the headers by name.
		return d.headerLostByName(e)
	}
	for i := range e.text {
		if was, is := wasHeader(i), lines[i].kind == kindHeader; was != is {
			return max(e.origin[i], 0), false
		}
	}
	return 0, true
}

// headerLostByName compares the headers the edited document should have
// with those it has, in order and by name.
func (d *doc) headerLostByName(e *edited) (lost int, ok bool) {
	type want struct {
		name   string
		origin int
	}
	var wants []want
	for i, o := range e.origin {
		switch {
		case o >= 0 && d.lines[o].kind == kindHeader:
			wants = append(wants, want{d.lines[o].header, o})
		case o < 0:
			if name, ok := headerName(trimSpace(e.text[i])); ok {
				wants = append(wants, want{name, o})
			}
		}
	}
	var got []string
	for _, l := range parse(e.String()).lines {
		if l.kind == kindHeader {
			got = append(got, l.header)
		}
	}
	for i, w := range wants {
		if i >= len(got) || got[i] != w.name {
			return max(w.origin, 0), false
		}
	}
	return 0, len(got) == len(wants)
}
