// Package action runs the GitHub Action: it reads and checks the inputs,
// makes one STS call, masks every secret and only then exports the session to
// the steps that follow.
package action

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"golang.org/x/net/http/httpproxy"

	"github.com/assume-role/assume-role/internal/inputs"
	"github.com/assume-role/assume-role/internal/logcmd"
	"github.com/assume-role/assume-role/internal/stsclient"
)

// Run runs the action's main stage. Whatever it returns, nothing has been
// exported unless it returns nil; the caller reports a non-nil error with
// Report.
func Run(ctx context.Context, env Env) error {
	env.init()
	log := logcmd.New(env.Stdout)
	r := &runner{env: &env, log: log}
	err := r.run(ctx)
	if err == nil {
		err = log.Err()
	}
	return err
}

type runner struct {
	env *Env
	log *logcmd.Logger
	cfg *inputs.Config
	// raw are the inputs as the runner passed them; a refreshing profile's
	// spec keeps them.
	raw map[string]string
	// machineOnly makes the ambient flow use only the machine's own
	// credentials (Env.MachineCredentials), as a refreshing profile must.
	machineOnly bool
	// fixedTags, when set, are the session tags to send instead of the
	// defaults and custom tags: a renewal sends what the first session had.
	fixedTags *[]stsclient.Tag
	// want, when set, is the flow a renewal must run; any other is an error.
	want flow
}

func (r *runner) run(ctx context.Context) error {
	raw := inputs.FromEnviron(r.env.Environ)
	// Mask the secret inputs before anything else is printed: even a failed
	// parse must not be able to show them. The runner masks values that come
	// from secrets, but not keys pasted into a with: block or built by an
	// expression.
	for _, name := range inputs.SecretInputs {
		r.log.Mask(raw[inputs.Prefix+strings.ToUpper(name)])
	}
	cfg, err := inputs.Parse(raw)
	if err != nil {
		return err
	}
	r.cfg, r.raw = cfg, raw
	if u, err := url.Parse(cfg.HTTPProxy); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			r.log.Mask(pw)
		}
	}
	if cfg.MaskAccountID && cfg.RoleARN != "" {
		// The role's account is the session's account: mask it before the
		// first line that names the role.
		r.log.Mask(stsclient.AccountOf(cfg.RoleARN))
	}

	// Check the file-command targets before calling STS: a session that
	// cannot be exported should not be created.
	targets, err := openTargets(r.env)
	if err != nil {
		return err
	}
	if len(cfg.RoleProfiles) > 0 {
		return r.runRoleProfiles(ctx, targets)
	}

	// Every check of the profile runs before the STS call too.
	var plan *profilePlan
	if cfg.AWSProfile != "" {
		if plan, err = r.planProfile(cfg.AWSProfile); err != nil {
			return err
		}
	}

	res, err := r.session(ctx)
	if err != nil {
		return err
	}
	exp := buildExports(cfg, res, r.env.Now())
	// Validate the exports before the profile files are written; write
	// validates again with the profile's variables added.
	if err := targets.check(exp, r.env.Rand); err != nil {
		return err
	}
	undo := func() error { return nil }
	if plan != nil {
		env, u, err := r.writeProfile(plan, res, targets)
		if err != nil {
			return err
		}
		exp.env = append(exp.env, env...)
		undo = u
	}
	return r.export(targets, exp, res.Message, undo)
}

// export writes exp once every session is masked and the profile files
// are written (undo takes those back), then logs closing. On any failure
// it takes back what it wrote: the step exports all or nothing.
func (r *runner) export(targets *targets, exp *exports, closing string, undo func() error) error {
	if err := r.log.Err(); err != nil {
		// The masks may not have reached the runner: export nothing.
		return errors.Join(fmt.Errorf("writing the log: %w", err), undo())
	}
	undoExports, err := targets.write(exp, r.env.Rand)
	if err != nil {
		return errors.Join(err, undo())
	}
	if err := targets.writeSummary(exp); err != nil {
		r.log.Warning(fmt.Sprintf("the step summary was not written: %v", err))
	}
	r.log.Info(closing)
	if err := r.log.Err(); err != nil {
		// The step fails, and the runner would still apply the exports:
		// take them back, and the profile's files.
		return errors.Join(fmt.Errorf("writing the log: %w", err), undoExports(), undo())
	}
	return nil
}

