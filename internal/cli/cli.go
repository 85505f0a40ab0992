// Package cli is the binary outside GitHub Actions: the same inputs as
// flags (--role-to-assume) or environment variables (ROLE_TO_ASSUME), and
// commands that print the session in a format a shell or another CI system
// reads, run a command with it, or serve it as an AWS credential_process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/assume-role/assume-role/internal/action"
	"github.com/assume-role/assume-role/internal/exportfmt"
	"github.com/assume-role/assume-role/internal/inputs"
	"github.com/assume-role/assume-role/internal/logcmd"
	"github.com/assume-role/assume-role/internal/refresh"
	"github.com/assume-role/assume-role/internal/version"
)

// IO is what the CLI reads and writes.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// StdoutIsTerminal is set when stdout is a terminal: credentials printed
	// there end up in scroll-back and screen recordings.
	StdoutIsTerminal bool
}

// ExitError carries an exit code other than 1, such as the exit code of the
// command run by exec.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// ErrHelp is returned after --help printed the usage: exit 0.
var ErrHelp = flag.ErrHelp

// Run runs the CLI with args (without the program name). Logs go to
// Stderr; only the requested output (the session, the help, the version)
// goes to Stdout. Every flag and variable is checked before any STS call.
// A returned error other than ErrHelp is an *ExitError whose message is
// the one line to print.
func Run(ctx context.Context, args []string, env action.Env, stdio IO) error {
	cmd := "export"
	if len(args) > 0 {
		switch args[0] {
		case "exec", "credential-process", "export":
			cmd, args = args[0], args[1:]
		case "trust-policy":
			return trustPolicy(ctx, args[1:], env, stdio)
		case "help":
			args = []string{"--help"}
		case "version":
			args = []string{"--version"}
		}
	}
	if cmd == "credential-process" {
		if _, err := refresh.Guard(env.Getenv(refresh.GuardVar), args); err != nil {
			return &ExitError{Code: action.ExitBadInput, Err: err}
		}
		if spec, ok := specArg(args); ok {
			return serveSpec(ctx, spec, env, stdio)
		}
	}
	p, err := parse(args)
	if err != nil {
		return &ExitError{Code: action.ExitBadInput, Err: err}
	}
	switch {
	case p.given(flagHelp):
		if err := writeUsage(stdio.Stdout); err != nil {
			return &ExitError{Code: action.ExitInternal, Err: err}
		}
		return ErrHelp
	case p.given(flagVersion):
		if _, err := fmt.Fprintln(stdio.Stdout, "assume-role", version.String()); err != nil {
			return &ExitError{Code: action.ExitInternal, Err: err}
		}
		return nil
	}
	// credential_process: the command line is self-contained; it must not
	// pick up the step's AWS_REGION or ROLE_TO_ASSUME, nor the session it
	// renews from AWS_ACCESS_KEY_ID.
	noEnv := cmd == "credential-process"
	names := flagNames{opts: p.opts, noEnv: noEnv}
	cfg, req, err := configure(ctx, cmd, p, &env, noEnv)
	if err != nil {
		return explain(err, names, nil, stdio.Stderr)
	}
	log := logcmd.NewPlain(stdio.Stderr, req.verbose)
	if cmd == "export" && stdio.StdoutIsTerminal {
		log.Warning("printing credentials to a terminal; pipe them (eval \"$(assume-role …)\") or use exec")
	}
	res, err := action.Session(ctx, env, log, cfg)
	if err != nil {
		return explain(err, names, &situation{cfg: cfg, env: &env}, stdio.Stderr)
	}
	if res.Session == nil {
		return &ExitError{Code: action.ExitBadInput, Err: errors.New("there is no new session to print: give --role-to-assume, keys, or a web identity token")}
	}
	s := exportfmt.Session{
		AccessKeyID: res.Session.AccessKeyID, SecretAccessKey: res.Session.SecretAccessKey,
		SessionToken: res.Session.SessionToken, Expiration: res.Session.Expiration, Region: cfg.Region,
		Profile: cfg.AWSProfile,
	}
	if cmd == "exec" {
		log.Info(res.Message)
		return execWith(req.argv, env.Environ, s, stdio)
	}
	if err := exportfmt.Write(stdio.Stdout, req.format, s); err != nil {
		return &ExitError{Code: action.ExitInternal, Err: err}
	}
	if cmd != "credential-process" {
		log.Info(res.Message)
	}
	if err := log.Err(); err != nil {
		return &ExitError{Code: action.ExitInternal, Err: err}
	}
	return nil
}

