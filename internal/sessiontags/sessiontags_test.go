package sessiontags

import (
	"strings"
	"testing"
)

func TestDefaults(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"GITHUB_REPOSITORY": "octo-org/octo-repo", "GITHUB_WORKFLOW": "Deploy (prod) #1", "GITHUB_ACTOR": "octocat",
		"GITHUB_SHA": "abc", "GITHUB_REF": "refs/heads/main", "GITHUB_RUN_ID": "42", "GITHUB_EVENT_NAME": "push",
	}
	all, kept := Defaults(func(k string) string { return env[k] })
	got := map[string]string{}
	for _, t := range all {
		got[t.Key] = t.Value
	}
	if got["GitHub"] != "Actions" || got["Workflow"] != "Deploy _prod_ _1" || got["RunId"] != "42" || got["Branch"] != "refs/heads/main" {
		t.Errorf("all = %v", all)
	}
	if _, ok := got["Action"]; ok {
		t.Error("an unset variable must be left out")
	}
	if len(kept) != 6 || len(all) != 8 {
		t.Errorf("kept %v all %v", kept, all)
	}
}

func TestSanitize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"feature/ünïcode-1.2": "feature/ünïcode-1.2",
		"a;b|c\"d\n":          "a_b_c_d_",
		"":                    "",
		"x\xffy":              "x_y",
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Sanitize(strings.Repeat("é", 300)); len([]rune(got)) != MaxValueLen {
		t.Errorf("not cut to %d characters: %d", MaxValueLen, len([]rune(got)))
	}
}

func TestParseCustom(t *testing.T) {
	t.Parallel()
	tags, err := ParseCustom(`{"Team": "payments", "Cost Center": "42", "Empty": ""}`)
	if err != nil || len(tags) != 3 || tags[0].Key != "Cost Center" {
		t.Fatalf("%v %v", tags, err)
	}
	for in, want := range map[string]string{
		`[]`:                         "not a JSON object",
		`null`:                       "not a JSON object",
		`{"a": 1}`:                   "non-string value",
		`{"a": {"b": "c"}}`:          "non-string value",
		`{"": "x"}`:                  "1 to 128",
		`{"a;b": "x"}`:               "character STS does not accept",
		`{"a": "x;y"}`:               "character STS does not accept",
		`{"repository": "x"}`:        "default tags",
		`{"GitHub": "x"}`:            "default tags",
		`{"Team": "a", "team": "b"}`: "twice",
		`{"k": "` + strings.Repeat("v", 257) + `"}`: "at most 256",
		`{"` + strings.Repeat("k", 129) + `": "v"}`: "1 to 128",
		`{"a": "b"`: "not a JSON object",
	} {
		_, err := ParseCustom(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseCustom(%.40q) = %v, want %q", in, err, want)
		}
	}
}

func FuzzParseCustom(f *testing.F) {
	f.Add(`{"Team": "payments"}`)
	f.Add(`{"a": 1}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, s string) {
		tags, err := ParseCustom(s)
		if err != nil {
			return
		}
		for _, tag := range tags {
			if tag.Key == "" || !charset.MatchString(tag.Key) || !charset.MatchString(tag.Value) || IsDefaultKey(tag.Key) ||
				len([]rune(tag.Key)) > MaxKeyLen || len([]rune(tag.Value)) > MaxValueLen {
				t.Fatalf("accepted a tag STS would refuse: %q", tag)
			}
		}
	})
}
