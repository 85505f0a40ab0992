package action

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/assume-role/assume-role/internal/awsconfig"
	"github.com/assume-role/assume-role/internal/filecmd"
	"github.com/assume-role/assume-role/internal/inputs"
)

// The runner's temp directory as a container action sees it (RUNNER_TEMP
// is rewritten to it), and as a job container sees it: the runner mounts
// its work directory at /__w there (runner-contract §1.3, §9).
const (
	containerTemp = "/github/runner_temp"
	jobTemp       = "/__w/_temp"
	// jobHome is HOME in the job container: the host's <temp>/_github_home,
	// which every container action of the job mounts at the same path.
	jobHome = "/github/home"
)

// profileDir is our directory under the runner's temp directory, and
// homeProfileDir under the job's home directory in a container job.
const (
	profileDir     = "assume-role-aws"
	homeProfileDir = ".assume-role-aws"
)

// ProfileError means the named profile could not be written.
type ProfileError struct{ Err error }

func (e *ProfileError) Error() string { return "writing the aws-profile: " + e.Err.Error() }

func (e *ProfileError) Unwrap() error { return e.Err }

// UnsharedError means no directory this process can write is one that the
// job's later steps read: the files would vanish with this container.
type UnsharedError struct {
	RunnerTemp   string // RUNNER_TEMP as this process got it
	JobContainer bool
}

func (e *UnsharedError) Error() string {
	return fmt.Sprintf("no directory of this container is shared with the job's later steps: RUNNER_TEMP (%s) does not hold this step's GITHUB_ENV file, "+
		"so the runner does not share its temp directory with the action's container, and files written there would be lost when it exits", e.RunnerTemp)
}

// profilePlace is the one directory the profile's files go to, seen three
// ways: by this process (writeDir), by the runner (hostDir: the paths
// exported in GITHUB_ENV, which the runner translates for each later step
// that runs in a container), and by the later steps themselves (stepDir:
// for paths written inside the files, which nothing translates, such as the
// credential_process command).
type profilePlace struct {
	write, host awsconfig.Files
	writeDir    string
	hostDir     string
	stepDir     string
}

// inStep is the path of the file name in the profile directory as the
// job's later steps see it.
func (p *profilePlace) inStep(name string) string { return path.Join(p.stepDir, name) }

// describe says where the files are, for the log.
func (p *profilePlace) describe() string {
	if p.stepDir == p.hostDir {
		return p.hostDir
	}
	return fmt.Sprintf("%s (%s in the job container)", p.hostDir, p.stepDir)
}

