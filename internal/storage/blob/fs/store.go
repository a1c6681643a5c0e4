// Package fs is the default content-addressed blob store: verified blobs kept
// as plain files in one folder on a local filesystem.
//
// It implements registry.BlobStore and passes the conformance suite in
// internal/storage/blob/blobtest. Choosing a backend from a URL lives in
// internal/storage/blob; what a blob means to the registry (manifests,
// garbage-collection policy) lives in internal/registry. This package knows
// only bytes, digests and files.
//
// # On-disk layout
//
//	<root>/
//	  sha256/
//	    00/ … ff/          up to 256 shard folders, each made on first use
//	      <64 hex>         one verified, durable blob, named by its digest
//	                       without the "sha256:" prefix and made read-only
//	  recipes/
//	    00/ … ff/
//	      <64 hex>         a file stored as a recipe: JSON {"size", "parts":
//	                       [{"blob", "offset", "size"}]}, ranges of blobs
//	                       under sha256/ whose bytes, in order, hash to the
//	                       name (never ranges of another recipe)
//	  chunks/
//	    00/ … ff/
//	      <64 hex>         the chunk list of a stored file (blob or recipe)
//	                       of at least IndexMinSize: "MDLCHK1\n", then per
//	                       content-defined chunk its SHA-256 and uint32 size
//	  tmp/
//	    put-<hex>-<rand>   an upload in flight
//	    meta-<rand>        a recipe or chunk list being written
//
// A blob's path is <root>/sha256/<first 2 hex of digest>/<64 hex of digest>;
// sharding keeps each folder at 1/256 of the blobs. Uploads are written to
// tmp/, which is on the same filesystem so that the final rename is atomic:
// a file under sha256/ is always complete and its bytes always hash to its
// name. Open deletes everything under tmp/, since those files are left by a
// process that crashed mid-upload; so one root must be used by one process
// at a time. Nothing else is stored: sizes and times come from the files.
package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/modelry/modelry/internal/registry"
)

// Names inside the root.
const (
	blobDir   = "sha256"
	recipeDir = "recipes"
	chunkDir  = "chunks"
	tmpDir    = "tmp"
)

// DefaultMaxConcurrentPuts is how many Puts ingest at once unless
// WithMaxConcurrentPuts says otherwise.
//
// Why a cap: each ingest holds up to ringSize×blockSize (32 MiB) of buffers,
// and without O_DIRECT each also dirties the page cache at disk speed until
// its fsync. Hugging Face's Xet CAS let uploads pile up unbounded and the
// page-cache pressure stalled every upload behind the others' writeback
// (shared/research/storage-perf.md §1.4, §4.3a); a small cap keeps memory
// bounded and lets each admitted upload finish at full disk speed, with the
// rest waiting (and honouring their context) instead of all crawling.
// A slot is held for the whole upload, including time spent waiting on a
// slow client, so the HTTP server must bound how long a body may stall
// (read timeouts), or a few stalled clients hold every slot.
const DefaultMaxConcurrentPuts = 4

// Store is a content-addressed blob store in one folder. It is safe for
// concurrent use by many goroutines of one process.
type Store struct {
	root     string
	directIO bool
	slots    chan struct{} // semaphore of concurrent Puts

	count atomic.Int64 // blobs stored
	bytes atomic.Int64 // their total size

	sizesMu sync.Mutex
	sizes   map[int64]int    // file size -> how many stored blobs and recipes have it
	recipes map[string]int64 // digest -> size of the files stored as recipes

	index *chunkIndex

	verifiedMu sync.Mutex
	verified   map[[32]byte]bool // recipes VerifyRecipe checked, by recipeKey
}

var _ registry.BlobStore = (*Store)(nil)

// Option configures Open.
type Option func(*Store)

// WithMaxConcurrentPuts caps the Puts that ingest at once (see
// DefaultMaxConcurrentPuts); further Puts wait for a slot. n < 1 means 1.
func WithMaxConcurrentPuts(n int) Option {
	return func(s *Store) { s.slots = make(chan struct{}, max(n, 1)) }
}

