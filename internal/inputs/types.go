package inputs

import (
	"errors"
	"strconv"
	"strings"
)

var (
	errNotBool = errors.New("is not a boolean")
	errNotInt  = errors.New("is not a whole number")
)

// parseBool accepts a YAML 1.2 core schema boolean. The runner hands inputs
// over as strings, and configure-aws-credentials silently treats anything but
// "true" as false, so a typo such as "ture" or "yes" disables a safety option
// without a word. We accept exactly the six spellings YAML 1.2 defines.
func parseBool(s string) (any, error) {
	switch s {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	return nil, errNotBool
}

// parseInt accepts a whole decimal number that fits in 32 bits (every
// numeric input is a count of seconds or attempts).
func parseInt(s string) (any, error) {
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return nil, errNotInt
	}
	return int(v), nil
}

// Lines is a multi-line input: one item a line, blank lines and surrounding
// spaces dropped.
type Lines []string

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *Lines) UnmarshalText(text []byte) error {
	*l = nil
	for _, line := range strings.Split(string(text), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			*l = append(*l, line)
		}
	}
	return nil
}

// List is a comma-separated input; items are trimmed and empty ones dropped.
type List []string

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *List) UnmarshalText(text []byte) error {
	*l = nil
	for _, item := range strings.Split(string(text), ",") {
		if item = strings.TrimSpace(item); item != "" {
			*l = append(*l, item)
		}
	}
	return nil
}
