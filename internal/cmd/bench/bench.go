package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/assume-role/assume-role/internal/devtool"
	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// latency is the emulator latency of the flow that shows that only the
// round trip costs time.
const latency = 50 * time.Millisecond

// flow is one way of running a binary, and what each run must do.
type flow struct {
	name    string
	trivial bool // run the trivial program instead of the action
	with    map[string]string
	// env is what the step's environment holds besides runnertest's
	// defaults: what the runner or an earlier step put there.
	env     map[string]string
	prepare func(runnertest.Dirs) error
	latency time.Duration
	// wantActions are the STS calls of one run, in order; wantTokens the
	// requests to the OIDC token endpoint; wantEnv a variable GITHUB_ENV
	// must set.
	wantActions []string
	wantTokens  int
	wantEnv     string

	samples []*sample
}

func (f *flow) check(s *sample) error {
	if !slices.Equal(s.actions, f.wantActions) || s.sts != len(f.wantActions) {
		return fmt.Errorf("STS calls %q (%d answered), want %q", s.actions, s.sts, f.wantActions)
	}
	if s.tokens != f.wantTokens {
		return fmt.Errorf("%d ID token requests, want %d", s.tokens, f.wantTokens)
	}
	if f.wantEnv != "" && s.env[f.wantEnv] == "" {
		return fmt.Errorf("GITHUB_ENV does not set %s: %v", f.wantEnv, keys(s.env))
	}
	return nil
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

type bencher struct {
	opts     options
	tmp      string
	manifest *runnertest.Manifest
	world    *world
	action   string // the built binaries
	trivial  string
	launcher string
	progress io.Writer
}

func bench(ctx context.Context, o options, progress io.Writer) (*report, error) {
	root, err := devtool.ModuleRoot(ctx)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "assume-role-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	b := &bencher{opts: o, tmp: tmp, progress: progress,
		action: filepath.Join(tmp, "assume-role"), trivial: filepath.Join(tmp, "trivial"), launcher: filepath.Join(tmp, "launcher")}

	fmt.Fprintln(progress, "building the action and the trivial program")
	for _, p := range []struct{ out, pkg string }{
		{b.action, "."}, {b.trivial, "./internal/cmd/bench/trivial"}, {b.launcher, "./internal/cmd/bench/launcher"},
	} {
		if err := devtool.Build(ctx, root, p.out, p.pkg); err != nil {
			return nil, err
		}
	}
	if b.manifest, err = runnertest.LoadManifest(filepath.Join(root, "action.yml")); err != nil {
		return nil, err
	}
	if b.world, err = newWorld(ctx); err != nil {
		return nil, err
	}
	defer b.world.close()

	rep := &report{opts: o, machine: describeMachine()}
	for _, bin := range []string{b.action, b.trivial} {
		fi, err := os.Stat(bin)
		if err != nil {
			return nil, err
		}
		rep.sizes = append(rep.sizes, fi.Size())
	}

	flows, err := b.flows(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "%d flows: %d warm-up and %d measured runs each, interleaved\n", len(flows), o.warmup, o.runs)
	for _, f := range flows {
		for range o.warmup {
			if _, err := b.runFlow(ctx, f); err != nil {
				return nil, err
			}
		}
	}
	started := time.Now()
	for i := range o.runs {
		for _, f := range flows {
			s, err := b.runFlow(ctx, f)
			if err != nil {
				return nil, err
			}
			f.samples = append(f.samples, s)
		}
		if (i+1)%10 == 0 {
			fmt.Fprintf(progress, "  %d/%d rounds (%s)\n", i+1, o.runs, time.Since(started).Round(time.Millisecond))
		}
	}
	b.world.emu.SetLatency(0)
	rep.flows = flows
	rep.machine.loadEnd = loadAverage()

	fmt.Fprintln(progress, "package init times (GODEBUG=inittrace=1)")
	if rep.initAction, err = b.initTrace(ctx, flows[0]); err != nil {
		return nil, err
	}
	if rep.initTrivial, err = b.initTrace(ctx, flows[len(flows)-1]); err != nil {
		return nil, err
	}
	return rep, nil
}

