package fs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelry/modelry/internal/cdc"
	"github.com/modelry/modelry/internal/registry"
)

// IndexMinSize is the size from which a stored file's chunks are indexed.
// Smaller files are cheap to send whole, and their chunks would only grow
// the index.
const IndexMinSize = 4 << 20

// sidecarMagic starts every chunk list under chunks/. A list is followed by
// one record per chunk, in file order: the chunk's SHA-256 (32 bytes) and
// its size (4 bytes, little endian); offsets are the running sum of sizes.
const sidecarMagic = "MDLCHK1\n"

const recordSize = sha256.Size + 4

// chunkLoc is where the index last saw a chunk: a byte range of a stored
// file (a blob or a recipe).
type chunkLoc struct {
	file [sha256.Size]byte
	off  int64
	size uint32
}

// chunkIndex maps chunk digests to where they are stored, for every stored
// file of at least IndexMinSize. It is kept in memory (about 100 bytes per
// 64 KiB chunk, so some 1.6 MB per GiB stored) and persisted per file as a
// chunk list under chunks/, written by a background goroutine after the
// file is stored. Reading a file back with LocateChunks resolves locations
// inside recipes to ranges of whole blobs.
type chunkIndex struct {
	s *Store

	mu     sync.RWMutex
	chunks map[[sha256.Size]byte]chunkLoc

	qmu     sync.Mutex
	queue   []string
	reload  bool // a Delete dropped locations: re-read the chunk lists
	wake    chan struct{}
	pending atomic.Int64

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

func newChunkIndex(s *Store) *chunkIndex {
	ctx, cancel := context.WithCancel(context.Background())
	return &chunkIndex{s: s, chunks: map[[sha256.Size]byte]chunkLoc{}, wake: make(chan struct{}, 1),
		ctx: ctx, cancel: cancel, done: make(chan struct{})}
}

// sidecarPath returns where the chunk list of a stored file lives.
func (s *Store) sidecarPath(digest string) string {
	hex := digest[len("sha256:"):]
	return filepath.Join(s.root, chunkDir, hex[:2], hex)
}

// IndexPending returns how many stored files wait to have their chunks
// indexed, the one being indexed included.
func (s *Store) IndexPending() int64 { return s.index.pending.Load() }

// ChunksIndexed returns how many distinct chunks the index knows.
func (s *Store) ChunksIndexed() int {
	s.index.mu.RLock()
	defer s.index.mu.RUnlock()
	return len(s.index.chunks)
}

// Close stops the background indexer, waiting for the file it is indexing.
// Files still queued are indexed at the next Open.
func (s *Store) Close() error {
	s.index.cancel()
	<-s.index.done
	return nil
}

// enqueue schedules a stored file for indexing when it is large enough.
func (ix *chunkIndex) enqueue(digest string, size int64) {
	if size < IndexMinSize {
		return
	}
	ix.pending.Add(1)
	ix.qmu.Lock()
	ix.queue = append(ix.queue, digest)
	ix.qmu.Unlock()
	select {
	case ix.wake <- struct{}{}:
	default:
	}
}

// run indexes queued files one at a time until Close.
func (ix *chunkIndex) run() {
	defer close(ix.done)
	for {
		ix.qmu.Lock()
		var next string
		if len(ix.queue) > 0 {
			next, ix.queue = ix.queue[0], ix.queue[1:]
		}
		reload := next == "" && ix.reload
		ix.reload = ix.reload && !reload
		ix.qmu.Unlock()
		if reload {
			ix.waitIdle()
			if err := ix.relocate(); err != nil && ix.ctx.Err() == nil {
				slog.Warn("re-reading the chunk lists after a delete failed", "error", err)
			}
			ix.pending.Add(-1)
			continue
		}
		if next == "" {
			select {
			case <-ix.wake:
				continue
			case <-ix.ctx.Done():
				return
			}
		}
		ix.waitIdle()
		if err := ix.indexFile(next); err != nil && ix.ctx.Err() == nil {
			// The file stays unindexed: pushes against it send whole
			// chunks, which costs bandwidth, never correctness.
			slog.Warn("indexing the chunks of a stored file failed", "digest", next, "error", err)
		}
		ix.pending.Add(-1)
	}
}

// Indexing yields to uploads: it starts on a file only when no upload or
// recipe check holds a slot, or after maxIndexDefer of waiting. On a small
// machine the indexer would otherwise take a core from the push that is
// sending the new chunks of the very file it will index next.
const (
	maxIndexDefer = 10 * time.Second
	idlePoll      = 20 * time.Millisecond
)

// waitIdle waits until no Put, Ingest or PutRecipe is in flight, for at
// most maxIndexDefer.
func (ix *chunkIndex) waitIdle() {
	deadline := time.Now().Add(maxIndexDefer)
	for len(ix.s.slots) > 0 && time.Now().Before(deadline) {
		select {
		case <-time.After(idlePoll):
		case <-ix.ctx.Done():
			return
		}
	}
}

// indexFile chunks one stored file, writes its chunk list and adds its
// chunks to the index. A file deleted meanwhile is left out.
func (ix *chunkIndex) indexFile(digest string) error {
	s := ix.s
	if _, err := os.Stat(s.sidecarPath(digest)); err == nil {
		return nil
	}
	rc, _, err := s.Open(ix.ctx, digest)
	if registry.Is(err, registry.KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	list, err := chunkList(ix.ctx, rc)
	rc.Close()
	if err != nil {
		return err
	}
	path := s.sidecarPath(digest)
	if err := s.writeAtomic(path, list); err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if _, err := s.Stat(ix.ctx, digest); err != nil { // deleted while we chunked it
		os.Remove(path)
		return nil
	}
	ix.add(digest, list)
	return nil
}

// chunkList splits r into chunks and returns its chunk list, magic first.
// Chunking and hashing run in two goroutines, so indexing a file costs
// about the time of one SHA-256 pass.
func chunkList(ctx context.Context, r io.Reader) ([]byte, error) {
	const inFlight = 16
	free := make(chan []byte, inFlight) // chunk buffers, reused
	for range inFlight {
		free <- make([]byte, cdc.MaxSize)
	}
	jobs := make(chan []byte, inFlight)
	var list bytes.Buffer
	list.WriteString(sidecarMagic)
	var wg sync.WaitGroup
	wg.Go(func() {
		var rec [recordSize]byte
		for chunk := range jobs {
			sum := sha256.Sum256(chunk)
			copy(rec[:], sum[:])
			binary.LittleEndian.PutUint32(rec[sha256.Size:], uint32(len(chunk)))
			list.Write(rec[:])
			free <- chunk[:cap(chunk)]
		}
	})
	c := cdc.NewChunker(r)
	var err error
	for {
		if err = ctx.Err(); err != nil {
			break
		}
		var chunk []byte
		if chunk, _, err = c.Next(); err != nil {
			break
		}
		buf := <-free
		jobs <- buf[:copy(buf, chunk)]
	}
	close(jobs)
	wg.Wait()
	if err != io.EOF {
		return nil, err
	}
	return list.Bytes(), nil
}

// add puts a file's chunks in the index; a chunk already indexed keeps its
// first location. Callers hold ix.mu.
func (ix *chunkIndex) add(digest string, list []byte) {
	file, _ := digestKey(digest)
	var off int64
	for rec := range records(list) {
		var key [sha256.Size]byte
		copy(key[:], rec)
		size := binary.LittleEndian.Uint32(rec[sha256.Size:])
		if _, ok := ix.chunks[key]; !ok {
			ix.chunks[key] = chunkLoc{file: file, off: off, size: size}
		}
		off += int64(size)
	}
}

// records yields the records of a chunk list (nothing if it is malformed).
func records(list []byte) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		body, ok := bytes.CutPrefix(list, []byte(sidecarMagic))
		if !ok || len(body)%recordSize != 0 {
			return
		}
		for i := 0; i < len(body); i += recordSize {
			if !yield(body[i : i+recordSize]) {
				return
			}
		}
	}
}

