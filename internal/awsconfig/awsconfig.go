// Package awsconfig writes a session into the AWS shared credentials and
// config files as a named profile, so that later steps can run
// `aws --profile NAME`, and removes it again.
//
// The files are edited, not rewritten: only the sections of the profile
// being written change, and every other line (comments, other profiles,
// sso-session and services sections, nested settings, CRLF line endings)
// keeps its bytes. Each file is replaced atomically.
package awsconfig

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultProfile is the profile the AWS CLI and SDKs use without --profile.
// It is written as [default] in both files.
const DefaultProfile = "default"

// Profile is what Write puts into the shared files.
//
// A profile has either access keys, written to the credentials file, or a
// CredentialProcess, written to the config file; never both, since the SDKs
// prefer keys in the credentials file and the process would silently never
// run.
type Profile struct {
	// Name is DefaultProfile or 1 to 64 characters of A-Z a-z 0-9 _ . + = , @ -.
	Name string

	// Region, if set, is written to the config file as region = ...
	Region string

	AccessKeyID, SecretAccessKey, SessionToken string

	// Expiration, if set, is written as a comment in the credentials file,
	// "# expires 2006-01-02T15:04:05Z", for people reading the file: no SDK
	// reads an expiry from it, and a key of our own would be a setting that
	// every tool ignores and some list as unknown.
	Expiration time.Time

	// CredentialProcess is a command that prints credential_process JSON.
	CredentialProcess string
}

// Files holds the paths of the shared files, as AWS_SHARED_CREDENTIALS_FILE
// and AWS_CONFIG_FILE name them.
type Files struct {
	Credentials, Config string
	// Scratch says the files live in a directory that is deleted at the
	// end of the job (the runner's temp directory): their writes skip fsync,
	// which costs milliseconds and buys nothing there. The rename still
	// makes every replacement whole.
	Scratch bool
}

// InvalidProfileError reports a profile that cannot be written safely. The
// message never contains a value other than the name, since values can be
// secrets.
type InvalidProfileError struct {
	Name   string
	Field  string // "name", "region", "aws_access_key_id", ...
	Reason string
}

func (e *InvalidProfileError) Error() string {
	if e.Field == "name" {
		return fmt.Sprintf("invalid AWS profile name %q: %s", e.Name, e.Reason)
	}
	return fmt.Sprintf("invalid %s for AWS profile %q: %s", e.Field, e.Name, e.Reason)
}

// ProfileExistsError means the profile is already in one of the files and
// Write was not allowed to replace it.
type ProfileExistsError struct {
	Name, Path string
}

func (e *ProfileExistsError) Error() string {
	return fmt.Sprintf("AWS profile %q already exists in %s; set overwrite-aws-profile: true to replace it", e.Name, e.Path)
}

// UnsafeFileError means a path is one we refuse to write through: a symbolic
// link (replacing it would turn someone's link into a plain file, and
// following it would write secrets wherever it points), or not a regular
// file or directory.
type UnsafeFileError struct {
	Path, Reason string
}

func (e *UnsafeFileError) Error() string {
	return fmt.Sprintf("refusing to write AWS profile to %s: %s", e.Path, e.Reason)
}

// LayoutError means an edit would change how the rest of the file reads: an
// indented section header right after the edited section would become part
// of the previous setting's value. Line counts from 1.
type LayoutError struct {
	Path string
	Line int
}

func (e *LayoutError) Error() string {
	return fmt.Sprintf("cannot edit %s safely: the indented section header on line %d would become part of the setting above it; remove its indentation", e.Path, e.Line)
}

// ValidateName checks a profile name: the inputs check it before any STS
// call, so that a bad name fails before a session is made.
func ValidateName(name string) error {
	bad := func(reason string) error { return &InvalidProfileError{Name: name, Field: "name", Reason: reason} }
	if len(name) == 0 || len(name) > 64 {
		return bad("must be 1 to 64 characters long")
	}
	for _, c := range []byte(name) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_.+=,@-", c) >= 0
		if !ok {
			return bad("only letters, digits and _ . + = , @ - are allowed")
		}
	}
	// Python's configparser applies a [DEFAULT] section's keys to every
	// section, so in the credentials file it would hand these keys to every
	// profile without keys of its own.
	if name == "DEFAULT" {
		return bad(`"DEFAULT" is the INI defaults section, which the AWS CLI applies to every profile`)
	}
	return nil
}

