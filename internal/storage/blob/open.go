// Package blob chooses a content-addressed blob store from a URL. The
// backends live in the folders below (fs, and later s3); the behaviour they
// share is defined by the conformance suite in blobtest.
package blob

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/blob/fs"
)

// Open opens the blob store that rawURL names:
//
//	file:///abs/dir   the filesystem store in /abs/dir
//	/abs/dir, ./dir   a plain path also means the filesystem store
//
// Every backend is listed in the switch below; there is no registration.
func Open(ctx context.Context, rawURL string) (registry.BlobStore, error) {
	if rawURL == "" {
		return nil, registry.E(registry.KindInvalid, "blob store URL is empty")
	}
	scheme, _, hasScheme := strings.Cut(rawURL, "://")
	if !hasScheme {
		return openFS(rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, registry.Wrap(registry.KindInvalid, err, "blob store URL %q is not a valid URL", rawURL)
	}
	switch strings.ToLower(scheme) {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, registry.E(registry.KindInvalid,
				"blob store URL %q: a file URL needs an absolute path and no host, as in file:///var/lib/modelry/blobs", rawURL)
		}
		if u.Path == "" {
			return nil, registry.E(registry.KindInvalid,
				"blob store URL %q: a file URL needs an absolute path, as in file:///var/lib/modelry/blobs", rawURL)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return nil, registry.E(registry.KindInvalid, "blob store URL %q: a file URL takes no query or fragment", rawURL)
		}
		return openFS(filepath.FromSlash(u.Path))
	default:
		return nil, registry.E(registry.KindInvalid,
			"blob store URL %q: unknown scheme %q; supported: file:// or a plain folder path", rawURL, scheme)
	}
}

func openFS(dir string) (registry.BlobStore, error) {
	s, err := fs.Open(dir)
	if err != nil {
		return nil, err
	}
	return s, nil
}
