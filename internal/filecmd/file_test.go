package filecmd_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/filecmd"
)

var credentials = []filecmd.Entry{
	{Name: "AWS_ACCESS_KEY_ID", Value: "ASIAIOSFODNN7EXAMPLE"},
	{Name: "AWS_SECRET_ACCESS_KEY", Value: secret},
}

func TestAppend(t *testing.T) {
	t.Parallel()
	formatted, err := filecmd.Format(filecmd.Env, credentials, &seqReader{})
	if err != nil {
		t.Fatal(err)
	}
	existing := []filecmd.Entry{{Name: "EXISTING", Value: "1"}}
	tests := []struct {
		name     string
		existing string
		want     string // whole file afterwards
		parsed   []filecmd.Entry
	}{
		{"empty file", "", string(formatted), credentials},
		{"existing content", "EXISTING=1\n", "EXISTING=1\n\n" + string(formatted), slices.Concat(existing, credentials)},
		{"existing content without final newline", "EXISTING=1", "EXISTING=1\n" + string(formatted), slices.Concat(existing, credentials)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := tempFile(t, tc.existing)
			if err := filecmd.Append(filecmd.Env, path, credentials, &seqReader{}); err != nil {
				t.Fatalf("Append: %v", err)
			}
			got := readFile(t, path)
			if got != tc.want {
				t.Errorf("file = %q, want %q", got, tc.want)
			}
			parsed, err := filecmd.Parse([]byte(got))
			if err != nil || !reflect.DeepEqual(parsed, tc.parsed) {
				t.Errorf("Parse = %q, %v; want %q", parsed, err, tc.parsed)
			}
		})
	}
}

// Without the leading newline Append adds, an unterminated last line written
// earlier would swallow the first header: "EXISTING=1AWS_ACCESS_KEY_ID<<…",
// and the credential lines would be read as entries of their own.
func TestAppendGolden(t *testing.T) {
	t.Parallel()
	path := tempFile(t, "EXISTING=1")
	if err := filecmd.Append(filecmd.Env, path, credentials, &seqReader{}); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "append_after_unterminated_line", []byte(readFile(t, path)))
}

func TestAppendTwice(t *testing.T) {
	t.Parallel()
	path := tempFile(t, "")
	first := []filecmd.Entry{{Name: "aws-account-id", Value: "123456789012"}}
	second := []filecmd.Entry{{Name: "aws-arn", Value: "arn:aws:sts::123456789012:assumed-role/r/s"}}
	for _, entries := range [][]filecmd.Entry{first, second} {
		if err := filecmd.Append(filecmd.Output, path, entries, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := slices.Concat(first, second)
	if got, err := filecmd.Parse([]byte(readFile(t, path))); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Parse = %q, %v; want %q", got, err, want)
	}
}

func TestAppendNothing(t *testing.T) {
	t.Parallel()
	path := tempFile(t, "EXISTING=1")
	if err := filecmd.Append(filecmd.Env, path, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "EXISTING=1" {
		t.Errorf("file = %q, want it unchanged", got)
	}
}

func TestAppendRejectedEntryWritesNothing(t *testing.T) {
	t.Parallel()
	path := tempFile(t, "EXISTING=1\n")
	entries := slices.Concat(credentials, []filecmd.Entry{{Name: "NODE_OPTIONS", Value: "--require=/tmp/x.js"}})
	err := filecmd.Append(filecmd.Env, path, entries, nil)
	if !errors.Is(err, filecmd.ErrNameBlocked) {
		t.Errorf("Append = %v, want ErrNameBlocked", err)
	}
	if got := readFile(t, path); got != "EXISTING=1\n" {
		t.Errorf("file = %q, want it unchanged", got)
	}
}

func TestAppendNotSet(t *testing.T) {
	t.Parallel()
	for _, kind := range []filecmd.Kind{filecmd.Env, filecmd.Output, filecmd.State} {
		t.Run(kind.String(), func(t *testing.T) {
			t.Parallel()
			err := filecmd.Append(kind, "", credentials, nil)
			var fe *filecmd.FileError
			if !errors.As(err, &fe) || fe.Var != kind.String() || !errors.Is(err, filecmd.ErrNotSet) {
				t.Fatalf("Append = %#v, want a *FileError for %v wrapping ErrNotSet", err, kind)
			}
			if want := kind.String() + " is not set"; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
		})
	}
}

func TestAppendFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		want error
	}{
		{"missing file", filepath.Join(dir, "set_env_missing"), fs.ErrNotExist},
		{"missing directory", filepath.Join(dir, "gone", "set_env_x"), fs.ErrNotExist},
		{"directory", dir, nil},
		{"device full", "/dev/full", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := os.Stat(tc.path); tc.want == nil && err != nil {
				t.Skipf("%s is not available: %v", tc.path, err)
			}
			err := filecmd.Append(filecmd.Env, tc.path, credentials, nil)
			var fe *filecmd.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Append = %v, want a *FileError", err)
			}
			if fe.Var != "GITHUB_ENV" || fe.Path != tc.path {
				t.Errorf("FileError{Var: %q, Path: %q}, want {GITHUB_ENV, %q}", fe.Var, fe.Path, tc.path)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v does not match %v", err, tc.want)
			}
			if msg := err.Error(); !strings.Contains(msg, "GITHUB_ENV") || strings.Contains(msg, secret) {
				t.Errorf("error %q must name GITHUB_ENV and must not contain the value", msg)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "set_env_missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Append created the missing file: %v", err)
	}
}

