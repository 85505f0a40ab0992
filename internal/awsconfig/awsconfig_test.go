package awsconfig_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/awsconfig"
)

var session = awsconfig.Profile{
	Name:            "ci",
	Region:          "eu-central-1",
	AccessKeyID:     "ASIAIOSFODNN7EXAMPLE",
	SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE+KEY",
	SessionToken:    "IQoJb3JpZ2luX2VjEXAMPLE/TOKEN+with=padding==",
	Expiration:      time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600)),
}

// The sections Write adds for session.
const (
	sessionCreds = "[ci]\n" +
		"# expires 2030-01-02T02:04:05Z\n" +
		"aws_access_key_id = ASIAIOSFODNN7EXAMPLE\n" +
		"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE+KEY\n" +
		"aws_session_token = IQoJb3JpZ2luX2VjEXAMPLE/TOKEN+with=padding==\n"
	sessionConfig = "[profile ci]\nregion = eu-central-1\n"
)

// newFiles returns paths in a fresh home directory's .aws, which does not
// exist yet.
func newFiles(t *testing.T) awsconfig.Files {
	t.Helper()
	dir := filepath.Join(t.TempDir(), ".aws")
	return awsconfig.Files{Credentials: filepath.Join(dir, "credentials"), Config: filepath.Join(dir, "config")}
}

// existingFiles returns paths to files holding creds and cfg.
func existingFiles(t *testing.T, creds, cfg string) awsconfig.Files {
	t.Helper()
	f := newFiles(t)
	if err := os.Mkdir(filepath.Dir(f.Config), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, f.Credentials, creds)
	writeFile(t, f.Config, cfg)
	return f
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	return readFile(t, filepath.Join("testdata", name))
}

func checkFiles(t *testing.T, f awsconfig.Files, creds, cfg string) {
	t.Helper()
	if got := readFile(t, f.Credentials); got != creds {
		t.Errorf("credentials file:\n%s\nwant:\n%s", got, creds)
	}
	if got := readFile(t, f.Config); got != cfg {
		t.Errorf("config file:\n%s\nwant:\n%s", got, cfg)
	}
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("mode of %s = %v, want %v", path, got, want)
	}
}

func TestWriteNewFiles(t *testing.T) {
	t.Parallel()
	f := newFiles(t)
	if err := awsconfig.Write(f, session, false); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, f, sessionCreds, sessionConfig)
	checkMode(t, filepath.Dir(f.Config), 0o700)
	checkMode(t, f.Credentials, 0o600)
	checkMode(t, f.Config, 0o600)
	entries, err := os.ReadDir(filepath.Dir(f.Config))
	if err != nil || len(entries) != 2 {
		t.Errorf("directory holds %v (%v), want only the two files: no temporary file left", entries, err)
	}
}

func TestWriteMissingParents(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	f := awsconfig.Files{
		Credentials: filepath.Join(root, "a", "b", "credentials"),
		Config:      filepath.Join(root, "c", "config"),
	}
	if err := awsconfig.Write(f, session, false); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"a", "a/b", "c"} {
		checkMode(t, filepath.Join(root, dir), 0o700)
	}
	checkFiles(t, f, sessionCreds, sessionConfig)
}

// The user's files keep every byte outside the new sections, in either line
// ending style.
func TestWriteRoundTrip(t *testing.T) {
	t.Parallel()
	for _, nl := range []string{"\n", "\r\n"} {
		crlf := func(s string) string { return strings.ReplaceAll(s, "\n", nl) }
		creds, cfg := crlf(fixture(t, "credentials")), crlf(fixture(t, "config"))
		f := existingFiles(t, creds, cfg)
		if err := awsconfig.Write(f, session, false); err != nil {
			t.Fatal(err)
		}
		checkFiles(t, f, creds+crlf("\n"+sessionCreds), cfg+crlf("\n"+sessionConfig))
	}
}

func TestWriteEmptyFiles(t *testing.T) {
	t.Parallel()
	f := existingFiles(t, "", "")
	if err := awsconfig.Write(f, session, false); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, f, sessionCreds, sessionConfig)
}

func TestWriteSequence(t *testing.T) {
	t.Parallel()
	f := existingFiles(t, fixture(t, "credentials"), fixture(t, "config"))
	second := session
	second.Name, second.Region, second.AccessKeyID = "deploy", "us-west-2", "ASIASECONDEXAMPLE"
	second.Expiration = time.Time{}
	for _, p := range []awsconfig.Profile{session, second} {
		if err := awsconfig.Write(f, p, false); err != nil {
			t.Fatal(err)
		}
	}
	checkFiles(t, f,
		fixture(t, "credentials")+"\n"+sessionCreds+"\n[deploy]\n"+
			"aws_access_key_id = ASIASECONDEXAMPLE\n"+
			"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE+KEY\n"+
			"aws_session_token = IQoJb3JpZ2luX2VjEXAMPLE/TOKEN+with=padding==\n",
		fixture(t, "config")+"\n"+sessionConfig+"\n[profile deploy]\nregion = us-west-2\n")
}

