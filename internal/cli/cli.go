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
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/assume-role/assume-role/internal/action"
	"github.com/assume-role/assume-role/internal/exportfmt"
	"github.com/assume-role/assume-role/internal/inputs"
	"github.com/assume-role/assume-role/internal/logcmd"
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

// ErrHelp is returned after --help printed the usage.
var ErrHelp = flag.ErrHelp

const usage = `Usage:
  assume-role [flags]                     print the session (--format env|dotenv|json|ini|credential-process)
  assume-role exec [flags] -- CMD [ARG…]  run CMD with the session in its environment
  assume-role credential-process [flags]  print the session as an AWS credential_process answers
  assume-role cleanup                     the GitHub Action's post stage

Every flag can also be set by its environment variable (--role-to-assume or
ROLE_TO_ASSUME). Web identity tokens come from --web-identity-token-file or
from the variable named by --web-identity-token-env (GitLab's id_tokens,
CircleCI's CIRCLE_OIDC_TOKEN_V2).

Flags:
`

// Run runs the CLI with args (without the program name). Logs go to
// Stderr; only the requested output goes to Stdout.
func Run(ctx context.Context, args []string, env action.Env, stdio IO) error {
	cmd := "export"
	if len(args) > 0 {
		switch args[0] {
		case "exec", "credential-process", "export":
			cmd, args = args[0], args[1:]
		}
	}
	getenv := env.Getenv
	fs := flag.NewFlagSet("assume-role", flag.ContinueOnError)
	fs.SetOutput(stdio.Stderr)
	values := map[string]*string{}
	for _, in := range inputs.All() {
		if in.ActionOnly {
			continue
		}
		def := ""
		if !in.Secret {
			def = in.Default
		}
		help := in.Description
		if def != "" {
			help += " (default " + def + ")"
		}
		values[in.Name] = fs.String(in.Name, "", help+" [$"+envName(in.Name)+"]")
	}
	format := fs.String("format", exportfmt.Env, "output format: "+strings.Join(exportfmt.Formats(), ", ")+" [$FORMAT]")
	tokenEnv := fs.String("web-identity-token-env", "", "name of an environment variable holding a web identity token [$WEB_IDENTITY_TOKEN_ENV]")
	verbose := fs.Bool("verbose", false, "print debug lines")
	sourceProfile := fs.String("source-profile", "", "read the keys that assume the role from this profile of the AWS shared files")
	fs.Usage = func() {
		fmt.Fprint(stdio.Stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ErrHelp
		}
		return &ExitError{Code: action.ExitBadInput, Err: err}
	}
	rest := fs.Args()
	switch {
	case cmd == "exec" && len(rest) == 0:
		return &ExitError{Code: action.ExitBadInput, Err: errors.New("exec needs a command: assume-role exec [flags] -- CMD [ARG…]")}
	case cmd != "exec" && len(rest) > 0:
		return &ExitError{Code: action.ExitBadInput, Err: fmt.Errorf("unexpected argument %q (commands: exec, credential-process, cleanup)", rest[0])}
	}

	// Inputs: flag, else environment variable, else the default. A
	// credential_process command line is self-contained: it must not pick up
	// the step's AWS_ACCESS_KEY_ID, which may be the very session it renews.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	raw := map[string]string{}
	for name, v := range values {
		val := *v
		if !set[name] && cmd != "credential-process" {
			val = getenv(envName(name))
		}
		raw[inputs.Prefix+strings.ToUpper(name)] = strings.TrimSpace(val)
	}
	if !set["format"] && getenv("FORMAT") != "" {
		*format = getenv("FORMAT")
	}
	if cmd == "credential-process" {
		*format = "credential-process"
	}
	if !set["web-identity-token-env"] {
		*tokenEnv = getenv("WEB_IDENTITY_TOKEN_ENV")
	}

	log := logcmd.NewPlain(stdio.Stderr, *verbose)
	cfg, err := inputs.Parse(raw)
	if err != nil {
		return err
	}
	if *sourceProfile != "" {
		if cfg.AccessKeyID != "" {
			return &ExitError{Code: action.ExitBadInput, Err: errors.New("--source-profile and --aws-access-key-id both name the keys: give one")}
		}
		// The profile is the source, even in a job that could mint an ID token.
		cfg.ForceSkipOIDC, cfg.UnsetCurrentCredentials = true, true
		profile := *sourceProfile
		env.SourceProfile = profile // its endpoint_url applies, as in the AWS CLI
		env.AmbientCredentials = func(ctx context.Context, region string, _ bool) (aws.CredentialsProvider, error) {
			c, err := config.LoadDefaultConfig(ctx, config.WithRegion(region), config.WithSharedConfigProfile(profile))
			if err != nil {
				return nil, err
			}
			return c.Credentials, nil
		}
	}
	if *tokenEnv != "" {
		token := strings.TrimSpace(getenv(*tokenEnv))
		if token == "" {
			return &inputs.InputError{Input: "web-identity-token-env", Value: *tokenEnv, Problem: "names a variable that is empty or not set",
				Fix: "name the variable your CI system puts the ID token in, such as CIRCLE_OIDC_TOKEN_V2"}
		}
		env.WebIdentityToken = token
	}
	if cmd == "export" && stdio.StdoutIsTerminal {
		log.Warning("printing credentials to a terminal; pipe them (eval \"$(assume-role …)\") or use exec")
	}
	res, err := action.Session(ctx, env, log, cfg)
	if err != nil {
		return err
	}
	if res.Session == nil {
		return &ExitError{Code: action.ExitBadInput, Err: errors.New("there is no new session to print: give role-to-assume, keys, or a web identity token")}
	}
	s := exportfmt.Session{
		AccessKeyID: res.Session.AccessKeyID, SecretAccessKey: res.Session.SecretAccessKey,
		SessionToken: res.Session.SessionToken, Expiration: res.Session.Expiration, Region: cfg.Region,
	}
	if cmd == "exec" {
		log.Info(res.Message)
		return execWith(rest, env.Environ, s, stdio)
	}
	if err := exportfmt.Write(stdio.Stdout, *format, s); err != nil {
		return &ExitError{Code: action.ExitBadInput, Err: err}
	}
	if cmd != "credential-process" {
		log.Info(res.Message)
	}
	return log.Err()
}

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
	err = c.Run()
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

// envName is the environment variable for an input: ROLE_TO_ASSUME.
func envName(input string) string {
	return strings.ToUpper(strings.ReplaceAll(input, "-", "_"))
}
