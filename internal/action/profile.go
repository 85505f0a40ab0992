package action

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/assume-role/assume-role/internal/awsconfig"
	"github.com/assume-role/assume-role/internal/filecmd"
	"github.com/assume-role/assume-role/internal/inputs"
	"github.com/assume-role/assume-role/internal/refresh"
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
	// toHost and toStep turn a path of this process into the runner's and
	// that into the later steps' (see stepPath).
	toHost, toStep []pathMap
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
	var toHost []pathMap
	if clean := filepath.Clean(temp); clean == containerTemp || clean == jobTemp {
		ws := env.getenv("RUNNER_WORKSPACE")
		if !filepath.IsAbs(ws) || strings.HasPrefix(ws, "/github/") || strings.HasPrefix(ws, "/__w/") {
			return nil, &ProfileError{Err: fmt.Errorf("cannot tell the runner's temp directory on the host: RUNNER_WORKSPACE is %q", ws)}
		}
		hostTemp = filepath.Join(filepath.Dir(ws), "_temp")
		toHost = actionMounts(ws)
	}
	var place *profilePlace
	switch home := filepath.Join(temp, "_github_home"); {
	case !jobContainer:
		place = newPlace(filepath.Join(temp, profileDir), filepath.Join(hostTemp, profileDir), filepath.Join(hostTemp, profileDir))
	case sameDir(home, env.getenv("HOME")):
		place = newPlace(filepath.Join(home, homeProfileDir), filepath.Join(hostTemp, "_github_home", homeProfileDir),
			path.Join(jobHome, homeProfileDir))
	default:
		place = newPlace(filepath.Join(temp, profileDir), filepath.Join(hostTemp, profileDir), path.Join(jobTemp, profileDir))
	}
	place.toHost = toHost
	if jobContainer {
		place.toStep = jobContainerMounts(hostTemp)
	}
	return place, nil
}

// actionMounts maps a container action's paths to the host's, from the
// runner's RUNNER_WORKSPACE (<work>/<repository>): its mounts
// (runner-contract §1.2; the workspace is <work>/<repository>/<repository>)
// and the work volume of a Kubernetes-mode pod at /__w.
func actionMounts(ws string) []pathMap {
	work := filepath.Dir(ws)
	temp := filepath.Join(work, "_temp")
	return []pathMap{{jobHome, filepath.Join(temp, "_github_home")}, {containerTemp, temp},
		{"/github/workspace", filepath.Join(ws, filepath.Base(ws))}, {"/__w", work}}
}

// jobContainerMounts maps the host's paths to a job container's
// (runner-contract §9), the more specific first.
func jobContainerMounts(hostTemp string) []pathMap {
	return []pathMap{{filepath.Join(hostTemp, "_github_home"), jobHome}, {filepath.Dir(hostTemp), "/__w"}}
}

// pathMap rewrites the paths under from to the same paths under to.
type pathMap struct{ from, to string }

func rewrite(p string, maps []pathMap) string {
	for _, m := range maps {
		if p == m.from || strings.HasPrefix(p, m.from+"/") {
			return m.to + p[len(m.from):]
		}
	}
	return p
}

