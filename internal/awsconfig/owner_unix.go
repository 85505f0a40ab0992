//go:build unix

package awsconfig

import (
	"io/fs"
	"os"
	"syscall"
)

// chownLike gives path the owner and group of like, but only when we run as
// root and they differ. A container action runs as root while the runner's
// later steps run as its own user: a root-owned 0600 file in the mounted
// home directory would be unreadable to them. Without root a chown to
// someone else fails, and there is nothing to fix.
func chownLike(path string, like fs.FileInfo) error {
	st, ok := like.Sys().(*syscall.Stat_t)
	if !ok || os.Geteuid() != 0 || int(st.Uid) == os.Geteuid() && int(st.Gid) == os.Getegid() {
		return nil
	}
	return os.Lchown(path, int(st.Uid), int(st.Gid))
}

// syncDir makes a rename in dir durable. It is best effort: the rename has
// happened, and some file systems cannot sync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
