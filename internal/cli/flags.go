package cli

import (
	"errors"
	"flag"
	"io"
	"sort"
	"strings"

	"github.com/assume-role/assume-role/internal/exportfmt"
	"github.com/assume-role/assume-role/internal/inputs"
)

// actionOnly are inputs the CLI does not offer as flags, besides those the
// runner fills in (inputs.Input.ActionOnly): each only
// changes what the action writes to the runner (masks, step outputs, the
// job's environment, profile files for later steps), none of which the CLI
// writes.
var actionOnly = map[string]bool{
	"mask-aws-account-id":      true, // nothing masks a terminal: the CLI never prints a secret instead
	"output-credentials":       true, // step outputs
	"output-env-credentials":   true, // GITHUB_ENV
	"overwrite-aws-profile":    true, // the action's profile files
	"refresh-credentials":      true, // ditto; credential-process is the CLI's way
	"role-profiles":            true, // profile files for later steps; the CLI prints or runs with one session
	"use-existing-credentials": true, // there is no new session to print or run with
}

// noVariable are inputs whose flag has no environment variable: the name
// the rule would give means something else to the AWS CLI and SDKs, which
// read it too.
var noVariable = map[string]string{
	// AWS_PROFILE selects the profile to read; --aws-profile names the one printed.
	"aws-profile": "",
	// The standard key variables are the environment's credentials, which
	// the CLI uses when no keys are given as flags (and --role-chaining
	// insists on). Read as flags, they would conflict with --role-chaining.
	"aws-access-key-id":     "",
	"aws-secret-access-key": "",
	"aws-session-token":     "",
}

// option is one flag.
type option struct {
	name string // without dashes: role-to-assume
	env  string // its environment variable, empty for none
	// envHelp replaces "$ENV" in --help when more than the variable counts.
	envHelp string
	usage   string
	def     string // the default shown in --help
	bool    bool
	input   bool // an action input, passed to inputs.Parse
	value   value
}

// value is a flag's value as given; inputs.Parse checks it, so that the
// CLI and the action accept the same spellings.
type value struct {
	v      string
	set    bool
	isBool bool
}

func (v *value) String() string   { return v.v }
func (v *value) IsBoolFlag() bool { return v.isBool }
func (v *value) Set(s string) error {
	v.v, v.set = s, true
	return nil
}

// The CLI's own flags.
const (
	flagFormat        = "format"
	flagTokenEnv      = "web-identity-token-env"
	flagSourceProfile = "source-profile"
	flagVerbose       = "verbose"
	flagVersion       = "version"
	flagHelp          = "help"
)

// options returns every flag, inputs first in action.yml's order.
func options() []*option {
	var opts []*option
	for _, in := range inputs.All() {
		if in.ActionOnly || actionOnly[in.Name] {
			continue
		}
		o := &option{name: in.Name, env: envName(in.Name), usage: in.Description, bool: in.Bool, input: true}
		if env, ok := noVariable[in.Name]; ok {
			o.env = env
		}
		if !in.Secret {
			o.def = in.Default
		}
		opts = append(opts, o)
	}
	for _, o := range opts {
		switch o.name {
		case "role-session-name":
			o.def = sessionNameOutside + "; " + sessionNameInGitHub + " in GitHub Actions"
		case "aws-region":
			o.envHelp = "$AWS_REGION, else $AWS_DEFAULT_REGION, else region in the AWS profile"
		case "aws-profile":
			o.usage = "section name of the profile --format ini prints (default: default)"
		case "aws-access-key-id":
			o.usage += " (default: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment, else the AWS SDK's chain)"
		case "role-chaining":
			o.usage = "assume the role with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the environment (a session assume-role printed earlier) and nothing else"
		case "role-skip-session-tagging":
			o.usage += " (GitHub's default tags are sent only in GitHub Actions)"
		}
	}
	return append(opts,
		&option{name: flagFormat, env: "FORMAT", def: exportfmt.Env, usage: "output format: " + strings.Join(exportfmt.Formats(), ", ")},
		&option{name: flagTokenEnv, env: "WEB_IDENTITY_TOKEN_ENV", usage: "name of an environment variable holding a web identity token, such as CIRCLE_OIDC_TOKEN_V2"},
		&option{name: flagSourceProfile, usage: "read the keys that assume the role from this profile of the AWS shared files"},
		&option{name: flagVerbose, bool: true, usage: "print debug lines"},
		&option{name: flagVersion, bool: true, usage: "print the version and exit"},
		&option{name: flagHelp, bool: true, usage: "print this help and exit"},
	)
}

// Session names when role-session-name is not given: CloudTrail shows it,
// and outside GitHub Actions "GitHubActions" would be a lie.
const (
	sessionNameInGitHub = "GitHubActions"
	sessionNameOutside  = "assume-role"
)

// parsed is a command line after parsing.
type parsed struct {
	opts map[string]*option
	rest []string
}

func (p *parsed) given(name string) bool { return p.opts[name].value.set }

// get returns a flag's value, else its variable's (unless noEnv), else "".
func (p *parsed) get(name string, getenv func(string) string, noEnv bool) string {
	o := p.opts[name]
	switch {
	case o.value.set:
		return o.value.v
	case o.env != "" && !noEnv:
		return getenv(o.env)
	}
	return ""
}

