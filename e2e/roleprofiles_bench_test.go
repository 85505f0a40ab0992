package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/assume-role/assume-role/internal/runnertest"
	"github.com/assume-role/assume-role/internal/ststest"
)

// BenchmarkRoleProfiles runs the built binary as a step (the runner
// simulation) against the STS emulator with latency added to every answer,
// so that a round trip is visible: one step with role-profiles of N roles,
// and for comparison N steps of one role each, as configure-aws-credentials
// needs. With the calls concurrent, N roles cost about one round trip.
//
//	go test -run '^$' -bench RoleProfiles -benchtime 20x ./e2e
func BenchmarkRoleProfiles(b *testing.B) {
	const latency = 50 * time.Millisecond
	e, url := ststest.NewTestServer(b)
	e.SeedDemo()
	e.SetLatency(latency)
	var lines []string
	for i := range 5 {
		role := ststest.Role{ARN: fmt.Sprintf("arn:aws:iam::2222222222%02d:role/deploy", i), Trust: []string{"arn:aws:iam::111111111111:root"}, AllowTagSession: true}
		e.AddRole(role)
		lines = append(lines, fmt.Sprintf("p%d=%s", i, role.ARN))
	}
	step := func(b *testing.B, job *runnertest.Job, inputs map[string]string) {
		r := job.Run(b, runnertest.Binary(binary), runnertest.Step{Inputs: inputs})
		if r.ExitCode != 0 {
			b.Fatalf("exit %d\n%s", r.ExitCode, r.Stdout)
		}
	}
	for _, n := range []int{1, 5} {
		b.Run(fmt.Sprintf("role-profiles/%d-roles", n), func(b *testing.B) {
			job := runnertest.NewJob(b, manifest)
			in := with(url, "role-profiles", strings.Join(lines[:n], "\n"), "overwrite-aws-profile", "true")
			before := e.CallCount("AssumeRole")
			for b.Loop() {
				step(b, job, in)
			}
			b.ReportMetric(float64(e.CallCount("AssumeRole")-before)/float64(b.N), "AssumeRole/op")
		})
	}
	b.Run("5-steps-of-one-role", func(b *testing.B) {
		job := runnertest.NewJob(b, manifest)
		for b.Loop() {
			for i := range 5 {
				step(b, job, with(url, "role-to-assume", strings.TrimPrefix(lines[i], fmt.Sprintf("p%d=", i))))
			}
		}
	})
}
