package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path"
	"sort"
	"strings"
	"unicode/utf8"
)

// Limits on manifests.
const (
	MaxFiles   = 100_000
	MaxPathLen = 4096
)

// ValidateManifest checks a version's file list and returns it sorted by path.
// Paths are relative, slash-separated and clean (no "", ".", ".." segments,
// no leading '/', no backslash or control characters), unique, and no path is
// both a file and a folder. Links point inside the tree. Modes are permission
// bits only.
func ValidateManifest(files []File) ([]File, error) {
	if len(files) == 0 {
		return nil, E(KindInvalid, "manifest has no files; a version needs at least one")
	}
	if len(files) > MaxFiles {
		return nil, E(KindInvalid, "manifest has %d files; the limit is %d", len(files), MaxFiles)
	}
	sorted := make([]File, len(files))
	copy(sorted, files)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })

	paths := make(map[string]bool, len(sorted))
	for i, f := range sorted {
		if err := validatePath(f.Path); err != nil {
			return nil, err
		}
		if paths[f.Path] {
			return nil, E(KindInvalid, "manifest lists %s twice", quote(f.Path))
		}
		paths[f.Path] = true
		if f.Mode&^0o777 != 0 {
			return nil, E(KindInvalid, "file %s: mode %o has bits other than permissions", quote(f.Path), f.Mode)
		}
		if f.IsLink() {
			if f.Digest != "" || f.Size != 0 {
				return nil, E(KindInvalid, "link %s must not carry a digest or size", quote(f.Path))
			}
			if err := validateLinkTarget(f); err != nil {
				return nil, err
			}
		} else {
			if err := ValidateDigest(f.Digest); err != nil {
				return nil, E(KindInvalid, "file %s: %s", quote(f.Path), Message(err))
			}
			if f.Size < 0 {
				return nil, E(KindInvalid, "file %s: size %d is negative", quote(f.Path), f.Size)
			}
		}
		// Sorted order puts "a/b" right after "a" or after "a-..." siblings, so
		// check every ancestor folder against the set of paths seen so far; an
		// ancestor sorts before its descendants.
		for dir := path.Dir(f.Path); dir != "."; dir = path.Dir(dir) {
			if paths[dir] {
				return nil, E(KindInvalid, "manifest has %s both as a file and as a folder", quote(dir))
			}
		}
		sorted[i] = f
	}
	return sorted, nil
}

func validatePath(p string) error {
	switch {
	case p == "":
		return E(KindInvalid, "manifest has a file with an empty path")
	case len(p) > MaxPathLen:
		return E(KindInvalid, "path %s is %d bytes long; the limit is %d", quote(p), len(p), MaxPathLen)
	case !utf8.ValidString(p):
		return E(KindInvalid, "path %s is not valid UTF-8", quote(p))
	case strings.HasPrefix(p, "/"):
		return E(KindInvalid, "path %s is absolute; paths must be relative to the version's root", quote(p))
	case strings.ContainsAny(p, "\\"):
		return E(KindInvalid, "path %s contains a backslash; use '/' between folders", quote(p))
	case strings.IndexFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return E(KindInvalid, "path %s contains control characters", quote(p))
	}
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "..":
			return E(KindInvalid, "path %s contains '..'; paths must stay inside the version", quote(p))
		case ".", "":
			return E(KindInvalid, "path %s is not clean (empty or '.' segment)", quote(p))
		}
	}
	return nil
}

func validateLinkTarget(f File) error {
	t := f.Target
	if strings.HasPrefix(t, "/") {
		return E(KindInvalid, "link %s points at absolute path %s; links must stay inside the tree", quote(f.Path), quote(t))
	}
	if !utf8.ValidString(t) || len(t) > MaxPathLen || strings.IndexFunc(t, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) >= 0 {
		return E(KindInvalid, "link %s has an invalid target", quote(f.Path))
	}
	resolved := path.Join(path.Dir(f.Path), t)
	if resolved == ".." || strings.HasPrefix(resolved, "../") || resolved == "." {
		return E(KindInvalid, "link %s -> %s escapes the tree", quote(f.Path), quote(t))
	}
	return nil
}

// canonicalFile is the manifest entry as hashed: field order is fixed by the
// struct, and Go's encoder is deterministic.
type canonicalFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	Digest string `json:"digest,omitempty"`
	Mode   uint32 `json:"mode"`
	Target string `json:"target,omitempty"`
}

// ManifestDigest returns the version digest of a validated, sorted manifest:
// "sha256:" + hex(sha256(canonical JSON)). The canonical JSON is
// {"files":[{"path":..,"size":..,"digest":..,"mode":..,"target":..},...]}
// with files sorted by path, no whitespace, and empty digest/target omitted.
func ManifestDigest(files []File) string {
	c := struct {
		Files []canonicalFile `json:"files"`
	}{Files: make([]canonicalFile, len(files))}
	for i, f := range files {
		c.Files[i] = canonicalFile(f)
	}
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // plain strings and numbers cannot fail to encode
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ManifestSize is the sum of the sizes of the files in a manifest.
func ManifestSize(files []File) int64 {
	var n int64
	for _, f := range files {
		n += f.Size
	}
	return n
}
