package release

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Version
		ok   bool
	}{
		{"v1.2.3", Version{1, 2, 3, ""}, true},
		{"v0.0.0", Version{0, 0, 0, ""}, true},
		{"v10.20.30-rc.1", Version{10, 20, 30, "rc.1"}, true},
		{"v1.2.3-beta", Version{1, 2, 3, "beta"}, true},
		{"1.2.3", Version{}, false},
		{"v1.2", Version{}, false},
		{"v01.2.3", Version{}, false},
		{"v1.2.3+build", Version{}, false},
		{"v1.2.3-", Version{}, false},
		{"v1.2.3-rc..1", Version{}, false},
		{"v1.2.3\n", Version{}, false},
		{"", Version{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseVersion(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseVersion(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if !tc.ok {
				return
			}
			if got != tc.want || got.String() != tc.in {
				t.Errorf("ParseVersion(%q) = %+v (%s), want %+v", tc.in, got, got, tc.want)
			}
		})
	}
}

// The repository's own Dockerfile is what the release image copies.
func TestReadFinalStageOfTheDockerfile(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	st, err := ReadFinalStage(data)
	if err != nil {
		t.Fatalf("ReadFinalStage(Dockerfile): %v", err)
	}
	if strings.Join(st.Entrypoint, " ") != "/assume-role" {
		t.Errorf("Entrypoint = %q, want [/assume-role]", st.Entrypoint)
	}
	if got := st.Labels["org.opencontainers.image.source"]; got != "https://github.com/assume-role/assume-role" {
		t.Errorf("source label = %q", got)
	}
	if got := st.Labels["org.opencontainers.image.licenses"]; got != "Apache-2.0" {
		t.Errorf("licenses label = %q", got)
	}
	if !strings.Contains(st.Labels["org.opencontainers.image.description"], "every secret masked") {
		t.Errorf("description label = %q", st.Labels["org.opencontainers.image.description"])
	}
}

func TestReadFinalStageRefusesAnotherShape(t *testing.T) {
	t.Parallel()
	const base = "FROM golang AS build\nRUN go build\n\nFROM scratch\nLABEL a=\"b c\" \\\n      d=e\nCOPY x /x\nCOPY y /\n"
	tests := map[string]string{
		"USER":            base + "USER nobody\nENTRYPOINT [\"/assume-role\"]\n",
		"RUN":             base + "RUN true\nENTRYPOINT [\"/assume-role\"]\n",
		"shell form":      base + "ENTRYPOINT /assume-role\n",
		"no entrypoint":   base,
		"not scratch":     "FROM alpine\nCOPY x /x\nCOPY y /\nENTRYPOINT [\"/assume-role\"]\n",
		"a third COPY":    base + "COPY z /z\nENTRYPOINT [\"/assume-role\"]\n",
		"bad LABEL quote": "FROM scratch\nLABEL a=\"b\nCOPY x /x\nCOPY y /\nENTRYPOINT [\"/assume-role\"]\n",
	}
	for name, df := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if st, err := ReadFinalStage([]byte(df)); err == nil {
				t.Errorf("ReadFinalStage accepted it: %+v", st)
			}
		})
	}
	st, err := ReadFinalStage([]byte(base + "ENTRYPOINT [\"/assume-role\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Labels["a"] != "b c" || st.Labels["d"] != "e" {
		t.Errorf("labels = %q", st.Labels)
	}
	if _, err := ReadFinalStage([]byte(base + "USER x\n")); !errors.Is(err, ErrStageChanged) {
		t.Errorf("error %v does not wrap ErrStageChanged", err)
	}
}

