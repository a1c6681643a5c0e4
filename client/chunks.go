package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"sync"

	"github.com/modelry/modelry/internal/cdc"
)

// Chunk-level dedup on push (docs/storage.md, "Chunks and recipes"): a
// large file the server lacks is cut into content-defined chunks; the
// server says which it holds; only the others are uploaded, as one new
// blob, and the file is stored as a recipe of ranges of stored blobs.

// Thresholds of the chunked path.
const (
	// chunkMinSize is the smallest file that is chunked; the server indexes
	// files from this size on too.
	chunkMinSize = 4 << 20
	// chunkMinKnown and chunkMinKnownShare: a file goes the chunked way
	// only when the server holds at least this many of its bytes, and this
	// share of them. Below that the recipe's costs (a second request, the
	// server re-reading the file to verify it) outweigh the bytes saved.
	chunkMinKnown      = 1 << 20
	chunkMinKnownShare = 0.05
	// probeSize is how much of a new file is chunked and looked up before
	// the file is streamed whole: a file whose header grew by a few bytes
	// has a new size but mostly old chunks.
	probeSize = 16 << 20
	// locateBatch is how many chunk digests one locate call asks about
	// (the server's limit).
	locateBatch = 10_000
)

// BlobRange is a byte range of a blob stored whole on the server.
type BlobRange struct {
	Blob   string `json:"blob"`
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
}

// Recipe describes a file as ranges of stored blobs, in order.
type Recipe struct {
	Size  int64       `json:"size"`
	Parts []BlobRange `json:"parts"`
}

// LocateChunks returns where the server holds chunks, by chunk digest
// ("sha256:" of the chunk's bytes); unknown chunks are left out (writer).
// At most 10000 digests per call.
func (c *Client) LocateChunks(ctx context.Context, digests []string) (map[string]BlobRange, error) {
	var out struct {
		Locations map[string]BlobRange `json:"locations"`
	}
	body := map[string][]string{"digests": digests}
	err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/chunks/locate", json: body}, &out)
	return out.Locations, err
}

// PutRecipe stores the file digest as a recipe of stored blob ranges
// (writer). The server hashes the bytes they make and refuses a mismatch
// (DIGEST_MISMATCH). created is false when the file was already stored.
func (c *Client) PutRecipe(ctx context.Context, digest string, r Recipe) (created bool, err error) {
	resp, err := c.send(ctx, request{method: http.MethodPut, path: blobPath(digest) + "/recipe", json: r})
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusCreated, nil
}

// chunkRef is one content-defined chunk of a local file.
type chunkRef struct {
	off    int64
	size   int64
	digest string
}

// chunkFile cuts a file into chunks and hashes each, reading at most limit
// bytes (all when limit < 0).
func chunkFile(ctx context.Context, name string, limit int64) ([]chunkRef, error) {
	var out []chunkRef
	err := chunkStream(ctx, name, limit, func(b []chunkRef) error {
		out = append(out, b...)
		return nil
	})
	return out, err
}

// chunkStream cuts a file into chunks and hands fn their hashed batches in
// file order, reading at most limit bytes (all when limit < 0). One
// goroutine finds the boundaries while others hash batches of chunks,
// re-reading them from the page cache with ReadAt; with the whole-file hash
// running beside it, a push keeps every core busy. An error from fn stops
// the work and is returned.
func chunkStream(ctx context.Context, name string, limit int64, fn func([]chunkRef) error) error {
	fh, err := os.Open(name)
	if err != nil {
		return err
	}
	defer fh.Close()
	var r io.Reader = fh
	if limit >= 0 {
		r = io.LimitReader(fh, limit)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		refs []chunkRef
		done chan error // the hash of refs, or the cutter's error
	}
	jobs := make(chan job, 16)
	order := make(chan job, 64) // the same jobs in file order
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)/2) {
		wg.Go(func() {
			buf := make([]byte, cdc.MaxSize)
			for j := range jobs {
				j.done <- hashBatch(fh, buf, j.refs)
			}
		})
	}
	go func() {
		err := cutChunks(ctx, r, func(b []chunkRef) {
			j := job{refs: b, done: make(chan error, 1)}
			order <- j
			jobs <- j
		})
		close(jobs)
		if err != nil {
			j := job{done: make(chan error, 1)}
			j.done <- err
			order <- j
		}
		close(order)
	}()
	var first error
	for j := range order { // drained to the end, so no goroutine is left blocked
		err := <-j.done
		if first == nil && err == nil && j.refs != nil {
			err = fn(j.refs)
		}
		if first == nil && err != nil {
			first = err
			cancel()
		}
	}
	wg.Wait()
	if first != nil {
		return fmt.Errorf("chunking %s: %w", name, first)
	}
	return nil
}

