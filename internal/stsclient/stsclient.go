// Package stsclient makes the STS calls the action needs (AssumeRole and
// GetCallerIdentity) with a retry policy that only retries what a retry can
// fix, and classifies failures so that the caller can say what to do.
package stsclient

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/assume-role/assume-role/internal/sessiontags"
)

// Options configure a Client.
type Options struct {
	Region string
	// Endpoint overrides the SDK's regional endpoint when not empty.
	Endpoint string
	// UseFIPS and UseDualStack select the FIPS and dual-stack variants of
	// the regional endpoint, through the SDK's own endpoint rules.
	UseFIPS, UseDualStack bool
	// Credentials sign the requests.
	Credentials aws.CredentialsProvider
	// HTTPClient sends the requests (proxy, timeouts); nil means the SDK's,
	// with AttemptTimeout as its whole-request timeout. A caller's client
	// should bound the body too (http.Client.Timeout).
	HTTPClient *http.Client
	// MaxAttempts is the total number of tries per call, at least 1.
	MaxAttempts int
	// MaxBackoff caps the jittered exponential wait between tries; zero means
	// the SDK's default (20 s).
	MaxBackoff time.Duration
	// OnRetry, when set, is told about each retry before its wait (for the
	// log): the attempt that failed, the wait and the error.
	OnRetry func(attempt int, wait time.Duration, err error)
}

// AttemptTimeout bounds the wait for one STS answer, so that a request
// that never gets a response is retried rather than eating the whole step.
const AttemptTimeout = 10 * time.Second

// Client calls STS.
type Client struct {
	api *sts.Client
}

// New builds a Client without loading any shared configuration: everything
// it needs is in o, which keeps start-up to one round trip and makes the
// source of each setting explicit.
func New(o Options) *Client {
	attempts := max(o.MaxAttempts, 1)
	retryer := retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = attempts
		if o.MaxBackoff > 0 {
			so.MaxBackoff = o.MaxBackoff
		}
		// The client-side retry quota exists to protect a long-lived process
		// from retry storms; ours makes one call and exits, and the quota would
		// only turn a throttled call into an early failure.
		so.RateLimiter = ratelimit.None
	})
	var r aws.Retryer = retryer
	if o.OnRetry != nil {
		r = notifyingRetryer{Retryer: retryer, notify: o.OnRetry}
	}
	api := sts.New(sts.Options{
		Region:      o.Region,
		Credentials: o.Credentials,
		Retryer:     r,
		AppID:       "assume-role",
	}, func(so *sts.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		if o.UseFIPS {
			so.EndpointOptions.UseFIPSEndpoint = aws.FIPSEndpointStateEnabled
		}
		if o.UseDualStack {
			so.EndpointOptions.UseDualStackEndpoint = aws.DualStackEndpointStateEnabled
		}
		// A nil *http.Client in the interface field would not be nil.
		if o.HTTPClient != nil {
			so.HTTPClient = o.HTTPClient
		} else {
			// The SDK's own client has no overall timeout: bound each
			// attempt, body included.
			so.HTTPClient = awshttp.NewBuildableClient().WithTimeout(AttemptTimeout)
		}
	})
	return &Client{api: api}
}

// Endpoint returns the URL the client's calls go to, resolved by the same
// endpoint rules and options the SDK applies to each call.
func (c *Client) Endpoint(ctx context.Context) (string, error) {
	o := c.api.Options()
	ep, err := o.EndpointResolverV2.ResolveEndpoint(ctx, sts.EndpointParameters{
		Region:       aws.String(o.Region),
		Endpoint:     o.BaseEndpoint,
		UseFIPS:      aws.Bool(o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
		UseDualStack: aws.Bool(o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
	}.WithDefaults())
	if err != nil {
		return "", err
	}
	return ep.URI.String(), nil
}

// Session is a set of credentials and who they belong to.
type Session struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// Expiration is zero for long-term keys.
	Expiration time.Time
	// ARN is the assumed-role ARN (or the caller's ARN for GetCallerIdentity).
	ARN       string
	AccountID string
}

// AssumeRoleInput holds the AssumeRole parameters the action sends.
type AssumeRoleInput struct {
	RoleARN     string
	SessionName string
	Duration    int32
	ExternalID  string
	Policy      string
	PolicyARNs  []string
	Tags        []Tag
	// TransitiveTagKeys are the tag keys that pass on to chained sessions.
	TransitiveTagKeys []string
}

// Tag is a session tag; the same type the tag builder makes.
type Tag = sessiontags.Tag

// WebIdentityInput holds the AssumeRoleWithWebIdentity parameters.
type WebIdentityInput struct {
	RoleARN     string
	SessionName string
	Duration    int32
	Token       string
	Policy      string
	PolicyARNs  []string
}

// AssumeRoleWithWebIdentity trades a web identity token (a JWT) for a
// session. The call is unsigned: the token is the credential.
func (c *Client) AssumeRoleWithWebIdentity(ctx context.Context, in WebIdentityInput) (*Session, error) {
	req := &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(in.RoleARN),
		RoleSessionName:  aws.String(in.SessionName),
		DurationSeconds:  aws.Int32(in.Duration),
		WebIdentityToken: aws.String(in.Token),
		PolicyArns:       policyARNs(in.PolicyARNs),
	}
	if in.Policy != "" {
		req.Policy = aws.String(in.Policy)
	}
	out, err := c.api.AssumeRoleWithWebIdentity(ctx, req)
	if err != nil {
		return nil, classify(ctx, "AssumeRoleWithWebIdentity", err)
	}
	return sessionFrom("AssumeRoleWithWebIdentity", out.Credentials, out.AssumedRoleUser)
}

