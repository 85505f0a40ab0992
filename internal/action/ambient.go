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

// MachineChain resolves the machine's own credentials: the AWS SDK's default
// chain without the environment's keys, without AWS_PROFILE and without any
// shared file, which leaves web identity (AWS_WEB_IDENTITY_TOKEN_FILE and
// AWS_ROLE_ARN), the container credentials endpoint and instance metadata.
// It is the production MachineCredentials: it edits the process's own
// environment, so it belongs to main, never to tests.
func MachineChain(ctx context.Context, region string) (aws.CredentialsProvider, error) {
	for _, name := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
		"AWS_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		if err := os.Unsetenv(name); err != nil {
			return nil, err
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}))
	if err != nil {
		return nil, err
	}
	return cfg.Credentials, nil
}