// stepPath returns a path as this process sees it (an input the runner
// translated for the action's container, such as web-identity-token-file)
// as the job's later steps see it, for writing inside a file: the
// container's path back to the host's, then the host's to the job
// container's. A relative path is left alone: each step resolves it
// against its own workspace.
func (p *profilePlace) stepPath(here string) string {
	if !filepath.IsAbs(here) {
		return here
	}
	return rewrite(rewrite(filepath.Clean(here), p.toHost), p.toStep)
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

// binaryName is the credential_process binary's name in the profile
// directory.
const binaryName = "assume-role"

// profilePlan is the aws-profile as checked before the STS call: where it
// goes, what it will say and, for a refreshing profile, how it renews. Only
// the session's keys are missing.
type profilePlan struct {
	place   *profilePlace
	profile awsconfig.Profile
	refresh *refreshPlan
}

// refreshPlan is how a refreshing profile renews its session.
type refreshPlan struct {
	write refresh.Files // as this process writes them
	spec  refresh.Spec  // without the role ARN and tags, known after the call
	// how says in words what renews the session, for the log.
	how string
}

// planProfile runs every check of the aws-profile that does not need the
// session, before the STS call: that there is a directory later steps
// read, that the post stage can be told what to delete, that a refreshing
// profile can be renewed at all and its credential_process line survives
// the shared files, and that the profile may be written there.
func (r *runner) planProfile(name string) (*profilePlan, error) {
	cfg := r.cfg
	place, err := placeProfile(r.env, cfg.JobContainerID != "")
	if err != nil {
		return nil, err
	}
	if r.env.getenv(filecmd.State.String()) == "" {
		// Without it the post stage would not know what to delete.
		return nil, &filecmd.FileError{Var: filecmd.State.String(), Err: filecmd.ErrNotSet}
	}
	plan := &profilePlan{place: place, profile: awsconfig.Profile{Name: name, Region: cfg.Region}}
	check := plan.profile
	if cfg.RefreshCredentials {
		if plan.refresh, err = r.planRefresh(place); err != nil {
			return nil, err
		}
		plan.refresh.write = refresh.FilesFor(place.writeDir, cfg.AWSProfile)
		// Paths inside the files are the later steps' own: nothing translates them.
		inStep := refresh.FilesFor(place.stepDir, cfg.AWSProfile)
		plan.profile.CredentialProcess = shellJoin([]string{place.inStep(binaryName), "credential-process", "--spec", inStep.Spec})
		check = plan.profile
	} else {
		// The same sections as the real write, with stand-ins for the keys
		// STS will issue.
		check.AccessKeyID, check.SecretAccessKey, check.SessionToken = "ASIASTANDIN000000000", "stand-in", "stand-in"
	}
	if err := awsconfig.Check(place.write, check, cfg.OverwriteAWSProfile); err != nil {
		return nil, &ProfileError{Err: err}
	}
	return plan, nil
}

// planRefresh decides, before any STS call, how a refreshing profile will
// renew its session, and refuses a session that cannot be renewed safely.
// A renewal runs in a later step, where the environment may hold that
// step's own exported keys, an AWS_PROFILE naming this very profile, or
// shared files that are ours: so it never reads keys from the environment
// or any profile, only what the spec says. Paths in the spec are written
// as the later steps see them (place.stepPath): nothing translates them.
func (r *runner) planRefresh(place *profilePlace) (*refreshPlan, error) {
	cfg := r.cfg
	refuse := func(problem, fix string) error {
		return &inputs.InputError{Input: "refresh-credentials", Value: "true", Problem: problem, Fix: fix}
	}
	in := make(map[string]string, len(r.raw))
	for k, v := range r.raw {
		in[k] = v
	}
	set := func(input, v string) { in[inputs.Prefix+strings.ToUpper(input)] = v }
	// A renewal never signs with keys from its environment, never keeps
	// what it finds there instead of renewing, and never chains.
	set("unset-current-credentials", "true")
	set("use-existing-credentials", "false")
	set("role-chaining", "false")
	p := &refreshPlan{spec: refresh.Spec{Inputs: in}}
	f, _ := chooseFlow(cfg, r.env)
	switch f {
	case flowOIDC:
		p.spec.Flow, p.how = refresh.FlowOIDC, "a fresh GitHub ID token from the job's token service (permissions: id-token: write) per renewal"
	case flowTokenFile:
		// The runner translated the input for this container
		// (/github/runner_temp/…, /github/workspace/…); a renewal runs in
		// a later step, on the host or in the job container.
		file := place.stepPath(cfg.WebIdentityTokenFile)
		set("web-identity-token-file", file)
		p.spec.Flow, p.how = refresh.FlowTokenFile, "the token in "+file+", read again per renewal"
	case flowKeys:
		if cfg.SessionToken != "" {
			return nil, refuse("cannot renew a session whose source keys are temporary (aws-session-token is set)",
				"give long-term keys, use OIDC, or remove refresh-credentials")
		}
		p.spec.Flow, p.how = refresh.FlowKeys, "the long-term keys given as inputs"
	case flowChaining:
		return nil, refuse("cannot renew a chained session: the session it comes from expires too",
			"remove refresh-credentials, or assume the role directly with OIDC or keys")
	case flowAmbient:
		id, secret := r.env.getenv("AWS_ACCESS_KEY_ID"), r.env.getenv("AWS_SECRET_ACCESS_KEY")
		if !cfg.UnsetCurrentCredentials && id != "" && secret != "" {
			// These keys sign the call (see chooseSource): renew with the
			// same keys, from the spec, never from a later environment.
			if r.env.getenv("AWS_SESSION_TOKEN") != "" {
				return nil, refuse("cannot renew a session signed by temporary keys: AWS_ACCESS_KEY_ID in the step's environment comes with AWS_SESSION_TOKEN (an earlier step's session?)",
					"give long-term keys as aws-access-key-id and aws-secret-access-key, use OIDC, or remove refresh-credentials")
			}
			set("aws-access-key-id", id)
			set("aws-secret-access-key", secret)
			p.spec.Flow, p.how = refresh.FlowKeys, "the long-term keys that were in AWS_ACCESS_KEY_ID of this step's environment"
			break
		}
		if r.env.MachineCredentials == nil {
			return nil, refuse("cannot renew a session from the job's existing credentials here", "give keys, use OIDC or a token file")
		}
		set("force-skip-oidc", "true")
		p.spec.Flow = refresh.FlowAmbient
		p.how = "the machine's own credentials (AWS_WEB_IDENTITY_TOKEN_FILE, the container credentials endpoint or the instance's metadata; " +
			"never keys from the environment or a profile)"
		r.machineOnly = true
	default:
		return nil, refuse("cannot renew a session from a web identity token given in an environment variable: the process that renews has no such token",
			"give the token as a file (web-identity-token-file), or remove refresh-credentials")
	}
	return p, nil
}

// writeProfile writes the profile for the session res, after the STS call:
// first the state that tells the post stage what to delete, then the files,
// the spec (which may hold long-term keys) last. It returns what to export
// and a function that undoes every file it wrote, for when a later write
// fails; on its own failure it has undone them already.
func (r *runner) writeProfile(plan *profilePlan, res *Result, t *targets) (env []filecmd.Entry, undo func() error, err error) {
	if res.Session == nil {
		return nil, nil, &ProfileError{Err: fmt.Errorf("there is no new session to write: the job's existing credentials were kept")}
	}
	if err := r.writeProfileState(t, plan); err != nil {
		return nil, nil, err
	}
	return r.writeProfileFiles(plan, res)
}

// writeProfileState tells the post stage which files of the plans to
// delete, each once.
func (r *runner) writeProfileState(t *targets, plans ...*profilePlan) error {
	var files []string
	seen := make(map[string]bool)
	for _, plan := range plans {
		place := plan.place
		fs := []string{place.write.Credentials, place.write.Config}
		if rp := plan.refresh; rp != nil {
			fs = append(fs, filepath.Join(place.writeDir, binaryName), rp.write.Spec, rp.write.Session, rp.write.Lock)
		}
		for _, f := range fs {
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	state := []filecmd.Entry{{Name: StateFiles, Value: strings.Join(files, "\n")}}
	return filecmd.Append(filecmd.State, t.state, state, r.env.Rand)
}

// writeProfileFiles writes the files of plan for res, after the state.
func (r *runner) writeProfileFiles(plan *profilePlan, res *Result) (env []filecmd.Entry, undo func() error, err error) {
	cfg := r.cfg
	place := plan.place

	var undos []func() error
	undo = func() error {
		var errs []error
		for i := len(undos) - 1; i >= 0; i-- {
			errs = append(errs, undos[i]())
		}
		return errors.Join(errs...)
	}
	fail := func(err error) ([]filecmd.Entry, func() error, error) {
		return nil, nil, errors.Join(&ProfileError{Err: err}, undo())
	}
	p := plan.profile
	var specBytes []byte
	how := "with the session's keys"
	if rp := plan.refresh; rp != nil {
		how = "that renews its session itself (credential_process) with " + rp.how
		if specBytes, err = r.writeRefresh(place, rp, res, &undos); err != nil {
			return fail(err)
		}
	} else {
		s := res.Session
		p.AccessKeyID, p.SecretAccessKey, p.SessionToken, p.Expiration = s.AccessKeyID, s.SecretAccessKey, s.SessionToken, s.Expiration
	}
	u, err := awsconfig.WriteUndoable(place.write, p, cfg.OverwriteAWSProfile)
	if err != nil {
		return fail(err)
	}
	undos = append(undos, u)
	if rp := plan.refresh; rp != nil {
		// Last: with keys, the spec holds the long-term keys.
		if err := writePrivate(rp.write.Spec, specBytes, &undos); err != nil {
			return fail(err)
		}
	}

	env = []filecmd.Entry{
		{Name: "AWS_SHARED_CREDENTIALS_FILE", Value: place.host.Credentials},
		{Name: "AWS_CONFIG_FILE", Value: place.host.Config},
	}
	name := p.Name
	if cfg.OutputEnvCredentials {
		env = append(env, filecmd.Entry{Name: "AWS_PROFILE", Value: name})
	}
	r.log.Info(fmt.Sprintf("Wrote profile %s %s to %s, where AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE now point; later steps select it with --profile %s or AWS_PROFILE=%s",
		name, how, place.describe(), name, name))
	return env, undo, nil
}

// writeRefresh writes what a refreshing profile's credential_process needs
// besides the spec: the binary, the lock, and the cache, seeded with the
// session this step obtained (and masked), so that callers use it until it
// nears its end instead of assuming the role again at once.
func (r *runner) writeRefresh(place *profilePlace, rp *refreshPlan, res *Result, undos *[]func() error) (spec []byte, err error) {
	cfg := r.cfg
	// The role as assumed (a bare name is expanded by now), and the tags as
	// STS accepted them.
	rp.spec.Inputs[inputs.Prefix+"ROLE-TO-ASSUME"] = cfg.RoleARN
	rp.spec.Tags = res.tags
	spec, err = rp.spec.Marshal()
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(place.writeDir, binaryName)
	existed := exists(bin)
	if err := awsconfig.InstallExecutable(self, bin); err != nil {
		return nil, fmt.Errorf("installing the credential_process binary: %w", err)
	}
	if !existed {
		// An existing binary serves other refreshing profiles: keep it.
		*undos = append(*undos, func() error { return removeIfExists(bin) })
	}
	if !exists(rp.write.Lock) {
		if err := refresh.CreateLock(rp.write.Lock); err != nil {
			return nil, err
		}
		*undos = append(*undos, func() error { return removeIfExists(rp.write.Lock) })
	}
	s := res.Session
	seed := refresh.Session{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken,
		Expiration: s.Expiration, Obtained: res.obtained}
	b, err := refresh.EncodeSession(refresh.HashOf(spec), seed)
	if err != nil {
		return nil, err
	}
	return spec, writePrivate(rp.write.Session, b, undos)
}

// writePrivate writes a 0600 file and records how to put back what was
// there before.
func writePrivate(path string, data []byte, undos *[]func() error) error {
	old, err := os.ReadFile(path)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := awsconfig.WritePrivate(path, data); err != nil {
		return err
	}
	*undos = append(*undos, func() error {
		if existed {
			return awsconfig.WritePrivate(path, old)
		}
		return removeIfExists(path)
	})
	return nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
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