// cutChunks finds the chunk boundaries of r and hands them out in batches.
func cutChunks(ctx context.Context, r io.Reader, emit func([]chunkRef)) error {
	batchLen := min(64, segmentChunks)
	ch := cdc.NewChunker(r)
	batch := make([]chunkRef, 0, batchLen)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk, off, err := ch.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		batch = append(batch, chunkRef{off: off, size: int64(len(chunk))})
		if len(batch) == batchLen {
			emit(batch)
			batch = make([]chunkRef, 0, batchLen)
		}
	}
	if len(batch) > 0 {
		emit(batch)
	}
	return nil
}

// hashBatch fills in the digests of a batch's chunks.
func hashBatch(f *os.File, buf []byte, b []chunkRef) error {
	for i := range b {
		data := buf[:b[i].size]
		if _, err := f.ReadAt(data, b[i].off); err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		b[i].digest = "sha256:" + hex.EncodeToString(sum[:])
	}
	return nil
}

// noChunkAPI reports whether err says the server has no chunk endpoints
// (a server older than chunk-level dedup): then files go up whole.
func noChunkAPI(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == http.StatusNotFound || e.Status == http.StatusMethodNotAllowed)
}

// locateAll asks the server about every distinct chunk digest, in batches.
// A server without the chunk API holds no chunks.
func (c *Client) locateAll(ctx context.Context, chunks []chunkRef) (map[string]BlobRange, error) {
	seen := map[string]bool{}
	var digests []string
	for _, ch := range chunks {
		if !seen[ch.digest] {
			seen[ch.digest] = true
			digests = append(digests, ch.digest)
		}
	}
	found := map[string]BlobRange{}
	for len(digests) > 0 {
		n := min(len(digests), locateBatch)
		locs, err := c.LocateChunks(ctx, digests[:n])
		if noChunkAPI(err) {
			return found, nil
		}
		if err != nil {
			return nil, err
		}
		for d, l := range locs {
			if l.Size > 0 && seen[d] {
				found[d] = l
			}
		}
		digests = digests[n:]
	}
	return found, nil
}

// knownBytes sums the sizes of the chunks the server holds.
func knownBytes(chunks []chunkRef, found map[string]BlobRange) int64 {
	var n int64
	for _, ch := range chunks {
		if l, ok := found[ch.digest]; ok && l.Size == ch.size {
			n += ch.size
		}
	}
	return n
}

// worthChunking says whether a file of size whose server-held bytes are
// known should go the chunked way.
func worthChunking(known, size int64) bool {
	return known >= chunkMinKnown && float64(known) >= chunkMinKnownShare*float64(size)
}

// probe chunks the first probeSize bytes of a new file and reports whether
// the server holds enough of them that the file should be chunked rather
// than streamed whole.
func (c *Client) probe(ctx context.Context, f *localFile) (bool, error) {
	chunks, err := chunkFile(ctx, f.abs, probeSize)
	if err != nil {
		return false, err
	}
	if f.size > probeSize && len(chunks) > 1 {
		chunks = chunks[:len(chunks)-1] // cut by the probe's end, not by content
	}
	found, err := c.locateAll(ctx, chunks)
	if err != nil {
		return false, err
	}
	return knownBytes(chunks, found) >= min(chunkMinKnown, f.size/2), nil
}
