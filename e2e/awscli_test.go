package e2e

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/runnertest"
)

const awsCLI = "/usr/bin/aws"

// requireTool skips a test that needs a tool the machine lacks, except in CI,
// where .ci/run installs it and the test must run.
func requireTool(t *testing.T, path, pkg string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing under CI=true: .ci/run must install the Debian package %s", path, pkg)
		}
		t.Skipf("%s is missing: install the Debian package %s to run this test", path, pkg)
	}
}

// callerIdentity runs the AWS CLI as a later run: step of the job would, with
// nothing but the job's environment to find credentials in.
func callerIdentity(t *testing.T, job *runnertest.Job, endpoint string, extra ...string) (arn string) {
	t.Helper()
	requireTool(t, awsCLI, "awscli")
	// Keep the CLI away from the machine's own configuration and metadata
	// service: the exports must be enough.
	job.Env["AWS_CONFIG_FILE"] = "/dev/null"
	job.Env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
	job.Env["AWS_EC2_METADATA_DISABLED"] = "true"
	args := append([]string{awsCLI, "sts", "get-caller-identity", "--endpoint-url", endpoint, "--output", "json"}, extra...)
	stdout, stderr, code := job.Shell(t, 60*time.Second, args...)
	if code != 0 {
		t.Fatalf("aws sts get-caller-identity exited %d: %s", code, stderr)
	}
	var out struct{ Arn, Account, UserId string }
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("aws output %q: %v", stdout, err)
	}
	return out.Arn
}