func TestAppendReadOnlyFile(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("root ignores file permissions; TestAppendFileErrors covers write errors with /dev/full")
	}
	path := tempFile(t, "")
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	err := filecmd.Append(filecmd.Env, path, credentials, nil)
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Append = %v, want a permission error", err)
	}
}

func TestAppendSummary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing string
		markdown string
		want     string
	}{
		{"empty file", "", "# Assumed role\n", "# Assumed role\n"},
		{"adds final newline", "", "| a | b |", "| a | b |\n"},
		{"keeps existing", "earlier\n", "later\n", "earlier\nlater\n"},
		{"empty markdown", "earlier\n", "", "earlier\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := tempFile(t, tc.existing)
			if err := filecmd.AppendSummary(path, tc.markdown); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, path); got != tc.want {
				t.Errorf("file = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAppendSummaryLimit(t *testing.T) {
	t.Parallel()
	existing := strings.Repeat("x", filecmd.SummaryLimit-11) + "\n" // 10 bytes under the limit
	t.Run("at the limit", func(t *testing.T) {
		t.Parallel()
		path := tempFile(t, existing)
		if err := filecmd.AppendSummary(path, "123456789"); err != nil { // 9 bytes + newline
			t.Fatal(err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Size() != filecmd.SummaryLimit {
			t.Errorf("size = %d, %v; want %d", fi.Size(), err, filecmd.SummaryLimit)
		}
	})
	t.Run("over the limit", func(t *testing.T) {
		t.Parallel()
		path := tempFile(t, existing)
		err := filecmd.AppendSummary(path, "1234567890")
		var fe *filecmd.FileError
		if !errors.Is(err, filecmd.ErrSummaryTooLarge) || !errors.As(err, &fe) || fe.Var != "GITHUB_STEP_SUMMARY" {
			t.Fatalf("AppendSummary = %v, want a GITHUB_STEP_SUMMARY *FileError wrapping ErrSummaryTooLarge", err)
		}
		if got := readFile(t, path); got != existing {
			t.Errorf("file changed by a refused summary: %d bytes, want %d", len(got), len(existing))
		}
	})
}

func TestAppendSummaryErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		path string
		want error
	}{
		{"not set", "", filecmd.ErrNotSet},
		{"missing file", filepath.Join(t.TempDir(), "step_summary_x"), fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := filecmd.AppendSummary(tc.path, "# hi")
			if !errors.Is(err, tc.want) || !strings.HasPrefix(err.Error(), "GITHUB_STEP_SUMMARY ") {
				t.Errorf("AppendSummary = %v, want an error naming GITHUB_STEP_SUMMARY wrapping %v", err, tc.want)
			}
		})
	}
}
