//go:build linux

package runnertest

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestDockerCommandIsTheRunners(t *testing.T) {
	t.Parallel()
	d := Dirs{
		Root:         "/h",
		Workspace:    "/h/work/repo/repo",
		Temp:         "/h/work/_temp",
		Home:         "/h/work/_temp/_github_home",
		Workflow:     "/h/work/_temp/_github_workflow",
		FileCommands: "/h/work/_temp/_runner_file_commands",
	}
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	env := map[string]string{
		"INPUT_AWS-SECRET-ACCESS-KEY": secret,
		"GITHUB_ENV":                  "/h/work/_temp/_runner_file_commands/set_env_1",
		"GITHUB_WORKSPACE":            "/h/work/repo/repo",
		"HOME":                        "/h/work/_temp/_github_home",
		"RUNNER_WORKSPACE":            "/h/work/repo",
		"STATE_files":                 "a\nb",
		"GITHUB_ACTIONS":              "true",
		"CI":                          "true",
	}
	names := []string{"-e", "GITHUB_ENV", "-e", "GITHUB_WORKSPACE", "-e", "HOME",
		"-e", "INPUT_AWS-SECRET-ACCESS-KEY", "-e", "RUNNER_WORKSPACE", "-e", "STATE_files"}
	mounts := []string{
		"-v", "/e/docker.sock:/var/run/docker.sock",
		"-v", "/h/work/_temp:/github/runner_temp",
		"-v", "/h/work/_temp/_github_home:/github/home",
		"-v", "/h/work/_temp/_github_workflow:/github/workflow",
		"-v", "/h/work/_temp/_runner_file_commands:/github/file_commands",
		"-v", "/h/work/repo/repo:/github/workspace",
	}
	tests := []struct {
		name, entrypoint, network string
		env                       map[string]string
		middle                    []string // from the first -e to the mounts
	}{
		{"main", "", "host", env,
			slices.Concat(names, []string{"-e", "GITHUB_ACTIONS=true", "-e", "CI=true", "--network", "host"})},
		{"post", "/cleanup", "", env,
			slices.Concat(names, []string{"-e", "GITHUB_ACTIONS=true", "-e", "CI=true", "--entrypoint", "/cleanup"})},
		// A CI the step set to something else is passed by name, and the
		// runner then adds no CI=true. HOME is always there: it is forced.
		{"own CI", "", "", map[string]string{"CI": "woodpecker"},
			[]string{"-e", "CI", "-e", "HOME", "-e", "GITHUB_ACTIONS=true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			argv, _ := Docker{Host: "unix:///e/docker.sock", Network: tt.network}.Command(d, "localhost/assume-role:e2e", tt.entrypoint, tt.env)
			if len(argv) < 6 {
				t.Fatalf("argv %q", argv)
			}
			if head := []string{"docker", "--host", "unix:///e/docker.sock", "run", "--name"}; !slices.Equal(argv[:5], head) {
				t.Fatalf("argv starts %q, want %q", argv[:5], head)
			}
			if !regexp.MustCompile(`^localhostassumerolee2e_[0-9a-f]{6}$`).MatchString(argv[5]) {
				t.Errorf("--name %q: want the sanitized image, '_' and six hex digits", argv[5])
			}
			want := slices.Concat([]string{"--label", DockerLabel, "--workdir", "/github/workspace", "--rm"},
				tt.middle, mounts, []string{"localhost/assume-role:e2e"})
			if got := argv[6:]; !slices.Equal(got, want) {
				t.Errorf("argv after --name:\n got %q\nwant %q", got, want)
			}
			if strings.Contains(strings.Join(argv, " "), secret) {
				t.Error("a value is on the command line")
			}
		})
	}

	argv, cliEnv := Docker{}.Command(d, "img", "", env)
	for _, kv := range []string{
		"INPUT_AWS-SECRET-ACCESS-KEY=" + secret,
		"GITHUB_ENV=/github/file_commands/set_env_1",
		"GITHUB_WORKSPACE=/github/workspace",
		"HOME=/github/home",
		"RUNNER_WORKSPACE=/h/work/repo", // not under a mount: a host path
		"STATE_files=a\nb",
	} {
		if !slices.Contains(cliEnv, kv) {
			t.Errorf("the docker CLI's environment lacks %q: %q", kv, cliEnv)
		}
	}
	if slices.ContainsFunc(cliEnv, func(kv string) bool { return strings.HasPrefix(kv, "CI=") }) {
		t.Errorf("CI=true is a flag, not in the CLI's environment: %q", cliEnv)
	}
	if argv[1] != "run" || !slices.Contains(argv, "/var/run/docker.sock:/var/run/docker.sock") {
		t.Errorf("without a host: %q, want the CLI's default engine and its /var/run/docker.sock", argv)
	}
}

func TestSanitizeImage(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"localhost/assume-role:e2e-42":              "localhostassumerolee2e42",
		"ghcr.io/assume-role/assume-role@sha256:ab": "ghcrioassumeroleassumerolesha256ab",
		"9lives/x_y-1": "livesx_y1", // no leading digit, no '-'
	} {
		if got := sanitizeImage(in); got != want {
			t.Errorf("sanitizeImage(%q) = %q, want %q", in, got, want)
		}
	}
}
