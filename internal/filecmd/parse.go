package filecmd

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Reasons for a ParseError, for use with errors.Is. The first three are the
// runner's own errors, which fail the step.
var (
	ErrInvalidFormat     = errors.New("invalid format")
	ErrDelimiterNotFound = errors.New("matching delimiter not found")
	ErrMissingNewline    = errors.New("EOF marker missing new line")
	ErrNotUTF8           = errors.New("not valid UTF-8")
)

// ParseError reports the line at which the runner would stop reading a file
// command file. It never holds the line's text, which may contain a secret.
type ParseError struct {
	Line int   // 1-based; for a heredoc, the line of its NAME<<DELIM header
	Err  error // ErrInvalidFormat, ErrDelimiterNotFound, ErrMissingNewline or ErrNotUTF8
}

func (e *ParseError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads a GITHUB_ENV, GITHUB_OUTPUT or GITHUB_STATE file the way the
// Linux runner does (EnvFileKeyValuePairs in actions/runner's
// FileCommandManager.cs) and returns its entries in file order, duplicates
// included (the runner keeps the last).
//
// The rules: lines end at '\n' only, so a '\r' stays part of a line. Empty
// lines are skipped. A line whose first '=' comes before any "<<" is
// NAME=VALUE, split at that '='. A line whose first "<<" comes first is a
// heredoc header NAME<<DELIM (both parts non-empty); its value is every
// following line up to the first line exactly equal to DELIM, joined by '\n'
// without the newline before DELIM. Any other line is ErrInvalidFormat. A
// missing DELIM line is ErrDelimiterNotFound, and a last value line with no
// '\n' is ErrMissingNewline.
//
// Like the runner, which applies entries while it reads, Parse returns the
// entries before the failing line together with the *ParseError. It also
// keeps the runner's quirks: "=x" gives an entry with an empty name (the
// runner fails on it only later, when it stores an env var or output).
//
// Parse is stricter than the runner in one way: the runner decodes the file
// as UTF-8 and replaces invalid bytes with U+FFFD, while Parse returns
// ErrNotUTF8 and no entries. A leading UTF-8 byte order mark is skipped, as
// the runner does.
func Parse(data []byte) ([]Entry, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !utf8.Valid(data) {
		return nil, &ParseError{Line: firstInvalidLine(data), Err: ErrNotUTF8}
	}
	r := lineReader{text: string(data)}

	var entries []Entry
	for {
		line, _, ok := r.next()
		if !ok {
			return entries, nil
		}
		if line == "" {
			continue
		}
		eq := strings.Index(line, "=")
		hd := strings.Index(line, "<<")
		switch {
		case eq >= 0 && (hd < 0 || eq < hd):
			entries = append(entries, Entry{Name: line[:eq], Value: line[eq+1:]})

		case hd >= 0:
			header := r.n
			name, delim := line[:hd], line[hd+2:]
			if name == "" || delim == "" {
				return entries, &ParseError{Line: header, Err: ErrInvalidFormat}
			}
			start, end := r.pos, r.pos
			for {
				v, newline, ok := r.next()
				if !ok {
					return entries, &ParseError{Line: header, Err: ErrDelimiterNotFound}
				}
				if v == delim {
					break
				}
				if !newline {
					return entries, &ParseError{Line: header, Err: ErrMissingNewline}
				}
				end = r.pos - 1 // the '\n' that ends v
			}
			entries = append(entries, Entry{Name: name, Value: r.text[start:end]})

		default:
			return entries, &ParseError{Line: r.n, Err: ErrInvalidFormat}
		}
	}
}

// lineReader splits text into lines the way the runner's ReadLine does on
// Linux.
type lineReader struct {
	text string
	pos  int // offset of the next line
	n    int // number of the line last returned, from 1
}

// next returns the next line without its '\n', whether a '\n' ended it, and
// false once the text is used up.
func (r *lineReader) next() (line string, newline, ok bool) {
	if r.pos >= len(r.text) {
		return "", false, false
	}
	r.n++
	start := r.pos
	i := strings.IndexByte(r.text[start:], '\n')
	if i < 0 {
		r.pos = len(r.text)
		return r.text[start:], false, true
	}
	r.pos = start + i + 1
	return r.text[start : start+i], true, true
}

func firstInvalidLine(data []byte) int {
	line := 1
	for len(data) > 0 {
		c, size := utf8.DecodeRune(data)
		if c == utf8.RuneError && size == 1 {
			return line
		}
		if c == '\n' {
			line++
		}
		data = data[size:]
	}
	return line
}