func TestWriteExisting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		creds, cfg string
		profile    string
		inFile     string // "credentials" or "config": where Write finds it first
		// Files after Write with overwrite.
		wantCreds, wantCfg string
	}{
		{
			name:      "both files",
			creds:     "[other]\nk = 1\n\n[ci]\naws_access_key_id = OLD\n\n[after]\n",
			cfg:       "[profile ci]\nregion = us-east-1\nrole_arn = arn:aws:iam::1:role/r\n\n[profile other]\n",
			profile:   "ci",
			inFile:    "config",
			wantCreds: "[other]\nk = 1\n\n" + sessionCreds + "\n[after]\n",
			wantCfg:   sessionConfig + "\n[profile other]\n",
		},
		{
			name:      "credentials file only, spaced header",
			creds:     "[ ci ]\naws_access_key_id = OLD\n",
			cfg:       "[profile other]\n",
			profile:   "ci",
			inFile:    "credentials",
			wantCreds: sessionCreds,
			wantCfg:   "[profile other]\n\n" + sessionConfig,
		},
		{
			name:      "quoted config header",
			creds:     "",
			cfg:       "[profile \"ci\"]\nregion = us-east-1\n",
			profile:   "ci",
			inFile:    "config",
			wantCreds: sessionCreds,
			wantCfg:   sessionConfig,
		},
		{
			name:      "duplicates are merged into one",
			creds:     "[ci]\nk = 1\n[x]\n[ci]\nk = 2\n",
			cfg:       "[profile  ci]\n[profile ci]\n",
			profile:   "ci",
			inFile:    "config",
			wantCreds: sessionCreds + "[x]\n",
			wantCfg:   sessionConfig,
		},
		{
			name:      "[profile default] becomes [default]",
			creds:     "",
			cfg:       "# mine\n[profile default]\noutput = json\n",
			profile:   "default",
			inFile:    "config",
			wantCreds: strings.Replace(sessionCreds, "[ci]", "[default]", 1),
			wantCfg:   "# mine\n[default]\nregion = eu-central-1\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := session
			p.Name = tc.profile
			f := existingFiles(t, tc.creds, tc.cfg)
			err := awsconfig.Write(f, p, false)
			var exists *awsconfig.ProfileExistsError
			if !errors.As(err, &exists) {
				t.Fatalf("Write without overwrite = %v, want a *ProfileExistsError", err)
			}
			want := filepath.Join(filepath.Dir(f.Config), tc.inFile)
			if exists.Name != tc.profile || exists.Path != want {
				t.Errorf("error names %q in %s, want %q in %s", exists.Name, exists.Path, tc.profile, want)
			}
			if !strings.Contains(err.Error(), "overwrite-aws-profile") {
				t.Errorf("error %q does not say how to overwrite", err)
			}
			checkFiles(t, f, tc.creds, tc.cfg)

			if err := awsconfig.Write(f, p, true); err != nil {
				t.Fatal(err)
			}
			checkFiles(t, f, tc.wantCreds, tc.wantCfg)
		})
	}
}

// Overwriting a credential_process profile with keys, and back: neither
// leaves the other kind of credentials behind, since the SDKs prefer keys in
// the credentials file to a credential_process.
func TestWriteCredentialProcess(t *testing.T) {
	t.Parallel()
	proc := awsconfig.Profile{
		Name:              "ci",
		Region:            "eu-central-1",
		CredentialProcess: "assume-role --format credential-process --role-to-assume arn:aws:iam::111122223333:role/ci",
	}
	procConfig := "[profile ci]\nregion = eu-central-1\ncredential_process = " + proc.CredentialProcess + "\n"

	f := newFiles(t)
	if err := awsconfig.Write(f, proc, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(f.Credentials); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("credentials file was created for a credential_process profile: %v", err)
	}
	if got := readFile(t, f.Config); got != procConfig {
		t.Errorf("config file = %q, want %q", got, procConfig)
	}

	if err := awsconfig.Write(f, session, true); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, f, sessionCreds, sessionConfig)

	if err := awsconfig.Write(f, proc, true); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, f, "", procConfig)
}

func TestWriteNoRegion(t *testing.T) {
	t.Parallel()
	p := session
	p.Region = ""
	f := newFiles(t)
	if err := awsconfig.Write(f, p, false); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, f.Credentials); got != sessionCreds {
		t.Errorf("credentials file = %q, want %q", got, sessionCreds)
	}
	if _, err := os.Lstat(f.Config); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("config file was created with nothing to hold: %v", err)
	}
}

func TestWriteInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(p *awsconfig.Profile)
		field string
	}{
		{"empty name", func(p *awsconfig.Profile) { p.Name = "" }, "name"},
		{"long name", func(p *awsconfig.Profile) { p.Name = strings.Repeat("a", 65) }, "name"},
		{"space in name", func(p *awsconfig.Profile) { p.Name = "a b" }, "name"},
		{"bracket in name", func(p *awsconfig.Profile) { p.Name = "a]" }, "name"},
		{"newline in name", func(p *awsconfig.Profile) { p.Name = "a\n[evil]" }, "name"},
		{"DEFAULT", func(p *awsconfig.Profile) { p.Name = "DEFAULT" }, "name"},
		{"newline in region", func(p *awsconfig.Profile) { p.Region = "us-east-1\ncredential_process = evil" }, "region"},
		{"CR in region", func(p *awsconfig.Profile) { p.Region = "us-east-1\r[x]" }, "region"},
		{"control character", func(p *awsconfig.Profile) { p.SessionToken = "a\x00b" }, "aws_session_token"},
		{"invalid UTF-8", func(p *awsconfig.Profile) { p.SecretAccessKey = "\xff" }, "aws_secret_access_key"},
		{"padded key", func(p *awsconfig.Profile) { p.AccessKeyID = " AKIA" }, "aws_access_key_id"},
		{"no keys", func(p *awsconfig.Profile) { p.AccessKeyID, p.SecretAccessKey, p.SessionToken = "", "", "" }, "aws_access_key_id"},
		{"no secret", func(p *awsconfig.Profile) { p.SecretAccessKey = "" }, "aws_secret_access_key"},
		{"token only", func(p *awsconfig.Profile) { p.AccessKeyID, p.SecretAccessKey = "", "" }, "aws_access_key_id"},
		{"comment in process", func(p *awsconfig.Profile) {
			p.AccessKeyID, p.SecretAccessKey, p.SessionToken = "", "", ""
			p.CredentialProcess = "get-creds --profile x ;rm -rf"
		}, "credential_process"},
		{"quoted process", func(p *awsconfig.Profile) {
			p.AccessKeyID, p.SecretAccessKey, p.SessionToken = "", "", ""
			p.CredentialProcess = `"/opt/my tools/get-creds"`
		}, "credential_process"},
		{"keys and process", func(p *awsconfig.Profile) { p.CredentialProcess = "x" }, "credential_process"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := session
			tc.edit(&p)
			f := newFiles(t)
			err := awsconfig.Write(f, p, true)
			var invalid *awsconfig.InvalidProfileError
			if !errors.As(err, &invalid) || invalid.Field != tc.field {
				t.Fatalf("Write = %v, want an *InvalidProfileError for %s", err, tc.field)
			}
			if strings.Contains(err.Error(), session.SecretAccessKey) || strings.Contains(err.Error(), session.SessionToken) {
				t.Errorf("error %q shows a secret", err)
			}
			if _, err := os.Lstat(filepath.Dir(f.Config)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Write created %s for an invalid profile", filepath.Dir(f.Config))
			}
		})
	}
}

func TestWriteUnsafePaths(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, f awsconfig.Files) (unsafe string)
	}{
		{"credentials file is a link", func(t *testing.T, f awsconfig.Files) string {
			target := filepath.Join(t.TempDir(), "elsewhere")
			writeFile(t, target, "[x]\n")
			if err := os.Symlink(target, f.Credentials); err != nil {
				t.Fatal(err)
			}
			return f.Credentials
		}},
		{"config file is a dangling link", func(t *testing.T, f awsconfig.Files) string {
			if err := os.Symlink(filepath.Join(t.TempDir(), "missing"), f.Config); err != nil {
				t.Fatal(err)
			}
			return f.Config
		}},
		{"config file is a directory", func(t *testing.T, f awsconfig.Files) string {
			if err := os.Mkdir(f.Config, 0o700); err != nil {
				t.Fatal(err)
			}
			return f.Config
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := existingFiles(t, "[a]\n", "[b]\n")
			os.Remove(f.Credentials)
			os.Remove(f.Config)
			unsafe := tc.setup(t, f)
			for _, op := range []func() error{
				func() error { return awsconfig.Write(f, session, true) },
				func() error { return awsconfig.Remove(f, "ci") },
			} {
				var ue *awsconfig.UnsafeFileError
				if err := op(); !errors.As(err, &ue) || ue.Path != unsafe {
					t.Errorf("got %v, want an *UnsafeFileError for %s", err, unsafe)
				}
			}
		})
	}
}