// WithDirectIO turns O_DIRECT writes on (the default) or off. Filesystems
// that refuse O_DIRECT fall back to buffered writes on their own; turning it
// off is for tests of that path and for filesystems where it is slower.
func WithDirectIO(enabled bool) Option {
	return func(s *Store) { s.directIO = enabled }
}

// Open opens the store rooted at root, creating the folders it needs,
// deleting uploads left in tmp/ by a crashed process, and counting the
// stored blobs for Usage.
func Open(root string, opts ...Option) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, registry.Wrap(registry.KindInvalid, err, "blob store root %q", root)
	}
	s := &Store{root: abs, directIO: true, slots: make(chan struct{}, DefaultMaxConcurrentPuts),
		sizes: map[int64]int{}, recipes: map[string]int64{}, verified: map[[32]byte]bool{}}
	s.index = newChunkIndex(s)
	for _, o := range opts {
		o(s)
	}
	if err := s.makeDirs(); err != nil {
		return nil, err
	}
	if err := s.removeTemps(); err != nil {
		return nil, err
	}
	var large []registry.BlobInfo
	err = s.Walk(context.Background(), func(b registry.BlobInfo) error {
		if b.Parts != nil {
			s.recipes[b.Digest] = b.Size
			s.sizes[b.Size]++
		} else {
			s.added(b.Size)
		}
		if b.Size >= IndexMinSize {
			large = append(large, b)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.startIndex(large); err != nil {
		return nil, err
	}
	return s, nil
}

// startIndex loads the chunk lists, queues the large files that have none
// and starts the indexer.
func (s *Store) startIndex(large []registry.BlobInfo) error {
	have, err := s.index.load()
	if err != nil {
		return registry.Wrap(registry.KindInternal, err, "loading the chunk index")
	}
	for _, b := range large {
		if !have[b.Digest] {
			s.index.enqueue(b.Digest, b.Size)
		}
	}
	go s.index.run()
	return nil
}

// makeDirs creates root, tmp/ and sha256/, and makes them durable.
func (s *Store) makeDirs() error {
	for _, d := range []string{filepath.Join(s.root, tmpDir), filepath.Join(s.root, blobDir),
		filepath.Join(s.root, recipeDir), filepath.Join(s.root, chunkDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return registry.Wrap(registry.KindInternal, err, "creating blob store folder")
		}
	}
	if err := syncDir(filepath.Join(s.root, blobDir)); err != nil {
		return err
	}
	return syncDir(s.root)
}

// makeShard creates a shard folder the first time a blob goes there.
func makeShard(dir string) error {
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// removeTemps deletes every upload left in tmp/. Only Open calls it: at any
// other time the files there belong to Puts in flight.
func (s *Store) removeTemps() error {
	dir := filepath.Join(s.root, tmpDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return registry.Wrap(registry.KindInternal, err, "listing blob store temp folder")
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return registry.Wrap(registry.KindInternal, err, "removing stale upload")
		}
	}
	return nil
}

// Root returns the absolute path of the store's folder.
func (s *Store) Root() string { return s.root }

// path returns where the blob with a valid digest lives.
func (s *Store) path(digest string) string {
	hex := digest[len("sha256:"):]
	return filepath.Join(s.root, blobDir, hex[:2], hex)
}

// Stat returns the blob's size, or KindNotFound.
func (s *Store) Stat(ctx context.Context, digest string) (int64, error) {
	if err := registry.ValidateDigest(digest); err != nil {
		return 0, err
	}
	fi, err := os.Stat(s.path(digest))
	if err != nil {
		if n, ok := s.recipeSize(digest); ok && errors.Is(err, fs.ErrNotExist) {
			return n, nil
		}
		return 0, notFoundOr(err, digest)
	}
	return fi.Size(), nil
}

// Open returns the blob as an *os.File positioned at its start, and its size;
// KindNotFound when absent. The caller closes it. A file stored as a recipe
// is returned as a reader of its parts.
func (s *Store) Open(ctx context.Context, digest string) (io.ReadSeekCloser, int64, error) {
	if err := registry.ValidateDigest(digest); err != nil {
		return nil, 0, err
	}
	f, err := os.Open(s.path(digest))
	if errors.Is(err, fs.ErrNotExist) {
		if r, rerr := s.readRecipe(digest); rerr == nil {
			return s.newRecipeReader(r), r.Size, nil
		} else if !errors.Is(rerr, fs.ErrNotExist) {
			return nil, 0, registry.Wrap(registry.KindInternal, rerr, "reading blob %s", digest)
		}
	}
	if err != nil {
		return nil, 0, notFoundOr(err, digest)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, registry.Wrap(registry.KindInternal, err, "reading blob %s", digest)
	}
	return f, fi.Size(), nil
}

// Delete removes a blob, or a file stored as a recipe (not the blobs it
// uses), with its chunk list; deleting an absent blob is not an error. The
// removal is not fsynced: if a crash undoes it, the blob is still a valid,
// verified blob, and the next garbage collection removes it again.
func (s *Store) Delete(ctx context.Context, digest string) error {
	if err := registry.ValidateDigest(digest); err != nil {
		return err
	}
	if err := s.deleteRecipe(digest); err != nil {
		return err
	}
	if err := s.deleteWhole(digest); err != nil {
		return err
	}
	// Last, so that an indexer finishing the file meanwhile sees it gone.
	if err := s.index.drop(digest); err != nil {
		return registry.Wrap(registry.KindInternal, err, "deleting the chunk list of %s", digest)
	}
	return nil
}

func (s *Store) deleteWhole(digest string) error {
	p := s.path(digest)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return registry.Wrap(registry.KindInternal, err, "deleting blob %s", digest)
	}
	switch err := os.Remove(p); {
	case errors.Is(err, fs.ErrNotExist): // a concurrent Delete won
		return nil
	case err != nil:
		return registry.Wrap(registry.KindInternal, err, "deleting blob %s", digest)
	}
	s.removed(fi.Size())
	return nil
}

// deleteRecipe removes a file stored as a recipe, if it is one.
func (s *Store) deleteRecipe(digest string) error {
	err := os.Remove(s.recipePath(digest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return registry.Wrap(registry.KindInternal, err, "deleting recipe %s", digest)
	}
	s.sizesMu.Lock()
	if size, ok := s.recipes[digest]; ok {
		delete(s.recipes, digest)
		if s.sizes[size]--; s.sizes[size] <= 0 {
			delete(s.sizes, size)
		}
	}
	s.sizesMu.Unlock()
	return nil
}

func (s *Store) added(size int64) {
	s.count.Add(1)
	s.bytes.Add(size)
	s.sizesMu.Lock()
	s.sizes[size]++
	s.sizesMu.Unlock()
}

func (s *Store) removed(size int64) {
	s.count.Add(-1)
	s.bytes.Add(-size)
	s.sizesMu.Lock()
	if s.sizes[size]--; s.sizes[size] <= 0 {
		delete(s.sizes, size)
	}
	s.sizesMu.Unlock()
}

// HasSize reports whether some stored blob has exactly this size. A false
// answer means no blob of that size can be stored yet, so a client may
// upload such a file without hashing it first (see registry.BlobSizer).
func (s *Store) HasSize(size int64) bool {
	s.sizesMu.Lock()
	defer s.sizesMu.Unlock()
	return s.sizes[size] > 0
}

// Usage returns how many blobs the store holds and their total size in
// bytes. It is counted at Open and kept current by Put and Delete, so it is
// cheap enough for every metrics scrape.
func (s *Store) Usage() (count, bytes int64) {
	return s.count.Load(), s.bytes.Load()
}

func notFoundOr(err error, digest string) error {
	if errors.Is(err, fs.ErrNotExist) {
		return registry.E(registry.KindNotFound, "blob %s not found", digest)
	}
	return registry.Wrap(registry.KindInternal, err, "reading blob %s", digest)
}

// syncDir makes a folder's entries (a rename, a new subfolder) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return registry.Wrap(registry.KindInternal, err, "syncing folder")
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return registry.Wrap(registry.KindInternal, fmt.Errorf("fsync %s: %w", dir, err), "syncing folder")
	}
	return nil
}
