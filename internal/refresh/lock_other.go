//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package refresh

import (
	"context"
	"io/fs"
	"os"
)

const noFollow = 0

func openNoFollow(path string) (*os.File, error) { return os.Open(path) }

func owner(fs.FileInfo) int { return -1 }

// lockFile does not lock where flock(2) is missing: parallel callers of an
// expired session may each renew it, which costs STS calls, not safety.
func lockFile(context.Context, string) (func(), error) { return func() {}, nil }
