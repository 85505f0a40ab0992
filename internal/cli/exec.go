package cli

import (
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

// forwarded are the signals exec passes on to its command: what docker
// stop, a cancelled CI job, a closed terminal or Ctrl-\ send. The command
// decides what they mean (a clean shutdown, usually); exec waits for it and
// exits with its status.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// runForwarding runs c and, while it runs, sends it every forwarded signal
// this process gets instead of letting them end or cancel this process.
//
// Without a terminal (CI, docker) the command gets a process group of its
// own and the signal goes to the whole group, as a terminal sends Ctrl-C to
// its foreground group: "sh -c 'a; b'" then stops b too, instead of leaving
// it running, orphaned, holding the step's output open. At a terminal the
// command stays in the terminal's foreground group, which job control
// needs, and gets the signal itself (the terminal already signals the whole
// group for Ctrl-C).
func runForwarding(c *exec.Cmd) error {
	group := !isTerminal(c.Stdin) && ownGroup(c)
	sigs := make(chan os.Signal, len(forwarded))
	// Before Start, so that a signal in between is queued, not lost.
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := c.Start(); err != nil {
		return err
	}
	pid := c.Process.Pid
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				if group {
					signalGroup(pid, s)
				} else {
					_ = c.Process.Signal(s)
				}
			case <-done:
				return
			}
		}
	}()
	return c.Wait()
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
