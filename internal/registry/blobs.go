package registry

import (
	"context"
	"io"
	"strconv"
)

// MaxMissingQuery bounds how many digests one MissingBlobs call may ask about.
const MaxMissingQuery = MaxFiles

// MissingBlobs returns, in the order given and without repeats, the digests
// the store does not hold: the blobs a client must upload before it creates a
// version. Each blob reported present is touched, so garbage collection
// spares it for its grace period while the client goes on to create the
// version without uploading it.
func (s *Service) MissingBlobs(ctx context.Context, digests []string) ([]string, error) {
	if _, err := require(ctx, RoleWriter); err != nil {
		return nil, err
	}
	if len(digests) > MaxMissingQuery {
		return nil, E(KindInvalid, "asked about %d digests; the limit is %d per call", len(digests), MaxMissingQuery)
	}
	missing := []string{}
	seen := make(map[string]bool, len(digests))
	for _, d := range digests {
		if err := ValidateDigest(d); err != nil {
			return nil, err
		}
		if seen[d] {
			continue
		}
		seen[d] = true
		switch _, err := s.referenceBlob(ctx, d); {
		case Is(err, KindNotFound):
			missing = append(missing, d)
		case err != nil:
			return nil, err
		}
	}
	return missing, nil
}

// UnknownSizes returns, in the order given and without repeats, the sizes
// that no stored blob has: files of those sizes are certainly not stored.
func (s *Service) UnknownSizes(ctx context.Context, sizes []int64) ([]int64, error) {
	if _, err := require(ctx, RoleWriter); err != nil {
		return nil, err
	}
	if len(sizes) > MaxMissingQuery {
		return nil, E(KindInvalid, "asked about %d sizes; the limit is %d per call", len(sizes), MaxMissingQuery)
	}
	unknown := []int64{}
	seen := make(map[int64]bool, len(sizes))
	for _, n := range sizes {
		if n < 0 {
			return nil, E(KindInvalid, "size %d is negative", n)
		}
		if !seen[n] && !s.blobs.HasSize(n) {
			unknown = append(unknown, n)
		}
		seen[n] = true
	}
	return unknown, nil
}

// IngestBlob stores a blob whose digest the caller does not know yet, and
// returns the digest of the bytes received.
func (s *Service) IngestBlob(ctx context.Context, size int64, r io.Reader) (string, error) {
	if _, err := require(ctx, RoleWriter); err != nil {
		return "", err
	}
	if size < 0 {
		return "", E(KindInvalid, "blob size is unknown; send Content-Length")
	}
	return s.blobs.Ingest(ctx, size, r)
}

// PutBlob stores one blob, verifying its bytes against digest.
func (s *Service) PutBlob(ctx context.Context, digest string, size int64, r io.Reader) error {
	if _, err := require(ctx, RoleWriter); err != nil {
		return err
	}
	if err := ValidateDigest(digest); err != nil {
		return err
	}
	if size < 0 {
		return E(KindInvalid, "blob size is unknown; send Content-Length")
	}
	return s.blobs.Put(ctx, digest, size, r)
}

// OpenBlob opens a stored blob for reading.
func (s *Service) OpenBlob(ctx context.Context, digest string) (io.ReadSeekCloser, int64, error) {
	if _, err := require(ctx, RoleReader); err != nil {
		return nil, 0, err
	}
	if err := ValidateDigest(digest); err != nil {
		return nil, 0, err
	}
	return s.blobs.Open(ctx, digest)
}

// StatBlob returns a blob's size, or KindNotFound.
func (s *Service) StatBlob(ctx context.Context, digest string) (int64, error) {
	if _, err := require(ctx, RoleReader); err != nil {
		return 0, err
	}
	if err := ValidateDigest(digest); err != nil {
		return 0, err
	}
	return s.blobs.Stat(ctx, digest)
}

// ReferenceBlobs runs commit, which records a new reference to stored blobs
// outside a version (the MLflow artifact index does), so that a garbage
// collection running meanwhile cannot delete them: under the shared
// reference lock each blob is checked and touched, then commit runs (see
// CollectGarbage). KindMissingBlobs when a blob is not stored. It checks no
// role: the caller has.
func (s *Service) ReferenceBlobs(ctx context.Context, digests []string, commit func() error) error {
	release := s.holdReferences()
	defer release()
	for _, d := range digests {
		_, err := s.referenceBlob(ctx, d)
		if Is(err, KindNotFound) {
			return E(KindMissingBlobs, "blob %s is not stored any more (a garbage collection with a short grace period removed it during the upload); upload it again", d)
		}
		if err != nil {
			return err
		}
	}
	return commit()
}

// referenceBlob returns the size of a blob that is about to be referenced,
// and touches it, or KindNotFound. Touching renews the blob's ModTime: a
// collection then neither picks it (it is young) nor deletes it (it changed
// since the collection listed it).
func (s *Service) referenceBlob(ctx context.Context, digest string) (int64, error) {
	size, err := s.blobs.Stat(ctx, digest)
	if err != nil {
		return 0, err
	}
	if t, ok := s.blobs.(BlobToucher); ok {
		if err := t.Touch(ctx, digest); err != nil {
			return 0, err
		}
	}
	s.gc.noteTouch(digest)
	return size, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
