package awsconfig_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/assume-role/assume-role/internal/awsconfig"
)

// exampleFiles returns paths in a new temporary home, and a function that
// prints both files and removes the home.
func exampleFiles(creds, cfg string) (awsconfig.Files, func()) {
	home, err := os.MkdirTemp("", "awsconfig-example")
	if err != nil {
		panic(err)
	}
	dir := filepath.Join(home, ".aws")
	f := awsconfig.Files{Credentials: filepath.Join(dir, "credentials"), Config: filepath.Join(dir, "config")}
	if creds != "" || cfg != "" {
		if err := os.Mkdir(dir, 0o700); err != nil {
			panic(err)
		}
		if err := os.WriteFile(f.Credentials, []byte(creds), 0o600); err != nil {
			panic(err)
		}
		if err := os.WriteFile(f.Config, []byte(cfg), 0o600); err != nil {
			panic(err)
		}
	}
	return f, func() {
		defer os.RemoveAll(home)
		for _, p := range []string{f.Credentials, f.Config} {
			b, err := os.ReadFile(p)
			if err != nil {
				fmt.Println(err)
				continue
			}
			fmt.Printf("--- %s\n%s", filepath.Base(p), b)
		}
	}
}

func ExampleWrite() {
	f, show := exampleFiles("", "")
	defer show()
	err := awsconfig.Write(f, awsconfig.Profile{
		Name:            "deploy",
		Region:          "eu-west-1",
		AccessKeyID:     "ASIAIOSFODNN7EXAMPLE",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		SessionToken:    "IQoJb3JpZ2luX2VjEXAMPLE+TOKEN/==",
		Expiration:      time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
	}, false)
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// --- credentials
	// [deploy]
	// # expires 2030-01-02T03:04:05Z
	// aws_access_key_id = ASIAIOSFODNN7EXAMPLE
	// aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
	// aws_session_token = IQoJb3JpZ2luX2VjEXAMPLE+TOKEN/==
	// --- config
	// [profile deploy]
	// region = eu-west-1
}

// An existing profile is replaced as a whole, where it was; the rest of the
// file keeps every byte.
func ExampleWrite_overwrite() {
	f, show := exampleFiles(
		"[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
		"# my settings\n[profile deploy]\nregion = us-east-1\nrole_arn = arn:aws:iam::111122223333:role/old\n\n[profile other]\ns3 =\n  addressing_style = path\n")
	defer show()
	p := awsconfig.Profile{
		Name:              "deploy",
		Region:            "eu-west-1",
		CredentialProcess: "assume-role --format credential-process",
	}
	if err := awsconfig.Write(f, p, false); err != nil {
		fmt.Println(strings.ReplaceAll(err.Error(), filepath.Dir(f.Config), "DIR"))
	}
	fmt.Println(awsconfig.Write(f, p, true))
	// Output:
	// AWS profile "deploy" already exists in DIR/config; set overwrite-aws-profile: true to replace it
	// <nil>
	// --- credentials
	// [default]
	// aws_access_key_id = AKIAIOSFODNN7EXAMPLE
	// aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
	// --- config
	// # my settings
	// [profile deploy]
	// region = eu-west-1
	// credential_process = assume-role --format credential-process
	//
	// [profile other]
	// s3 =
	//   addressing_style = path
}

func ExampleRemove() {
	f, show := exampleFiles("[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", "[default]\nregion = us-east-1\n")
	defer show()
	err := awsconfig.Write(f, awsconfig.Profile{
		Name:            "ci",
		Region:          "eu-west-1",
		AccessKeyID:     "ASIAIOSFODNN7EXAMPLE",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	}, false)
	if err == nil {
		err = awsconfig.Remove(f, "ci")
	}
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// --- credentials
	// [default]
	// aws_access_key_id = AKIAIOSFODNN7EXAMPLE
	// aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
	// --- config
	// [default]
	// region = us-east-1
}
