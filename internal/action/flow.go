package action

import (
	"context"

	"errors"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	"strings"
	"time"

	"github.com/assume-role/assume-role/internal/idtoken"
	"github.com/assume-role/assume-role/internal/inputs"
	"github.com/assume-role/assume-role/internal/sessiontags"
	"github.com/assume-role/assume-role/internal/stsclient"
)

// flow is how the session is obtained.
type flow int

const (
	flowKeys      flow = iota + 1 // keys given as inputs sign the call
	flowChaining                  // an earlier step's session signs AssumeRole
	flowOIDC                      // GitHub's ID token, AssumeRoleWithWebIdentity
	flowTokenFile                 // a token file, AssumeRoleWithWebIdentity
	flowToken                     // a token the caller passed in (CLI), AssumeRoleWithWebIdentity
	flowAmbient                   // the SDK's default chain (self-hosted runners)
)

// chooseFlow picks the flow from the inputs and what the job can do, and
// says why in words for the log.
func chooseFlow(cfg *inputs.Config, env *Env) (flow, string) {
	oidc := env.getenv("ACTIONS_ID_TOKEN_REQUEST_URL") != "" && env.getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN") != ""
	n := env.words().Names.Ref
	switch {
	case cfg.AccessKeyID != "":
		return flowKeys, "keys: " + n("aws-access-key-id") + " and " + n("aws-secret-access-key") + " are set"
	case cfg.RoleToAssume == "":
		return flowAmbient, "existing credentials: no " + n("role-to-assume") + " and no keys"
	case cfg.RoleChaining && env.Words != nil:
		return flowChaining, "role chaining: " + n("role-chaining") + " is set, so the session in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY assumes the role"
	case cfg.RoleChaining:
		return flowChaining, "role chaining: role-chaining is true, so the session an earlier step exported assumes the role"
	case cfg.WebIdentityTokenFile != "":
		return flowTokenFile, "web identity: " + n("web-identity-token-file") + " is set"
	case env.WebIdentityToken != "":
		return flowToken, "web identity: a token was given in an environment variable"
	case env.SourceProfile != "":
		return flowAmbient, "profile: the keys of " + n("source-profile") + " " + env.SourceProfile + " assume the role"
	case oidc && !cfg.ForceSkipOIDC:
		return flowOIDC, "OIDC: " + n("role-to-assume") + " is set, no keys are given and the job may mint an ID token (ACTIONS_ID_TOKEN_REQUEST_URL is set)"
	case cfg.ForceSkipOIDC:
		return flowAmbient, "existing credentials: " + n("force-skip-oidc") + " is true and no keys are given"
	case env.Words != nil:
		return flowAmbient, "existing credentials: no keys are given and there is no GitHub ID token to use"
	}
	return flowAmbient, "existing credentials: no keys are given and the job cannot mint an ID token"
}

// obtain runs the flow the inputs ask for and returns its result. It masks
// every credential and token it meets as soon as it has it.
func (r *runner) obtain(ctx context.Context, endpoint stsEndpoint) (*Result, error) {
	cfg := r.cfg
	if cfg.UseExistingCredentials {
		res, err := r.existing(ctx, endpoint)
		if err == nil {
			return res, nil
		}
		r.log.Info(fmt.Sprintf("use-existing-credentials: the job has no valid credentials (%v); getting new ones", err))
		if cfg.AccessKeyID == "" && cfg.RoleToAssume == "" {
			return nil, err
		}
	}
	f, why := chooseFlow(cfg, r.env)
	if r.want != 0 && f != r.want {
		return nil, &RenewError{Want: r.want, Got: why}
	}
	r.log.Info("Flow: " + why)
	obtained := r.env.Now()
	res, err := r.runFlow(ctx, endpoint, f)
	if res != nil {
		res.flow, res.obtained = f, obtained
	}
	return res, err
}

