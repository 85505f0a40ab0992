// Package release holds the pieces of a release of assume-role that are
// worth testing on their own: the version's syntax, the image's final stage
// read from the Dockerfile, the OCI image layout that is pushed, the
// action.yml of the release commit, SHA256SUMS, and the checks on a
// binary's ELF header. internal/cmd/release puts them together.
package release

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Version is a parsed release version vMAJOR.MINOR.PATCH[-PRERELEASE].
type Version struct {
	Major, Minor, Patch int
	Prerelease          string // without the dash; empty for a stable release
}

var versionRE = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*))?$`)

// ParseVersion accepts the release versions Go modules and the action's
// moving tags can use: vX.Y.Z, or vX.Y.Z-PRERELEASE (dot-separated
// alphanumerics, such as rc.1). Build metadata (+...) is refused: Go
// module versions drop it.
func ParseVersion(s string) (Version, error) {
	m := versionRE.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("version %q is not vMAJOR.MINOR.PATCH or vMAJOR.MINOR.PATCH-PRERELEASE, such as v1.2.3 or v1.3.0-rc.1", s)
	}
	var v Version
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	v.Patch, _ = strconv.Atoi(m[3])
	v.Prerelease = m[4]
	return v, nil
}

func (v Version) String() string {
	s := fmt.Sprintf("v%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Prerelease != "" {
		s += "-" + v.Prerelease
	}
	return s
}

// FinalStage is what the release image takes from the Dockerfile's last
// stage, so that the prebuilt image and `image: Dockerfile` cannot drift
// apart unnoticed.
type FinalStage struct {
	Labels     map[string]string
	Entrypoint []string
}

// ErrStageChanged is wrapped by ReadFinalStage when the Dockerfile's final
// stage is no longer the shape the release assembles: FROM scratch, LABEL,
// COPY of the CA bundle and of the binary with its /cleanup link, and an
// exec-form ENTRYPOINT.
var ErrStageChanged = errors.New("the Dockerfile's final stage changed: update internal/release and internal/cmd/release to build the same image")

// ReadFinalStage parses the last stage of a Dockerfile (from FROM scratch
// to the end). It understands what that stage uses: comments, line
// continuations, LABEL with quoted values, and JSON ENTRYPOINT.
func ReadFinalStage(dockerfile []byte) (FinalStage, error) {
	instrs, err := instructions(dockerfile)
	if err != nil {
		return FinalStage{}, err
	}
	last := -1
	for i, in := range instrs {
		if in.cmd == "FROM" {
			last = i
		}
	}
	if last < 0 || instrs[last].args != "scratch" {
		return FinalStage{}, fmt.Errorf("%w: it does not start with FROM scratch", ErrStageChanged)
	}
	st := FinalStage{Labels: map[string]string{}}
	copies := 0
	for _, in := range instrs[last+1:] {
		switch in.cmd {
		case "LABEL":
			kv, err := labelPairs(in.args)
			if err != nil {
				return FinalStage{}, fmt.Errorf("LABEL: %w", err)
			}
			for k, v := range kv {
				st.Labels[k] = v
			}
		case "COPY":
			copies++
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(in.args), &st.Entrypoint); err != nil || len(st.Entrypoint) == 0 {
				return FinalStage{}, fmt.Errorf("%w: ENTRYPOINT %s is not exec form", ErrStageChanged, in.args)
			}
		default:
			return FinalStage{}, fmt.Errorf("%w: it has %s", ErrStageChanged, in.cmd)
		}
	}
	if copies != 2 || len(st.Entrypoint) == 0 {
		return FinalStage{}, fmt.Errorf("%w: want two COPY (CA bundle, binary and link) and an ENTRYPOINT", ErrStageChanged)
	}
	return st, nil
}

type instruction struct{ cmd, args string }

func instructions(dockerfile []byte) ([]instruction, error) {
	var out []instruction
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(dockerfile))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(line)
		full := strings.TrimSpace(cur.String())
		cur.Reset()
		if full == "" {
			continue
		}
		cmd, args, _ := strings.Cut(full, " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
	}
	if cur.Len() > 0 {
		return nil, errors.New("dockerfile ends in a line continuation")
	}
	return out, sc.Err()
}

// labelPairs parses LABEL's key="value" pairs (keys unquoted, values
// double-quoted with \" and \\ escapes, or bare words).
func labelPairs(s string) (map[string]string, error) {
	kv := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		k, rest, ok := strings.Cut(s, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t\"") {
			return nil, fmt.Errorf("want key=value at %q", s)
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				b.WriteByte(rest[i])
			}
			if i >= len(rest) {
				return nil, fmt.Errorf("unterminated value of %s", k)
			}
			v, s = b.String(), rest[i+1:]
		} else {
			v, s, _ = strings.Cut(rest, " ")
		}
		kv[k] = v
	}
	return kv, nil
}

// imageLine matches action.yml's runs.image line on main.
var imageLine = regexp.MustCompile(`(?m)^([ \t]+image:[ \t]*)Dockerfile[ \t]*$`)

// PinImage returns action.yml with its `image: Dockerfile` replaced by
// `image: docker://<ref>`, ref being repository@sha256:digest. Everything
// else, comments included, is kept byte for byte. It fails unless there is
// exactly one such line.
func PinImage(actionYML []byte, ref string) ([]byte, error) {
	if !strings.Contains(ref, "@sha256:") {
		return nil, fmt.Errorf("image reference %q is not pinned by digest", ref)
	}
	if n := len(imageLine.FindAllIndex(actionYML, -1)); n != 1 {
		return nil, fmt.Errorf("action.yml has %d lines `image: Dockerfile`, want exactly one", n)
	}
	return imageLine.ReplaceAll(actionYML, []byte("${1}docker://"+ref)), nil
}

