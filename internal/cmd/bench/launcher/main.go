// Command launcher runs one program, as the bench's stand-in for the
// runner's process, and reports what the program cost on file descriptor 3:
//
//	<start, Unix ns> <wall ns> <maxrss KiB> <user ns> <sys ns> <exit code> <launcher's own VmHWM KiB> <minor page faults>
//
// It exists because ru_maxrss is not the child's own peak: Linux carries
// the high-water RSS of the memory the child had before exec into it, and
// os/exec starts children with vfork, whose memory before exec is the
// parent's. Measured from the bench (the emulator, 14 MiB) every child
// would seem to use at least 14 MiB; measured from this launcher the floor
// is the launcher's own few MiB, which it reports so that the bench can
// check that every figure is above it.
//
// The program inherits the launcher's environment, standard streams and
// working directory, except that BENCH_GODEBUG, if set, becomes the
// program's GODEBUG (so that an init trace traces the program, not the
// launcher). The launcher exits with the program's exit code.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: launcher PROGRAM [ARG...]  (report on fd 3)")
		os.Exit(2)
	}
	report := os.NewFile(3, "report")
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = childEnv(os.Environ())
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)

	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, "launcher:", err)
		os.Exit(125)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if ru == nil {
		ru = &syscall.Rusage{}
	}
	code := cmd.ProcessState.ExitCode()
	if _, err := fmt.Fprintf(report, "%d %d %d %d %d %d %d %d\n", start.UnixNano(), wall.Nanoseconds(), ru.Maxrss,
		cmd.ProcessState.UserTime().Nanoseconds(), cmd.ProcessState.SystemTime().Nanoseconds(), code, ownPeakKiB(), ru.Minflt); err != nil {
		fmt.Fprintln(os.Stderr, "launcher: writing the report:", err)
		os.Exit(125)
	}
	if code < 0 { // killed by a signal
		code = 126
	}
	os.Exit(code)
}

// ownPeakKiB returns the launcher's own peak RSS, VmHWM in /proc/self/status:
// the high-water mark of its memory, which a vforked child carries into
// its ru_maxrss. (The launcher's RUSAGE_SELF would not do: it carries in
// the bench's in turn.) It returns -1 if it cannot be read.
func ownPeakKiB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kib int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kib); err == nil {
				return kib
			}
		}
	}
	return -1
}

func childEnv(environ []string) []string {
	debug, ok := "", false
	for _, kv := range environ {
		if v, found := strings.CutPrefix(kv, "BENCH_GODEBUG="); found {
			debug, ok = v, true
		}
	}
	if !ok {
		return environ
	}
	out := []string{"GODEBUG=" + debug}
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "BENCH_GODEBUG=") && !strings.HasPrefix(kv, "GODEBUG=") {
			out = append(out, kv)
		}
	}
	return out
}
