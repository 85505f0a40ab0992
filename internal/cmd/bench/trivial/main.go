// Command trivial is the bench's baseline: the least a Go program can do
// for the action's job. It makes one plain, unsigned HTTP POST to the URL
// in BENCH_URL, reads the answer and exits 0 whatever the status was
// (the STS emulator refuses the unsigned call, which is still one round
// trip). It exits 1 only when the request cannot be made.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	resp, err := http.Post(os.Getenv("BENCH_URL"), "application/x-www-form-urlencoded",
		strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "trivial:", err)
		os.Exit(1)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
}
