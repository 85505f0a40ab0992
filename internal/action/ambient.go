package action

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// DefaultChain resolves the AWS SDK's default credential chain for the
// process. It is the production AmbientCredentials; it reads the process's
// own environment and files, so it belongs to main, never to tests.
//
// With skipEnv it first removes the static-key variables from the process,
// as configure-aws-credentials' unset-current-credentials does, so that the
// chain falls through to profiles, web identity or instance metadata.
func DefaultChain(ctx context.Context, region string, skipEnv bool) (aws.CredentialsProvider, error) {
	if skipEnv {
		for _, name := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"} {
			if err := os.Unsetenv(name); err != nil {
				return nil, err
			}
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return nil, err
	}
	return cfg.Credentials, nil
}
