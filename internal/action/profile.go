package action

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/assume-role/assume-role/internal/awsconfig"
	"github.com/assume-role/assume-role/internal/filecmd"
	"github.com/assume-role/assume-role/internal/inputs"
)

// containerTemp is where the runner mounts its temp directory in a
// container action (RUNNER_TEMP is rewritten to it).
const containerTemp = "/github/runner_temp"

// profileDir is our directory under the runner's temp directory.
const profileDir = "assume-role-aws"

// ProfileError means the named profile could not be written.
type ProfileError struct{ Err error }

func (e *ProfileError) Error() string { return "writing the aws-profile: " + e.Err.Error() }

func (e *ProfileError) Unwrap() error { return e.Err }

// profilePlace is where the shared files are written (here) and where later
// steps find them (on the host).
type profilePlace struct {
	write, host awsconfig.Files
	hostDir     string
	writeDir    string
}

// placeProfile finds the runner's temp directory both as this process sees
// it and as later steps on the host see it. Inside a container action
// RUNNER_TEMP is the mount point /github/runner_temp, and no variable holds
// the host path; but the runner lays out its work directory as
// <work>/<repository>/<repository> for the workspace and <work>/_temp for
// the temp directory, and RUNNER_WORKSPACE (<work>/<repository>) is not
// under any mount, so it reaches the container unchanged.
func placeProfile(env *Env) (*profilePlace, error) {
	temp := env.getenv("RUNNER_TEMP")
	if temp == "" {
		return nil, &ProfileError{Err: fmt.Errorf("RUNNER_TEMP is not set, so there is no job directory to write the profile to")}
	}
	hostTemp := temp
	if filepath.Clean(temp) == containerTemp {
		ws := env.getenv("RUNNER_WORKSPACE")
		if !filepath.IsAbs(ws) || strings.HasPrefix(ws, "/github/") {
			return nil, &ProfileError{Err: fmt.Errorf("cannot tell the runner's temp directory on the host: RUNNER_WORKSPACE is %q", ws)}
		}
		hostTemp = filepath.Join(filepath.Dir(ws), "_temp")
	}
	p := &profilePlace{writeDir: filepath.Join(temp, profileDir), hostDir: filepath.Join(hostTemp, profileDir)}
	p.write = awsconfig.Files{Credentials: filepath.Join(p.writeDir, "credentials"), Config: filepath.Join(p.writeDir, "config"), Scratch: true}
	p.host = awsconfig.Files{Credentials: filepath.Join(p.hostDir, "credentials"), Config: filepath.Join(p.hostDir, "config")}
	return p, nil
}

// writeProfile writes the session as the aws-profile and returns what to
// export and the files the post stage deletes.
func (r *runner) writeProfile(res *Result) (env []filecmd.Entry, files []string, err error) {
	cfg := r.cfg
	place, err := placeProfile(r.env)
	if err != nil {
		return nil, nil, err
	}
	if res.Session == nil {
		return nil, nil, &ProfileError{Err: fmt.Errorf("there is no new session to write: the job's existing credentials were kept")}
	}
	p := awsconfig.Profile{Name: cfg.AWSProfile, Region: cfg.Region}
	files = []string{place.write.Credentials, place.write.Config}
	if cfg.RefreshCredentials {
		args, source, err := r.refreshArgs(res)
		if err != nil {
			return nil, nil, err
		}
		if source != nil {
			if err := awsconfig.Write(place.write, *source, true); err != nil {
				return nil, nil, &ProfileError{Err: err}
			}
		}
		self, err := os.Executable()
		if err != nil {
			return nil, nil, &ProfileError{Err: err}
		}
		bin := filepath.Join(place.writeDir, "assume-role")
		if err := awsconfig.InstallExecutable(self, bin); err != nil {
			return nil, nil, &ProfileError{Err: fmt.Errorf("installing the credential_process binary: %w", err)}
		}
		files = append(files, bin)
		p.CredentialProcess = shellJoin(append([]string{filepath.Join(place.hostDir, "assume-role"), "credential-process"}, args...))
	} else {
		s := res.Session
		p.AccessKeyID, p.SecretAccessKey, p.SessionToken, p.Expiration = s.AccessKeyID, s.SecretAccessKey, s.SessionToken, s.Expiration
	}
	if err := awsconfig.Write(place.write, p, cfg.OverwriteAWSProfile); err != nil {
		return nil, nil, &ProfileError{Err: err}
	}
	env = []filecmd.Entry{
		{Name: "AWS_SHARED_CREDENTIALS_FILE", Value: place.host.Credentials},
		{Name: "AWS_CONFIG_FILE", Value: place.host.Config},
	}
	if cfg.OutputEnvCredentials {
		env = append(env, filecmd.Entry{Name: "AWS_PROFILE", Value: cfg.AWSProfile})
	}
	how := "with the session's keys"
	if cfg.RefreshCredentials {
		how = "that renews its session itself (credential_process)"
	}
	r.log.Info(fmt.Sprintf("Wrote profile %s %s to %s; later steps select it with --profile %s or AWS_PROFILE",
		cfg.AWSProfile, how, place.hostDir, cfg.AWSProfile))
	return env, files, nil
}

