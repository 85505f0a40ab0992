// Package exportfmt prints a session's credentials in the formats the CLI
// offers with --format: shell exports, dotenv, JSON, an INI profile and the
// AWS credential_process protocol.
package exportfmt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Session is what gets printed.
type Session struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time // zero when unknown
	Region                                     string    // empty when unset
	// Profile is the ini format's section name; empty means default.
	Profile string
}

// The formats Write knows.
const (
	Env               = "env"
	Dotenv            = "dotenv"
	JSON              = "json"
	INI               = "ini"
	CredentialProcess = "credential-process"
)

// Formats returns the formats Write knows, for help texts and errors.
func Formats() []string { return []string{Env, Dotenv, JSON, INI, CredentialProcess} }

// UnknownFormatError reports a format Write does not know.
type UnknownFormatError struct {
	Format string
}

func (e *UnknownFormatError) Error() string {
	return fmt.Sprintf("unknown output format %q: use one of %s", e.Format, strings.Join(Formats(), ", "))
}

// ValueError reports a value that the format cannot carry faithfully. Name
// is the variable, as in the env format; the value is never shown, since it
// can be a secret.
type ValueError struct {
	Format, Name, Reason string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("cannot write %s as %s: the value %s", e.Name, e.Format, e.Reason)
}

type variable struct{ name, value string }

// variables returns the session as environment variables, in a fixed order,
// empty ones included.
func (s Session) variables() []variable {
	var exp string
	if !s.Expiration.IsZero() {
		exp = s.Expiration.UTC().Format(time.RFC3339)
	}
	return []variable{
		{"AWS_ACCESS_KEY_ID", s.AccessKeyID},
		{"AWS_SECRET_ACCESS_KEY", s.SecretAccessKey},
		{"AWS_SESSION_TOKEN", s.SessionToken},
		{"AWS_CREDENTIAL_EXPIRATION", exp},
		{"AWS_REGION", s.Region},
		{"AWS_DEFAULT_REGION", s.Region},
	}
}

// Vars returns the session as NAME=value entries for a command's
// environment (os/exec's Cmd.Env), in the env format's order.
// AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION are there even when the
// session has none, with an empty value, which the AWS SDKs treat as unset:
// a caller that replaces these names in its environment then drops an
// earlier session's token instead of pairing it with these keys. The region
// variables are only there when set. Values are not checked; a NUL makes
// the command fail to start.
func Vars(s Session) []string {
	var out []string
	for _, v := range s.variables() {
		if v.value != "" || v.name == "AWS_SESSION_TOKEN" || v.name == "AWS_CREDENTIAL_EXPIRATION" {
			out = append(out, v.name+"="+v.value)
		}
	}
	return out
}