// validateValue refuses what would change the file's structure or that some
// SDK would read back differently: line breaks (a value could add lines of
// its own), other control characters, invalid UTF-8 (the CLI then fails on
// the whole file), white space at either end (every parser strips it), and
// what the AWS SDK for Go alone changes: a " #" or " ;" starts a comment
// for it, and it drops quotes around a value. Keys, secrets and tokens from
// STS have none of these; a credential_process command might.
func validateValue(name, field, v string) error {
	reason := ""
	switch {
	case strings.ContainsAny(v, "\r\n"):
		reason = "contains a line break"
	case strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		reason = "contains a control character"
	case !utf8.ValidString(v):
		reason = "is not valid UTF-8"
	case trimSpace(v) != v:
		reason = "has white space at the start or end"
	case strings.Contains(v, " #") || strings.Contains(v, " ;"):
		reason = `contains " #" or " ;", which the AWS SDK for Go reads as the start of a comment`
	case len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0]:
		reason = "is wrapped in quotes, which the AWS SDK for Go removes"
	default:
		return nil
	}
	return &InvalidProfileError{Name: name, Field: field, Reason: reason}
}

func (p *Profile) validate() error {
	if err := ValidateName(p.Name); err != nil {
		return err
	}
	fields := []struct{ field, value string }{
		{"region", p.Region},
		{"aws_access_key_id", p.AccessKeyID},
		{"aws_secret_access_key", p.SecretAccessKey},
		{"aws_session_token", p.SessionToken},
		{"credential_process", p.CredentialProcess},
	}
	for _, f := range fields {
		if err := validateValue(p.Name, f.field, f.value); err != nil {
			return err
		}
	}
	bad := func(field, reason string) error {
		return &InvalidProfileError{Name: p.Name, Field: field, Reason: reason}
	}
	keys := p.AccessKeyID != "" || p.SecretAccessKey != "" || p.SessionToken != ""
	switch {
	case p.CredentialProcess != "" && keys:
		return bad("credential_process", "cannot be combined with access keys")
	case p.CredentialProcess != "":
		return nil
	case p.AccessKeyID == "":
		return bad("aws_access_key_id", "is required without credential_process")
	case p.SecretAccessKey == "":
		return bad("aws_secret_access_key", "is required with aws_access_key_id")
	}
	return nil
}

// sections returns the lines of the profile's section in each file, without
// terminators; nil when the file gets no section.
func (p *Profile) sections() (creds, cfg []string) {
	if p.AccessKeyID != "" {
		creds = []string{"[" + p.Name + "]"}
		if !p.Expiration.IsZero() {
			creds = append(creds, "# expires "+p.Expiration.UTC().Format(time.RFC3339))
		}
		creds = append(creds,
			"aws_access_key_id = "+p.AccessKeyID,
			"aws_secret_access_key = "+p.SecretAccessKey)
		if p.SessionToken != "" {
			creds = append(creds, "aws_session_token = "+p.SessionToken)
		}
	}
	if p.Region != "" {
		cfg = append(cfg, "region = "+p.Region)
	}
	if p.CredentialProcess != "" {
		cfg = append(cfg, "credential_process = "+p.CredentialProcess)
	}
	if cfg != nil {
		header := "[profile " + p.Name + "]"
		if p.Name == DefaultProfile {
			header = "[default]"
		}
		cfg = append([]string{header}, cfg...)
	}
	return creds, cfg
}

// target is one of the two files with what to do to it.
type target struct {
	file    *file
	match   func(header string) bool
	section []string
	after   string // the new content, set by plan
	changed bool
}

// plan computes the file's new content.
func (t *target) plan() error {
	after, lost, ok := editText(string(t.file.content), t.match, t.section)
	if !ok {
		return &LayoutError{Path: t.file.path, Line: lost + 1}
	}
	t.after = after
	t.changed = after != string(t.file.content)
	return nil
}

// editText returns content with section in place of the sections match
// accepts: where the first of them was (or at the end of the file if that
// would change how a following indented header reads), the others dropped.
// A nil section removes them all. ok is false when no placement keeps every
// other header a header; lost is then the line (from 0) of one that is not.
func editText(content string, match func(string) bool, section []string) (after string, lost int, ok bool) {
	d := parse(content)
	modes := []mode{inPlace, atEnd}
	if section == nil {
		modes = []mode{removing}
	}
	for _, m := range modes {
		e := d.edit(match, section, m)
		if lost, ok = d.headerLost(e); ok {
			return e.String(), 0, true
		}
	}
	return "", lost, false
}

// Write merges p into the shared files: a [name] section in the credentials
// file and a [profile name] section ([default] for the default profile) in
// the config file. A file that would get no section (the credentials file of
// a credential_process profile, the config file of a profile with keys but
// no region) is not created, and loses any old section of that name.
//
// A missing file is created with mode 0600 and missing directories with
// 0700. An existing file keeps its mode if that is stricter than 0600 and
// otherwise gets 0600, since it now holds secrets. When running as root, as
// a container action does, new files and directories get the owner of the
// directory they are created in, and existing files keep theirs, so that the
// runner's user can read what a root container wrote into its home.
//
// If the profile is in either file, Write returns a *ProfileExistsError
// unless overwrite is true; then each of its sections is replaced as a
// whole, not merged, so that no setting left from before (a role_arn or a
// credential_process, which the SDKs would use instead of these keys, or an
// old session token) can pair with the new credentials.
//
// Each file is written to a temporary file in its directory, synced and
// renamed over the original, so a crash leaves the old or the new file, never
// half of one. The config file goes first, since a config section without
// its keys fails loudly while new keys beside an old role_arn would be
// silently ignored; if the credentials file then fails, the config file is
// put back. Nothing is written unless every check passes: the profile
// (*InvalidProfileError), the paths (*UnsafeFileError), an existing profile
// (*ProfileExistsError) and the layout (*LayoutError).
func Write(f Files, p Profile, overwrite bool) error {
	_, err := WriteUndoable(f, p, overwrite)
	return err
}