// refreshArgs are the CLI flags with which credential_process assumes the
// role again, and the source profile it reads keys from when the session
// came from keys. A chained session cannot be renewed: its source expires.
func (r *runner) refreshArgs(res *Result) ([]string, *awsconfig.Profile, error) {
	cfg := r.cfg
	args := []string{"--role-to-assume", cfg.RoleARN,
		"--role-session-name", cfg.RoleSessionName, "--role-duration-seconds", strconv.Itoa(cfg.RoleDurationSeconds)}
	add := func(flag, v string) {
		if v != "" {
			args = append(args, "--"+flag, v)
		}
	}
	add("role-external-id", cfg.RoleExternalID)
	add("sts-endpoint", cfg.STSEndpoint)
	add("http-proxy", cfg.HTTPProxy)
	add("no-proxy", cfg.NoProxy)
	add("inline-session-policy", cfg.InlineSessionPolicy)
	add("managed-session-policies", strings.Join(cfg.ManagedSessionPolicies, "\n"))
	if cfg.RoleSkipSessionTagging {
		add("role-skip-session-tagging", "true")
	}
	add("custom-tags", cfg.CustomTags)
	var source *awsconfig.Profile
	switch res.flow {
	case flowOIDC:
		add("audience", cfg.Audience)
	case flowTokenFile:
		add("web-identity-token-file", cfg.WebIdentityTokenFile)
	case flowKeys:
		if cfg.SessionToken != "" {
			return nil, nil, &inputs.InputError{Input: "refresh-credentials", Value: "true", Problem: "cannot renew a session whose source keys are temporary (aws-session-token is set)",
				Fix: "give long-term keys, use OIDC, or remove refresh-credentials"}
		}
		source = &awsconfig.Profile{Name: cfg.AWSProfile + "-source", AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey}
		add("source-profile", source.Name)
	case flowChaining:
		return nil, nil, &inputs.InputError{Input: "refresh-credentials", Value: "true", Problem: "cannot renew a chained session: the session it comes from expires too",
			Fix: "remove refresh-credentials, or assume the role directly with OIDC or keys"}
	case flowAmbient:
		add("force-skip-oidc", "true")
	default:
		return nil, nil, &inputs.InputError{Input: "refresh-credentials", Value: "true", Problem: "cannot renew this kind of session",
			Fix: "use OIDC, a token file or keys with role-to-assume"}
	}
	// Last, and never quoted: the Go SDK strips quotes around a whole value.
	return append(args, "--aws-region", cfg.Region), source, nil
}

// shellJoin quotes args for credential_process, which botocore splits like
// a POSIX shell and the Go SDK runs with sh -c: single quotes suit both, and
// are used only where needed.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "" || strings.IndexFunc(a, unsafeInShell) >= 0 {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

func unsafeInShell(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%", r))
}
