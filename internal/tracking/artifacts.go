package tracking

import (
	"context"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/modelry/modelry/internal/registry"
)

// Entry is one child of an artifact folder.
type Entry struct {
	Name  string
	IsDir bool
	Size  int64
}

// CleanPath checks an artifact path: relative, slash-separated, no "." or
// ".." segments, no NUL or backslash.
func CleanPath(p string) (string, error) {
	p = strings.Trim(p, "/")
	if strings.ContainsAny(p, "\x00\\") {
		return "", registry.E(registry.KindInvalid, "Invalid path")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." || (seg == "" && p != "") {
			return "", registry.E(registry.KindInvalid, "Invalid path")
		}
	}
	return p, nil
}

// PutArtifact stores size bytes from r at path: the bytes go to the
// content-addressed blob store (deduplicated), the path to the index. The
// index entry commits through the blob guard, so a garbage collection
// running meanwhile cannot delete the blob it points at.
func (s *Service) PutArtifact(ctx context.Context, p string, size int64, r io.Reader) error {
	if _, err := need(ctx, registry.RoleWriter); err != nil {
		return err
	}
	p, err := CleanPath(p)
	if err != nil || p == "" {
		return registry.E(registry.KindInvalid, "Invalid path")
	}
	digest, err := s.blobs.Ingest(ctx, size, r)
	if err != nil {
		return err
	}
	return s.guard.ReferenceBlobs(ctx, []string{digest}, func() error {
		return s.store.PutArtifact(ctx, Artifact{Path: p, Digest: digest, Size: size})
	})
}

// OpenArtifact opens the file stored at path.
func (s *Service) OpenArtifact(ctx context.Context, p string) (io.ReadSeekCloser, Artifact, error) {
	if _, err := need(ctx, registry.RoleReader); err != nil {
		return nil, Artifact{}, err
	}
	a, err := s.store.GetArtifact(ctx, p)
	if err != nil {
		return nil, Artifact{}, err
	}
	rc, _, err := s.blobs.Open(ctx, a.Digest)
	return rc, a, err
}

// ListArtifacts lists the direct children of a folder: files with sizes and
// sub-folders. A missing folder, or a file, lists nothing.
func (s *Service) ListArtifacts(ctx context.Context, dir string) ([]Entry, error) {
	all, err := s.ArtifactsUnder(ctx, dir)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []Entry
	for _, a := range all {
		rel := strings.TrimPrefix(a.Path, dir+"/")
		if dir == "" {
			rel = a.Path
		}
		name, _, isDir := strings.Cut(rel, "/")
		if seen[name] {
			continue
		}
		seen[name] = true
		e := Entry{Name: name, IsDir: isDir}
		if !isDir {
			e.Size = a.Size
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ArtifactsUnder lists every file under a folder, recursively.
func (s *Service) ArtifactsUnder(ctx context.Context, dir string) ([]Artifact, error) {
	if _, err := need(ctx, registry.RoleReader); err != nil {
		return nil, err
	}
	dir, err := CleanPath(dir)
	if err != nil {
		return nil, err
	}
	return s.store.ListArtifacts(ctx, dir)
}

// Files turns the artifacts under dir into a version manifest, with paths
// relative to dir.
func (s *Service) Files(ctx context.Context, dir string) ([]registry.File, error) {
	as, err := s.ArtifactsUnder(ctx, dir)
	if err != nil {
		return nil, err
	}
	files := make([]registry.File, 0, len(as))
	for _, a := range as {
		rel := a.Path
		if dir != "" {
			rel = strings.TrimPrefix(a.Path, strings.Trim(dir, "/")+"/")
		}
		files = append(files, registry.File{Path: path.Clean(rel), Size: a.Size, Digest: a.Digest, Mode: 0o644})
	}
	return files, nil
}

// DeleteArtifacts removes a file or a folder from the index. Blobs stay
// until garbage collection.
func (s *Service) DeleteArtifacts(ctx context.Context, p string) error {
	if _, err := need(ctx, registry.RoleWriter); err != nil {
		return err
	}
	p, err := CleanPath(p)
	if err != nil {
		return err
	}
	return s.store.DeleteArtifacts(ctx, p)
}
