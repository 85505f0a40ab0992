// Command release builds and publishes one release of assume-role, the same
// way in .github/workflows/release.yml and in scripts/rehearse-release.sh:
//
//  1. cross-compiles the binary (CGO_ENABLED=0, -trimpath, -s -w, the
//     version stamped into internal/version) for linux, darwin and windows
//     on amd64 and arm64, into -dist, and writes SHA256SUMS there;
//  2. assembles the action's image for linux/amd64 and linux/arm64 from the
//     linux binaries, exactly as the Dockerfile's final stage (FROM scratch,
//     the CA bundle, /assume-role and the /cleanup link, its labels and
//     entrypoint), as one OCI index, and pushes it by digest, untagged, to
//     -registry with crane;
//  3. smoke-tests each platform's image from the registry: its config, its
//     files, the binary's ELF header; runs the amd64 image with docker (the
//     main entrypoint's --help and the /cleanup post stage), and the arm64
//     binary under qemu-aarch64-static when that is installed;
//  4. writes the release commit on top of HEAD of -git-dir, whose only change
//     is action.yml's `image: docker://<registry>@sha256:<index digest>`,
//     and tags it -version (an annotated tag). Nothing is pushed: moving
//     refs is the release workflow's last job.
//
// It prints what it did, and the release commit's image line on a line of
// its own. With -summary it also writes the results as JSON, and under
// GitHub Actions as step outputs.
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/assume-role/assume-role/internal/filecmd"
	"github.com/assume-role/assume-role/internal/release"
)

// Crane is the pinned crane used when -crane is not given; it is installed
// with `go install` (checked against sum.golang.org) into the user cache.
const Crane = "github.com/google/go-containerregistry/cmd/crane@v0.22.1"

// versionVar is the variable the build stamps with -X.
const versionVar = "github.com/assume-role/assume-role/internal/version.Version"

