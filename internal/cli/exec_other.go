//go:build !unix

package cli

import (
	"os"
	"os/exec"
)

// ownGroup reports false: there are no POSIX process groups here (the CLI
// binary for Windows), so signals go to the command alone.
func ownGroup(*exec.Cmd) bool { return false }

func signalGroup(int, os.Signal) {}