// drop removes a deleted file's chunk list and the index entries that point
// into it.
func (ix *chunkIndex) drop(digest string) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	path := ix.s.sidecarPath(digest)
	list, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	file, _ := digestKey(digest)
	dropped := false
	for rec := range records(list) {
		var key [sha256.Size]byte
		copy(key[:], rec)
		if loc, ok := ix.chunks[key]; ok && loc.file == file {
			delete(ix.chunks, key)
			dropped = true
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if dropped {
		ix.requestRelocate()
	}
	return nil
}

// requestRelocate asks the indexer to re-read the chunk lists once its
// queue is empty. The index keeps one location per chunk; when a Delete
// drops it, other stored files may still hold the chunk, and without this
// they would not be found again before the next Open.
func (ix *chunkIndex) requestRelocate() {
	ix.qmu.Lock()
	if !ix.reload {
		ix.reload = true
		ix.pending.Add(1)
	}
	ix.qmu.Unlock()
	select {
	case ix.wake <- struct{}{}:
	default:
	}
}

// relocate reads every chunk list again and adds the chunks the index lost,
// for files still stored (a list's file is checked under ix.mu, as in
// indexFile, so a file deleted meanwhile is left out).
func (ix *chunkIndex) relocate() error {
	root := filepath.Join(ix.s.root, chunkDir)
	shards, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	for _, shard := range shards {
		entries, err := os.ReadDir(filepath.Join(root, shard.Name()))
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := ix.ctx.Err(); err != nil {
				return err
			}
			digest := "sha256:" + e.Name()
			if registry.ValidateDigest(digest) != nil {
				continue
			}
			list, err := os.ReadFile(filepath.Join(root, shard.Name(), e.Name()))
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted meanwhile
			}
			if err != nil {
				return err
			}
			ix.mu.Lock()
			if _, err := ix.s.Stat(ix.ctx, digest); err == nil {
				ix.add(digest, list)
			}
			ix.mu.Unlock()
		}
	}
	return nil
}

