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
		if err := removeFile(p); err != nil {
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

// removeFile deletes a file the main stage wrote. It refuses anything but a
// regular file, so a tampered state cannot make it delete a directory.
func removeFile(p string) error {
	if !filepath.IsAbs(p) {
		return fmt.Errorf("cleanup: %q in the state is not an absolute path; not deleted", p)
	}
	fi, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("cleanup: %w", err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("cleanup: %s is not a regular file; not deleted", p)
	}
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	return nil
}
