package action

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/assume-role/assume-role/internal/filecmd"
	"github.com/assume-role/assume-role/internal/logcmd"
	"github.com/assume-role/assume-role/internal/refresh"
)

// StateFiles is the GITHUB_STATE key under which the main stage lists the
// files it wrote (one path a line), for the post stage to delete. It holds
// paths only, never a secret: the runner prints state in logs.
const StateFiles = "files"

// exportedVars are the variables the main stage may export; the post stage
// blanks them so that later post steps of other actions do not act with
// this job's AWS session.
var exportedVars = append(append([]string(nil), credentialVars...),
	"AWS_REGION", "AWS_DEFAULT_REGION",
	// With aws-profile: the profile and the files it was in, now deleted.
	"AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
)

// Cleanup runs the action's post stage: it blanks the exported AWS_*
// variables for the job's remaining (post) steps and deletes the files the
// main stage recorded in its state. AWS_SKIP_CLEANUP_STEP=true skips it, as
// with configure-aws-credentials.
func Cleanup(ctx context.Context, env Env) error {
	env.init()
	log := logcmd.New(env.Stdout)
	if env.getenv("AWS_SKIP_CLEANUP_STEP") == "true" {
		log.Info("AWS_SKIP_CLEANUP_STEP is true: leaving the credentials in place")
		return log.Err()
	}
	var errs []error
	for _, p := range strings.Split(env.getenv("STATE_"+StateFiles), "\n") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if err := removeOwnFile(&env, p); err != nil {
			errs = append(errs, err)
			continue
		}
		log.Info("Deleted " + p)
	}
	entries := make([]filecmd.Entry, len(exportedVars))
	for i, name := range exportedVars {
		entries[i] = filecmd.Entry{Name: name}
	}
	if err := filecmd.Append(filecmd.Env, env.getenv(filecmd.Env.String()), entries, env.Rand); err != nil {
		errs = append(errs, err)
	} else {
		log.Info("Blanked " + strings.Join(exportedVars, ", ") + " for the rest of the job")
	}
	errs = append(errs, log.Err())
	return errors.Join(errs...)
}

// ownFile reports whether name is one of the files the main stage writes
// into its profile directory (writeProfile): the shared files, the
// credential_process binary, and a refreshing profile's spec, session
// cache and lock (<profile> and refresh's suffixes).
func ownFile(name string) bool {
	switch name {
	case "credentials", "config", binaryName:
		return true
	}
	suffixes := refresh.FilesFor("", "")
	for _, suffix := range []string{suffixes.Spec, suffixes.Session, suffixes.Lock} {
		if profile, ok := strings.CutSuffix(name, suffix); ok && profile != "" {
			return true
		}
	}
	return false
}

// removeOwnFile deletes a file the main stage wrote, and nothing else. The
// state it reads can be forged: an earlier step that writes
// STATE_files=... to GITHUB_ENV sets it when this action saved none. So p
// must be one of ownFiles, directly in a profile directory of ours
// (assume-role-aws, or .assume-role-aws in a job container's home) under
// one of the places placeProfile writes to, and both the file and its
// directory must be what they seem (no symbolic link): the file is
// removed through an os.Root of the directory, which no link can leave.
func removeOwnFile(env *Env, p string) error {
	if !filepath.IsAbs(p) {
		return fmt.Errorf("cleanup: %q in the state is not an absolute path; not deleted", p)
	}
	p = filepath.Clean(p)
	dir, name := filepath.Split(p)
	dir = filepath.Clean(dir)
	if !ownFile(name) || !ownDir(env, dir) {
		return fmt.Errorf("cleanup: %s in the state is not a file this action writes; not deleted", p)
	}
	di, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("cleanup: %w", err)
	case !di.IsDir():
		return fmt.Errorf("cleanup: %s is not a directory; %s not deleted", dir, name)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	defer root.Close()
	fi, err := root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("cleanup: %w", err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("cleanup: %s is not a regular file; not deleted", p)
	}
	if err := root.Remove(name); err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	return nil
}

// ownDir reports whether dir is a profile directory placeProfile can have
// chosen: ours by name, in the runner's temp directory (as this stage sees
// it, or the job container's), the job's home, or beside GITHUB_ENV (act).
func ownDir(env *Env, dir string) bool {
	base, parent := filepath.Base(dir), filepath.Dir(dir)
	if base != profileDir && base != homeProfileDir {
		return false
	}
	var parents []string
	for _, t := range []string{env.getenv("RUNNER_TEMP"), jobTemp} {
		if t != "" {
			parents = append(parents, t, filepath.Join(t, "_github_home"))
		}
	}
	if h := env.getenv("HOME"); h != "" {
		parents = append(parents, h)
	}
	if ge := env.getenv("GITHUB_ENV"); filepath.IsAbs(ge) {
		parents = append(parents, filepath.Dir(ge))
	}
	for _, p := range parents {
		if filepath.Clean(p) == parent {
			return true
		}
	}
	return false
}
