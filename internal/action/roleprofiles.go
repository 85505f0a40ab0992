package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/assume-role/assume-role/internal/filecmd"
	"github.com/assume-role/assume-role/internal/inputs"
	"github.com/assume-role/assume-role/internal/stsclient"
)

// maxConcurrentCalls bounds the STS calls of role-profiles in flight at
// once: enough that a handful of roles cost one round trip, few enough that
// one step does not set off STS's throttling.
const maxConcurrentCalls = 8

// profileResult is the session of one line of role-profiles.
type profileResult struct {
	inputs.RoleProfile
	res *Result
}

// runRoleProfiles is the main stage with role-profiles: every role is
// assumed (concurrently, with one ID token or one set of signing
// credentials) before anything is written, and then every profile, the
// shared files' variables and the outputs are written, or none of them.
func (r *runner) runRoleProfiles(ctx context.Context, t *targets) error {
	cfg := r.cfg
	if cfg.MaskAccountID {
		for _, p := range cfg.RoleProfiles {
			if p.ARN != "" {
				r.log.Mask(stsclient.AccountOf(p.ARN))
			}
		}
	}
	// Every check of every profile runs before the first STS call: an ARN
	// names its account.
	for _, p := range cfg.RoleProfiles {
		if p.ARN != "" {
			if err := r.checkProfileAccount(p.Profile, stsclient.AccountOf(p.ARN)); err != nil {
				return err
			}
		}
	}
	plans := make([]*profilePlan, len(cfg.RoleProfiles))
	subs := make([]*runner, len(cfg.RoleProfiles))
	for i, p := range cfg.RoleProfiles {
		subs[i] = r.forProfile(p)
		plan, err := subs[i].planProfile(p.Profile)
		if err != nil {
			return fmt.Errorf("profile %s: %w", p.Profile, err)
		}
		plans[i] = plan
		// A refreshing profile renewed by the machine's credentials must
		// be assumed with them too.
		r.machineOnly = r.machineOnly || subs[i].machineOnly
	}

	var results []profileResult
	err := r.withEndpoint(ctx, func(ctx context.Context, endpoint stsEndpoint) (err error) {
		results, err = r.obtainProfiles(ctx, endpoint)
		return err
	})
	if err != nil {
		return err
	}
	for _, pr := range results {
		if cfg.MaskAccountID {
			r.log.Mask(pr.res.Account)
		}
		if err := r.checkProfileAccount(pr.Profile, pr.res.Account); err != nil {
			return err
		}
	}

	exp, err := buildProfileExports(cfg, results, r.env.Now())
	if err != nil {
		return err
	}
	if err := t.check(exp, r.env.Rand); err != nil {
		return err
	}
	// The profiles share one directory and so one state entry.
	if err := r.writeProfileState(t, plans...); err != nil {
		return err
	}
	var undos []func() error
	undo := func() error {
		var errs []error
		for i := len(undos) - 1; i >= 0; i-- {
			errs = append(errs, undos[i]())
		}
		return errors.Join(errs...)
	}
	for i, plan := range plans {
		// A bare name is an ARN by now.
		subs[i].cfg.RoleARN = results[i].ARN
		env, u, err := subs[i].writeProfileFiles(plan, results[i].res)
		if err != nil {
			return errors.Join(err, undo())
		}
		undos = append(undos, u)
		if i == 0 {
			exp.env = append(exp.env, env...)
		}
	}
	names := make([]string, len(results))
	for i, pr := range results {
		names[i] = pr.Profile
	}
	return r.export(t, exp, fmt.Sprintf("Assumed %d roles; later steps select a session with --profile or AWS_PROFILE: %s",
		len(results), strings.Join(names, ", ")), undo)
}

// forProfile is the runner of one line of role-profiles as if it were a
// step of its own with role-to-assume and aws-profile: a refreshing
// profile's spec then renews that one role, as such a step's would.
func (r *runner) forProfile(p inputs.RoleProfile) *runner {
	cfg := *r.cfg
	cfg.RoleToAssume, cfg.RoleARN, cfg.AWSProfile = p.Role, p.ARN, p.Profile
	cfg.RoleProfilesText, cfg.RoleProfiles = "", nil
	raw := make(map[string]string, len(r.raw))
	for k, v := range r.raw {
		raw[k] = v
	}
	raw[inputs.Prefix+"ROLE-TO-ASSUME"] = p.Role
	raw[inputs.Prefix+"AWS-PROFILE"] = p.Profile
	delete(raw, inputs.Prefix+"ROLE-PROFILES")
	sub := *r
	sub.cfg, sub.raw = &cfg, raw
	return &sub
}

// checkProfileAccount applies allowed-account-ids to the role of profile.
func (r *runner) checkProfileAccount(profile, account string) error {
	err := r.checkAccount(account)
	var na *AccountNotAllowedError
	if errors.As(err, &na) {
		na.Profile = profile
	}
	return err
}

