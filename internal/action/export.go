package action

import (
	"fmt"
	"strings"
	"time"

	"github.com/assume-role/assume-role/internal/filecmd"
	"github.com/assume-role/assume-role/internal/inputs"
)

// exports is everything the step hands to later steps, assembled in full
// before anything is written.
type exports struct {
	env     []filecmd.Entry
	outputs []filecmd.Entry
	state   []filecmd.Entry
	summary string
}

// credentialVars are the variables that carry a session, in the order they
// are exported.
var credentialVars = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"}

func buildExports(cfg *inputs.Config, res *Result, now time.Time) *exports {
	e := &exports{}
	e.env = append(e.env,
		filecmd.Entry{Name: "AWS_REGION", Value: cfg.Region},
		filecmd.Entry{Name: "AWS_DEFAULT_REGION", Value: cfg.Region},
	)
	s := res.Session
	var expiration string
	if s != nil && !s.Expiration.IsZero() {
		expiration = s.Expiration.UTC().Format(time.RFC3339)
	}
	switch {
	case res.ExportKeys && s != nil && cfg.OutputEnvCredentials:
		// The token and expiration are written even when empty, so that a
		// session token or expiry exported by an earlier step cannot pair up
		// with these keys.
		e.env = append(e.env,
			filecmd.Entry{Name: "AWS_ACCESS_KEY_ID", Value: s.AccessKeyID},
			filecmd.Entry{Name: "AWS_SECRET_ACCESS_KEY", Value: s.SecretAccessKey},
			filecmd.Entry{Name: "AWS_SESSION_TOKEN", Value: s.SessionToken},
			filecmd.Entry{Name: "AWS_CREDENTIAL_EXPIRATION", Value: expiration},
		)
	case cfg.UnsetCurrentCredentials && res.ExportKeys:
		for _, name := range credentialVars {
			e.env = append(e.env, filecmd.Entry{Name: name})
		}
	}

	e.outputs = append(e.outputs,
		filecmd.Entry{Name: "aws-account-id", Value: res.Account},
		filecmd.Entry{Name: "authenticated-arn", Value: res.ARN},
	)
	if cfg.OutputCredentials && s != nil && res.ExportKeys {
		e.outputs = append(e.outputs,
			filecmd.Entry{Name: "aws-access-key-id", Value: s.AccessKeyID},
			filecmd.Entry{Name: "aws-secret-access-key", Value: s.SecretAccessKey},
		)
		if s.SessionToken != "" {
			e.outputs = append(e.outputs, filecmd.Entry{Name: "aws-session-token", Value: s.SessionToken})
		}
		if expiration != "" {
			e.outputs = append(e.outputs, filecmd.Entry{Name: "aws-expiration", Value: expiration})
		}
	}
	e.summary = summary(cfg, res, expiration, now)
	return e
}

// summary is a short Markdown table of who later steps are. It holds no
// secret; with mask-aws-account-id the account is left out of it, since the
// runner masks a summary only line by line after upload.
func summary(cfg *inputs.Config, res *Result, expiration string, now time.Time) string {
	arn, account := res.ARN, res.Account
	if cfg.MaskAccountID {
		arn = strings.ReplaceAll(arn, account, "***")
		account = "*** (mask-aws-account-id)"
	}
	var b strings.Builder
	b.WriteString("### AWS credentials\n\n| | |\n|---|---|\n")
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, v) }
	// Values come from STS, the inputs and token-file paths: each is
	// escaped so that it stays text in its own cell.
	row("Identity", mdCode(arn))
	row("Account", mdText(account))
	row("Region", mdText(cfg.Region))
	row("Credentials from", mdText(res.Source))
	switch {
	case expiration != "":
		row("Expires", fmt.Sprintf("%s (in %s)", expiration, human(res.Session.Expiration.Sub(now))))
	case res.ExportKeys:
		row("Expires", "never (long-term keys)")
	}
	exported := "AWS_REGION, AWS_DEFAULT_REGION"
	if res.ExportKeys && cfg.OutputEnvCredentials {
		exported += ", AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION"
	}
	if cfg.AWSProfile != "" {
		row("Profile", mdCode(cfg.AWSProfile))
	}
	row("Exported to env", exported)
	return b.String()
}

// mdSpecial are the characters that can make Markdown (GitHub's, with
// tables, HTML and autolinks) of plain text: emphasis, code, links and
// images, HTML tags and entities, strike-through, and the cell separator.
const mdSpecial = "\\`*_[]<>|&~!"

// mdText renders s as literal text inside one table cell: line breaks
// (which would end the row, and which the runner's line masking treats as
// line ends) become spaces and every Markdown character is escaped.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\r' || r == '\n' || r == '\u0085' || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		case strings.ContainsRune(mdSpecial, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode renders s as a code span when it can be one (no backtick, no
// cell separator, no line break), else as escaped text.
func mdCode(s string) string {
	if strings.ContainsAny(s, "`|\r\n\u0085\u2028\u2029") {
		return mdText(s)
	}
	return "`" + s + "`"
}

// human renders a session's remaining time the way people say it: "1h",
// "1h 30m", "15m".
func human(d time.Duration) string {
	m := int(d.Round(time.Minute).Minutes())
	switch h := m / 60; {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m%60 == 0:
		return fmt.Sprintf("%dh", h)
	default:
		return fmt.Sprintf("%dh %dm", h, m%60)
	}
}
