package exportfmt_test

import (
	"fmt"
	"os"
	"time"

	"github.com/assume-role/assume-role/internal/exportfmt"
)

// A fake session; the secret has a quote in it to show the escaping.
var session = exportfmt.Session{
	AccessKeyID:     "ASIAIOSFODNN7EXAMPLE",
	SecretAccessKey: "wJalr/XUtn+FEMI=K7'MDENG",
	SessionToken:    "IQoJb3JpZ2lu/EXAMPLE+TOKEN==",
	Expiration:      time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600)),
	Region:          "eu-west-1",
}

func ExampleWrite_env() {
	if err := exportfmt.Write(os.Stdout, exportfmt.Env, session); err != nil {
		fmt.Println(err)
	}
	// Output:
	// export AWS_ACCESS_KEY_ID='ASIAIOSFODNN7EXAMPLE'
	// export AWS_SECRET_ACCESS_KEY='wJalr/XUtn+FEMI=K7'\''MDENG'
	// export AWS_SESSION_TOKEN='IQoJb3JpZ2lu/EXAMPLE+TOKEN=='
	// export AWS_CREDENTIAL_EXPIRATION='2030-01-02T02:04:05Z'
	// export AWS_REGION='eu-west-1'
	// export AWS_DEFAULT_REGION='eu-west-1'
}

// Without a session token or expiry, a shell's older ones are unset so that
// they cannot pair up with the new keys; an unset region is left alone.
func ExampleWrite_envLongTermKeys() {
	err := exportfmt.Write(os.Stdout, exportfmt.Env, exportfmt.Session{
		AccessKeyID:     "AKIAIOSFODNN7EXAMPLE",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// export AWS_ACCESS_KEY_ID='AKIAIOSFODNN7EXAMPLE'
	// export AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
	// unset AWS_SESSION_TOKEN
	// unset AWS_CREDENTIAL_EXPIRATION
}

func ExampleWrite_dotenv() {
	if err := exportfmt.Write(os.Stdout, exportfmt.Dotenv, session); err != nil {
		fmt.Println(err)
	}
	// Output:
	// AWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE
	// AWS_SECRET_ACCESS_KEY=wJalr/XUtn+FEMI=K7'MDENG
	// AWS_SESSION_TOKEN=IQoJb3JpZ2lu/EXAMPLE+TOKEN==
	// AWS_CREDENTIAL_EXPIRATION=2030-01-02T02:04:05Z
	// AWS_REGION=eu-west-1
	// AWS_DEFAULT_REGION=eu-west-1
}

func ExampleWrite_json() {
	if err := exportfmt.Write(os.Stdout, exportfmt.JSON, session); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {
	//   "AWS_ACCESS_KEY_ID": "ASIAIOSFODNN7EXAMPLE",
	//   "AWS_SECRET_ACCESS_KEY": "wJalr/XUtn+FEMI=K7'MDENG",
	//   "AWS_SESSION_TOKEN": "IQoJb3JpZ2lu/EXAMPLE+TOKEN==",
	//   "AWS_CREDENTIAL_EXPIRATION": "2030-01-02T02:04:05Z",
	//   "AWS_REGION": "eu-west-1",
	//   "AWS_DEFAULT_REGION": "eu-west-1"
	// }
}

func ExampleWrite_ini() {
	if err := exportfmt.Write(os.Stdout, exportfmt.INI, session); err != nil {
		fmt.Println(err)
	}
	// Output:
	// [default]
	// # expires 2030-01-02T02:04:05Z
	// aws_access_key_id = ASIAIOSFODNN7EXAMPLE
	// aws_secret_access_key = wJalr/XUtn+FEMI=K7'MDENG
	// aws_session_token = IQoJb3JpZ2lu/EXAMPLE+TOKEN==
}

func ExampleWrite_credentialProcess() {
	if err := exportfmt.Write(os.Stdout, exportfmt.CredentialProcess, session); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {
	//   "Version": 1,
	//   "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
	//   "SecretAccessKey": "wJalr/XUtn+FEMI=K7'MDENG",
	//   "SessionToken": "IQoJb3JpZ2lu/EXAMPLE+TOKEN==",
	//   "Expiration": "2030-01-02T02:04:05Z"
	// }
}

func ExampleWrite_refused() {
	fmt.Println(exportfmt.Write(os.Stdout, "yaml", session))
	bad := session
	bad.SessionToken = "IQoJ\nexport EVIL=1"
	fmt.Println(exportfmt.Write(os.Stdout, exportfmt.Dotenv, bad))
	// Output:
	// unknown output format "yaml": use one of env, dotenv, json, ini, credential-process
	// cannot write AWS_SESSION_TOKEN as dotenv: the value contains a line break
}

func ExampleVars() {
	for _, kv := range exportfmt.Vars(exportfmt.Session{
		AccessKeyID:     "AKIAIOSFODNN7EXAMPLE",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		Region:          "eu-west-1",
	}) {
		fmt.Println(kv)
	}
	// Output:
	// AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
	// AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
	// AWS_SESSION_TOKEN=
	// AWS_CREDENTIAL_EXPIRATION=
	// AWS_REGION=eu-west-1
	// AWS_DEFAULT_REGION=eu-west-1
}