// WriteUndoable is Write that also returns a function putting both files
// back as they were before it, byte for byte (a file it created is
// removed), for a caller whose later step can still fail. The undo
// function is nil when Write fails, which leaves the files as they were.
func WriteUndoable(f Files, p Profile, overwrite bool) (undo func() error, err error) {
	targets, err := prepare(f, p, overwrite)
	if err != nil {
		return nil, err
	}
	var done []*target
	restore := func() error {
		var errs []error
		for _, d := range done {
			if rerr := d.file.restore(); rerr != nil {
				errs = append(errs, fmt.Errorf("restoring %s: %w", d.file.path, rerr))
			}
		}
		return errors.Join(errs...)
	}
	for _, t := range targets {
		if !t.changed {
			continue
		}
		if err := t.file.replace([]byte(t.after)); err != nil {
			return nil, errors.Join(fmt.Errorf("writing AWS profile %q to %s: %w", p.Name, t.file.path, err), restore())
		}
		done = append(done, t)
	}
	return restore, nil
}

// Check runs every check of Write without writing anything, so that a
// caller can refuse before it does work that Write would then waste (an
// STS call): the same errors as Write, or nil when Write would proceed.
func Check(f Files, p Profile, overwrite bool) error {
	_, err := prepare(f, p, overwrite)
	return err
}

// prepare validates p, reads both files and plans their new content.
func prepare(f Files, p Profile, overwrite bool) ([]*target, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	creds, cfg := p.sections()
	targets, err := openTargets(f, p.Name, cfg, creds)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		if !overwrite && len(parse(string(t.file.content)).bodies(t.match)) > 0 {
			return nil, &ProfileExistsError{Name: p.Name, Path: t.file.path}
		}
		if err := t.plan(); err != nil {
			return nil, err
		}
	}
	return targets, nil
}

// Remove deletes the profile's sections from both files and keeps the rest,
// for a post step to undo Write when the files existed before (files that
// Write created are better deleted: Remove leaves them empty). A missing
// file or profile is not an error. The credentials file is edited even if
// the config file cannot be, so that the keys go whatever happens.
func Remove(f Files, name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	targets, err := openTargets(f, name, nil, nil)
	if err != nil {
		return err
	}
	var errs []error
	for i := len(targets) - 1; i >= 0; i-- { // credentials first
		t := targets[i]
		if err := t.plan(); err != nil {
			errs = append(errs, err)
			continue
		}
		if !t.changed {
			continue
		}
		if err := t.file.replace([]byte(t.after)); err != nil {
			errs = append(errs, fmt.Errorf("removing AWS profile %q from %s: %w", name, t.file.path, err))
		}
	}
	return errors.Join(errs...)
}

// openTargets reads both files and returns them config first.
func openTargets(f Files, name string, cfg, creds []string) ([]*target, error) {
	if f.Credentials == "" || f.Config == "" {
		return nil, errors.New("the paths of both the AWS credentials and config files are required")
	}
	if filepath.Clean(f.Credentials) == filepath.Clean(f.Config) {
		return nil, fmt.Errorf("the AWS credentials and config files must differ, both are %s", f.Config)
	}
	cf, err := readFile(f.Config)
	if err != nil {
		return nil, err
	}
	crf, err := readFile(f.Credentials)
	if err != nil {
		return nil, err
	}
	if cf.sameAs(crf) {
		return nil, fmt.Errorf("the AWS credentials file %s and config file %s are the same file", f.Credentials, f.Config)
	}
	cf.scratch, crf.scratch = f.Scratch, f.Scratch
	return []*target{
		{file: cf, match: func(h string) bool { return configHeader(h, name) }, section: cfg},
		{file: crf, match: func(h string) bool { return credentialsHeader(h, name) }, section: creds},
	}, nil
}

// Locate returns the shared files the AWS CLI and SDKs read in the
// environment getenv describes: AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE, else config and credentials in ~/.aws. A path
// is empty when neither its variable nor HOME is set.
func Locate(getenv func(string) string) Files {
	f := Files{Config: getenv("AWS_CONFIG_FILE"), Credentials: getenv("AWS_SHARED_CREDENTIALS_FILE")}
	if home := getenv("HOME"); home != "" {
		if f.Config == "" {
			f.Config = filepath.Join(home, ".aws", "config")
		}
		if f.Credentials == "" {
			f.Credentials = filepath.Join(home, ".aws", "credentials")
		}
	}
	return f
}
