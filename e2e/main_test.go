// Package e2e runs the built action binary the way the GitHub runner runs a
// container action, against the project's STS emulator, and then uses what
// it exported with the real AWS CLI.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/assume-role/assume-role/internal/runnertest"
)

var (
	binary   string
	manifest *runnertest.Manifest
	// afterTests run once the tests are done, passed or failed: they stop
	// what the tests started for the whole binary (a Docker engine).
	afterTests []func()
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "assume-role-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	defer func() {
		for _, f := range afterTests {
			f()
		}
	}()
	binary = filepath.Join(dir, "assume-role")
	build := exec.Command("go", "build", "-trimpath", "-o", binary, "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the action: %v\n%s", err, out)
		return 1
	}
	manifest, err = runnertest.LoadManifest("../action.yml")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}