func policyARNs(arns []string) []types.PolicyDescriptorType {
	var out []types.PolicyDescriptorType
	for _, arn := range arns {
		out = append(out, types.PolicyDescriptorType{Arn: aws.String(arn)})
	}
	return out
}

// AssumeRole calls sts:AssumeRole. The account and ARN of the new session
// come from its AssumedRoleUser, so no GetCallerIdentity is needed.
func (c *Client) AssumeRole(ctx context.Context, in AssumeRoleInput) (*Session, error) {
	req := &sts.AssumeRoleInput{
		RoleArn:         aws.String(in.RoleARN),
		RoleSessionName: aws.String(in.SessionName),
		DurationSeconds: aws.Int32(in.Duration),
	}
	if in.ExternalID != "" {
		req.ExternalId = aws.String(in.ExternalID)
	}
	if in.Policy != "" {
		req.Policy = aws.String(in.Policy)
	}
	req.PolicyArns = policyARNs(in.PolicyARNs)
	for _, t := range in.Tags {
		req.Tags = append(req.Tags, types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	req.TransitiveTagKeys = in.TransitiveTagKeys
	out, err := c.api.AssumeRole(ctx, req)
	if err != nil {
		return nil, classify(ctx, "AssumeRole", err)
	}
	return sessionFrom("AssumeRole", out.Credentials, out.AssumedRoleUser)
}

// CallerIdentity calls sts:GetCallerIdentity with the client's credentials.
func (c *Client) CallerIdentity(ctx context.Context) (arn, account string, err error) {
	out, err := c.api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", "", classify(ctx, "GetCallerIdentity", err)
	}
	arn, account = aws.ToString(out.Arn), aws.ToString(out.Account)
	if arn == "" || account == "" {
		return "", "", &Error{Op: "GetCallerIdentity", Kind: Malformed, Message: "the response has no Arn or Account"}
	}
	// Both are printed and exported: anything but an ARN and its account
	// is not an answer STS gives.
	if !validARN(arn) || AccountOf(arn) != account {
		return "", "", &Error{Op: "GetCallerIdentity", Kind: Malformed, Message: "the response's Arn is not an ARN of its Account"}
	}
	return arn, account, nil
}

func sessionFrom(op string, cr *types.Credentials, user *types.AssumedRoleUser) (*Session, error) {
	if cr == nil || user == nil {
		return nil, &Error{Op: op, Kind: Malformed, Message: "the response has no Credentials or AssumedRoleUser"}
	}
	s := &Session{
		AccessKeyID:     aws.ToString(cr.AccessKeyId),
		SecretAccessKey: aws.ToString(cr.SecretAccessKey),
		SessionToken:    aws.ToString(cr.SessionToken),
		Expiration:      aws.ToTime(cr.Expiration).UTC(),
		ARN:             aws.ToString(user.Arn),
	}
	s.AccountID = AccountOf(s.ARN)
	if s.AccessKeyID == "" || s.SecretAccessKey == "" || s.SessionToken == "" || s.Expiration.IsZero() || s.AccountID == "" ||
		!validAssumedRoleARN(s.ARN) {
		return nil, &Error{Op: op, Kind: Malformed, Message: "the response lacks a credential field or a valid assumed-role ARN"}
	}
	return s, nil
}

// AccountOf returns the account ID field of an ARN, or "" if arn is not one.
func AccountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || len(parts[4]) != 12 {
		return ""
	}
	for _, r := range parts[4] {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return parts[4]
}

// notifyingRetryer reports each retry decision that leads to another try.
type notifyingRetryer struct {
	aws.Retryer
	notify func(attempt int, wait time.Duration, err error)
}

func (n notifyingRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	d, derr := n.Retryer.RetryDelay(attempt, err)
	if derr == nil {
		n.notify(attempt, d, err)
	}
	return d, derr
}

var _ error = (*Error)(nil)
