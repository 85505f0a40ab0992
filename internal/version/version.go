// Package version says which build of assume-role is running.
package version

import "runtime/debug"

// Version is the release, such as v1.2.3. The release build sets it with
// -ldflags "-X github.com/assume-role/assume-role/internal/version.Version=v1.2.3";
// otherwise String falls back to what the Go toolchain recorded.
var Version = ""

// String returns the release, or for a build from source the module version
// `go install …@vX.Y.Z` recorded, or "devel".
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
