// Package meta chooses and opens the metadata store (registry.Store) named
// by a URL. The backends live in subpackages (sqlite; postgres later), and
// metatest holds the conformance suite every backend must pass.
package meta

import (
	"context"
	"strings"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/meta/sqlite"
)

// Open opens the metadata store named by url:
//
//	sqlite:///abs/path.db   SQLite file at an absolute path
//	sqlite://relative.db    SQLite file relative to the working folder
//	/path/to/file.db        a plain path (no "scheme://") means SQLite too
//
// An unknown scheme is a KindInvalid error that lists the known ones.
func Open(ctx context.Context, url string) (registry.Store, error) {
	scheme, rest, hasScheme := strings.Cut(url, "://")
	if !hasScheme {
		scheme, rest = "sqlite", url
	}
	switch scheme {
	case "sqlite":
		if rest == "" {
			return nil, registry.E(registry.KindInvalid, "metadata store URL %q has no file path; use sqlite:///abs/path.db or sqlite://relative.db", url)
		}
		if strings.ContainsAny(rest, "?#") {
			return nil, registry.E(registry.KindInvalid, "metadata store URL %q: sqlite URLs take no options ('?' or '#')", url)
		}
		s, err := sqlite.Open(ctx, rest)
		if err != nil {
			return nil, err // not a typed nil inside the interface
		}
		return s, nil
	}
	return nil, registry.E(registry.KindInvalid, "metadata store URL %q: unknown scheme %q; the known one is sqlite://", url, scheme)
}
