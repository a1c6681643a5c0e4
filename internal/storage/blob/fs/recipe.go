package fs

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

var _ registry.ChunkStore = (*Store)(nil)

// recipePath returns where the recipe of a file with a valid digest lives.
func (s *Store) recipePath(digest string) string {
	hex := digest[len("sha256:"):]
	return filepath.Join(s.root, recipeDir, hex[:2], hex)
}

// readRecipe loads a stored recipe; fs.ErrNotExist when there is none.
func (s *Store) readRecipe(digest string) (registry.Recipe, error) {
	var r registry.Recipe
	b, err := os.ReadFile(s.recipePath(digest))
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("recipe of %s is corrupt: %w", digest, err)
	}
	return r, nil
}

// recipeSize returns the size of the file a stored recipe makes.
func (s *Store) recipeSize(digest string) (int64, bool) {
	s.sizesMu.Lock()
	defer s.sizesMu.Unlock()
	n, ok := s.recipes[digest]
	return n, ok
}

// PutRecipe stores a file as ranges of stored blobs. See
// registry.ChunkStore: parts are checked, recipes among them flattened,
// the bytes hashed against digest (unless VerifyRecipe just hashed the same
// parts), and only then is the recipe written
// (temp file, fsync, rename, folder fsync). The parts' blobs are touched
// first, so garbage collection spares them while the version that uses the
// file commits.
func (s *Store) PutRecipe(ctx context.Context, digest string, r registry.Recipe) (bool, error) {
	if err := registry.ValidateDigest(digest); err != nil {
		return false, err
	}
	if err := registry.ValidateRecipe(r); err != nil {
		return false, err
	}
	if s.touch(digest) || s.touchRecipe(digest) {
		if size, err := s.Stat(ctx, digest); err == nil && size != r.Size {
			return false, registry.E(registry.KindInvalid, "file %s is stored with %d bytes; the recipe says %d", digest, size, r.Size)
		}
		return false, nil
	}
	parts, err := s.flatten(r.Parts)
	if err != nil {
		return false, err
	}
	flat := registry.Recipe{Size: r.Size, Parts: parts}
	if !s.takeVerified(digest, flat) {
		if err := s.hashRecipe(ctx, digest, flat); err != nil {
			return false, err
		}
	}
	if err := s.writeRecipe(digest, flat); err != nil {
		return false, err
	}
	s.sizesMu.Lock()
	_, had := s.recipes[digest]
	s.recipes[digest] = r.Size
	if !had {
		s.sizes[r.Size]++
	}
	s.sizesMu.Unlock()
	s.index.enqueue(digest, r.Size)
	return true, nil
}

// VerifyRecipe checks a recipe as PutRecipe does, storing nothing, and
// remembers it as verified, so that a PutRecipe of it soon after (under the
// service's reference lock) only checks that its parts are still stored.
// See registry.RecipeVerifier.
func (s *Store) VerifyRecipe(ctx context.Context, digest string, r registry.Recipe) error {
	if err := registry.ValidateDigest(digest); err != nil {
		return err
	}
	if err := registry.ValidateRecipe(r); err != nil {
		return err
	}
	if _, err := s.Stat(ctx, digest); err == nil {
		return nil // PutRecipe stores nothing; it checks the size
	}
	parts, err := s.flatten(r.Parts)
	if err != nil {
		return err
	}
	flat := registry.Recipe{Size: r.Size, Parts: parts}
	if err := s.hashRecipe(ctx, digest, flat); err != nil {
		if registry.Is(err, registry.KindInternal) && ctx.Err() == nil {
			// Most likely a part was collected while it was read (this runs
			// outside the reference lock): PutRecipe checks again under it
			// and says which part is missing.
			return nil
		}
		return err
	}
	key := recipeKey(digest, flat)
	s.verifiedMu.Lock()
	defer s.verifiedMu.Unlock()
	if len(s.verified) >= maxVerified { // recipes checked but never stored
		clear(s.verified)
	}
	s.verified[key] = true
	return nil
}

// maxVerified bounds the verified recipes remembered for PutRecipe.
const maxVerified = 1024

// takeVerified reports, once, whether VerifyRecipe checked this flat recipe.
func (s *Store) takeVerified(digest string, flat registry.Recipe) bool {
	key := recipeKey(digest, flat)
	s.verifiedMu.Lock()
	defer s.verifiedMu.Unlock()
	ok := s.verified[key]
	delete(s.verified, key)
	return ok
}

