package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/modelry/modelry/internal/fileio"
	"github.com/modelry/modelry/internal/registry"
)

// Put reads exactly size bytes from r and stores them as the blob digest if
// they hash to it. See registry.BlobWriter for the contract.
//
// The bytes stream through a pipeline (see ingest): SHA-256 and the disk
// write run concurrently on each 4 MiB block, the write with O_DIRECT where
// the filesystem allows it. The file is written under tmp/, fsynced, checked,
// and renamed into place without replacing any blob already there, then the
// shard folder is fsynced: a blob is visible only once complete and durable.
func (s *Store) Put(ctx context.Context, digest string, size int64, r io.Reader) error {
	if err := registry.ValidateDigest(digest); err != nil {
		return err
	}
	if size < 0 {
		return registry.E(registry.KindInvalid, "blob %s: size %d is negative", digest, size)
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return cancelled(ctx, digest, 0, size)
	}
	// Already stored: the caller still learns whether its bytes were right,
	// but nothing is written. Touching the blob first restarts the garbage
	// collector's grace period (Walk's modTime), so a blob about to be
	// referenced again is not collected while its new version commits.
	if s.touch(digest) || s.touchRecipe(digest) {
		return ingestExpecting(ctx, digest, size, r, nil)
	}
	return s.putNew(ctx, digest, size, r)
}

// touch updates a stored blob's modification time and reports whether the
// blob exists.
func (s *Store) touch(digest string) bool {
	now := time.Now()
	return os.Chtimes(s.path(digest), now, now) == nil
}

func (s *Store) putNew(ctx context.Context, digest string, size int64, r io.Reader) (err error) {
	tmp, err := s.createTemp(digest[len("sha256:"):][:12], size)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.discard()
		}
	}()
	if err := ingestExpecting(ctx, digest, size, r, tmp); err != nil {
		return err
	}
	return s.place(ctx, tmp, digest, size)
}

// Ingest stores exactly size bytes from r under the digest they hash to,
// which it returns. See registry.BlobIngester for the contract. It uses the
// same pipeline as Put; when the blob turns out to be stored already, the
// new copy is dropped.
func (s *Store) Ingest(ctx context.Context, size int64, r io.Reader) (digest string, err error) {
	if size < 0 {
		return "", registry.E(registry.KindInvalid, "blob size %d is negative", size)
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return "", cancelled(ctx, "upload", 0, size)
	}
	tmp, err := s.createTemp("stream", size)
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			tmp.discard()
		}
	}()
	if digest, err = ingest(ctx, "upload", size, r, tmp); err != nil {
		return "", err
	}
	if s.touch(digest) || s.touchRecipe(digest) {
		tmp.discard()
		return digest, nil
	}
	return digest, s.place(ctx, tmp, digest, size)
}

// place makes a fully written temp file durable and renames it into place as
// the blob digest, unless a concurrent upload stored it first.
func (s *Store) place(ctx context.Context, tmp *tempFile, digest string, size int64) error {
	if err := tmp.commit(); err != nil {
		return registry.Wrap(registry.KindInternal, err, "storing blob %s", digest)
	}
	if ctx.Err() != nil {
		return cancelled(ctx, digest, size, size)
	}
	dst := s.path(digest)
	placed, err := fileio.RenameNoReplace(tmp.name, dst)
	if errors.Is(err, fs.ErrNotExist) { // the shard's first blob
		if err = makeShard(filepath.Dir(dst)); err == nil {
			placed, err = fileio.RenameNoReplace(tmp.name, dst)
		}
	}
	if err != nil {
		return registry.Wrap(registry.KindInternal, err, "storing blob %s", digest)
	}
	if !placed {
		// A concurrent Put stored the same verified bytes first.
		os.Remove(tmp.name)
		return nil
	}
	s.added(size)
	s.index.enqueue(digest, size)
	// If this fsync fails the blob is in place and correct but may not
	// survive a crash; the error tells the caller not to count on it, and a
	// retried Put finds the blob and verifies its bytes.
	return syncDir(filepath.Dir(dst))
}

// createTemp creates the upload's file under tmp/, with O_DIRECT on when the
// store wants it, the blob is at least one aligned block and the filesystem
// accepts it.
func (s *Store) createTemp(label string, size int64) (*tempFile, error) {
	dir := filepath.Join(s.root, tmpDir)
	for {
		name := filepath.Join(dir, fmt.Sprintf("put-%s-%016x", label, rand.Uint64()))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
		if errors.Is(err, fs.ErrExist) {
			continue // 64 random bits collided; try another name
		}
		if err != nil {
			return nil, registry.Wrap(registry.KindInternal, err, "creating upload file %s", label)
		}
		t := &tempFile{f: f, name: name}
		fileio.Preallocate(f, size)
		if s.directIO && size >= alignment {
			// An error means the filesystem refuses O_DIRECT (tmpfs,
			// some network filesystems): write through the page cache.
			t.direct = fileio.SetDirect(f, true) == nil
		}
		return t, nil
	}
}

// tempFile is an upload being written under tmp/.
type tempFile struct {
	f      *os.File
	name   string
	direct bool // O_DIRECT is on
}

// write appends p. With O_DIRECT only whole aligned blocks from an aligned
// buffer can be written, so the unaligned tail of the last block turns
// O_DIRECT off and goes through the page cache.
func (t *tempFile) write(p []byte) error {
	if t.direct {
		n := len(p) &^ (alignment - 1)
		if n > 0 {
			done, err := t.f.Write(p[:n])
			if fileio.IsDirectRefused(err) {
				// Accepted at fcntl time but refused now: fall back.
				if err = t.buffered(); err == nil {
					_, err = t.f.Write(p[done:n])
				}
			}
			if err != nil {
				return err
			}
		}
		if p = p[n:]; len(p) == 0 {
			return nil
		}
		if err := t.buffered(); err != nil {
			return err
		}
	}
	_, err := t.f.Write(p)
	return err
}

func (t *tempFile) buffered() error {
	if !t.direct {
		return nil
	}
	t.direct = false
	return fileio.SetDirect(t.f, false)
}

// commit makes the written bytes durable and closes the file.
func (t *tempFile) commit() error {
	err := t.f.Sync()
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// discard closes and deletes the file; it is never visible as a blob.
func (t *tempFile) discard() {
	t.f.Close() // may already be closed by commit
	os.Remove(t.name)
}

// cancelled is Put's error when ctx ends first. It wraps ctx.Err(), so
// callers can tell it apart with errors.Is.
func cancelled(ctx context.Context, digest string, got, size int64) error {
	return registry.Wrap(registry.KindUnavailable, ctx.Err(),
		"upload of blob %s stopped after %d of %d bytes", digest, got, size)
}
