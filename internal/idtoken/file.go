package idtoken

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// projectedToken matches the paths where Kubernetes mounts projected
// service-account tokens. They are symlinks into a ..data directory that
// the kubelet swaps atomically, so they are the one symlink we follow.
var projectedToken = regexp.MustCompile(`^/var/run/secrets/[^/]+/serviceaccount/token$`)

// FileError is a token file that cannot be used.
type FileError struct {
	Path    string
	Problem string
	Err     error
}

func (e *FileError) Error() string {
	msg := fmt.Sprintf("web identity token file %s %s", e.Path, e.Problem)
	if e.Err != nil {
		msg += fmt.Sprintf(" (%v)", e.Err)
	}
	return msg
}

func (e *FileError) Unwrap() error { return e.Err }

// ReadFile reads a token from path, relative paths being taken from
// workspace (GITHUB_WORKSPACE), and trims surrounding white space: a token
// written with echo ends in a newline that STS would reject. Symlinks are
// refused, except at Kubernetes' projected token paths, so that a token
// path in a workflow cannot be pointed at another file.
func ReadFile(path, workspace string) (string, error) {
	if !filepath.IsAbs(path) && workspace != "" {
		path = filepath.Join(workspace, path)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", &FileError{Path: path, Problem: "does not exist", Err: err}
		}
		return "", &FileError{Path: path, Problem: "cannot be read", Err: err}
	}
	if fi.Mode()&fs.ModeSymlink != 0 && !projectedToken.MatchString(filepath.Clean(path)) {
		return "", &FileError{Path: path, Problem: "is a symbolic link"}
	}
	f, err := os.Open(path)
	if err != nil {
		return "", &FileError{Path: path, Problem: "cannot be read", Err: err}
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return "", &FileError{Path: path, Problem: "is not a regular file"}
	}
	b, err := io.ReadAll(io.LimitReader(f, maxTokenBytes+1))
	if err != nil {
		return "", &FileError{Path: path, Problem: "cannot be read", Err: err}
	}
	if len(b) > maxTokenBytes {
		return "", &FileError{Path: path, Problem: fmt.Sprintf("is larger than %d KiB; it does not hold a token", maxTokenBytes>>10)}
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", &FileError{Path: path, Problem: "is empty"}
	}
	if !looksLikeJWT(token) {
		return "", &FileError{Path: path, Problem: "does not hold a JWT (three base64url parts separated by dots)"}
	}
	return token, nil
}