// request is what the command line asks for besides the inputs.
type request struct {
	format  string
	argv    []string // exec's command, its path resolved
	verbose bool
}

// configure checks the command line and the variables it reads, and turns
// them into the inputs' Config and the Env for the session: all of it
// before any STS call.
func configure(ctx context.Context, cmd string, p *parsed, env *action.Env, noEnv bool) (*inputs.Config, *request, error) {
	getenv := env.Getenv
	req := &request{verbose: boolish(p.opts[flagVerbose].value.v)}
	switch {
	case cmd == "exec" && len(p.rest) == 0:
		return nil, nil, &UsageError{Msg: "exec needs a command: assume-role exec [flags] -- CMD [ARG…]"}
	case cmd != "exec" && len(p.rest) > 0:
		return nil, nil, &UsageError{Msg: fmt.Sprintf("unexpected argument %q (commands: exec, credential-process, trust-policy, cleanup; see assume-role --help)", p.rest[0])}
	}
	if cmd == "exec" {
		// Before the role is assumed: a typo must not cost a session.
		path, err := exec.LookPath(p.rest[0])
		if err != nil {
			return nil, nil, &ExitError{Code: 127, Err: fmt.Errorf("exec: %w; nothing was assumed", err)}
		}
		req.argv = append([]string{path}, p.rest[1:]...)
	}

	req.format = p.get(flagFormat, getenv, noEnv)
	switch {
	case cmd == "credential-process":
		req.format = exportfmt.CredentialProcess
	case cmd == "exec" && p.given(flagFormat):
		return nil, nil, &UsageError{Msg: "--format does not apply to exec, which passes the session in CMD's environment"}
	case cmd == "exec":
		req.format = ""
	case req.format == "":
		req.format = exportfmt.Env
	case !slices.Contains(exportfmt.Formats(), req.format):
		src := "--format"
		if !p.given(flagFormat) {
			src = "FORMAT"
		}
		return nil, nil, &UsageError{Msg: fmt.Sprintf("%s %q is not an output format: use one of %s", src, req.format, strings.Join(exportfmt.Formats(), ", "))}
	}
	if p.get("aws-profile", getenv, noEnv) != "" && req.format != exportfmt.INI {
		return nil, nil, &UsageError{Msg: "--aws-profile names the profile that --format ini prints; remove it, or add --format ini"}
	}

	// Inputs: flag, else environment variable, else the default.
	raw := map[string]string{}
	input := func(name string) string { return raw[inputs.Prefix+strings.ToUpper(name)] }
	for name, o := range p.opts {
		if o.input {
			raw[inputs.Prefix+strings.ToUpper(name)] = strings.TrimSpace(p.get(name, getenv, noEnv))
		}
	}
	if getenv("GITHUB_ACTIONS") != "true" {
		// GitHub's tags and session name describe a GitHub run: elsewhere
		// they would be false, and a role that allows only sts:AssumeRole
		// (no sts:TagSession) would refuse the call.
		raw[inputs.Prefix+"ROLE-SKIP-SESSION-TAGGING"] = "true"
		if input("role-session-name") == "" {
			raw[inputs.Prefix+"ROLE-SESSION-NAME"] = sessionNameOutside
		}
	}

	files := sharedFilesOf(getenv)
	profile := p.get(flagSourceProfile, getenv, noEnv)
	var shared config.SharedConfig
	if profile != "" {
		if input("aws-access-key-id") != "" {
			return nil, nil, &UsageError{Msg: "--source-profile and --aws-access-key-id both name the keys: give one"}
		}
		sc, found, err := files.profile(ctx, profile)
		switch {
		case err != nil:
			// Not the parser's text: it can quote a line of the files, keys included.
			return nil, nil, &UsageError{Msg: fmt.Sprintf("--source-profile %s: the AWS shared files (%s, %s) could not be read: check them with aws configure list --profile %s", profile, files.config, files.credentials, profile)}
		case !found:
			return nil, nil, &UsageError{Msg: fmt.Sprintf("--source-profile %s: there is no profile %s in %s or %s", profile, profile, files.config, files.credentials)}
		}
		shared = sc
	} else if !noEnv && input("aws-region") == "" {
		// The region of the profile the AWS CLI would use; an unreadable
		// or missing profile just has none.
		shared, _, _ = files.profile(ctx, profileName(getenv))
	}
	if input("aws-region") == "" {
		region := shared.Region
		if !noEnv && getenv("AWS_DEFAULT_REGION") != "" {
			region = getenv("AWS_DEFAULT_REGION")
		}
		if region == "" {
			fix := "give --aws-region, or set AWS_REGION or AWS_DEFAULT_REGION, or region in the AWS profile, to the region whose STS endpoint to use, such as us-east-1"
			if noEnv {
				fix = "give --aws-region (credential-process reads no variables), or region in the --source-profile, such as us-east-1"
			}
			return nil, nil, &inputs.InputError{Input: "aws-region", Problem: "is required", Fix: fix}
		}
		raw[inputs.Prefix+"AWS-REGION"] = region
	}
	cfg, err := inputs.Parse(raw)
	if err != nil {
		return nil, nil, err
	}
	if noEnv {
		// Never the environment's keys either: they may be the session
		// this very credential_process renews.
		cfg.UnsetCurrentCredentials = true
	}

	if profile != "" {
		// The profile is the source, even in a job that could mint an ID token.
		cfg.ForceSkipOIDC, cfg.UnsetCurrentCredentials = true, true
		env.SourceProfile = profile // its endpoint_url applies, as in the AWS CLI
		env.AmbientCredentials = func(ctx context.Context, region string, _ bool) (aws.CredentialsProvider, error) {
			c, err := config.LoadDefaultConfig(ctx, config.WithRegion(region), config.WithSharedConfigProfile(profile),
				config.WithSharedConfigFiles(nonEmpty(files.config)), config.WithSharedCredentialsFiles(nonEmpty(files.credentials)))
			if err != nil {
				return nil, err
			}
			return c.Credentials, nil
		}
	}
	env.Words = &action.Words{
		Names:     flagNames{opts: p.opts, noEnv: noEnv},
		InputKeys: "--aws-access-key-id and --aws-secret-access-key",
		EnvKeys:   "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment",
		Ambient:   "the AWS SDK's default chain (AWS_PROFILE and the AWS shared files, container or instance metadata)",
	}
	if profile != "" {
		env.Words.Ambient = fmt.Sprintf("profile %s of the AWS shared files (%s, %s)", profile, files.config, files.credentials)
	}
	if tokenEnv := p.get(flagTokenEnv, getenv, noEnv); tokenEnv != "" {
		token := strings.TrimSpace(getenv(tokenEnv))
		if token == "" {
			return nil, nil, &inputs.InputError{Input: flagTokenEnv, Value: tokenEnv, Problem: "names a variable that is empty or not set",
				Fix: "name the variable your CI system puts the ID token in, such as CIRCLE_OIDC_TOKEN_V2"}
		}
		env.WebIdentityToken = token
		env.Words.Token = "the web identity token in " + tokenEnv
	}
	return cfg, req, nil
}