// obtainProfiles assumes the role of every line of role-profiles. The
// credentials that sign (or the web identity token) are obtained once, a
// bare role name costs one GetCallerIdentity for all, and the calls run
// concurrently, each retried as any STS call is. It fails if any call
// fails, and then the others are cancelled.
func (r *runner) obtainProfiles(ctx context.Context, endpoint stsEndpoint) ([]profileResult, error) {
	cfg := r.cfg
	// The flow is chosen as for one role: what matters is that there is one.
	probe := *cfg
	probe.RoleToAssume = cfg.RoleProfiles[0].Role
	f, why := chooseFlow(&probe, r.env)
	r.log.Info("Flow: " + why)
	obtained := r.env.Now()

	var assume func(ctx context.Context, role string) (*Result, error)
	switch f {
	case flowOIDC, flowTokenFile, flowToken:
		for _, p := range cfg.RoleProfiles {
			if p.ARN == "" {
				return nil, &inputs.InputError{Input: "role-profiles", Value: p.Profile + "=" + p.Role,
					Problem: "gives a role name, but with a web identity token there are no credentials to look up the account with",
					Fix:     "give the role's full ARN, arn:" + cfg.Partition + ":iam::<account>:role/" + p.Role}
			}
		}
		token, source, err := r.webToken(ctx, f)
		if err != nil {
			return nil, err
		}
		client := r.client(endpoint, nil)
		r.log.Info(fmt.Sprintf("Assuming %d roles with %s", len(cfg.RoleProfiles), source))
		assume = func(ctx context.Context, role string) (*Result, error) {
			s, err := client.AssumeRoleWithWebIdentity(ctx, r.webIdentityInput(role, token))
			if err != nil {
				return nil, &CallError{Source: source, Role: role, Claims: claimsOf(token), Err: err}
			}
			return r.assumedRole(role, s, source), nil
		}
	case flowKeys, flowChaining, flowAmbient:
		src, _, err := r.signingCredentials(ctx, &probe, r.machineOnly)
		if err != nil {
			var nc *NoCredentialsError
			if f == flowAmbient && errors.As(err, &nc) {
				nc.NoIDToken = !cfg.ForceSkipOIDC
				nc.SelfHosted = selfHostedFacts(r.env, nc.Err)
			}
			return nil, err
		}
		client := r.client(endpoint, src)
		if cfg.ProfilesNeedAccount() {
			account, err := r.callerAccount(ctx, client, src)
			if err != nil {
				return nil, err
			}
			cfg.ExpandRoles(account)
			r.log.Info("role-profiles gives role names: assuming them in the caller's account")
		}
		r.log.Info(fmt.Sprintf("Assuming %d roles with credentials from %s", len(cfg.RoleProfiles), src.name))
		assume = func(ctx context.Context, role string) (*Result, error) {
			return r.assumeRole(ctx, client, src, role)
		}
	default:
		return nil, fmt.Errorf("role-profiles: flow %d cannot assume a role", f)
	}

	results := make([]profileResult, len(cfg.RoleProfiles))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, maxConcurrentCalls)
	for i, p := range cfg.RoleProfiles {
		results[i].RoleProfile = p
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			res, err := assume(ctx, p.ARN)
			if err != nil {
				mu.Lock()
				// The first failure is the cause; the calls it cancelled
				// fail after it.
				if firstErr == nil {
					firstErr = fmt.Errorf("profile %s: %w", p.Profile, err)
					cancel()
				}
				mu.Unlock()
				return
			}
			res.flow, res.obtained = f, obtained
			results[i].res = res
			r.log.Info(fmt.Sprintf("Profile %s: %s", p.Profile, res.Message))
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return results, nil
}

// ProfileIdentity is what the role-profiles output says of each profile.
type ProfileIdentity struct {
	AccountID        string `json:"aws-account-id"`
	AuthenticatedARN string `json:"authenticated-arn"`
	Expiration       string `json:"expiration"`
}

// buildProfileExports is what a step with role-profiles exports: the region
// and the role-profiles output; the shared files' variables are added once
// the profiles are written. The sessions go to the profiles only.
func buildProfileExports(cfg *inputs.Config, results []profileResult, now time.Time) (*exports, error) {
	e := &exports{}
	e.env = append(e.env,
		filecmd.Entry{Name: "AWS_REGION", Value: cfg.Region},
		filecmd.Entry{Name: "AWS_DEFAULT_REGION", Value: cfg.Region},
	)
	if cfg.UnsetCurrentCredentials {
		for _, name := range credentialVars {
			e.env = append(e.env, filecmd.Entry{Name: name})
		}
	}
	out := make(map[string]ProfileIdentity, len(results))
	for _, pr := range results {
		out[pr.Profile] = ProfileIdentity{AccountID: pr.res.Account, AuthenticatedARN: pr.res.ARN,
			Expiration: pr.res.Session.Expiration.UTC().Format(time.RFC3339)}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	e.outputs = append(e.outputs, filecmd.Entry{Name: "role-profiles", Value: string(b)})
	e.summary = profilesSummary(cfg, results, now)
	return e, nil
}

// profilesSummary is the step summary of role-profiles: one row a profile.
// As with one role, mask-aws-account-id leaves the accounts out.
func profilesSummary(cfg *inputs.Config, results []profileResult, now time.Time) string {
	var b strings.Builder
	b.WriteString("### AWS credentials\n\n| Profile | Identity | Account | Expires |\n|---|---|---|---|\n")
	for _, pr := range results {
		arn, account := pr.res.ARN, pr.res.Account
		if cfg.MaskAccountID {
			arn = strings.ReplaceAll(arn, account, "***")
			account = "*** (mask-aws-account-id)"
		}
		exp := pr.res.Session.Expiration
		fmt.Fprintf(&b, "| %s | %s | %s | %s (in %s) |\n", mdCode(pr.Profile), mdCode(arn), mdText(account),
			exp.UTC().Format(time.RFC3339), human(exp.Sub(now)))
	}
	src := ""
	if len(results) > 0 {
		src = results[0].res.Source
	}
	fmt.Fprintf(&b, "\nRegion %s; credentials from %s. Exported to env: AWS_REGION, AWS_DEFAULT_REGION, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE (select a profile with AWS_PROFILE or --profile).\n",
		mdText(cfg.Region), mdText(src))
	return b.String()
}
