// Package devtool is what the developer commands under internal/cmd (the
// demo and the bench) share: finding the module, building a binary as the
// image does, and serving a fake on the loopback interface.
package devtool

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ModuleRoot is the directory of the assume-role module that the working
// directory is in: that of the go.mod the go command finds, which must
// have action.yml beside it.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module: run this from inside the assume-role module")
	}
	root := filepath.Dir(gomod)
	if _, err := os.Stat(filepath.Join(root, "action.yml")); err != nil {
		return "", fmt.Errorf("%s has no action.yml beside it: run this from inside the assume-role module", gomod)
	}
	return root, nil
}

// Build builds the package pkg of the module at root into out as the
// Dockerfile builds the action: CGO_ENABLED=0 go build -trimpath
// -ldflags="-s -w".
func Build(ctx context.Context, root, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %w\n%s", pkg, err, msg)
	}
	return nil
}

// Serve serves h on a free port of 127.0.0.1 and returns its base URL
// (http://127.0.0.1:port) and a function that shuts the server down,
// waiting for the requests in progress.
func Serve(ctx context.Context, h http.Handler) (url string, stop func(), err error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// ErrServerClosed after stop; any other error shows as the
		// clients' failure to connect.
		_ = srv.Serve(ln)
	}()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}
	return "http://" + ln.Addr().String(), stop, nil
}