// Session obtains the session the inputs in cfg ask for, for callers other
// than the action's main stage (the CLI): it masks through log, honours
// action-timeout-s and allowed-account-ids, and exports nothing.
func Session(ctx context.Context, env Env, log *logcmd.Logger, cfg *inputs.Config) (*Result, error) {
	env.init()
	r := &runner{env: &env, log: log, cfg: cfg}
	return r.session(ctx)
}

// session runs the flow with the step's deadline and the account check.
func (r *runner) session(ctx context.Context) (*Result, error) {
	var res *Result
	err := r.withEndpoint(ctx, func(ctx context.Context, endpoint stsEndpoint) (err error) {
		res, err = r.obtain(ctx, endpoint)
		return err
	})
	if err != nil {
		return nil, err
	}
	if r.cfg.MaskAccountID {
		r.log.Mask(res.Account)
	}
	if err := r.checkAccount(res.Account); err != nil {
		return nil, err
	}
	return res, nil
}

// withEndpoint runs call with the step's deadline and the STS endpoint, and
// turns a cancelled or timed-out call into the error that says so.
func (r *runner) withEndpoint(ctx context.Context, call func(context.Context, stsEndpoint) error) error {
	cfg := r.cfg
	if cfg.ActionTimeoutS > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(cfg.ActionTimeoutS)*time.Second)
		defer cancel()
	}

	endpoint, err := r.endpoint(ctx)
	if err != nil {
		return err
	}
	// The SDK's own rules resolve the host, as they will for every call.
	resolved, rerr := r.client(endpoint, nil).Endpoint(ctx)
	if rerr != nil {
		resolved = fmt.Sprintf("unresolved (%v)", rerr)
	}
	r.log.Debug(fmt.Sprintf("STS endpoint: %s (%s)", resolved, endpoint.Why))
	if strings.HasPrefix(endpoint.URL, "http:") && !inputs.IsLoopback(endpoint.URL) {
		r.log.Warning("the STS endpoint " + endpoint.URL + " uses plain HTTP: the session's credentials cross the network unencrypted")
	}

	if err := call(ctx, endpoint); err != nil {
		if c := stopped(ctx, err); c != nil {
			return c
		}
		if ctx.Err() != nil && cfg.ActionTimeoutS > 0 {
			return &TimeoutError{Seconds: int64(cfg.ActionTimeoutS), Err: err}
		}
		return err
	}
	return nil
}

// Result is what a flow produced: the identity, and the credentials to
// export (Session is nil when the job's existing credentials stay in place).
type Result struct {
	Session *stsclient.Session
	ARN     string
	Account string
	// Source says where the credentials (or token) that signed the call came from.
	Source string
	// Message is the closing log line.
	Message string
	// ExportKeys is false when the credentials already are where later
	// steps find them (ambient credentials that were only checked).
	ExportKeys bool

	flow flow
	// tags are the session tags STS accepted; obtained is when the call
	// was made.
	tags     []stsclient.Tag
	obtained time.Time
}

// existing checks the credentials the job already has.
func (r *runner) existing(ctx context.Context, endpoint stsEndpoint) (*Result, error) {
	// The job's credentials, not the keys given as inputs.
	probe := *r.cfg
	probe.AccessKeyID, probe.SecretAccessKey, probe.SessionToken = "", "", ""
	src, _, err := r.signingCredentials(ctx, &probe, false)
	if err != nil {
		return nil, err
	}
	arn, account, err := r.client(endpoint, src).CallerIdentity(ctx)
	if err != nil {
		return nil, err
	}
	return &Result{ARN: arn, Account: account, Source: src.name,
		Message: fmt.Sprintf("use-existing-credentials: keeping the job's valid credentials (%s) from %s", arn, src.name)}, nil
}

