package release

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testImages() []Image {
	files := func(bin string) []File {
		return []File{
			{Path: "etc/ssl/certs/ca-certificates.crt", Mode: 0o644, Data: []byte("-----BEGIN CERTIFICATE-----\n")},
			{Path: "cleanup", Mode: 0o777, Link: "/assume-role"},
			{Path: "assume-role", Mode: 0o755, Data: []byte(bin)},
		}
	}
	labels := map[string]string{"org.opencontainers.image.version": "v1.2.3"}
	return []Image{
		{Platform: PlatformOf("linux", "amd64"), Files: files("amd64 binary"), Entrypoint: []string{"/assume-role"}, Labels: labels},
		{Platform: PlatformOf("linux", "arm64"), Files: files("arm64 binary"), Entrypoint: []string{"/assume-role"}, Labels: labels},
	}
}

// readBlob reads a blob of the layout and checks that its name is its digest.
func readBlob(t *testing.T, dir string, d Descriptor) []byte {
	t.Helper()
	hexDigest, ok := strings.CutPrefix(d.Digest, "sha256:")
	if !ok {
		t.Fatalf("digest %q is not sha256", d.Digest)
	}
	b, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", hexDigest))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != hexDigest || int64(len(b)) != d.Size {
		t.Fatalf("blob %s: content digest or size (%d) does not match its descriptor", d.Digest, len(b))
	}
	return b
}

func TestBuildWritesAnOCILayoutWithOneIndex(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	created := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
	built, err := Build(dir, testImages(), created, map[string]string{"org.opencontainers.image.version": "v1.2.3"})
	if err != nil {
		t.Fatal(err)
	}

	var layout struct{ Manifests []Descriptor }
	raw, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &layout); err != nil {
		t.Fatal(err)
	}
	if len(layout.Manifests) != 1 || layout.Manifests[0].Digest != built.Index.Digest || layout.Manifests[0].MediaType != MediaTypeIndex {
		t.Fatalf("layout index.json = %s, want one entry: the index %s", raw, built.Index.Digest)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "oci-layout")); string(b) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout = %s", b)
	}

	var index struct {
		MediaType   string
		Manifests   []Descriptor
		Annotations map[string]string
	}
	if err := json.Unmarshal(readBlob(t, dir, built.Index), &index); err != nil {
		t.Fatal(err)
	}
	if index.MediaType != MediaTypeIndex || len(index.Manifests) != 2 || index.Annotations["org.opencontainers.image.version"] != "v1.2.3" {
		t.Fatalf("index = %+v", index)
	}
	for i, want := range []Platform{{"linux", "amd64", ""}, {"linux", "arm64", "v8"}} {
		m := index.Manifests[i]
		if m.Platform == nil || *m.Platform != want || m.MediaType != MediaTypeManifest {
			t.Errorf("index entry %d = %+v, want an image manifest for %s", i, m, want)
			continue
		}
		var manifest struct {
			MediaType string
			Config    Descriptor
			Layers    []Descriptor
		}
		if err := json.Unmarshal(readBlob(t, dir, m), &manifest); err != nil {
			t.Fatal(err)
		}
		if manifest.MediaType != MediaTypeManifest || manifest.Config.MediaType != MediaTypeConfig ||
			len(manifest.Layers) != 1 || manifest.Layers[0].MediaType != MediaTypeLayer {
			t.Fatalf("manifest = %+v", manifest)
		}
		var config struct {
			Created      time.Time
			Architecture string
			Variant      string
			OS           string
			Config       struct {
				Entrypoint []string
				Labels     map[string]string
			}
			RootFS struct {
				DiffIDs []string `json:"diff_ids"`
			}
		}
		if err := json.Unmarshal(readBlob(t, dir, manifest.Config), &config); err != nil {
			t.Fatal(err)
		}
		if config.OS != want.OS || config.Architecture != want.Architecture || config.Variant != want.Variant ||
			!config.Created.Equal(created) || strings.Join(config.Config.Entrypoint, " ") != "/assume-role" ||
			config.Config.Labels["org.opencontainers.image.version"] != "v1.2.3" {
			t.Errorf("config of %s = %+v", want, config)
		}

		zr, err := gzip.NewReader(bytes.NewReader(readBlob(t, dir, manifest.Layers[0])))
		if err != nil {
			t.Fatal(err)
		}
		layer, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(layer); len(config.RootFS.DiffIDs) != 1 || config.RootFS.DiffIDs[0] != "sha256:"+hex.EncodeToString(sum[:]) {
			t.Errorf("diff_ids %q do not name the uncompressed layer", config.RootFS.DiffIDs)
		}
		var entries []string
		tr := tar.NewReader(bytes.NewReader(layer))
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Uid != 0 || h.Gid != 0 || !h.ModTime.Equal(created) {
				t.Errorf("%s: owner %d:%d, mtime %v", h.Name, h.Uid, h.Gid, h.ModTime)
			}
			e := h.Name + " " + string(h.Typeflag) + " " + h.FileInfo().Mode().Perm().String()
			if h.Linkname != "" {
				e += " -> " + h.Linkname
			}
			if h.Name == "assume-role" {
				b, _ := io.ReadAll(tr)
				e += " " + string(b)
			}
			entries = append(entries, e)
		}
		wantEntries := []string{
			"assume-role 0 -rwxr-xr-x " + want.Architecture + " binary",
			"cleanup 2 -rwxrwxrwx -> /assume-role",
			"etc/ 5 -rwxr-xr-x",
			"etc/ssl/ 5 -rwxr-xr-x",
			"etc/ssl/certs/ 5 -rwxr-xr-x",
			"etc/ssl/certs/ca-certificates.crt 0 -rw-r--r--",
		}
		if strings.Join(entries, "\n") != strings.Join(wantEntries, "\n") {
			t.Errorf("layer of %s:\n%s\nwant\n%s", want, strings.Join(entries, "\n"), strings.Join(wantEntries, "\n"))
		}
	}
}

// The same inputs give the same digests, wherever and whenever they are
// built: what makes a release reproducible.
func TestBuildIsReproducible(t *testing.T) {
	t.Parallel()
	created := time.Unix(1764651600, 0)
	a, err := Build(t.TempDir(), testImages(), created, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(t.TempDir(), testImages(), created.In(time.FixedZone("x", 3600)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Index.Digest != b.Index.Digest {
		t.Errorf("two builds of the same images: index %s and %s", a.Index.Digest, b.Index.Digest)
	}
	other := testImages()
	other[1].Files[2].Data = []byte("another arm64 binary")
	c, err := Build(t.TempDir(), other, created, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Index.Digest == a.Index.Digest || c.Manifests[0].Digest != a.Manifests[0].Digest {
		t.Errorf("changing the arm64 binary: index %s -> %s, amd64 %s -> %s; want a new index and the same amd64 image",
			a.Index.Digest, c.Index.Digest, a.Manifests[0].Digest, c.Manifests[0].Digest)
	}
}

func TestBuildRefusesUncleanPaths(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"/assume-role", "../x", "a//b", ""} {
		imgs := testImages()[:1]
		imgs[0].Files = []File{{Path: p, Mode: 0o644}}
		if _, err := Build(t.TempDir(), imgs, time.Unix(0, 0), nil); err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
}
