package cli

import (
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

// forwarded are the signals exec passes on to its command: what docker
// stop, a cancelled CI job, a closed terminal or Ctrl-\ send. The command
// decides what they mean (a clean shutdown, usually); exec waits for it and
// exits with its status. When the signal came from a terminal, the command
// (in the same process group) gets it from there too, as with any shell
// wrapper that forwards signals.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// runForwarding runs c and, while it runs, sends it every forwarded signal
// this process gets instead of letting them end or cancel this process.
func runForwarding(c *exec.Cmd) error {
	sigs := make(chan os.Signal, len(forwarded))
	// Before Start, so that a signal in between is queued, not lost.
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := c.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = c.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	return c.Wait()
}
