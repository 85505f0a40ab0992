package action

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/assume-role/assume-role/internal/inputs"
)

// source is where the credentials that sign the STS call come from, and why
// that source was chosen; both are logged so that a user can see which of the
// job's credentials the action used.
type source struct {
	name     string
	why      string
	provider aws.CredentialsProvider
	// ambient is true when the credentials were already in the job (env or
	// the SDK's default chain) rather than given as inputs.
	ambient bool
}

// NoCredentialsError means no source of credentials could be found.
type NoCredentialsError struct {
	Why string
	// NoIDToken is set when OIDC would have been the flow had the job been
	// allowed to mint an ID token.
	NoIDToken bool
	// SelfHosted is what the step could see of a self-hosted runner's
	// machine, when the default chain ran on one.
	SelfHosted *SelfHosted
	Err        error
}

func (e *NoCredentialsError) Error() string {
	if e.NoIDToken {
		return "no credentials to assume the role with: role-to-assume is set and no keys are given, " +
			"but the job cannot mint a GitHub ID token (ACTIONS_ID_TOKEN_REQUEST_URL is not set) " +
			"and the AWS SDK's default chain found nothing"
	}
	msg := "no AWS credentials to sign the STS call: " + e.Why
	if e.Err != nil {
		// Never the provider's own text: see ProviderProblem.
		msg += " (" + ProviderProblem(e.Err) + ")"
	}
	return msg
}

func (e *NoCredentialsError) Unwrap() error { return e.Err }

// machineSource names Env.MachineCredentials in the log and in errors.
const machineSource = "the machine's own credentials (web identity from AWS_WEB_IDENTITY_TOKEN_FILE, the container credentials endpoint or instance metadata; no keys from the environment, no profile)"

// chooseSource picks the credentials that sign the STS call. Ambient
// credentials (exported by an earlier step, or from the runner's machine) are
// used only when no keys were given: an earlier step's session must never be
// picked up by accident.
func chooseSource(ctx context.Context, cfg *inputs.Config, env *Env, machineOnly bool) (*source, error) {
	if cfg.AccessKeyID != "" {
		return &source{
			name:     env.words().InputKeys,
			why:      "keys were given as inputs",
			provider: credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken),
		}, nil
	}
	why := "no keys were given as inputs"
	if cfg.RoleChaining {
		why = "role-chaining is true"
	}
	if !cfg.UnsetCurrentCredentials {
		id, secret := env.getenv("AWS_ACCESS_KEY_ID"), env.getenv("AWS_SECRET_ACCESS_KEY")
		if id != "" && secret != "" {
			return &source{
				name:     env.words().EnvKeys,
				why:      why,
				provider: credentials.NewStaticCredentialsProvider(id, secret, env.getenv("AWS_SESSION_TOKEN")),
				ambient:  true,
			}, nil
		}
	}
	if cfg.RoleChaining {
		// Chaining means "the session an earlier step exported"; falling back
		// to whatever else the machine has would assume the role as someone
		// the user did not mean.
		return nil, &NoCredentialsError{Why: "role-chaining is true, but the step's environment has no AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. " +
			"Run this action (with output-env-credentials true) in an earlier step of the same job, or give aws-access-key-id and aws-secret-access-key instead of role-chaining"}
	}
	if machineOnly {
		// A refreshing profile: what renews the session later must be what
		// signs it now, and can never lead back to the profile itself.
		if env.MachineCredentials == nil {
			return nil, &NoCredentialsError{Why: "the machine's own credentials cannot be read here"}
		}
		p, err := env.MachineCredentials(ctx, cfg.Region)
		if err != nil {
			return nil, &NoCredentialsError{Why: "loading the machine's own credentials failed", Err: err}
		}
		return &source{
			name:     machineSource,
			why:      why + ", and a refreshing profile renews only with the machine's own credentials",
			provider: aws.NewCredentialsCache(p),
			ambient:  true,
		}, nil
	}
	if env.AmbientCredentials == nil {
		return nil, &NoCredentialsError{Why: "no keys were given and the environment has none"}
	}
	p, err := env.AmbientCredentials(ctx, cfg.Region, cfg.UnsetCurrentCredentials)
	if err != nil {
		return nil, &NoCredentialsError{Why: "loading the AWS SDK's default credential chain failed", Err: err}
	}
	return &source{
		name:     env.words().Ambient,
		why:      why + " and the environment has no AWS_ACCESS_KEY_ID",
		provider: aws.NewCredentialsCache(p),
		ambient:  true,
	}, nil
}

// retrieve gets the credentials now, so that a missing source is reported as
// such rather than as a failed STS call, and so that they can be masked.
func (s *source) retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := s.provider.Retrieve(ctx)
	if err != nil {
		// The step's own deadline or a cancel, not one of the SDK's
		// internal time-outs (its metadata clients give up after 5 s).
		if ctx.Err() != nil {
			return c, err
		}
		return c, &NoCredentialsError{Why: "none of " + s.name + " could be read", Err: err}
	}
	return c, nil
}
