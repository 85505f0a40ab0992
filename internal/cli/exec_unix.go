//go:build unix

package cli

import (
	"os"
	"os/exec"
	"syscall"
)

// ownGroup makes c the leader of a new process group when it starts.
func ownGroup(c *exec.Cmd) bool {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return true
}

// signalGroup sends s to every process of the group led by pid.
func signalGroup(pid int, s os.Signal) {
	if sig, ok := s.(syscall.Signal); ok {
		_ = syscall.Kill(-pid, sig)
	}
}
