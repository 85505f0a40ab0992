package cli

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/assume-role/assume-role/internal/awsconfig"
)

// sharedFiles are the AWS shared config and credentials files as the AWS
// CLI finds them, read from the injected environment.
type sharedFiles struct{ config, credentials string }

func sharedFilesOf(getenv func(string) string) sharedFiles {
	f := awsconfig.Locate(getenv)
	return sharedFiles{config: f.Config, credentials: f.Credentials}
}

func (f sharedFiles) options(o *config.LoadSharedConfigOptions) {
	o.ConfigFiles, o.CredentialsFiles = nonEmpty(f.config), nonEmpty(f.credentials)
}

func nonEmpty(s string) []string {
	if s == "" {
		return []string{}
	}
	return []string{s}
}

// profile loads a profile of the shared files. found is false when neither
// file has it.
func (f sharedFiles) profile(ctx context.Context, name string) (cfg config.SharedConfig, found bool, err error) {
	cfg, err = config.LoadSharedConfigProfile(ctx, name, f.options)
	var missing config.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		return cfg, false, nil
	}
	return cfg, err == nil, err
}

// profileName is the profile the AWS CLI would use: AWS_PROFILE, else
// AWS_DEFAULT_PROFILE, else default.
func profileName(getenv func(string) string) string {
	for _, v := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		if p := getenv(v); p != "" {
			return p
		}
	}
	return "default"
}