// recipeKey names a file's flat recipe by the SHA-256 of its JSON.
func recipeKey(digest string, flat registry.Recipe) [sha256.Size]byte {
	b, _ := json.Marshal(flat)
	return sha256.Sum256(append([]byte(digest+"\n"), b...))
}

// hashRecipe waits for an ingest slot and checks the recipe's bytes.
func (s *Store) hashRecipe(ctx context.Context, digest string, flat registry.Recipe) error {
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return cancelled(ctx, digest, 0, flat.Size)
	}
	return s.verifyRecipe(ctx, digest, flat)
}

// RecipeParts returns the blobs, sorted and distinct, that the recipe of a
// file stored as one reads from; KindNotFound when digest has no recipe.
func (s *Store) RecipeParts(ctx context.Context, digest string) ([]string, error) {
	if err := registry.ValidateDigest(digest); err != nil {
		return nil, err
	}
	r, err := s.readRecipe(digest)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, registry.E(registry.KindNotFound, "%s is not stored as a recipe", digest)
	}
	if err != nil {
		return nil, registry.Wrap(registry.KindInternal, err, "reading the recipe of %s", digest)
	}
	return partBlobs(r), nil
}

// touchRecipe renews a stored recipe's modification time and reports
// whether it exists.
func (s *Store) touchRecipe(digest string) bool {
	now := time.Now()
	return os.Chtimes(s.recipePath(digest), now, now) == nil
}

// flatten checks that every part lies inside a stored blob, replaces parts
// that name a recipe by the ranges of that recipe they cover, and merges
// neighbouring ranges of the same blob.
func (s *Store) flatten(parts []registry.BlobRange) ([]registry.BlobRange, error) {
	sizes := map[string]int64{}
	recipes := map[string]registry.Recipe{}
	out := make([]registry.BlobRange, 0, len(parts))
	for i, p := range parts {
		size, whole := sizes[p.Blob]
		if !whole {
			if fi, err := os.Stat(s.path(p.Blob)); err == nil {
				size, whole = fi.Size(), true
				sizes[p.Blob] = size
				s.touch(p.Blob)
			}
		}
		if whole {
			if p.Offset > size-p.Size { // p.Offset+p.Size may overflow
				return nil, registry.E(registry.KindInvalid, "recipe part %d: bytes %d to %d are outside blob %s of %d bytes", i, p.Offset, p.Offset+p.Size, p.Blob, size)
			}
			out = appendRange(out, p)
			continue
		}
		rec, ok := recipes[p.Blob]
		if !ok {
			var err error
			if rec, err = s.readRecipe(p.Blob); err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil, registry.E(registry.KindInvalid, "recipe part %d: blob %s is not stored; upload it first", i, p.Blob)
				}
				return nil, registry.Wrap(registry.KindInternal, err, "reading recipe %s", p.Blob)
			}
			recipes[p.Blob] = rec
		}
		if p.Offset > rec.Size-p.Size {
			return nil, registry.E(registry.KindInvalid, "recipe part %d: bytes %d to %d are outside file %s of %d bytes", i, p.Offset, p.Offset+p.Size, p.Blob, rec.Size)
		}
		for _, sub := range sliceRecipe(rec, p.Offset, p.Size) {
			s.touch(sub.Blob)
			out = appendRange(out, sub)
		}
	}
	return out, nil
}

// appendRange appends p, merging it into the last range when it continues it.
func appendRange(rs []registry.BlobRange, p registry.BlobRange) []registry.BlobRange {
	if n := len(rs); n > 0 && rs[n-1].Blob == p.Blob && rs[n-1].Offset+rs[n-1].Size == p.Offset {
		rs[n-1].Size += p.Size
		return rs
	}
	return append(rs, p)
}

// sliceRecipe returns the blob ranges holding bytes [off, off+size) of the
// file rec makes.
func sliceRecipe(rec registry.Recipe, off, size int64) []registry.BlobRange {
	var out []registry.BlobRange
	var start int64
	for _, p := range rec.Parts {
		end := start + p.Size
		if end > off && start < off+size {
			lo, hi := max(off, start), min(off+size, end)
			out = append(out, registry.BlobRange{Blob: p.Blob, Offset: p.Offset + lo - start, Size: hi - lo})
		}
		if end >= off+size {
			break
		}
		start = end
	}
	return out
}

