package action

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestPlaceProfile covers the layouts a process on the runner's host can
// build; the mounted ones (a container action, a job container, Kubernetes
// mode) run through internal/runnertest in ../../e2e.
func TestPlaceProfile(t *testing.T) {
	t.Parallel()
	type want struct{ write, host, step string }
	for _, tc := range []struct {
		name string
		// env gets the job's directories: {temp}, {home}, {env} (GITHUB_ENV
		// in the runner's file-command directory), {other} (a file of the
		// same name elsewhere), {act} (act's envs.txt).
		env          map[string]string
		jobContainer bool
		want         want
		unshared     bool
	}{
		{name: "host", env: map[string]string{"RUNNER_TEMP": "{temp}", "GITHUB_ENV": "{env}"},
			want: want{"{temp}/assume-role-aws", "{temp}/assume-role-aws", "{temp}/assume-role-aws"}},
		{name: "job container with the job's home", jobContainer: true,
			env:  map[string]string{"RUNNER_TEMP": "{temp}", "GITHUB_ENV": "{env}", "HOME": "{home}"},
			want: want{"{home}/.assume-role-aws", "{home}/.assume-role-aws", "/github/home/.assume-role-aws"}},
		{name: "job container, another home", jobContainer: true,
			env:  map[string]string{"RUNNER_TEMP": "{temp}", "GITHUB_ENV": "{env}", "HOME": "{root}"},
			want: want{"{temp}/assume-role-aws", "{temp}/assume-role-aws", "/__w/_temp/assume-role-aws"}},
		{name: "the home is not a directory", jobContainer: true,
			env:  map[string]string{"RUNNER_TEMP": "{temp}", "GITHUB_ENV": "{env}", "HOME": "{env}"},
			want: want{"{temp}/assume-role-aws", "{temp}/assume-role-aws", "/__w/_temp/assume-role-aws"}},
		{name: "act", env: map[string]string{"RUNNER_TEMP": "/tmp", "GITHUB_ENV": "{act}", "ACT": "true"},
			want: want{"{root}/act/workflow/assume-role-aws", "{root}/act/workflow/assume-role-aws", "{root}/act/workflow/assume-role-aws"}},
		{name: "act in a container job", jobContainer: true, env: map[string]string{"RUNNER_TEMP": "/tmp", "GITHUB_ENV": "{act}", "GITEA_ACTIONS": "true"},
			want: want{"{root}/act/workflow/assume-role-aws", "{root}/act/workflow/assume-role-aws", "{root}/act/workflow/assume-role-aws"}},
		// RUNNER_TEMP holds a file of the same name, but not this step's.
		{name: "a look-alike", env: map[string]string{"RUNNER_TEMP": "{temp}", "GITHUB_ENV": "{other}"}, unshared: true},
		{name: "act's layout without act", env: map[string]string{"RUNNER_TEMP": "/tmp", "GITHUB_ENV": "{act}"}, unshared: true},
		{name: "no GITHUB_ENV", env: map[string]string{"RUNNER_TEMP": "{temp}"}, unshared: true},
		{name: "a job container without /__w", jobContainer: true, env: map[string]string{"RUNNER_TEMP": "{root}", "GITHUB_ENV": "{env}"}, unshared: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			temp := filepath.Join(root, "work", "_temp")
			dirs := map[string]string{
				"{root}":  root,
				"{temp}":  temp,
				"{home}":  filepath.Join(temp, "_github_home"),
				"{env}":   filepath.Join(temp, "_runner_file_commands", "set_env_1"),
				"{other}": filepath.Join(root, "elsewhere", "set_env_1"),
				"{act}":   filepath.Join(root, "act", "workflow", "envs.txt"),
			}
			for _, k := range []string{"{env}", "{other}", "{act}"} {
				if err := os.MkdirAll(filepath.Dir(dirs[k]), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(dirs[k], nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.MkdirAll(dirs["{home}"], 0o755); err != nil {
				t.Fatal(err)
			}
			expand := func(s string) string {
				for _, k := range []string{"{root}", "{temp}", "{home}", "{env}", "{other}", "{act}"} {
					if len(s) >= len(k) && s[:len(k)] == k {
						return dirs[k] + s[len(k):]
					}
				}
				return s
			}
			var environ []string
			for k, v := range tc.env {
				environ = append(environ, k+"="+expand(v))
			}
			env := &Env{Environ: environ}
			env.init()
			p, err := placeProfile(env, tc.jobContainer)
			if tc.unshared {
				var u *UnsharedError
				if !errors.As(err, &u) {
					t.Fatalf("placeProfile = %+v, %v; want an UnsharedError", p, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := want{p.writeDir, p.hostDir, p.stepDir}
			w := want{expand(tc.want.write), expand(tc.want.host), expand(tc.want.step)}
			if got != w {
				t.Errorf("got %+v\nwant %+v", got, w)
			}
			if p.write.Config != filepath.Join(w.write, "config") || p.host.Credentials != filepath.Join(w.host, "credentials") {
				t.Errorf("files %+v %+v", p.write, p.host)
			}
			if p.inStep("assume-role") != w.step+"/assume-role" {
				t.Errorf("inStep = %s", p.inStep("assume-role"))
			}
		})
	}
}

// TestStepPath: a path the runner translated for the action's container
// (an input such as web-identity-token-file) as the later steps see it.
func TestStepPath(t *testing.T) {
	t.Parallel()
	const ws = "/home/runner/work/repo"
	for _, tc := range []struct {
		name         string
		jobContainer bool
		in, want     string
	}{
		{"temp, host job", false, "/github/runner_temp/token", "/home/runner/work/_temp/token"},
		{"workspace, host job", false, "/github/workspace/ci/token", "/home/runner/work/repo/repo/ci/token"},
		{"home, host job", false, "/github/home/x", "/home/runner/work/_temp/_github_home/x"},
		{"temp, container job", true, "/github/runner_temp/token", "/__w/_temp/token"},
		{"workspace, container job", true, "/github/workspace/ci/token", "/__w/repo/repo/ci/token"},
		{"home, container job", true, "/github/home/x", "/github/home/x"},
		{"kubernetes pod", true, "/__w/_temp/token", "/__w/_temp/token"},
		{"a prefix, not a directory", false, "/github/runner_temp2/x", "/github/runner_temp2/x"},
		{"relative", true, "ci/token", "ci/token"},
		{"elsewhere", true, "/var/run/secrets/token", "/var/run/secrets/token"},
	} {
		p := &profilePlace{toHost: actionMounts(ws)}
		if tc.jobContainer {
			p.toStep = jobContainerMounts("/home/runner/work/_temp")
		}
		if got := p.stepPath(tc.in); got != tc.want {
			t.Errorf("%s: stepPath(%s) = %s, want %s", tc.name, tc.in, got, tc.want)
		}
	}
}
