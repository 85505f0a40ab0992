package action

import (
	"os"
	"path/filepath"
	"strings"
)

// SelfHosted is what a step on a self-hosted runner can tell about why the
// AWS SDK's default chain found nothing (runner-contract §9): inside the
// action's container the chain sees neither the machine's files (~/.aws, an
// EKS service-account token) nor its environment, and IMDSv2 with the
// default hop limit of 1 does not answer a container on Docker's bridge
// network, whose answer needs a second hop.
type SelfHosted struct {
	// InContainer is set when the step runs in the action's container
	// rather than on the machine.
	InContainer bool
	// TokenFile is AWS_WEB_IDENTITY_TOKEN_FILE when the step has it but
	// cannot read the file: a path on the machine, not in the container.
	TokenFile string
	// IMDS is set when the chain asked the instance metadata service and
	// got no credentials from it.
	IMDS bool
}

// selfHostedFacts returns the facts for a default chain that failed with
// err, or nil when the runner is not self-hosted.
func selfHostedFacts(env *Env, err error) *SelfHosted {
	if env.getenv("RUNNER_ENVIRONMENT") != "self-hosted" {
		return nil
	}
	s := &SelfHosted{InContainer: filepath.Clean(env.getenv("RUNNER_TEMP")) == containerTemp}
	if f := env.getenv("AWS_WEB_IDENTITY_TOKEN_FILE"); f != "" {
		if _, statErr := os.Stat(f); statErr != nil {
			s.TokenFile = f
		}
	}
	s.IMDS = env.getenv("AWS_EC2_METADATA_DISABLED") != "true" && err != nil && strings.Contains(err.Error(), "ec2imds")
	return s
}

// hint says what most likely went wrong and what to do, most likely first.
func (s *SelfHosted) hint() string {
	var causes []string
	if s.TokenFile != "" {
		c := "AWS_WEB_IDENTITY_TOKEN_FILE names " + s.TokenFile + ", which this step cannot read"
		if s.InContainer {
			c += " (the file is on the runner's machine, and the action's container sees only the workspace and the runner's temp directory)"
		}
		causes = append(causes, c+": copy the token into the runner's temp directory in an earlier run: step "+
			"and pass that path as web-identity-token-file, with role-to-assume")
	}
	if s.IMDS {
		c := "the EC2 instance metadata service gave no credentials"
		if s.InContainer {
			c += ": IMDSv2 answers a container on Docker's bridge network only when the instance's hop limit is 2 or more (the default is 1), " +
				"so raise it (aws ec2 modify-instance-metadata-options --instance-id <id> --http-put-response-hop-limit 2), " +
				"and check that the instance has an instance profile"
		} else {
			c += ": check that the instance has an instance profile"
		}
		causes = append(causes, c)
	}
	var b strings.Builder
	for i, c := range causes {
		if i == 0 {
			b.WriteString(" Likely cause on this self-hosted runner: " + c + ".")
		} else {
			b.WriteString(" Or " + c + ".")
		}
	}
	if s.InContainer {
		b.WriteString(" This action runs in a container, which sees neither the runner machine's files (~/.aws, an EKS service-account token) nor its environment: " +
			"pass what it needs through the workflow's env: (AWS_ROLE_ARN, keys from secrets) or web-identity-token-file, " +
			"or run the assume-role CLI binary in a run: step, which runs on the machine and sees its credentials.")
	} else {
		b.WriteString(" Check the AWS configuration of the runner's user on its machine (profiles, AWS_* variables, the instance profile).")
	}
	return b.String()
}