// boolish reads one of the CLI's own boolean flags, bare or spelled out.
func boolish(v string) bool {
	b, err := strconv.ParseBool(v)
	return err == nil && b
}

// situation is what explain needs to know about the attempt.
type situation struct {
	cfg *inputs.Config
	env *action.Env
}

// explain turns err into the one line the CLI prints, naming flags and
// variables rather than inputs, with its exit code. Extra detail (a refused
// token's claims) goes to w first.
func explain(err error, names flagNames, sit *situation, w io.Writer) error {
	var (
		exit    *ExitError
		usage   *UsageError
		in      *inputs.InputError
		noCreds *action.NoCredentialsError
	)
	switch {
	case errors.As(err, &exit):
		return exit
	case errors.As(err, &usage):
		return &ExitError{Code: action.ExitBadInput, Err: err}
	case errors.As(err, &in):
		return &ExitError{Code: action.ExitBadInput, Err: &renderedError{msg: in.Render(names), err: err}}
	case errors.As(err, &noCreds) && sit != nil:
		return &ExitError{Code: action.ExitBadInput, Err: &renderedError{msg: noCredentials(noCreds, sit), err: err}}
	}
	if d := action.Details(err); d != "" {
		fmt.Fprintln(w, d)
	}
	msg, code := action.ExplainWith(err, names)
	return &ExitError{Code: code, Err: &renderedError{msg: msg, err: err}}
}

