package action

import (
	"context"
	"io"
	"net"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/assume-role/assume-role/internal/inputs"
)

// Env is everything the action takes from the outside world. main fills it
// from the process; tests fill it by hand, so no test touches the process
// environment.
type Env struct {
	// Environ is the environment as "NAME=value" pairs (os.Environ).
	Environ []string
	// Stdout receives the log and workflow commands.
	Stdout io.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand feeds the file-command delimiters; nil means crypto/rand.
	Rand io.Reader
	// DialContext, when set, replaces the dialer of the HTTP transport to
	// STS, so that tests can route made-up host names to loopback servers
	// without any DNS lookup or traffic off the machine.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// AmbientCredentials resolves the AWS SDK's default credential chain
	// (shared files and profiles, web identity, container and instance
	// metadata) for when the user asked for ambient credentials. skipEnv asks
	// it to leave out AWS_ACCESS_KEY_ID and friends (unset-current-credentials).
	AmbientCredentials func(ctx context.Context, region string, skipEnv bool) (aws.CredentialsProvider, error)
	// MachineCredentials resolves the machine's own credentials alone: web
	// identity named by AWS_WEB_IDENTITY_TOKEN_FILE, the container
	// credentials endpoint, instance metadata. Never keys from the
	// environment and never a profile of the shared files, so that a
	// refreshing profile's renewal cannot pick up a step's exported keys or
	// reach the profile itself again.
	MachineCredentials func(ctx context.Context, region string) (aws.CredentialsProvider, error)

	// WebIdentityToken, when set, is a web identity token the caller already
	// has (the CLI reads it from a variable such as CIRCLE_OIDC_TOKEN_V2).
	WebIdentityToken string

	// SourceProfile, when set, is the shared-config profile whose keys
	// sign the calls (the CLI's --source-profile). Its endpoint_url,
	// use_fips_endpoint and use_dualstack_endpoint apply after the
	// environment's, as in the AWS CLI.
	SourceProfile string

	// Words, when set, is how the log and errors name what the caller
	// supplied (the CLI: flags and variables); nil means the action's words.
	Words *Words

	vars map[string]string
}

// Words names the inputs and the sources of the signing credentials in the
// log and in errors. Empty fields keep the action's wording.
type Words struct {
	// Names names inputs; nil means inputs.ActionNames.
	Names inputs.Names
	// InputKeys names the keys given as aws-access-key-id and
	// aws-secret-access-key; EnvKeys the AWS_ACCESS_KEY_ID and
	// AWS_SECRET_ACCESS_KEY already in the environment; Ambient whatever
	// AmbientCredentials reads.
	InputKeys, EnvKeys, Ambient string
	// Token names where WebIdentityToken came from.
	Token string
}

// words returns the wording in force, with the action's for unset fields.
func (e *Env) words() Words {
	w := Words{
		Names:     inputs.ActionNames{},
		InputKeys: "the aws-access-key-id and aws-secret-access-key inputs",
		EnvKeys:   "AWS_ACCESS_KEY_ID in the step's environment (exported by an earlier step)",
		Ambient:   "the AWS SDK's default credential chain (shared config, web identity, container or instance metadata)",
		Token:     "the web identity token from the environment",
	}
	if e.Words == nil {
		return w
	}
	if e.Words.Names != nil {
		w.Names = e.Words.Names
	}
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&w.InputKeys, e.Words.InputKeys}, {&w.EnvKeys, e.Words.EnvKeys}, {&w.Ambient, e.Words.Ambient}, {&w.Token, e.Words.Token},
	} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	return w
}

func (e *Env) init() {
	if e.vars != nil {
		return
	}
	e.vars = make(map[string]string, len(e.Environ))
	for _, kv := range e.Environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			e.vars[k] = v
		}
	}
	if e.Now == nil {
		e.Now = time.Now
	}
}

// getenv returns a variable of the step's environment.
func (e *Env) getenv(name string) string { return e.vars[name] }

// Getenv returns a variable of Environ (the last one, if it repeats).
func (e *Env) Getenv(name string) string {
	e.init()
	return e.vars[name]
}
