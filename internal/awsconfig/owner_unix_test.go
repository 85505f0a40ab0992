//go:build unix

package awsconfig_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/assume-role/assume-role/internal/awsconfig"
)

// As root (a container action), what Write creates belongs to the owner of
// the directory it is created in, and a replaced file keeps its owner.
func TestWriteOwner(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("only root can give files away")
	}
	const runner, other = 1001, 4242
	home := t.TempDir()
	if err := os.Chown(home, runner, runner); err != nil {
		t.Fatal(err)
	}
	f := awsconfig.Files{Credentials: filepath.Join(home, ".aws", "credentials"), Config: filepath.Join(home, ".aws", "config")}
	if err := awsconfig.Write(f, session, false); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Dir(f.Config), f.Config, f.Credentials} {
		checkOwner(t, p, runner)
	}

	if err := os.Chown(f.Config, other, other); err != nil {
		t.Fatal(err)
	}
	if err := awsconfig.Write(f, session, true); err != nil {
		t.Fatal(err)
	}
	checkOwner(t, f.Config, other)
	checkOwner(t, f.Credentials, runner)
}

func checkOwner(t *testing.T, path string, want uint32) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != want || st.Gid != want {
		t.Errorf("%s is owned by %d:%d, want %d:%d", path, st.Uid, st.Gid, want, want)
	}
}