func (b *bencher) runFlow(ctx context.Context, f *flow) (*sample, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.world.emu.SetLatency(f.latency)
	bin := b.action
	if f.trivial {
		bin = b.trivial
	}
	return b.exec(ctx, bin, f)
}

// flows returns the flows to measure. The first is keys+role and the last
// the trivial program; the report relies on both.
func (b *bencher) flows(ctx context.Context) ([]*flow, error) {
	w := b.world
	with := func(kv ...string) map[string]string {
		m := map[string]string{"aws-region": ststest.DemoRegion, "sts-endpoint": w.url}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	keys := []string{"aws-access-key-id", ststest.DemoUser.AccessKeyID, "aws-secret-access-key", ststest.DemoUser.SecretAccessKey}
	keysRole := with(append(keys, "role-to-assume", ststest.DemoRole.ARN)...)

	keysAndRole := &flow{name: "keys + role (AssumeRole)", with: keysRole,
		wantActions: []string{"AssumeRole"}, wantEnv: "AWS_SESSION_TOKEN"}

	// Role chaining signs with the session an earlier step exported, so
	// its job environment is what a keys+role step left in GITHUB_ENV.
	earlier, err := b.runFlow(ctx, keysAndRole)
	if err != nil {
		return nil, err
	}
	chained := map[string]string{}
	for k, v := range earlier.env {
		chained[k] = v
	}

	return []*flow{
		keysAndRole,
		{name: "OIDC (GitHub ID token, AssumeRoleWithWebIdentity)",
			env:         map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": w.reqURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": w.reqToken},
			with:        with("role-to-assume", ststest.DemoOIDCRole.ARN),
			wantActions: []string{"AssumeRoleWithWebIdentity"}, wantTokens: 1, wantEnv: "AWS_SESSION_TOKEN"},
		{name: "web-identity-token-file (AssumeRoleWithWebIdentity)",
			with: with("role-to-assume", ststest.DemoOIDCRole.ARN, "web-identity-token-file", "token.jwt"),
			prepare: func(d runnertest.Dirs) error {
				return os.WriteFile(filepath.Join(d.Workspace, "token.jwt"), []byte(w.issuer.Mint(ststest.DefaultAudience)+"\n"), 0o600)
			},
			wantActions: []string{"AssumeRoleWithWebIdentity"}, wantEnv: "AWS_SESSION_TOKEN"},
		{name: "role chaining (AssumeRole with the earlier session)", env: chained,
			with:        with("role-to-assume", ststest.DemoRole.ARN, "role-chaining", "true"),
			wantActions: []string{"AssumeRole"}, wantEnv: "AWS_SESSION_TOKEN"},
		{name: "keys alone (GetCallerIdentity)", with: with(keys...),
			wantActions: []string{"GetCallerIdentity"}, wantEnv: "AWS_ACCESS_KEY_ID"},
		{name: "keys + role + aws-profile (AssumeRole, profile files)",
			with:        with(append(keys, "role-to-assume", ststest.DemoRole.ARN, "aws-profile", "bench")...),
			wantActions: []string{"AssumeRole"}, wantEnv: "AWS_SHARED_CREDENTIALS_FILE"},
		{name: fmt.Sprintf("keys + role, emulator latency %d ms", latency.Milliseconds()), with: keysRole, latency: latency,
			wantActions: []string{"AssumeRole"}, wantEnv: "AWS_SESSION_TOKEN"},
		// The trivial program gets the same environment as keys+role.
		{name: "trivial Go program (one plain POST)", trivial: true, with: keysRole,
			env:         map[string]string{"BENCH_URL": w.url},
			wantActions: []string{"GetCallerIdentity"}},
	}, nil
}