// verifyRecipe reads the bytes the recipe makes and checks their SHA-256,
// through the same read-then-hash pipeline as an upload.
func (s *Store) verifyRecipe(ctx context.Context, digest string, r registry.Recipe) error {
	rr := s.newRecipeReader(r)
	defer rr.Close()
	sum, err := ingest(ctx, digest, r.Size, rr, nil)
	if registry.Is(err, registry.KindInvalid) || registry.Is(err, registry.KindDigestMismatch) {
		// The parts were checked, so a short read is the store's fault.
		return registry.Wrap(registry.KindInternal, err, "reading the parts of %s", digest)
	}
	if err != nil {
		return err
	}
	if sum != digest {
		return registry.E(registry.KindDigestMismatch,
			"digest mismatch: the recipe's %d bytes hash to %s, not %s", r.Size, sum, digest)
	}
	return nil
}

// writeRecipe stores a verified recipe atomically.
func (s *Store) writeRecipe(digest string, r registry.Recipe) error {
	b, err := json.Marshal(r)
	if err != nil {
		return registry.Wrap(registry.KindInternal, err, "encoding recipe %s", digest)
	}
	if err := s.writeAtomic(s.recipePath(digest), b); err != nil {
		return registry.Wrap(registry.KindInternal, err, "storing recipe %s", digest)
	}
	return nil
}

// writeAtomic writes data to dst through a temp file: write, fsync,
// rename, fsync of the folder (made on first use).
func (s *Store) writeAtomic(dst string, data []byte) error {
	tmp := filepath.Join(s.root, tmpDir, fmt.Sprintf("meta-%016x", rand.Uint64()))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
		if errors.Is(err, fs.ErrNotExist) {
			if err = makeShard(filepath.Dir(dst)); err == nil {
				err = os.Rename(tmp, dst)
			}
		}
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// recipeReader reads the file a recipe makes, part after part; it seeks
// freely, so HTTP range requests work as on a blob file.
type recipeReader struct {
	s     *Store
	parts []registry.BlobRange
	ends  []int64 // ends[i]: file offset where part i ends
	pos   int64
	files map[string]*os.File
}

func (s *Store) newRecipeReader(r registry.Recipe) *recipeReader {
	rr := &recipeReader{s: s, parts: r.Parts, ends: make([]int64, len(r.Parts)), files: map[string]*os.File{}}
	var end int64
	for i, p := range r.Parts {
		end += p.Size
		rr.ends[i] = end
	}
	return rr
}

func (rr *recipeReader) size() int64 {
	if len(rr.ends) == 0 {
		return 0
	}
	return rr.ends[len(rr.ends)-1]
}

// Read reads from the part holding the current position.
func (rr *recipeReader) Read(p []byte) (int, error) {
	if rr.pos >= rr.size() {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	i := sort.Search(len(rr.ends), func(i int) bool { return rr.ends[i] > rr.pos })
	part := rr.parts[i]
	start := rr.ends[i] - part.Size
	n := min(int64(len(p)), rr.ends[i]-rr.pos)
	f, err := rr.file(part.Blob)
	if err != nil {
		return 0, err
	}
	m, err := f.ReadAt(p[:n], part.Offset+rr.pos-start)
	rr.pos += int64(m)
	if int64(m) == n {
		return m, nil
	}
	if err == io.EOF {
		err = fmt.Errorf("blob %s is shorter than its recipe says: %w", part.Blob, io.ErrUnexpectedEOF)
	}
	return m, err
}

// maxOpenParts bounds the files one recipe reader keeps open: a recipe may
// draw on thousands of blobs, and reads are mostly sequential.
const maxOpenParts = 8

func (rr *recipeReader) file(digest string) (*os.File, error) {
	if f, ok := rr.files[digest]; ok {
		return f, nil
	}
	if len(rr.files) >= maxOpenParts {
		for d, f := range rr.files { // any one; the next part is rarely an old one
			f.Close()
			delete(rr.files, d)
			break
		}
	}
	f, err := os.Open(rr.s.path(digest))
	if err != nil {
		return nil, fmt.Errorf("opening part %s: %w", digest, err)
	}
	rr.files[digest] = f
	return f, nil
}

func (rr *recipeReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += rr.pos
	case io.SeekEnd:
		offset += rr.size()
	}
	if offset < 0 {
		return rr.pos, errors.New("seek before the start of the file")
	}
	rr.pos = offset
	return offset, nil
}

func (rr *recipeReader) Close() error {
	var err error
	for _, f := range rr.files {
		err = errors.Join(err, f.Close())
	}
	rr.files = nil
	return err
}

// partBlobs lists the distinct blobs a recipe uses, sorted.
func partBlobs(r registry.Recipe) []string {
	out := make([]string, 0, len(r.Parts))
	for _, p := range r.Parts {
		out = append(out, p.Blob)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