// runFlow runs flow f.
func (r *runner) runFlow(ctx context.Context, endpoint stsEndpoint, f flow) (*Result, error) {
	cfg := r.cfg
	switch f {
	case flowOIDC, flowTokenFile, flowToken:
		return r.webIdentity(ctx, endpoint, f)
	}
	src, creds, err := r.signingCredentials(ctx, cfg, r.machineOnly)
	if err != nil {
		var nc *NoCredentialsError
		if f == flowAmbient && errors.As(err, &nc) {
			nc.NoIDToken = cfg.RoleToAssume != "" && !cfg.ForceSkipOIDC
			nc.SelfHosted = selfHostedFacts(r.env, nc.Err)
		}
		return nil, err
	}
	client := r.client(endpoint, src)

	if cfg.RoleToAssume == "" {
		r.log.Info(fmt.Sprintf("Checking credentials from %s, no role to assume", src.name))
		arn, account, err := client.CallerIdentity(ctx)
		if err != nil {
			return nil, &CallError{Source: "credentials from " + src.name, Err: err}
		}
		res := &Result{ARN: arn, Account: account, Source: src.name, ExportKeys: !src.ambient}
		res.Message = fmt.Sprintf("Credentials are valid: %s", arn)
		if !src.ambient {
			res.Session = &stsclient.Session{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey,
				SessionToken: creds.SessionToken, ARN: arn, AccountID: account}
			if creds.CanExpire {
				res.Session.Expiration = creds.Expires.UTC()
			}
		}
		return res, nil
	}

	if cfg.NeedsAccount() {
		// A bare role name needs the caller's account: the one case with a
		// second STS call.
		account, err := r.callerAccount(ctx, client, src)
		if err != nil {
			return nil, err
		}
		cfg.ExpandRole(account)
		r.log.Info(fmt.Sprintf("role-to-assume %s is a role name: assuming %s in the caller's account", cfg.RoleToAssume, cfg.RoleARN))
	}
	r.log.Info(fmt.Sprintf("Assuming %s with credentials from %s", cfg.RoleARN, src.name))
	return r.assumeRole(ctx, client, src, cfg.RoleARN)
}

// callerAccount is the account of the credentials src, for bare role
// names, masked with mask-aws-account-id.
func (r *runner) callerAccount(ctx context.Context, client *stsclient.Client, src *source) (string, error) {
	_, account, err := client.CallerIdentity(ctx)
	if err != nil {
		return "", &CallError{Source: "credentials from " + src.name, Err: err}
	}
	if r.cfg.MaskAccountID {
		r.log.Mask(account)
	}
	return account, nil
}

// assumeRole assumes role with client, signed by src, with the session
// inputs of every role: once more with fewer tags if STS finds them too
// large.
func (r *runner) assumeRole(ctx context.Context, client *stsclient.Client, src *source, role string) (*Result, error) {
	cfg := r.cfg
	in := stsclient.AssumeRoleInput{
		RoleARN:     role,
		SessionName: cfg.RoleSessionName,
		Duration:    int32(cfg.RoleDurationSeconds),
		ExternalID:  cfg.RoleExternalID,
		Policy:      cfg.InlineSessionPolicy,
		PolicyARNs:  cfg.ManagedSessionPolicies,
	}
	all, kept := r.tags()
	in.Tags, in.TransitiveTagKeys = all, cfg.TransitiveTagKeys
	s, err := client.AssumeRole(ctx, in)
	if err != nil && len(kept) < len(all) && codeOf(err) == "PackedPolicyTooLarge" {
		r.log.Info(fmt.Sprintf("STS found the session tags too large; retrying once with only %s", strings.Join(sessiontags.Keys(kept), ", ")))
		in.Tags = kept
		s, err = client.AssumeRole(ctx, in)
	}
	if err != nil {
		return nil, &CallError{Source: "credentials from " + src.name, Role: role, Tagged: len(in.Tags) > 0, Err: err}
	}
	res := r.assumedRole(role, s, src.name)
	res.tags = in.Tags
	return res, nil
}