func (r *runner) checkAccount(account string) error {
	if len(r.cfg.AllowedAccountIDs) == 0 {
		return nil
	}
	for _, id := range r.cfg.AllowedAccountIDs {
		if id == account {
			return nil
		}
	}
	return &AccountNotAllowedError{Account: account, Allowed: r.cfg.AllowedAccountIDs}
}

// client builds the STS client for one source of credentials; a nil source
// makes an unsigned client (AssumeRoleWithWebIdentity).
func (r *runner) client(endpoint stsEndpoint, src *source) *stsclient.Client {
	var creds aws.CredentialsProvider
	if src != nil {
		creds = src.provider
	}
	return stsclient.New(stsclient.Options{
		Region:       r.cfg.Region,
		Endpoint:     endpoint.URL,
		UseFIPS:      endpoint.FIPS,
		UseDualStack: endpoint.DualStack,
		Credentials:  creds,
		HTTPClient:   r.httpClient(),
		MaxAttempts:  r.cfg.Attempts(),
		OnRetry: func(attempt int, wait time.Duration, err error) {
			r.log.Info(fmt.Sprintf("STS attempt %d of %d %s; retrying in %s",
				attempt, r.cfg.Attempts(), r.attemptFailure(err), wait.Round(time.Millisecond)))
		},
	})
}

// attemptFailure says how an STS attempt failed. When no answer came, it
// names where the request went and how (directly or through which proxy):
// more attempts at a wrong address or through a wrong proxy do not help.
func (r *runner) attemptFailure(err error) string {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return fmt.Sprintf("failed (%v)", err)
	}
	u, perr := url.Parse(ue.URL)
	if perr != nil {
		return fmt.Sprintf("failed (%v)", err)
	}
	via := "directly (no proxy applies)"
	if p, _ := r.proxyFunc()(u); p != nil {
		via = "through the proxy " + p.Redacted()
	}
	return fmt.Sprintf("got no answer from %s://%s %s (%v)", u.Scheme, u.Host, via, ue.Err)
}

func (r *runner) httpClient() *http.Client {
	proxy := r.proxyFunc()
	c := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.Proxy = func(req *http.Request) (*url.URL, error) { return proxy(req.URL) }
		t.ResponseHeaderTimeout = stsclient.AttemptTimeout
		if r.env.DialContext != nil {
			t.DialContext = r.env.DialContext
		}
	})
	// The client's Timeout covers one attempt whole, the body included:
	// a server that sends the headers and then stalls must not hold the
	// step (ResponseHeaderTimeout alone stops waiting only for headers).
	return &http.Client{Transport: c.GetTransport(), Timeout: stsclient.AttemptTimeout}
}

// proxyFunc uses the http-proxy and no-proxy inputs, then the usual
// variables, read from the injected environment.
func (r *runner) proxyFunc() func(*url.URL) (*url.URL, error) {
	first := func(names ...string) string {
		for _, n := range names {
			if v := r.env.getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	pc := httpproxy.Config{
		HTTPProxy:  first("HTTP_PROXY", "http_proxy"),
		HTTPSProxy: first("HTTPS_PROXY", "https_proxy"),
		NoProxy:    first("NO_PROXY", "no_proxy"),
	}
	if r.cfg.HTTPProxy != "" {
		pc.HTTPProxy, pc.HTTPSProxy = r.cfg.HTTPProxy, r.cfg.HTTPProxy
	}
	if r.cfg.NoProxy != "" {
		pc.NoProxy = r.cfg.NoProxy
	}
	return pc.ProxyFunc()
}
