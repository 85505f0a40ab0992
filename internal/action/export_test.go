package action

import (
	"strings"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/inputs"
	"github.com/assume-role/assume-role/internal/stsclient"
)

// TestSummaryKeepsValuesInTheirCells: the token-file path (in "Credentials
// from") and the profile name come from the workflow, so Markdown in them
// must stay text: no new row, no HTML, no link, no cell split.
func TestSummaryKeepsValuesInTheirCells(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	payload := "/tmp/t|x\n| Injected | row |\r<img src=x onerror=alert(1)>[click](https://evil.example) `code` **b** ~~s~~ &amp; \\"
	cfg := &inputs.Config{Region: "us-east-1", AWSProfile: "p`|x", OutputEnvCredentials: true}
	res := &Result{ARN: "arn:aws:sts::222222222222:assumed-role/r/a`b|c", Account: "222222222222",
		Source: "the token in " + payload, ExportKeys: true,
		Session: &stsclient.Session{Expiration: now.Add(time.Hour)}}
	md := summary(cfg, res, now.Add(time.Hour).Format(time.RFC3339), now)
	lines := strings.Split(strings.TrimSuffix(md, "\n"), "\n")
	if len(lines) != 11 {
		t.Fatalf("%d lines, want 11 (heading, blank, 2 table head, 7 rows):\n%s", len(lines), md)
	}
	for _, l := range lines[2:] {
		if n := unescapedPipes(l); n != 3 {
			t.Errorf("row %q has %d cell separators, want 3", l, n)
		}
	}
	if !strings.Contains(md, `\<img src=x onerror=alert(1)\>\[click\](https://evil.example) \`+"`code\\`"+` \*\*b\*\* \~\~s\~\~ \&amp; \\`) {
		t.Errorf("the payload is not shown as escaped text:\n%s", md)
	}
	if !strings.Contains(md, "| Identity | arn:aws:sts::222222222222:assumed-role/r/a\\`b\\|c |") {
		t.Errorf("an ARN that cannot be a code span is not escaped text:\n%s", md)
	}
}

func unescapedPipes(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

func TestMarkdownEscapes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain text":         "plain text",
		"a\r\nb\rc\u2028d":   "a  b c d",
		`_*[]<>|&~!` + "`\\": `\_\*\[\]\<\>\|\&\~\!` + "\\`\\\\",
	} {
		if got := mdText(in); got != want {
			t.Errorf("mdText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := mdCode("arn:aws:iam::1:role/x"); got != "`arn:aws:iam::1:role/x`" {
		t.Errorf("mdCode = %q", got)
	}
}