func TestWriteParentLink(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	home := t.TempDir()
	real := filepath.Join(home, "real")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(real, "credentials"), "[a]\n")
	link := filepath.Join(home, ".aws")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	f := awsconfig.Files{Credentials: filepath.Join(link, "credentials"), Config: filepath.Join(link, "config")}
	var ue *awsconfig.UnsafeFileError
	if err := awsconfig.Write(f, session, true); !errors.As(err, &ue) || ue.Path != link {
		t.Errorf("Write = %v, want an *UnsafeFileError for %s", err, link)
	}
	if got := readFile(t, filepath.Join(real, "credentials")); got != "[a]\n" {
		t.Errorf("file behind the link changed to %q", got)
	}
}

func TestWriteSameFile(t *testing.T) {
	t.Parallel()
	f := newFiles(t)
	f.Config = f.Credentials
	if err := awsconfig.Write(f, session, true); err == nil {
		t.Error("Write with one path for both files succeeded")
	}
	if err := awsconfig.Write(awsconfig.Files{Config: f.Config}, session, true); err == nil {
		t.Error("Write without a credentials path succeeded")
	}
}

func TestWriteKeepsStricterMode(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes on Windows")
	}
	tests := []struct{ before, after fs.FileMode }{
		{0o600, 0o600},
		{0o400, 0o400},
		{0o644, 0o600},
		{0o640, 0o600},
	}
	for _, tc := range tests {
		f := existingFiles(t, "[a]\n", "[b]\n")
		for _, p := range []string{f.Credentials, f.Config} {
			if err := os.Chmod(p, tc.before); err != nil {
				t.Fatal(err)
			}
		}
		if err := awsconfig.Write(f, session, false); err != nil {
			t.Fatal(err)
		}
		checkMode(t, f.Credentials, tc.after)
		checkMode(t, f.Config, tc.after)
	}
}

// A failure on the second file puts the first back as it was.
func TestWriteRollsBack(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs a directory that refuses writes, which root can always write")
	}
	root := t.TempDir()
	locked := filepath.Join(root, "locked")
	if err := os.Mkdir(locked, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o700) })
	f := awsconfig.Files{Config: filepath.Join(root, "config"), Credentials: filepath.Join(locked, "credentials")}
	writeFile(t, f.Config, "[b]\n")
	if err := awsconfig.Write(f, session, false); err == nil {
		t.Fatal("Write into a read-only directory succeeded")
	}
	if got := readFile(t, f.Config); got != "[b]\n" {
		t.Errorf("config file = %q after a failed Write, want it restored", got)
	}
}

func TestRemove(t *testing.T) {
	t.Parallel()
	creds, cfg := fixture(t, "credentials"), fixture(t, "config")
	f := existingFiles(t, creds, cfg)
	other := session
	other.Name = "other"
	for _, p := range []awsconfig.Profile{session, other} {
		if err := awsconfig.Write(f, p, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := awsconfig.Remove(f, "other"); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, f, creds+"\n"+sessionCreds, cfg+"\n"+sessionConfig)
	if err := awsconfig.Remove(f, "ci"); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, f, creds, cfg)
	if err := awsconfig.Remove(f, "ci"); err != nil {
		t.Errorf("removing a missing profile: %v", err)
	}
	checkFiles(t, f, creds, cfg)
}

func TestRemoveDefault(t *testing.T) {
	t.Parallel()
	f := existingFiles(t, fixture(t, "credentials"), fixture(t, "config"))
	if err := awsconfig.Remove(f, "default"); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, f,
		"# Long-term keys for my laptop.\n\n[legacy]\n"+
			"aws_access_key_id=AKIAI44QH8DTEXAMPLE\n"+
			"aws_secret_access_key=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY\n",
		strings.Replace(fixture(t, "config"), "[default]\nregion = us-east-1\noutput = json\n", "", 1))
}

func TestRemoveMissingFiles(t *testing.T) {
	t.Parallel()
	f := newFiles(t)
	if err := awsconfig.Remove(f, "ci"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Dir(f.Config)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove created %s", filepath.Dir(f.Config))
	}
	var invalid *awsconfig.InvalidProfileError
	if err := awsconfig.Remove(f, "a b"); !errors.As(err, &invalid) {
		t.Errorf("Remove with a bad name = %v, want an *InvalidProfileError", err)
	}
}

func TestLayoutError(t *testing.T) {
	t.Parallel()
	creds := "[a]\nx = 1\n[ci]\n    aws_access_key_id = OLD\n  [b]\n"
	f := existingFiles(t, creds, "")
	var le *awsconfig.LayoutError
	if err := awsconfig.Write(f, session, true); !errors.As(err, &le) || le.Line != 5 || le.Path != f.Credentials {
		t.Fatalf("Write = %v, want a *LayoutError for line 5 of %s", err, f.Credentials)
	}
	checkFiles(t, f, creds, "")
}
