package release

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// OCI media types (image-spec v1.1).
const (
	MediaTypeIndex    = "application/vnd.oci.image.index.v1+json"
	MediaTypeManifest = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeConfig   = "application/vnd.oci.image.config.v1+json"
	MediaTypeLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// Platform is an image's os/arch, as in an index entry and an image config.
type Platform struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant,omitempty"`
}

// PlatformOf is the platform of GOOS/GOARCH, with the variant that Docker
// and the golang images record for arm64.
func PlatformOf(goos, goarch string) Platform {
	p := Platform{OS: goos, Architecture: goarch}
	if goarch == "arm64" {
		p.Variant = "v8"
	}
	return p
}

func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// File is one entry of the image's single layer. A File with Link set is a
// symbolic link to Link; otherwise it is a regular file with Data.
type File struct {
	Path string // relative, slash-separated, such as etc/ssl/certs/ca-certificates.crt
	Mode int64
	Data []byte
	Link string
}

// Image is one platform's image: one layer and the config of the Dockerfile's
// final stage.
type Image struct {
	Platform   Platform
	Files      []File
	Entrypoint []string
	Labels     map[string]string
}

// Descriptor points at a blob by digest.
type Descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Platform    *Platform         `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Built is what Build wrote.
type Built struct {
	Index     Descriptor   // the multi-platform index
	Manifests []Descriptor // one per image, in the order given, each with its platform
	Layers    []Descriptor // the compressed layer of each image, same order
}

// Build writes images as one multi-platform OCI index into an OCI image
// layout at dir (image-spec image-layout.md), whose index.json names only
// that index, so that `crane push DIR REPO@<index digest>` pushes the index
// and its images by digest, without a tag.
//
// The result depends only on its inputs: every timestamp is created, owners
// are root, and entries are sorted, so the same binaries give the same
// digests on every machine.
func Build(dir string, images []Image, created time.Time, annotations map[string]string) (Built, error) {
	var out Built
	if len(images) == 0 {
		return out, fmt.Errorf("no images to build")
	}
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return out, err
	}
	put := func(mediaType string, data []byte) (Descriptor, error) {
		sum := sha256.Sum256(data)
		h := hex.EncodeToString(sum[:])
		if err := os.WriteFile(filepath.Join(blobs, h), data, 0o644); err != nil {
			return Descriptor{}, err
		}
		return Descriptor{MediaType: mediaType, Digest: "sha256:" + h, Size: int64(len(data))}, nil
	}
	created = created.UTC()

	var index struct {
		SchemaVersion int               `json:"schemaVersion"`
		MediaType     string            `json:"mediaType"`
		Manifests     []Descriptor      `json:"manifests"`
		Annotations   map[string]string `json:"annotations,omitempty"`
	}
	index.SchemaVersion = 2
	index.MediaType = MediaTypeIndex
	index.Annotations = annotations
	for _, img := range images {
		tarball, err := layerTar(img.Files, created)
		if err != nil {
			return out, fmt.Errorf("layer of %s: %w", img.Platform, err)
		}
		diffID := sha256.Sum256(tarball)
		gz, err := gzipped(tarball)
		if err != nil {
			return out, err
		}
		layer, err := put(MediaTypeLayer, gz)
		if err != nil {
			return out, err
		}
		config, err := json.Marshal(imageConfig(img, created, "sha256:"+hex.EncodeToString(diffID[:])))
		if err != nil {
			return out, err
		}
		cfg, err := put(MediaTypeConfig, config)
		if err != nil {
			return out, err
		}
		manifest, err := json.Marshal(struct {
			SchemaVersion int          `json:"schemaVersion"`
			MediaType     string       `json:"mediaType"`
			Config        Descriptor   `json:"config"`
			Layers        []Descriptor `json:"layers"`
		}{2, MediaTypeManifest, cfg, []Descriptor{layer}})
		if err != nil {
			return out, err
		}
		m, err := put(MediaTypeManifest, manifest)
		if err != nil {
			return out, err
		}
		p := img.Platform
		m.Platform = &p
		index.Manifests = append(index.Manifests, m)
		out.Layers = append(out.Layers, layer)
	}
	data, err := json.Marshal(index)
	if err != nil {
		return out, err
	}
	idx, err := put(MediaTypeIndex, data)
	if err != nil {
		return out, err
	}
	layoutIndex, err := json.Marshal(struct {
		SchemaVersion int          `json:"schemaVersion"`
		MediaType     string       `json:"mediaType"`
		Manifests     []Descriptor `json:"manifests"`
	}{2, MediaTypeIndex, []Descriptor{idx}})
	if err != nil {
		return out, err
	}
	if err := os.WriteFile(filepath.Join(dir, "index.json"), layoutIndex, 0o644); err != nil {
		return out, err
	}
	if err := os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		return out, err
	}
	out.Index = idx
	out.Manifests = index.Manifests
	return out, nil
}

// imageConfig is the image config (image-spec config.md) of img.
func imageConfig(img Image, created time.Time, diffID string) any {
	type history struct {
		Created   time.Time `json:"created"`
		CreatedBy string    `json:"created_by"`
	}
	type config struct {
		Entrypoint []string          `json:"Entrypoint,omitempty"`
		Labels     map[string]string `json:"Labels,omitempty"`
	}
	return struct {
		Created      time.Time `json:"created"`
		Architecture string    `json:"architecture"`
		Variant      string    `json:"variant,omitempty"`
		OS           string    `json:"os"`
		Config       config    `json:"config"`
		RootFS       struct {
			Type    string   `json:"type"`
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
		History []history `json:"history"`
	}{
		Created:      created,
		Architecture: img.Platform.Architecture,
		Variant:      img.Platform.Variant,
		OS:           img.Platform.OS,
		Config:       config{Entrypoint: img.Entrypoint, Labels: img.Labels},
		RootFS: struct {
			Type    string   `json:"type"`
			DiffIDs []string `json:"diff_ids"`
		}{"layers", []string{diffID}},
		History: []history{{created, "assume-role release: static binary, /cleanup link and CA bundle"}},
	}
}

// layerTar is the uncompressed layer: files sorted by path, each parent
// directory before its children, owned by root, all dated mtime.
func layerTar(files []File, mtime time.Time) ([]byte, error) {
	files = append([]File(nil), files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for _, f := range files {
		if f.Path == "" || f.Path[0] == '/' || filepath.Clean(f.Path) != f.Path || f.Path == ".." || strings.HasPrefix(f.Path, "../") {
			return nil, fmt.Errorf("file path %q is not clean and relative", f.Path)
		}
		var parents []string
		for d := filepath.Dir(f.Path); d != "."; d = filepath.Dir(d) {
			parents = append([]string{d}, parents...)
		}
		for _, d := range parents {
			if dirs[d] {
				continue
			}
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX}); err != nil {
				return nil, err
			}
		}
		h := &tar.Header{Name: f.Path, Mode: f.Mode, ModTime: mtime, Format: tar.FormatPAX}
		if f.Link != "" {
			h.Typeflag, h.Linkname = tar.TypeSymlink, f.Link
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.Data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// gzipped compresses b with no name and no timestamp in the header.
func gzipped(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