func TestPinImage(t *testing.T) {
	t.Parallel()
	orig, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	const ref = "ghcr.io/assume-role/assume-role@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	got, err := PinImage(orig, ref)
	if err != nil {
		t.Fatalf("PinImage(action.yml): %v", err)
	}
	want := bytes.Replace(orig, []byte("  image: Dockerfile\n"), []byte("  image: docker://"+ref+"\n"), 1)
	if !bytes.Equal(got, want) {
		t.Errorf("PinImage changed more than the image line:\n%s", got)
	}
	line, err := ImageLine(got)
	if err != nil || line != "image: docker://"+ref {
		t.Errorf("ImageLine = %q, %v", line, err)
	}
	if line, err := ImageLine(orig); err != nil || line != "image: Dockerfile" {
		t.Errorf("ImageLine(main's action.yml) = %q, %v", line, err)
	}

	// The image line last, as in a short action.yml: its newline stays.
	if got, err := PinImage([]byte("runs:\n  image: Dockerfile\n"), ref); err != nil || string(got) != "runs:\n  image: docker://"+ref+"\n" {
		t.Errorf("PinImage of a last line = %q, %v", got, err)
	}

	for name, tc := range map[string]struct{ yml, ref string }{
		"tag, not digest": {"runs:\n  image: Dockerfile\n", "ghcr.io/a/b:v1"},
		"already pinned":  {"runs:\n  image: docker://x@sha256:00\n", ref},
		"two images":      {"runs:\n  image: Dockerfile\nx:\n  image: Dockerfile\n", ref},
	} {
		if _, err := PinImage([]byte(tc.yml), tc.ref); err == nil {
			t.Errorf("%s: PinImage succeeded", name)
		}
	}
}

func TestWriteChecksums(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := filepath.Join(dir, "b.exe")
	a := filepath.Join(dir, "a")
	if err := os.WriteFile(a, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteChecksums(&buf, []string{b, a}); err != nil {
		t.Fatal(err)
	}
	// sha256sum's output for the same files.
	want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a\n" +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  b.exe\n"
	if buf.String() != want {
		t.Errorf("SHA256SUMS =\n%s\nwant\n%s", buf.String(), want)
	}
	if err := WriteChecksums(&buf, []string{filepath.Join(dir, "missing")}); err == nil {
		t.Error("a missing file gave no error")
	}
}

func TestCheckStaticELF(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		elf    []byte
		goarch string
		ok     bool
	}{
		{"static arm64", fakeELF(elf.EM_AARCH64, false), "arm64", true},
		{"static amd64", fakeELF(elf.EM_X86_64, false), "amd64", true},
		{"wrong machine", fakeELF(elf.EM_X86_64, false), "arm64", false},
		{"dynamic", fakeELF(elf.EM_AARCH64, true), "arm64", false},
		{"not ELF", []byte("#!/bin/sh\necho hi\n"), "amd64", false},
		{"unknown arch", fakeELF(elf.EM_386, false), "386", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := CheckStaticELF(tc.elf, tc.goarch); (err == nil) != tc.ok {
				t.Errorf("CheckStaticELF = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// fakeELF is a minimal 64-bit little-endian ELF executable header for
// machine, with one program header: PT_INTERP if dynamic, else PT_LOAD.
func fakeELF(machine elf.Machine, dynamic bool) []byte {
	var b bytes.Buffer
	ident := [16]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)}
	b.Write(ident[:])
	le := binary.LittleEndian
	hdr := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT),
		Phoff: 64, Ehsize: 64, Phentsize: 56, Phnum: 1, Shentsize: 64,
	}
	_ = binary.Write(&b, le, struct {
		Type, Machine           uint16
		Version                 uint32
		Entry, Phoff, Shoff     uint64
		Flags                   uint32
		Ehsize, Phentsize       uint16
		Phnum, Shentsize, Shnum uint16
		Shstrndx                uint16
	}{hdr.Type, hdr.Machine, hdr.Version, 0, hdr.Phoff, 0, 0, hdr.Ehsize, hdr.Phentsize, hdr.Phnum, hdr.Shentsize, 0, 0})
	typ := elf.PT_LOAD
	if dynamic {
		typ = elf.PT_INTERP
	}
	_ = binary.Write(&b, le, elf.Prog64{Type: uint32(typ)})
	return b.Bytes()
}
