package awsconfig

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// maxFileSize bounds what we read: shared files are a few kilobytes, and a
// bound keeps a wrong path from filling memory.
const maxFileSize = 16 << 20

// file is a shared file as it was before we touched it.
type file struct {
	path    string
	dir     string
	info    fs.FileInfo // nil if the file did not exist
	content []byte
	scratch bool // skip fsync, see Files.Scratch
}

// readFile checks that path and its directory are safe to replace and reads
// the file if it exists. Only the directory itself is checked for a link,
// not its ancestors: the rename happens in it, while links higher up (macOS's
// /tmp, a home on another volume) are the system's business.
func readFile(path string) (*file, error) {
	f := &file{path: path, dir: filepath.Dir(path)}
	if di, err := os.Lstat(f.dir); err == nil {
		if err := checkDir(f.dir, di); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return f, nil
	case err != nil:
		return nil, err
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, &UnsafeFileError{Path: path, Reason: "it is a symbolic link"}
	case !fi.Mode().IsRegular():
		return nil, &UnsafeFileError{Path: path, Reason: "it is not a regular file"}
	}
	r, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// Compare what we opened with what we checked, in case the path was
	// swapped for a link in between.
	if oi, err := r.Stat(); err != nil || !os.SameFile(fi, oi) {
		return nil, &UnsafeFileError{Path: path, Reason: "it changed while being read"}
	}
	f.content, err = io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(f.content) > maxFileSize {
		return nil, fmt.Errorf("reading %s: larger than %d bytes", path, maxFileSize)
	}
	f.info = fi
	return f, nil
}

func checkDir(dir string, di fs.FileInfo) error {
	switch {
	case di.Mode()&fs.ModeSymlink != 0:
		return &UnsafeFileError{Path: dir, Reason: "the directory is a symbolic link"}
	case !di.IsDir():
		return &UnsafeFileError{Path: dir, Reason: "it is not a directory"}
	}
	return nil
}

func (f *file) sameAs(g *file) bool {
	return f.info != nil && g.info != nil && os.SameFile(f.info, g.info)
}

// replace atomically replaces the file's content with data: a temporary file
// in the same directory (created 0600, so the secrets are never readable by
// others, not even briefly), synced, then renamed over the path.
func (f *file) replace(data []byte) error {
	if err := mkdirs(f.dir); err != nil {
		return err
	}
	perm := fs.FileMode(0o600)
	if f.info != nil {
		perm &= f.info.Mode().Perm()
	}
	tmp, err := os.CreateTemp(f.dir, "."+filepath.Base(f.path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	err = errors.Join(
		write(tmp, data),
		tmp.Chmod(perm),
		f.keepOwner(tmp),
	)
	if err == nil && !f.scratch {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// Check again just before the rename: a link put in place since we read
	// the file would be replaced, not followed, but it was not ours to replace.
	if fi, err := os.Lstat(f.path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return &UnsafeFileError{Path: f.path, Reason: "it is a symbolic link"}
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return err
	}
	if !f.scratch {
		syncDir(f.dir)
	}
	return nil
}

func write(w io.Writer, data []byte) error {
	_, err := w.Write(data)
	return err
}

// restore puts the file back as readFile found it, removing it if it did not
// exist.
func (f *file) restore() error {
	if f.info == nil {
		err := os.Remove(f.path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return f.replace(f.content)
}

// keepOwner gives tmp the owner of the file it replaces, or for a new file
// the owner of its directory.
func (f *file) keepOwner(tmp *os.File) error {
	from := f.info
	if from == nil {
		di, err := os.Stat(f.dir)
		if err != nil {
			return err
		}
		from = di
	}
	return chownLike(tmp.Name(), from)
}

// mkdirs creates dir and any missing parents with mode 0700, each owned like
// the nearest directory that existed, and then checks dir as readFile does.
func mkdirs(dir string) error {
	var missing []string
	d := dir
	var owner fs.FileInfo
	for {
		fi, err := os.Stat(d)
		if err == nil {
			owner = fi
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, d)
		parent := filepath.Dir(d)
		if parent == d {
			return err
		}
		d = parent
	}
	for i := len(missing) - 1; i >= 0; i-- {
		m := missing[i]
		if err := os.Mkdir(m, 0o700); err != nil {
			if !errors.Is(err, fs.ErrExist) {
				return err
			}
			continue // created meanwhile by someone else: leave it as it is
		}
		// Mkdir's mode is filtered by the umask; set it exactly.
		if err := errors.Join(os.Chmod(m, 0o700), chownLike(m, owner)); err != nil {
			return err
		}
	}
	di, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	return checkDir(dir, di)
}

// InstallExecutable copies the executable at src to dst (mode 0755), creating
// dst's directory like the shared files' (0700, owned like its parent), and
// gives it the directory's owner: a profile's credential_process runs it as
// the runner's user in later steps. It replaces dst atomically and refuses a
// dst or a directory that is a symbolic link.
func InstallExecutable(src, dst string) error {
	dir := filepath.Dir(dst)
	if err := mkdirs(dir); err != nil {
		return err
	}
	if fi, err := os.Lstat(dst); err == nil && !fi.Mode().IsRegular() {
		return &UnsafeFileError{Path: dst, Reason: "is not a regular file"}
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(dir, ".assume-role-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	// No fsync: the executable lives in the runner's temp directory, which
	// is deleted at the end of the job.
	_, err = io.Copy(tmp, in)
	if err == nil {
		err = tmp.Chmod(0o755)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	di, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if err := chownLike(tmp.Name(), di); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// WritePrivate replaces the file at path with data, atomically, as the
// shared files are written: mode 0600 (or stricter, if it already was),
// missing directories 0700, the owner of the file it replaces or of its
// directory, and never through a symbolic link. It is for the other
// secrets a profile needs beside the shared files, in the runner's temp
// directory, so it skips fsync like Files.Scratch.
func WritePrivate(path string, data []byte) error {
	f, err := readFile(path)
	if err != nil {
		return err
	}
	f.scratch = true
	return f.replace(data)
}
