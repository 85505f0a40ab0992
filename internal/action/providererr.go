package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
)

// ProviderProblem says why a credential source failed without printing the
// source's error text, which the SDK fills with what the source returned:
// processcreds puts a credential_process's whole output, secret access key
// included, into its error, and other providers quote answers or files. The
// step's log and annotations are read by everyone with access to the
// repository, and nothing has masked that text. Only facts the action
// chose to print (an exit status, a profile or file name) are shown.
func ProviderProblem(err error) string {
	var (
		proc     *processcreds.ProviderError
		exit     *exec.ExitError
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
		when     *time.ParseError
		noProf   config.SharedConfigProfileNotExistError
		loadFile config.SharedConfigLoadError
	)
	const unshown = "; its output is not shown, since it may hold the secret: run the command yourself to see it"
	switch {
	case errors.As(err, &proc) && errors.As(err, &exit):
		return fmt.Sprintf("the profile's credential_process exited with status %d%s", exit.ExitCode(), unshown)
	case errors.As(err, &proc) && errors.Is(err, context.DeadlineExceeded):
		return "the profile's credential_process did not finish in time"
	case errors.As(err, &proc) && (errors.As(err, &syntax) || errors.As(err, &typ) || errors.As(err, &when)):
		return "the profile's credential_process printed something other than the credentials JSON " +
			`({"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ...})` + unshown
	case errors.As(err, &proc):
		return "the profile's credential_process gave no usable credentials (Version 1, AccessKeyId and SecretAccessKey are required)" + unshown
	case errors.As(err, &noProf):
		return fmt.Sprintf("the AWS shared files have no profile %q", noProf.Profile)
	case errors.As(err, &loadFile):
		return fmt.Sprintf("the AWS shared file %s could not be read", loadFile.Filename)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "the search was cut short by the step's deadline or a cancellation"
	}
	return "the AWS SDK's error is not shown, since it may quote what a credential source returned; " +
		"run `aws sts get-caller-identity` in a step of its own to see it"
}