// validate applies the rules every format shares: keys are present, and no
// value has a control character (a line break would end a dotenv or INI
// line and start one of the attacker's choosing; credentials from STS never
// contain one) or invalid UTF-8 (JSON would silently replace it).
func (s Session) validate(format string) error {
	for _, v := range s.variables() {
		reason := ""
		switch {
		case v.value == "" && (v.name == "AWS_ACCESS_KEY_ID" || v.name == "AWS_SECRET_ACCESS_KEY"):
			reason = "is empty"
		case strings.ContainsAny(v.value, "\r\n"):
			reason = "contains a line break"
		case strings.IndexFunc(v.value, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
			reason = "contains a control character"
		case !utf8.ValidString(v.value):
			reason = "is not valid UTF-8"
		default:
			continue
		}
		return &ValueError{Format: format, Name: v.name, Reason: reason}
	}
	return nil
}

// Write prints s to w in format, in a single write; nothing is written when
// an error is returned.
//
//   - env: POSIX shell, for eval "$(assume-role ...)": an export line per
//     variable with the value in single quotes. AWS_SESSION_TOKEN and
//     AWS_CREDENTIAL_EXPIRATION are unset when empty, so that a shell holding
//     an earlier session cannot pair its token with these keys; the region
//     variables are left alone when empty.
//   - dotenv: NAME=value lines, unquoted, as docker run --env-file and GitLab
//     dotenv reports read them, empty variables left out. Both take the value
//     literally to the end of the line, so values with white space at either
//     end or starting with a quote, which other dotenv readers strip, are
//     refused.
//   - json: one object with the variable names as keys, empty ones left out.
//   - ini: a [default] section for a shared credentials file, with the
//     expiration as a comment. The region is left out: the AWS CLI only
//     reads it from the config file.
//   - credential-process: the JSON the AWS SDKs expect from a
//     credential_process command, Version 1.
//
// Errors are *UnknownFormatError and *ValueError.
func Write(w io.Writer, format string, s Session) error {
	var render func(*bytes.Buffer, Session) error
	switch format {
	case Env:
		render = env
	case Dotenv:
		render = dotenv
	case JSON:
		render = jsonVars
	case INI:
		render = ini
	case CredentialProcess:
		render = credentialProcess
	default:
		return &UnknownFormatError{Format: format}
	}
	if err := s.validate(format); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := render(&b, s); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

func env(b *bytes.Buffer, s Session) error {
	for _, v := range s.variables() {
		switch {
		case v.value != "":
			fmt.Fprintf(b, "export %s=%s\n", v.name, shellQuote(v.value))
		case v.name == "AWS_SESSION_TOKEN" || v.name == "AWS_CREDENTIAL_EXPIRATION":
			fmt.Fprintf(b, "unset %s\n", v.name)
		}
	}
	return nil
}

// shellQuote single-quotes v for a POSIX shell, where nothing is special
// inside single quotes. A single quote itself closes the quoting, follows as
// a backslash-escaped quote, and opens it again.
func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

func dotenv(b *bytes.Buffer, s Session) error {
	for _, v := range s.variables() {
		if v.value == "" {
			continue
		}
		reason := ""
		switch {
		case strings.TrimSpace(v.value) != v.value:
			reason = "has white space at the start or end"
		case v.value[0] == '"' || v.value[0] == '\'':
			reason = "starts with a quote"
		}
		if reason != "" {
			return &ValueError{Format: Dotenv, Name: v.name, Reason: reason}
		}
		fmt.Fprintf(b, "%s=%s\n", v.name, v.value)
	}
	return nil
}

func jsonVars(b *bytes.Buffer, s Session) error {
	// A struct, not a map, keeps the keys in the env format's order.
	out := struct {
		AccessKeyID     string `json:"AWS_ACCESS_KEY_ID"`
		SecretAccessKey string `json:"AWS_SECRET_ACCESS_KEY"`
		SessionToken    string `json:"AWS_SESSION_TOKEN,omitempty"`
		Expiration      string `json:"AWS_CREDENTIAL_EXPIRATION,omitempty"`
		Region          string `json:"AWS_REGION,omitempty"`
		DefaultRegion   string `json:"AWS_DEFAULT_REGION,omitempty"`
	}{}
	vars := s.variables()
	out.AccessKeyID, out.SecretAccessKey, out.SessionToken = vars[0].value, vars[1].value, vars[2].value
	out.Expiration, out.Region, out.DefaultRegion = vars[3].value, vars[4].value, vars[5].value
	return encode(b, out)
}

func ini(b *bytes.Buffer, s Session) error {
	// INI parsers strip the value, so a padded one would be read back changed.
	for _, v := range s.variables()[:3] {
		if strings.TrimSpace(v.value) != v.value {
			return &ValueError{Format: INI, Name: v.name, Reason: "has white space at the start or end"}
		}
	}
	name := s.Profile
	if name == "" {
		name = "default"
	}
	if strings.ContainsAny(name, "[]\r\n") || strings.TrimSpace(name) != name {
		return &ValueError{Format: INI, Name: "the profile name", Reason: "cannot be a section name"}
	}
	b.WriteString("[" + name + "]\n")
	if !s.Expiration.IsZero() {
		fmt.Fprintf(b, "# expires %s\n", s.Expiration.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(b, "aws_access_key_id = %s\naws_secret_access_key = %s\n", s.AccessKeyID, s.SecretAccessKey)
	if s.SessionToken != "" {
		fmt.Fprintf(b, "aws_session_token = %s\n", s.SessionToken)
	}
	return nil
}

func credentialProcess(b *bytes.Buffer, s Session) error {
	out := struct {
		Version         int
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string `json:",omitempty"`
		Expiration      string `json:",omitempty"`
	}{Version: 1, AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken}
	if !s.Expiration.IsZero() {
		out.Expiration = s.Expiration.UTC().Format(time.RFC3339)
	}
	return encode(b, out)
}

// encode writes v as indented JSON without HTML escaping, which would only
// make a value like "a&b" harder to read.
func encode(b *bytes.Buffer, v any) error {
	e := json.NewEncoder(b)
	e.SetEscapeHTML(false)
	e.SetIndent("", "  ")
	return e.Encode(v)
}