// placeProfile finds where the profile's files go: a directory that this
// process can write and the job's later steps read, under the three names
// of profilePlace. It never settles for a directory it cannot show to be
// shared: in Kubernetes mode, or on a runner that keeps its temp directory
// out of the action's container, it returns an UnsharedError instead.
//
// The proof that a candidate is the runner's temp directory is that it
// holds this very step's GITHUB_ENV file, which the runner reads after the
// step: the runner creates it as <temp>/_runner_file_commands/<name>, and a
// container action sees the same file again through its own mount.
//
//   - GitHub's runner, container action: RUNNER_TEMP is the mount point
//     /github/runner_temp. No variable holds the host path, but the runner
//     lays out its work directory as <work>/<repository>/<repository> and
//     <work>/_temp, and RUNNER_WORKSPACE (<work>/<repository>) is under no
//     mount, so it reaches the container unchanged.
//   - The same in a job with a container (jobContainer): the later steps run
//     there, with HOME the job's <temp>/_github_home at /github/home, as in
//     every container action of the job; the files go there, so that a path
//     inside them is valid in both.
//   - Kubernetes mode with the runner's work volume mounted at /__w (the
//     container hooks before v0.8): /__w/_temp, valid in the job's pod too.
//   - act and its forks (Gitea's and Forgejo's runners): every container of
//     the job sees the same paths, and act reads the file commands through the
//     job container: the directory of GITHUB_ENV is shared with the steps.
func placeProfile(env *Env, jobContainer bool) (*profilePlace, error) {
	temp, ghEnv := env.getenv("RUNNER_TEMP"), env.getenv("GITHUB_ENV")
	switch {
	case temp != "" && holdsStepFiles(temp, ghEnv):
	case jobContainer && holdsStepFiles(jobTemp, ghEnv):
		temp = jobTemp
	case isAct(env) && filepath.IsAbs(ghEnv):
		dir := filepath.Join(filepath.Dir(ghEnv), profileDir)
		return newPlace(dir, dir, dir), nil
	case temp == "":
		return nil, &ProfileError{Err: fmt.Errorf("RUNNER_TEMP is not set, so there is no job directory to write the profile to")}
	default:
		return nil, &ProfileError{Err: &UnsharedError{RunnerTemp: temp, JobContainer: jobContainer}}
	}
	hostTemp := temp
	if clean := filepath.Clean(temp); clean == containerTemp || clean == jobTemp {
		ws := env.getenv("RUNNER_WORKSPACE")
		if !filepath.IsAbs(ws) || strings.HasPrefix(ws, "/github/") || strings.HasPrefix(ws, "/__w/") {
			return nil, &ProfileError{Err: fmt.Errorf("cannot tell the runner's temp directory on the host: RUNNER_WORKSPACE is %q", ws)}
		}
		hostTemp = filepath.Join(filepath.Dir(ws), "_temp")
	}
	if !jobContainer {
		return newPlace(filepath.Join(temp, profileDir), filepath.Join(hostTemp, profileDir), filepath.Join(hostTemp, profileDir)), nil
	}
	home := filepath.Join(temp, "_github_home")
	if sameDir(home, env.getenv("HOME")) {
		return newPlace(filepath.Join(home, homeProfileDir), filepath.Join(hostTemp, "_github_home", homeProfileDir),
			path.Join(jobHome, homeProfileDir)), nil
	}
	return newPlace(filepath.Join(temp, profileDir), filepath.Join(hostTemp, profileDir), path.Join(jobTemp, profileDir)), nil
}

func newPlace(writeDir, hostDir, stepDir string) *profilePlace {
	return &profilePlace{
		writeDir: writeDir, hostDir: hostDir, stepDir: stepDir,
		write: awsconfig.Files{Credentials: filepath.Join(writeDir, "credentials"), Config: filepath.Join(writeDir, "config"), Scratch: true},
		host:  awsconfig.Files{Credentials: filepath.Join(hostDir, "credentials"), Config: filepath.Join(hostDir, "config")},
	}
}

// holdsStepFiles reports whether dir is the runner's temp directory: it
// holds this step's GITHUB_ENV file itself, not merely one of the same name.
func holdsStepFiles(dir, ghEnv string) bool {
	if ghEnv == "" {
		return false
	}
	want, err := os.Stat(ghEnv)
	if err != nil {
		return false
	}
	got, err := os.Stat(filepath.Join(dir, "_runner_file_commands", filepath.Base(ghEnv)))
	return err == nil && os.SameFile(want, got)
}

func sameDir(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	ai, err := os.Stat(a)
	if err != nil || !ai.IsDir() {
		return false
	}
	bi, err := os.Stat(b)
	return err == nil && os.SameFile(ai, bi)
}

// isAct reports a runner of the act family, which names itself in the
// job's environment.
func isAct(env *Env) bool {
	return env.getenv("ACT") == "true" || env.getenv("GITEA_ACTIONS") == "true" || env.getenv("FORGEJO_ACTIONS") == "true"
}

// writeProfile writes the session as the aws-profile and returns what to
// export and the files the post stage deletes.
func (r *runner) writeProfile(res *Result) (env []filecmd.Entry, files []string, err error) {
	cfg := r.cfg
	place, err := placeProfile(r.env, cfg.JobContainerID != "")
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
		p.CredentialProcess = shellJoin(append([]string{place.inStep("assume-role"), "credential-process"}, args...))
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
		cfg.AWSProfile, how, place.describe(), cfg.AWSProfile))
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
		// Boolean flags are bare: a separate "true" would be an argument.
		args = append(args, "--role-skip-session-tagging")
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
		args = append(args, "--force-skip-oidc")
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
