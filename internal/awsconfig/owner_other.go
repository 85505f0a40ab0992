//go:build !unix

package awsconfig

import "io/fs"

// chownLike does nothing where files have no Unix owner.
func chownLike(string, fs.FileInfo) error { return nil }

// syncDir does nothing where a directory cannot be opened for syncing.
func syncDir(string) {}
