package fs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

var _ registry.BlobToucher = (*Store)(nil)

// Touch sets a stored blob's modification time to now, restarting garbage
// collection's grace period for it; KindNotFound when the blob is absent.
// A file stored as a recipe has its recipe touched (a kept recipe keeps its
// parts). The bytes and permissions are untouched.
func (s *Store) Touch(ctx context.Context, digest string) error {
	if err := registry.ValidateDigest(digest); err != nil {
		return err
	}
	now := time.Now()
	err := os.Chtimes(s.path(digest), now, now)
	if errors.Is(err, fs.ErrNotExist) && s.touchRecipe(digest) {
		return nil
	}
	if err != nil {
		return notFoundOr(err, digest)
	}
	return nil
}

// ModTime returns when the blob (or the recipe of a file stored as one) was
// last written or touched, as Walk reports it; KindNotFound when absent.
func (s *Store) ModTime(ctx context.Context, digest string) (time.Time, error) {
	if err := registry.ValidateDigest(digest); err != nil {
		return time.Time{}, err
	}
	fi, err := os.Stat(s.path(digest))
	if errors.Is(err, fs.ErrNotExist) {
		fi, err = os.Stat(s.recipePath(digest))
	}
	if err != nil {
		return time.Time{}, notFoundOr(err, digest)
	}
	return fi.ModTime(), nil
}