// load reads every chunk list into the index at Open, deleting lists of
// files no longer stored (a crash between a Delete's steps). It returns the
// files that have a list.
func (ix *chunkIndex) load() (map[string]bool, error) {
	have := map[string]bool{}
	root := filepath.Join(ix.s.root, chunkDir)
	shards, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, shard := range shards {
		entries, err := os.ReadDir(filepath.Join(root, shard.Name()))
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			digest := "sha256:" + e.Name()
			if registry.ValidateDigest(digest) != nil {
				continue
			}
			path := filepath.Join(root, shard.Name(), e.Name())
			if _, err := ix.s.Stat(context.Background(), digest); err != nil {
				os.Remove(path)
				continue
			}
			list, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			ix.add(digest, list)
			have[digest] = true
		}
	}
	return have, nil
}

// LocateChunks returns, for the chunks the index knows, a range of a whole
// blob that holds them. See registry.ChunkStore.
func (s *Store) LocateChunks(ctx context.Context, digests []string) (map[string]registry.BlobRange, error) {
	type hit struct {
		digest string
		loc    chunkLoc
	}
	var hits []hit
	s.index.mu.RLock()
	for _, d := range digests {
		key, err := digestKey(d)
		if err != nil {
			s.index.mu.RUnlock()
			return nil, err
		}
		if loc, ok := s.index.chunks[key]; ok {
			hits = append(hits, hit{d, loc})
		}
	}
	s.index.mu.RUnlock()
	out := make(map[string]registry.BlobRange, len(hits))
	r := resolver{s: s, whole: map[[sha256.Size]byte]bool{}, recipes: map[[sha256.Size]byte]*registry.Recipe{}}
	for _, h := range hits {
		if br, ok := r.resolve(h.loc); ok {
			out[h.digest] = br
		}
	}
	return out, nil
}

// resolver turns index locations into ranges of whole blobs, remembering
// the files it looked at for the rest of one LocateChunks call.
type resolver struct {
	s       *Store
	whole   map[[sha256.Size]byte]bool
	recipes map[[sha256.Size]byte]*registry.Recipe // nil: neither whole nor recipe
}

func (r *resolver) resolve(loc chunkLoc) (registry.BlobRange, bool) {
	file := "sha256:" + hex.EncodeToString(loc.file[:])
	whole, seen := r.whole[loc.file]
	if !seen {
		_, err := os.Stat(r.s.path(file))
		whole = err == nil
		r.whole[loc.file] = whole
	}
	if whole {
		return registry.BlobRange{Blob: file, Offset: loc.off, Size: int64(loc.size)}, true
	}
	rec, seen := r.recipes[loc.file]
	if !seen {
		if got, err := r.s.readRecipe(file); err == nil {
			rec = &got
		}
		r.recipes[loc.file] = rec
	}
	if rec == nil {
		return registry.BlobRange{}, false
	}
	// A chunk that straddles two parts has no single range; a client sends
	// it again, which costs one chunk.
	parts := sliceRecipe(*rec, loc.off, int64(loc.size))
	if len(parts) != 1 {
		return registry.BlobRange{}, false
	}
	key, _ := digestKey(parts[0].Blob)
	if stored, seen := r.whole[key]; seen {
		return parts[0], stored
	}
	_, err := os.Stat(r.s.path(parts[0].Blob))
	r.whole[key] = err == nil
	return parts[0], err == nil
}

// digestKey parses a "sha256:<hex>" digest into its 32 bytes.
func digestKey(digest string) ([sha256.Size]byte, error) {
	var key [sha256.Size]byte
	if err := registry.ValidateDigest(digest); err != nil {
		return key, err
	}
	if _, err := hex.Decode(key[:], []byte(digest[len("sha256:"):])); err != nil {
		return key, registry.E(registry.KindInvalid, "digest %q is not hex", digest)
	}
	return key, nil
}