// ImageLine returns the runs.image line of action.yml, trimmed, such as
// "image: docker://ghcr.io/assume-role/assume-role@sha256:...".
func ImageLine(actionYML []byte) (string, error) {
	m := regexp.MustCompile(`(?m)^[ \t]+(image:.*?)[ \t]*$`).FindAllSubmatch(actionYML, -1)
	if len(m) != 1 {
		return "", fmt.Errorf("action.yml has %d image: lines, want one", len(m))
	}
	return string(m[0][1]), nil
}

// WriteChecksums writes SHA256SUMS for files (paths) in the format
// `sha256sum -c` reads: the hex digest, two spaces, the base name; sorted
// by name.
func WriteChecksums(w io.Writer, files []string) error {
	type sum struct{ name, hex string }
	var sums []sum
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("hashing %s: %w", path, err)
		}
		name := path[strings.LastIndexAny(path, `/\`)+1:]
		sums = append(sums, sum{name, hex.EncodeToString(h.Sum(nil))})
	}
	sort.Slice(sums, func(i, j int) bool { return sums[i].name < sums[j].name })
	for _, s := range sums {
		if _, err := fmt.Fprintf(w, "%s  %s\n", s.hex, s.name); err != nil {
			return err
		}
	}
	return nil
}

// CheckStaticELF checks that b is a statically linked Linux ELF executable
// for goarch (amd64 or arm64): what a FROM scratch image can run.
func CheckStaticELF(b []byte, goarch string) error {
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[goarch]
	if want == elf.EM_NONE {
		return fmt.Errorf("no ELF machine known for %s", goarch)
	}
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("not an ELF file: %w", err)
	}
	defer f.Close()
	if f.Machine != want {
		return fmt.Errorf("ELF machine is %v, want %v for %s", f.Machine, want, goarch)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("ELF type is %v, want an executable", f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("dynamically linked (it has an ELF interpreter); build with CGO_ENABLED=0")
		}
	}
	return nil
}
