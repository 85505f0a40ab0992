package ststest

import "testing"

func TestStringLike(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything:at/all", true},
		{"repo:octo-org/octo-repo:*", "repo:octo-org/octo-repo:ref:refs/heads/main", true},
		{"repo:octo-org/octo-repo:*", "repo:octo-org/octo-repo-fork:ref:refs/heads/main", false},
		{"repo:octo-org/*:environment:prod", "repo:octo-org/api:environment:prod", true},
		{"repo:octo-org/*:environment:prod", "repo:octo-org/api:environment:production", false},
		{"v?.?", "v1.2", true},
		{"v?.?", "v1.23", false},
		{"a*b*c", "aXXbYYbZZc", true},
		{"a*b*c", "aXXcYYb", false},
		{"**x", "x", true},
		{"Repo:*", "repo:x", false}, // case-sensitive
		{"ref:é?", "ref:éü", true},  // runes, not bytes
	}
	for _, tc := range tests {
		if got := stringLike(tc.pattern, tc.s); got != tc.want {
			t.Errorf("stringLike(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}
