package action

import (
	"context"
	"errors"
	"fmt"

	"github.com/assume-role/assume-role/internal/inputs"
	"github.com/assume-role/assume-role/internal/logcmd"
	"github.com/assume-role/assume-role/internal/refresh"
	"github.com/assume-role/assume-role/internal/stsclient"
)

// RenewError means a renewal's environment does not allow the flow its
// spec names.
type RenewError struct {
	Want flow
	Got  string // why chooseFlow chose otherwise
}

func (e *RenewError) Error() string {
	if e.Want == flowOIDC {
		return "renewing the profile's session needs a GitHub ID token, but this process cannot mint one: " +
			"ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not both set. " +
			"The profile works only in the job that wrote it, whose steps have them with permissions: id-token: write"
	}
	return "renewing the profile's session: its spec and this environment disagree on how (" + e.Got + "); run the action again to rewrite the profile"
}

// flows maps a spec's flow to the flow a renewal runs.
var flows = map[string]flow{
	refresh.FlowKeys:      flowKeys,
	refresh.FlowOIDC:      flowOIDC,
	refresh.FlowTokenFile: flowTokenFile,
	refresh.FlowAmbient:   flowAmbient,
}

// Renew obtains a new session for a refreshing profile, as its spec says:
// the inputs and session tags of the step that wrote the profile, and the
// same flow. It never signs with keys from env's environment or a profile
// (for the ambient flow it uses Env.MachineCredentials only), so a renewal
// can neither pick up a step's exported session nor reach its own profile.
func Renew(ctx context.Context, env Env, log *logcmd.Logger, spec *refresh.Spec) (*stsclient.Session, error) {
	env.init()
	f, ok := flows[spec.Flow]
	if !ok {
		return nil, fmt.Errorf("the refresh spec names an unknown flow %q", spec.Flow)
	}
	cfg, err := inputs.Parse(spec.Inputs)
	if err != nil {
		return nil, fmt.Errorf("the refresh spec's inputs: %w", err)
	}
	if !cfg.UnsetCurrentCredentials || cfg.UseExistingCredentials || cfg.RoleChaining || cfg.RoleARN == "" {
		return nil, errors.New("the refresh spec is not one the action writes: run the action again to rewrite the profile")
	}
	tags := spec.Tags
	r := &runner{env: &env, log: log, cfg: cfg, want: f, machineOnly: f == flowAmbient, fixedTags: &tags}
	res, err := r.session(ctx)
	if err != nil {
		return nil, err
	}
	if res.Session == nil || res.Session.SessionToken == "" {
		return nil, errors.New("renewing the profile's session: STS returned no session")
	}
	return res.Session, nil
}