// UsageError is a command line that could not be parsed: an unknown flag,
// a missing value, a stray argument.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// parse parses args with the standard flag package (both -name and --name,
// bare booleans, --name=value) and turns its errors into one line each.
func parse(args []string) (*parsed, error) {
	fs := flag.NewFlagSet("assume-role", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	p := &parsed{opts: map[string]*option{}}
	for _, o := range options() {
		o.value.isBool = o.bool
		fs.Var(&o.value, o.name, o.usage)
		p.opts[o.name] = o
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			// -h: the flag package's own spelling of help.
			p.opts[flagHelp].value.set = true
			return p, nil
		}
		return nil, usageError(err, p.opts)
	}
	p.rest = fs.Args()
	return p, nil
}

// usageError rewords the flag package's errors, whose wording is stable
// (flag.go's failf calls), and suggests the nearest flag for a typo.
func usageError(err error, opts map[string]*option) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		msg = "unknown flag --" + name
		if near := nearest(name, opts); near != "" {
			msg += "; did you mean --" + near + "?"
		}
		return &UsageError{Msg: msg + " (assume-role --help lists the flags)"}
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return &UsageError{Msg: "--" + name + " needs a value: --" + name + " VALUE or --" + name + "=VALUE"}
	}
	return &UsageError{Msg: strings.Replace(msg, " -", " --", 1)}
}

// nearest is the flag a mistyped name most likely meant, or "" when none
// is close: within a third of the name's length in edits, or the only flag
// that starts with it.
func nearest(name string, opts map[string]*option) string {
	names := make([]string, 0, len(opts))
	for n := range opts {
		names = append(names, n)
	}
	sort.Strings(names)
	best, bestD := "", len(name)/3+1
	var prefixed []string
	for _, n := range names {
		if d := distance(name, n); d < bestD {
			best, bestD = n, d
		}
		if len(name) >= 3 && strings.HasPrefix(n, name) {
			prefixed = append(prefixed, n)
		}
	}
	if best == "" && len(prefixed) == 1 {
		best = prefixed[0]
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

const usageHead = `assume-role assumes an AWS IAM role with one STS call and hands the session on.

Usage:
  assume-role [flags]                     print the session (--format)
  assume-role exec [flags] -- CMD [ARG…]  run CMD with the session in its environment
  assume-role credential-process [flags]  answer as an AWS credential_process command
  assume-role trust-policy [flags]        print a role's trust policy for GitHub's OIDC (--help)
  assume-role cleanup                     the GitHub Action's post stage
  assume-role --version                   print the version

The credentials that assume the role are the first of: --aws-access-key-id
and --aws-secret-access-key; a web identity token (--web-identity-token-file,
--web-identity-token-env); --source-profile; AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY in the environment; the AWS SDK's default chain
(AWS_PROFILE, ~/.aws, container or instance metadata).

A flag wins over its environment variable, shown in brackets.
credential-process reads flags only: its command line is the whole
configuration. Outside GitHub Actions the only session tags are
--custom-tags (GitHub's default tags describe a GitHub run), and the session
is named assume-role unless --role-session-name says otherwise.

Flags:
`

// writeUsage prints the help: the usage, then every flag with its variable
// and default.
func writeUsage(w io.Writer) error {
	var b strings.Builder
	b.WriteString(usageHead)
	for _, o := range options() {
		b.WriteString("  --" + o.name)
		if !o.bool {
			b.WriteString(" " + metavar(o.name))
		}
		b.WriteString("\n        " + o.usage)
		if o.def != "" {
			b.WriteString(" (default " + o.def + ")")
		}
		switch {
		case o.envHelp != "":
			b.WriteString(" [" + o.envHelp + "]")
		case o.env != "":
			b.WriteString(" [$" + o.env + "]")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// metavar is the placeholder for a flag's value in --help.
func metavar(name string) string {
	switch {
	case strings.HasSuffix(name, "-seconds"), strings.HasSuffix(name, "-s"), strings.HasSuffix(name, "-attempts"):
		return "N"
	case strings.HasSuffix(name, "-file"):
		return "PATH"
	case strings.HasSuffix(name, "-policies"), strings.HasSuffix(name, "-keys"):
		return "LINES"
	case name == flagFormat:
		return "FORMAT"
	case name == "role-to-assume":
		return "ARN"
	case name == "aws-region":
		return "REGION"
	case name == "no-proxy":
		return "HOSTS"
	case strings.HasSuffix(name, "-endpoint"), strings.HasSuffix(name, "-proxy"):
		return "URL"
	case strings.HasSuffix(name, "-profile"), name == flagTokenEnv:
		return "NAME"
	case name == "custom-tags", name == "inline-session-policy":
		return "JSON"
	case name == "allowed-account-ids":
		return "IDS"
	}
	return "VALUE"
}

// flagNames names inputs by their flags (and variables) in messages.
type flagNames struct {
	opts  map[string]*option
	noEnv bool // credential-process: variables are not read
}

func (n flagNames) Subject(input string) string {
	o, ok := n.opts[input]
	switch {
	case !ok:
		return "input " + input
	case o.env == "" || n.noEnv:
		return "--" + input
	}
	return "--" + input + " (" + o.env + ")"
}

func (n flagNames) Ref(input string) string {
	if _, ok := n.opts[input]; !ok {
		return "the action's input " + input
	}
	return "--" + input
}

// envName is the environment variable for an input: ROLE_TO_ASSUME.
func envName(input string) string {
	return strings.ToUpper(strings.ReplaceAll(input, "-", "_"))
}