// noCredentials says, in the CLI's terms, that nothing could sign the call
// and where the CLI looked. Only in GitHub Actions does a missing ID token
// mean a missing permission.
func noCredentials(e *action.NoCredentialsError, sit *situation) string {
	cause := ""
	if e.Err != nil {
		// Never the provider's own text, which may quote a secret.
		cause = " (" + action.ProviderProblem(e.Err) + ")"
	}
	switch {
	case sit.cfg.RoleChaining:
		return "--role-chaining assumes the role with the session in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), " +
			"and they are not set: export a session first (eval \"$(assume-role --role-to-assume …)\"), or remove --role-chaining"
	case sit.env.SourceProfile != "":
		return fmt.Sprintf("the keys of --source-profile %s could not be read%s: give the profile aws_access_key_id and aws_secret_access_key "+
			"(or a source_profile, credential_process or sso_session it can use)", sit.env.SourceProfile, cause)
	case e.NoIDToken && sit.env.Getenv("GITHUB_ACTIONS") == "true":
		return "no credentials to assume the role with: no keys are given, the job cannot mint a GitHub ID token " +
			"(add `permissions: id-token: write` to the job) and the AWS SDK's default chain found nothing" + cause
	}
	return "no AWS credentials to assume the role with" + cause + ": give --aws-access-key-id and --aws-secret-access-key, --source-profile, " +
		"or a web identity token (--web-identity-token-file, --web-identity-token-env); or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, " +
		"or AWS_PROFILE for a profile of the AWS shared files"
}

// renderedError is an error worded for the CLI; errors.As still finds the
// original.
type renderedError struct {
	msg string
	err error
}

func (e *renderedError) Error() string { return e.msg }
func (e *renderedError) Unwrap() error { return e.err }

// execWith runs argv with the session in its environment, replacing any AWS
// credentials or profile the environment had, and passes its exit code on.
func execWith(argv []string, environ []string, s exportfmt.Session, stdio IO) error {
	vars := exportfmt.Vars(s)
	drop := map[string]bool{"AWS_PROFILE": true, "AWS_DEFAULT_PROFILE": true, "AWS_SECURITY_TOKEN": true}
	for _, kv := range vars {
		k, _, _ := strings.Cut(kv, "=")
		drop[k] = true
	}
	var env []string
	for _, kv := range environ {
		if k, _, _ := strings.Cut(kv, "="); !drop[k] {
			env = append(env, kv)
		}
	}
	env = append(env, vars...)
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return &ExitError{Code: 127, Err: fmt.Errorf("exec: %w", err)}
	}
	c := exec.Command(path, argv[1:]...)
	c.Env = env
	c.Stdin, c.Stdout, c.Stderr = stdio.Stdin, stdio.Stdout, stdio.Stderr
	err = runForwarding(c)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code := ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
		return &ExitError{Code: code}
	}
	if err != nil {
		return &ExitError{Code: 126, Err: fmt.Errorf("exec: %w", err)}
	}
	return nil
}
