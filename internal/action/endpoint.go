package action

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/assume-role/assume-role/internal/awsconfig"
)

// stsEndpoint is where the STS calls go: a configured endpoint, or the
// SDK's own resolution from the region and the FIPS and dual-stack settings.
type stsEndpoint struct {
	// URL is a configured endpoint; empty lets the SDK's endpoint rules
	// resolve the regional one.
	URL string
	// FIPS and DualStack select the SDK's FIPS and dual-stack variants of
	// the regional endpoint (sts-fips.<region>.amazonaws.com,
	// sts.<region>.api.aws). A configured URL wins over both, as in the AWS CLI.
	FIPS, DualStack bool
	// Why says where the setting came from, for the debug log.
	Why string
}

// EnvVarError is an environment variable the action reads with a value it
// cannot use.
type EnvVarError struct {
	Name, Value, Problem string
}

func (e *EnvVarError) Error() string {
	return fmt.Sprintf("the environment variable %s is %q, which %s", e.Name, e.Value, e.Problem)
}

// endpoint resolves where the STS calls go, in the AWS CLI's order: the
// sts-endpoint input; then, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or
// the profile's ignore_configured_endpoint_urls) is true,
// AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, and the source profile's
// services-section and top-level endpoint_url. Without a configured URL,
// AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT (or the profile's
// use_fips_endpoint and use_dualstack_endpoint) pick the SDK's variant.
func (r *runner) endpoint(ctx context.Context) (stsEndpoint, error) {
	prof := r.sourceProfile(ctx)
	ep := stsEndpoint{}
	ignore, err := r.envBool("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
	if err != nil {
		return ep, err
	}
	if ignore == nil && prof != nil {
		ignore = prof.IgnoreConfiguredEndpoints
	}
	ignored := ignore != nil && *ignore
	sts := ""
	if prof != nil && !ignored {
		sts, _, _ = prof.GetServiceBaseEndpoint(ctx, "STS")
	}
	switch {
	case r.cfg.STSEndpoint != "":
		ep.URL, ep.Why = r.cfg.STSEndpoint, "input sts-endpoint"
	case ignored:
	case r.env.getenv("AWS_ENDPOINT_URL_STS") != "":
		ep.URL, ep.Why = r.env.getenv("AWS_ENDPOINT_URL_STS"), "AWS_ENDPOINT_URL_STS"
	case r.env.getenv("AWS_ENDPOINT_URL") != "":
		ep.URL, ep.Why = r.env.getenv("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL"
	case sts != "":
		ep.URL, ep.Why = sts, "endpoint_url of sts in the services section of profile "+r.env.SourceProfile
	case prof != nil && prof.BaseEndpoint != "":
		ep.URL, ep.Why = prof.BaseEndpoint, "endpoint_url of profile "+r.env.SourceProfile
	}

	var why []string
	fips, err := r.envBool("AWS_USE_FIPS_ENDPOINT")
	if err != nil {
		return ep, err
	}
	if fips != nil {
		ep.FIPS = *fips
		why = append(why, "AWS_USE_FIPS_ENDPOINT")
	} else if prof != nil && prof.UseFIPSEndpoint != aws.FIPSEndpointStateUnset {
		ep.FIPS = prof.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled
		why = append(why, "use_fips_endpoint of profile "+r.env.SourceProfile)
	}
	dual, err := r.envBool("AWS_USE_DUALSTACK_ENDPOINT")
	if err != nil {
		return ep, err
	}
	if dual != nil {
		ep.DualStack = *dual
		why = append(why, "AWS_USE_DUALSTACK_ENDPOINT")
	} else if prof != nil && prof.UseDualStackEndpoint != aws.DualStackEndpointStateUnset {
		ep.DualStack = prof.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled
		why = append(why, "use_dualstack_endpoint of profile "+r.env.SourceProfile)
	}

	if ep.URL != "" {
		if ep.FIPS || ep.DualStack {
			ep.Why += "; the FIPS and dual-stack settings do not apply to a configured endpoint"
		}
		ep.FIPS, ep.DualStack = false, false
		return ep, nil
	}
	ep.Why = "the SDK's endpoint for " + r.cfg.Region
	if len(why) > 0 {
		ep.Why += ", with " + strings.Join(why, " and ")
	}
	return ep, nil
}

// envBool reads a true/false variable as the AWS SDKs do (either case);
// nil means unset.
func (r *runner) envBool(name string) (*bool, error) {
	switch v := r.env.getenv(name); {
	case v == "":
		return nil, nil
	case strings.EqualFold(v, "true"):
		return aws.Bool(true), nil
	case strings.EqualFold(v, "false"):
		return aws.Bool(false), nil
	default:
		return nil, &EnvVarError{Name: name, Value: v, Problem: "is neither true nor false: set it to true or false, or unset it"}
	}
}

// sourceProfile reads the endpoint settings of the shared-config profile
// whose keys sign the calls (the CLI's --source-profile), from the files
// the step's environment names. A profile that cannot be read is left to
// the credential lookup to report; here it only means no settings.
func (r *runner) sourceProfile(ctx context.Context) *config.SharedConfig {
	name := r.env.SourceProfile
	if name == "" {
		return nil
	}
	files := awsconfig.Locate(r.env.getenv)
	if files.Config == "" {
		return nil
	}
	sc, err := config.LoadSharedConfigProfile(ctx, name, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles = []string{files.Config}
		o.CredentialsFiles = []string{}
		if files.Credentials != "" {
			o.CredentialsFiles = []string{files.Credentials}
		}
	})
	if err != nil {
		r.log.Debug(fmt.Sprintf("the endpoint settings of profile %s were not read: %v", name, err))
		return nil
	}
	return &sc
}
