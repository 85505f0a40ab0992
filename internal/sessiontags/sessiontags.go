// Package sessiontags builds the session tags sent with AssumeRole: the
// default tags that describe the GitHub run (as configure-aws-credentials
// sends them, so that existing IAM conditions keep matching) and the user's
// custom tags, within STS's limits.
package sessiontags

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tag is one session tag.
type Tag struct{ Key, Value string }

// STS limits on session tags, and how many default tags there can be.
const (
	MaxDefaults = 13
	MaxTags     = 50
	MaxKeyLen   = 128
	MaxValueLen = 256
)

// defaults maps tag keys to the runner variables they describe. The first
// group is kept when STS says the tags are too large (PackedPolicyTooLarge);
// the second is dropped then.
var (
	essential = []struct{ key, env string }{
		{"Repository", "GITHUB_REPOSITORY"},
		{"Workflow", "GITHUB_WORKFLOW"},
		{"Action", "GITHUB_ACTION"},
		{"Actor", "GITHUB_ACTOR"},
		{"Commit", "GITHUB_SHA"},
		{"Branch", "GITHUB_REF"},
	}
	optional = []struct{ key, env string }{
		{"EventName", "GITHUB_EVENT_NAME"},
		{"BaseRef", "GITHUB_BASE_REF"},
		{"HeadRef", "GITHUB_HEAD_REF"},
		{"RunId", "GITHUB_RUN_ID"},
		{"Job", "GITHUB_JOB"},
		{"TriggeringActor", "GITHUB_TRIGGERING_ACTOR"},
	}
)

// IsDefaultKey reports whether key is one of the default tags, which custom
// tags may not replace (IAM conditions rely on them describing the run).
func IsDefaultKey(key string) bool {
	if strings.EqualFold(key, "GitHub") {
		return true
	}
	for _, d := range append(append([]struct{ key, env string }{}, essential...), optional...) {
		if strings.EqualFold(d.key, key) {
			return true
		}
	}
	return false
}

// Defaults returns the default tags for the run described by getenv: all
// of them, and the essential subset to retry with when STS reports
// PackedPolicyTooLarge. Unset variables are left out.
func Defaults(getenv func(string) string) (all, kept []Tag) {
	kept = []Tag{{"GitHub", "Actions"}}
	for _, d := range essential {
		if v := getenv(d.env); v != "" {
			kept = append(kept, Tag{d.key, Sanitize(v)})
		}
	}
	all = append(all, kept...)
	for _, d := range optional {
		if v := getenv(d.env); v != "" {
			all = append(all, Tag{d.key, Sanitize(v)})
		}
	}
	return all, kept
}

// charset is what STS accepts in tag keys and values,
// [\p{L}\p{Z}\p{N}_.:/=+\-@]. A loop, not a regexp: compiling the Unicode
// classes costs start-up time on every run.
var charset = runeSet{}

type runeSet struct{}

func (runeSet) MatchString(s string) bool {
	for _, r := range s {
		if !allowed(r) {
			return false
		}
	}
	return true
}

func allowed(r rune) bool {
	return unicode.IsLetter(r) || unicode.Is(unicode.Z, r) || unicode.IsNumber(r) || strings.ContainsRune("_.:/=+-@", r)
}

// Sanitize makes a value acceptable to STS: characters outside its charset
// become '_' and the value is cut to MaxValueLen characters.
func Sanitize(v string) string {
	var b strings.Builder
	n := 0
	for _, r := range v {
		if n == MaxValueLen {
			break
		}
		if r == utf8.RuneError || !allowed(r) {
			r = '_'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// ParseCustom reads the custom-tags input: a JSON object of string values.
// Keys are returned sorted, so the request is the same on every run.
func ParseCustom(s string) ([]Tag, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil || m == nil {
		return nil, errors.New(`is not a JSON object such as {"Team": "payments"}`)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	seen := map[string]bool{}
	tags := make([]Tag, 0, len(m))
	for _, k := range keys {
		v, ok := m[k].(string)
		if !ok {
			return nil, fmt.Errorf("has a non-string value for key %q: give every value as a JSON string", k)
		}
		switch {
		case k == "" || utf8.RuneCountInString(k) > MaxKeyLen:
			return nil, fmt.Errorf("has a key of %d characters: keys are 1 to %d characters", utf8.RuneCountInString(k), MaxKeyLen)
		case !charset.MatchString(k):
			return nil, fmt.Errorf("has key %q with a character STS does not accept: use letters, digits, spaces and _.:/=+-@", k)
		case utf8.RuneCountInString(v) > MaxValueLen:
			return nil, fmt.Errorf("has a value of %d characters for key %q: values are at most %d", utf8.RuneCountInString(v), k, MaxValueLen)
		case !charset.MatchString(v):
			return nil, fmt.Errorf("has a value for key %q with a character STS does not accept: use letters, digits, spaces and _.:/=+-@", k)
		case IsDefaultKey(k):
			return nil, fmt.Errorf("sets %q, one of the default tags that describe the run: choose another key, or set role-skip-session-tagging to send only your own tags", k)
		case seen[strings.ToLower(k)]:
			return nil, fmt.Errorf("has key %q twice (tag keys are case-insensitive)", k)
		}
		seen[strings.ToLower(k)] = true
		tags = append(tags, Tag{k, v})
	}
	return tags, nil
}

// Has reports whether tags has key (case-insensitively, as STS compares).
func Has(tags []Tag, key string) bool {
	for _, t := range tags {
		if strings.EqualFold(t.Key, key) {
			return true
		}
	}
	return false
}

// Keys lists the keys of tags.
func Keys(tags []Tag) []string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.Key
	}
	return out
}