// signingCredentials finds and reads the credentials that sign the call
// for cfg, and masks them at once.
func (r *runner) signingCredentials(ctx context.Context, cfg *inputs.Config, machineOnly bool) (*source, aws.Credentials, error) {
	src, err := chooseSource(ctx, cfg, r.env, machineOnly)
	if err != nil {
		return nil, aws.Credentials{}, err
	}
	creds, err := src.retrieve(ctx)
	if err != nil {
		return nil, creds, err
	}
	r.log.Mask(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
	return src, creds, nil
}

// tags returns the session tags to send (default and custom), and the
// smaller set to retry with when STS finds them too large.
func (r *runner) tags() (all, kept []stsclient.Tag) {
	if r.fixedTags != nil {
		return *r.fixedTags, *r.fixedTags
	}
	if r.cfg.RoleSkipSessionTagging {
		return r.cfg.Tags, r.cfg.Tags
	}
	defAll, defKept := sessiontags.Defaults(r.env.getenv)
	return append(defAll, r.cfg.Tags...), append(defKept, r.cfg.Tags...)
}

func codeOf(err error) string {
	var se *stsclient.Error
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}

// webIdentity gets a token (GitHub's OIDC endpoint or a file), masks it and
// trades it for a session with AssumeRoleWithWebIdentity.
func (r *runner) webIdentity(ctx context.Context, endpoint stsEndpoint, f flow) (*Result, error) {
	cfg := r.cfg
	if cfg.NeedsAccount() {
		return nil, &inputs.InputError{Input: "role-to-assume", Value: cfg.RoleToAssume,
			Problem: "is a role name, but with a web identity token there are no credentials to look up the account with",
			Fix:     "give the role's full ARN, arn:" + cfg.Partition + ":iam::<account>:role/" + cfg.RoleToAssume}
	}
	token, source, err := r.webToken(ctx, f)
	if err != nil {
		return nil, err
	}
	r.log.Info(fmt.Sprintf("Assuming %s with %s", cfg.RoleARN, source))
	s, err := r.client(endpoint, nil).AssumeRoleWithWebIdentity(ctx, r.webIdentityInput(cfg.RoleARN, token))
	if err != nil {
		return nil, &CallError{Source: source, Role: cfg.RoleARN, Claims: claimsOf(token), Err: err}
	}
	return r.assumed(s, source), nil
}

func (r *runner) webIdentityInput(role, token string) stsclient.WebIdentityInput {
	cfg := r.cfg
	return stsclient.WebIdentityInput{
		RoleARN:     role,
		SessionName: cfg.RoleSessionName,
		Duration:    int32(cfg.RoleDurationSeconds),
		Token:       token,
		Policy:      cfg.InlineSessionPolicy,
		PolicyARNs:  cfg.ManagedSessionPolicies,
	}
}

// webToken gets the web identity token of flow f (GitHub's OIDC endpoint,
// a file or the caller's) and masks it before it returns.
func (r *runner) webToken(ctx context.Context, f flow) (token, source string, err error) {
	cfg := r.cfg
	if len(cfg.Tags) > 0 || len(cfg.TransitiveTagKeys) > 0 {
		r.log.Warning("custom-tags and transitive-tag-keys are ignored: STS takes no session tags with AssumeRoleWithWebIdentity (tags come from the token's claims)")
	}
	switch f {
	case flowOIDC:
		r.log.Mask(r.env.getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN"))
		fetcher := &idtoken.Fetcher{
			RequestURL:   r.env.getenv("ACTIONS_ID_TOKEN_REQUEST_URL"),
			RequestToken: r.env.getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
			Client:       r.httpClient(),
			OnRetry: func(attempt int, wait time.Duration, err error) {
				r.log.Info(fmt.Sprintf("ID token attempt %d failed (%v); retrying in %s", attempt, err, wait.Round(time.Millisecond)))
			},
		}
		t, err := fetcher.Fetch(ctx, cfg.Audience)
		if err != nil {
			return "", "", &IDTokenError{Err: err}
		}
		token, source = t, "GitHub's OIDC token (audience "+cfg.Audience+")"
	case flowTokenFile:
		t, err := idtoken.ReadFile(cfg.WebIdentityTokenFile, r.env.getenv("GITHUB_WORKSPACE"))
		if err != nil {
			problem := err.Error()
			var fe *idtoken.FileError
			if errors.As(err, &fe) {
				problem = fe.Problem
			}
			return "", "", &inputs.InputError{Input: "web-identity-token-file", Value: cfg.WebIdentityTokenFile, Problem: problem,
				Fix: "give the path of a regular file holding the token, absolute or relative to the workspace"}
		}
		token, source = t, "the token in "+cfg.WebIdentityTokenFile
	case flowToken:
		token, source = r.env.WebIdentityToken, r.env.words().Token
	}
	// The token is a bearer credential until it expires: mask it before
	// anything else happens.
	r.log.Mask(token)
	return token, source, nil
}

// assumed masks a new session of role-to-assume and describes it.
func (r *runner) assumed(s *stsclient.Session, source string) *Result {
	return r.assumedRole(r.cfg.RoleARN, s, source)
}

// assumedRole masks a new session of role and describes it.
func (r *runner) assumedRole(role string, s *stsclient.Session, source string) *Result {
	r.log.Mask(s.AccessKeyID, s.SecretAccessKey, s.SessionToken)
	return &Result{
		Session: s, ARN: s.ARN, Account: s.AccountID, Source: source, ExportKeys: true,
		Message: fmt.Sprintf("Assumed %s as %s; the session expires at %s (in %s)",
			role, s.ARN, s.Expiration.Format(time.RFC3339), human(s.Expiration.Sub(r.env.Now()))),
	}
}

func claimsOf(token string) *idtoken.Claims {
	c, err := idtoken.ParseClaims(token)
	if err != nil {
		return nil
	}
	return c
}