// targets are the CLI binaries of a release; the linux ones go into the image.
var targets = []struct{ goos, goarch string }{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// imagePlatforms are the platforms of the image index.
var imagePlatforms = []string{"amd64", "arm64"}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

type options struct {
	version  release.Version
	registry string
	dist     string
	gitDir   string
	caBundle string
	crane    string
	docker   string
	qemu     string
	summary  string
	gitEnv   []string // added to the environment of the git commands that write the commit and tag
	stdout   io.Writer
	stderr   io.Writer
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	fs.SetOutput(stderr)
	version := fs.String("version", "", "the release `vX.Y.Z` (or vX.Y.Z-PRERELEASE)")
	o := options{stdout: stdout, stderr: stderr}
	fs.StringVar(&o.registry, "registry", "ghcr.io/assume-role/assume-role", "image `repository` to push to")
	fs.StringVar(&o.dist, "dist", "dist", "`folder` for the CLI binaries and SHA256SUMS (must not exist or be empty)")
	fs.StringVar(&o.gitDir, "git-dir", ".", "the repository to release from: its HEAD is built, and the release commit and tag are written into it")
	fs.StringVar(&o.caBundle, "ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "CA bundle `file` for the image")
	fs.StringVar(&o.crane, "crane", "", "crane `binary`; empty installs "+Crane+" into the user cache")
	fs.StringVar(&o.docker, "docker", "docker", "docker `client` that runs the amd64 image (DOCKER_HOST is honoured)")
	fs.StringVar(&o.qemu, "qemu-aarch64", "auto", "qemu-aarch64-static `binary` that runs the arm64 binary; auto: if on PATH, none: skip")
	fs.StringVar(&o.summary, "summary", "", "write the results as JSON to this `file`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	v, err := release.ParseVersion(*version)
	if err != nil {
		return err
	}
	o.version = v
	return o.release(ctx)
}

// result is what -summary and GITHUB_OUTPUT get.
type result struct {
	Version     string            `json:"version"`
	Source      string            `json:"source"`
	Commit      string            `json:"commit"`
	Image       string            `json:"image"`
	IndexDigest string            `json:"index_digest"`
	Platforms   map[string]string `json:"platforms"`
	LayerBytes  map[string]int64  `json:"layer_bytes"`
	Binaries    []string          `json:"binaries"`
}

func (o *options) logf(format string, args ...any) {
	fmt.Fprintf(o.stdout, "release: "+format+"\n", args...)
}

func (o *options) release(ctx context.Context) error {
	start := time.Now()
	git := func(args ...string) (string, error) { return o.output(ctx, o.gitDir, nil, nil, "git", args...) }
	top, err := git("rev-parse", "--show-toplevel")
	if err != nil {
		return err
	}
	o.gitDir = top
	if dirty, err := git("status", "--porcelain", "--untracked-files=no"); err != nil {
		return err
	} else if dirty != "" {
		return fmt.Errorf("%s has uncommitted changes; a release is built from a commit:\n%s", top, dirty)
	}
	source, err := git("rev-parse", "HEAD^{commit}")
	if err != nil {
		return err
	}
	tag := o.version.String()
	if _, err := git("rev-parse", "-q", "--verify", "refs/tags/"+tag); err == nil {
		return fmt.Errorf("tag %s already exists in %s", tag, top)
	}
	actionYML, err := os.ReadFile(filepath.Join(top, "action.yml"))
	if err != nil {
		return err
	}
	dockerfile, err := os.ReadFile(filepath.Join(top, "Dockerfile"))
	if err != nil {
		return err
	}
	stage, err := release.ReadFinalStage(dockerfile)
	if err != nil {
		return err
	}
	epoch, err := sourceDateEpoch(ctx, o, source)
	if err != nil {
		return err
	}
	ca, err := os.ReadFile(o.caBundle)
	if err != nil {
		return fmt.Errorf("reading the CA bundle: %w", err)
	}
	if !bytes.Contains(ca, []byte("BEGIN CERTIFICATE")) {
		return fmt.Errorf("%s holds no PEM certificate", o.caBundle)
	}
	o.logf("releasing %s from %s (%s), source date %s", tag, source, top, epoch.Format(time.RFC3339))

	// 1. Binaries and checksums.
	if err := emptyDir(o.dist); err != nil {
		return err
	}
	res := result{Version: tag, Source: source, Platforms: map[string]string{}, LayerBytes: map[string]int64{}}
	var files []string
	linux := map[string][]byte{}
	for _, t := range targets {
		name := fmt.Sprintf("assume-role_%s_%s_%s", tag, t.goos, t.goarch)
		if t.goos == "windows" {
			name += ".exe"
		}
		out := filepath.Join(o.dist, name)
		tb := time.Now()
		env := []string{"CGO_ENABLED=0", "GOOS=" + t.goos, "GOARCH=" + t.goarch, "GOFLAGS=-mod=readonly"}
		if _, err := o.output(ctx, top, env, nil, "go", "build", "-trimpath",
			"-ldflags", "-s -w -X "+versionVar+"="+tag, "-o", out, "."); err != nil {
			return err
		}
		st, err := os.Stat(out)
		if err != nil {
			return err
		}
		o.logf("built %s (%d bytes) in %.1fs", name, st.Size(), time.Since(tb).Seconds())
		files = append(files, out)
		res.Binaries = append(res.Binaries, name)
		if t.goos == "linux" {
			if linux[t.goarch], err = os.ReadFile(out); err != nil {
				return err
			}
			if err := release.CheckStaticELF(linux[t.goarch], t.goarch); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	var sums bytes.Buffer
	if err := release.WriteChecksums(&sums, files); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.dist, "SHA256SUMS"), sums.Bytes(), 0o644); err != nil {
		return err
	}
	o.logf("wrote %s", filepath.Join(o.dist, "SHA256SUMS"))

	// 2. The image, pushed by digest.
	labels := map[string]string{}
	for k, v := range stage.Labels {
		labels[k] = v
	}
	labels["org.opencontainers.image.version"] = tag
	labels["org.opencontainers.image.revision"] = source
	var images []release.Image
	for _, arch := range imagePlatforms {
		images = append(images, release.Image{
			Platform: release.PlatformOf("linux", arch),
			Files: []release.File{
				{Path: "assume-role", Mode: 0o755, Data: linux[arch]},
				// The post stage's post-entrypoint: the binary under
				// another name (see main.go isCleanup).
				{Path: "cleanup", Mode: 0o777, Link: "/assume-role"},
				{Path: "etc/ssl/certs/ca-certificates.crt", Mode: 0o644, Data: ca},
			},
			Entrypoint: stage.Entrypoint,
			Labels:     labels,
		})
	}
	layout, err := os.MkdirTemp("", "assume-role-layout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(layout)
	built, err := release.Build(layout, images, epoch, map[string]string{
		"org.opencontainers.image.version":  tag,
		"org.opencontainers.image.revision": source,
		"org.opencontainers.image.source":   stage.Labels["org.opencontainers.image.source"],
		"org.opencontainers.image.created":  epoch.UTC().Format(time.RFC3339),
	})
	if err != nil {
		return err
	}
	if o.crane == "" {
		if o.crane, err = installCrane(ctx, o); err != nil {
			return err
		}
	}
	ref := o.registry + "@" + built.Index.Digest
	pushed, err := o.output(ctx, "", nil, nil, o.crane, "push", layout, ref)
	if err != nil {
		return err
	}
	if pushed != ref {
		return fmt.Errorf("crane pushed %q, want %q", pushed, ref)
	}
	res.Image, res.IndexDigest = ref, built.Index.Digest
	o.logf("pushed %s", ref)
	for i, m := range built.Manifests {
		res.Platforms[m.Platform.String()] = m.Digest
		res.LayerBytes[m.Platform.String()] = built.Layers[i].Size
		o.logf("  %s: %s, compressed layer %d bytes (%.2f MiB)", m.Platform, m.Digest, built.Layers[i].Size, float64(built.Layers[i].Size)/(1<<20))
	}

	// 3. Smoke tests, from the registry.
	if _, err := o.output(ctx, "", nil, nil, o.crane, "validate", "--remote", ref); err != nil {
		return fmt.Errorf("crane validate: %w", err)
	}
	for i, m := range built.Manifests {
		if err := o.smokePlatform(ctx, *m.Platform, o.registry+"@"+m.Digest, linux[imagePlatforms[i]], ca, stage.Entrypoint); err != nil {
			return fmt.Errorf("smoke test of %s: %w", m.Platform, err)
		}
	}
	if err := o.smokeRun(ctx, ref); err != nil {
		return fmt.Errorf("smoke test of linux/amd64: %w", err)
	}

	// 4. The release commit and its tag.
	pinned, err := release.PinImage(actionYML, ref)
	if err != nil {
		return err
	}
	imageLine, err := release.ImageLine(pinned)
	if err != nil {
		return err
	}
	commit, err := o.releaseCommit(ctx, source, pinned, imageLine)
	if err != nil {
		return err
	}
	res.Commit = commit
	o.logf("release commit %s, tagged %s, in %s (nothing pushed)", commit, tag, top)
	o.logf("done in %.1fs", time.Since(start).Seconds())
	fmt.Fprintln(o.stdout, imageLine)

	if o.summary != "" {
		data, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.summary, append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	if path := os.Getenv("GITHUB_OUTPUT"); path != "" {
		return filecmd.Append(filecmd.Output, path, []filecmd.Entry{
			{Name: "version", Value: tag}, {Name: "source", Value: source}, {Name: "commit", Value: commit},
			{Name: "image", Value: ref}, {Name: "digest", Value: built.Index.Digest},
		}, rand.Reader)
	}
	return nil
}

// smokePlatform checks one platform's image as the registry serves it: the
// config's platform and entrypoint, and the files of its layer.
func (o *options) smokePlatform(ctx context.Context, p release.Platform, ref string, binary, ca []byte, entrypoint []string) error {
	raw, err := o.output(ctx, "", nil, nil, o.crane, "config", ref)
	if err != nil {
		return err
	}
	var cfg struct {
		OS, Architecture, Variant string
		Config                    struct{ Entrypoint []string }
	}
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return fmt.Errorf("image config: %w", err)
	}
	if got := (release.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}); got != p {
		return fmt.Errorf("image config says platform %s", got)
	}
	if strings.Join(cfg.Config.Entrypoint, " ") != strings.Join(entrypoint, " ") {
		return fmt.Errorf("entrypoint is %q, want %q", cfg.Config.Entrypoint, entrypoint)
	}
	var tarball bytes.Buffer
	if err := o.exec(ctx, "", nil, nil, &tarball, o.crane, "export", ref, "-"); err != nil {
		return err
	}
	seen := map[string]bool{}
	tr := tar.NewReader(&tarball)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading the image's files: %w", err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		seen[name] = true
		switch name {
		case "assume-role":
			b, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			if err := release.CheckStaticELF(b, p.Architecture); err != nil {
				return fmt.Errorf("/assume-role: %w", err)
			}
			if !bytes.Equal(b, binary) || h.Mode&0o111 == 0 {
				return errors.New("/assume-role is not the built binary, executable")
			}
			if p.Architecture == "arm64" {
				if err := o.runArm64(ctx, b); err != nil {
					return err
				}
			}
		case "cleanup":
			if h.Typeflag != tar.TypeSymlink || h.Linkname != "/assume-role" {
				return fmt.Errorf("/cleanup is not a link to /assume-role (type %c, target %q)", h.Typeflag, h.Linkname)
			}
		case "etc/ssl/certs/ca-certificates.crt":
			b, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			if !bytes.Equal(b, ca) {
				return errors.New("the CA bundle differs from the one given")
			}
		}
	}
	for _, f := range []string{"assume-role", "cleanup", "etc/ssl/certs/ca-certificates.crt"} {
		if !seen[f] {
			return fmt.Errorf("/%s is missing", f)
		}
	}
	o.logf("smoke test %s: config platform and entrypoint %q, static %s ELF binary, /cleanup link, CA bundle: ok", p, entrypoint, p.Architecture)
	return nil
}

// runArm64 runs the arm64 binary's --help under qemu-aarch64-static, which
// emulates one process without binfmt or a container.
func (o *options) runArm64(ctx context.Context, binary []byte) error {
	qemu := o.qemu
	switch qemu {
	case "none":
		o.logf("smoke test linux/arm64: not run (-qemu-aarch64 none)")
		return nil
	case "auto":
		p, err := exec.LookPath("qemu-aarch64-static")
		if err != nil {
			o.logf("smoke test linux/arm64: not run: qemu-aarch64-static is not installed (Debian: qemu-user-static); header checks only")
			return nil
		}
		qemu = p
	}
	f, err := os.CreateTemp("", "assume-role-arm64-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(binary)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o755) // qemu-user refuses a file it could not exec
	}
	if err != nil {
		return err
	}
	out, err := o.combined(ctx, []string{"GITHUB_ACTIONS="}, qemu, f.Name(), "--help")
	if err != nil {
		return fmt.Errorf("the arm64 binary under %s: %w\n%s", qemu, err, out)
	}
	if !strings.Contains(out, "role-to-assume") {
		return fmt.Errorf("the arm64 binary's --help under qemu does not list role-to-assume:\n%s", out)
	}
	o.logf("smoke test linux/arm64: /assume-role --help ran under %s", qemu)
	return nil
}

// smokeRun starts the amd64 image from the registry with docker, as the
// runner starts a container action's stages: the main entrypoint as a CLI
// (--help), and the post stage (/cleanup) with a GITHUB_ENV file mounted,
// which must blank the exported variables.
func (o *options) smokeRun(ctx context.Context, ref string) error {
	out, err := o.combined(ctx, nil, o.docker, "run", "--rm", "--pull", "always", "--platform", "linux/amd64", "--network", "none", ref, "--help")
	if err != nil {
		return fmt.Errorf("%w\n%s", err, out)
	}
	if !strings.Contains(out, "role-to-assume") {
		return fmt.Errorf("--help does not list role-to-assume:\n%s", out)
	}
	dir, err := os.MkdirTemp("", "assume-role-smoke-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	envFile := filepath.Join(dir, "set_env")
	if err := os.WriteFile(envFile, nil, 0o666); err != nil {
		return err
	}
	if out, err := o.combined(ctx, nil, o.docker, "run", "--rm", "--platform", "linux/amd64", "--network", "none",
		"--entrypoint", "/cleanup", "-e", "GITHUB_ACTIONS=true", "-e", "GITHUB_ENV=/github/file_commands/set_env",
		"-v", dir+":/github/file_commands", ref); err != nil {
		return fmt.Errorf("%w\n%s", err, out)
	}
	data, err := os.ReadFile(envFile)
	if err != nil {
		return err
	}
	entries, err := filecmd.Parse(data)
	if err != nil {
		return fmt.Errorf("the post stage's GITHUB_ENV: %w", err)
	}
	blanked := false
	for _, e := range entries {
		if e.Name == "AWS_SECRET_ACCESS_KEY" && e.Value == "" {
			blanked = true
		}
	}
	if !blanked {
		return fmt.Errorf("the post stage did not blank AWS_SECRET_ACCESS_KEY; GITHUB_ENV:\n%s", data)
	}
	o.logf("smoke test linux/amd64: docker run --help and the /cleanup post stage: ok")
	return nil
}

// releaseCommit writes the release commit (HEAD with the pinned
// action.yml) and its annotated tag without touching the work tree or the
// index, and returns the commit.
func (o *options) releaseCommit(ctx context.Context, source string, actionYML []byte, imageLine string) (string, error) {
	idx, err := os.CreateTemp("", "assume-role-index-")
	if err != nil {
		return "", err
	}
	idx.Close()
	defer os.Remove(idx.Name())
	env := append([]string{"GIT_INDEX_FILE=" + idx.Name()}, o.gitEnv...)
	git := func(stdin []byte, args ...string) (string, error) {
		return o.output(ctx, o.gitDir, env, stdin, "git", args...)
	}
	mode, err := git(nil, "ls-tree", "--format=%(objectmode)", source, "action.yml")
	if err != nil {
		return "", err
	}
	blob, err := git(actionYML, "hash-object", "-w", "--stdin")
	if err != nil {
		return "", err
	}
	if _, err := git(nil, "read-tree", source); err != nil {
		return "", err
	}
	if _, err := git(nil, "update-index", "--cacheinfo", mode+","+blob+",action.yml"); err != nil {
		return "", err
	}
	tree, err := git(nil, "write-tree")
	if err != nil {
		return "", err
	}
	tag := o.version.String()
	msg := fmt.Sprintf("Release %s\n\naction.yml runs the prebuilt image of %s:\n%s\n", tag, source, imageLine)
	commit, err := git([]byte(msg), "commit-tree", tree, "-p", source)
	if err != nil {
		return "", err
	}
	if _, err := git([]byte("assume-role "+tag+"\n\n"+imageLine+"\n"), "tag", "-a", "-F", "-", tag, commit); err != nil {
		return "", err
	}
	return commit, nil
}

// sourceDateEpoch is SOURCE_DATE_EPOCH, or the source commit's time: every
// timestamp in the image, so that a rebuild gives the same digests.
func sourceDateEpoch(ctx context.Context, o *options, source string) (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		var err error
		if s, err = o.output(ctx, o.gitDir, nil, nil, "git", "log", "-1", "--format=%ct", source); err != nil {
			return time.Time{}, err
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q is not a number of seconds", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// installCrane installs the pinned crane into the user cache, once per
// version, and returns its path.
func installCrane(ctx context.Context, o *options) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	_, ver, _ := strings.Cut(Crane, "@")
	bin := filepath.Join(cache, "assume-role", "crane-"+ver+"-"+runtime.GOOS+"-"+runtime.GOARCH)
	path := filepath.Join(bin, "crane")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	o.logf("installing %s into %s", Crane, bin)
	if _, err := o.output(ctx, "", []string{"GOBIN=" + bin, "GOFLAGS=-mod=mod", "CGO_ENABLED=0"}, nil, "go", "install", Crane); err != nil {
		return "", err
	}
	return path, nil
}

// emptyDir creates dir, which must not exist or be empty.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dir, 0o755)
	case err != nil:
		return err
	case len(entries) > 0:
		return fmt.Errorf("-dist %s is not empty", dir)
	}
	return nil
}

// output runs a command and returns its trimmed stdout; stderr goes to
// o.stderr, and a failure names the command.
func (o *options) output(ctx context.Context, dir string, env []string, stdin []byte, name string, args ...string) (string, error) {
	var out bytes.Buffer
	err := o.exec(ctx, dir, env, stdin, &out, name, args...)
	return strings.TrimSpace(out.String()), err
}

// combined runs a command and returns its stdout and stderr together.
func (o *options) combined(ctx context.Context, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		err = fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return string(out), err
}

func (o *options) exec(ctx context.Context, dir string, env []string, stdin []byte, stdout io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	cmd.Stdout = stdout
	cmd.Stderr = o.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}
