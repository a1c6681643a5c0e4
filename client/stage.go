package client

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sync"
)

// maxRecipeParts is the server's limit on parts (registry.MaxRecipeParts).
const maxRecipeParts = 500_000

// Staging sizes; variables so that tests can make them small.
var (
	// segmentChunks is how many chunks one locate call covers while a file
	// is chunked: about 64 MiB of the file.
	segmentChunks = 1024
	// flushSize is how many bytes of new chunks are gathered before they
	// go up as one blob, once the file has proved worth chunking.
	flushSize int64 = 16 << 20
)

// stager is the chunked way of one large file the server lacks, built
// while the file is chunked. It looks up each segment of chunks as soon as
// they are cut and, once the server has proved to hold at least 1 MiB and
// 5% of the bytes seen (worthChunking), uploads the new chunks in blobs of
// flushSize while the rest of the file is still being chunked: on a slow
// link the upload then overlaps the hashing. Until then nothing is sent,
// so a file that turns out new is uploaded whole, never twice. finish
// sends the rest and the recipe.
type stager struct {
	c    *Client
	f    *localFile // its digest and size are read only in finish, after hashing
	path string
	// ctx bounds the uploads, which outlive the hashing phase that starts
	// them; abort cancels it.
	ctx    context.Context
	cancel context.CancelFunc

	segment []chunkRef
	found   map[string]BlobRange // chunks the server holds
	asked   map[string]bool      // digests already looked up
	noAPI   bool                 // the server has no chunk endpoints
	gaveUp  bool                 // chunking stopped: the file goes up whole
	known   int64                // bytes of the file in chunks the server holds
	seen    int64                // bytes of the file staged so far

	parts   []stagedPart
	newAt   map[string]newLoc // new chunk digest -> where it went
	batches []*chunkBatch     // the blobs of new chunks, in order
	open    *chunkBatch       // the batch being filled, nil if none

	uploads   chan *chunkBatch // batches to send, to the uploader goroutine
	uploaded  chan struct{}    // closed when the uploader is done
	uploadErr error            // set by the uploader, read after uploaded
	closeOnce sync.Once
}

// stagedPart is a recipe part: a range of a stored blob (batch < 0) or of
// the new-chunk blob batches[batch], whose digest is known after upload.
type stagedPart struct {
	BlobRange
	batch int
}

type newLoc struct {
	batch int
	off   int64
}

// chunkBatch is one blob of new chunks: ranges of the local file, sent
// back to back.
type chunkBatch struct {
	ranges []BlobRange // of the local file (Blob unused)
	size   int64
	digest string // set by the uploader
}

func newStager(ctx context.Context, c *Client, f *localFile) *stager {
	ctx, cancel := context.WithCancel(ctx)
	return &stager{c: c, f: f, path: f.abs, ctx: ctx, cancel: cancel,
		found: map[string]BlobRange{}, asked: map[string]bool{}, newAt: map[string]newLoc{}}
}

// add takes the next hashed chunks of the file, in order.
func (s *stager) add(ctx context.Context, batch []chunkRef) error {
	s.segment = append(s.segment, batch...)
	if len(s.segment) < segmentChunks {
		return nil
	}
	return s.stageSegment(ctx)
}

// stageSegment looks up the pending chunks, plans them, and sends a batch
// of new chunks when the file has proved worth chunking.
func (s *stager) stageSegment(ctx context.Context) error {
	if err := s.locate(ctx, s.segment); err != nil {
		return err
	}
	for _, ch := range s.segment {
		s.plan(ch)
	}
	s.segment = s.segment[:0]
	if s.known == 0 && s.seen >= probeSize {
		// Nothing of the first segment is stored (or the server has no
		// chunk API): the file is new, as far as a probe can tell.
		s.gaveUp = true
		return errGiveUp
	}
	if s.open != nil && s.open.size >= flushSize && worthChunking(s.known, s.seen) {
		s.send(s.open)
		s.open = nil
	}
	return nil
}

// errGiveUp stops chunking a file that goes up whole.
var errGiveUp = errors.New("the server holds none of the file's first chunks")

// locate asks the server about the chunks not asked about before.
func (s *stager) locate(ctx context.Context, chunks []chunkRef) error {
	if s.noAPI {
		return nil
	}
	var digests []string
	for _, ch := range chunks {
		if !s.asked[ch.digest] {
			s.asked[ch.digest] = true
			digests = append(digests, ch.digest)
		}
	}
	for len(digests) > 0 {
		n := min(len(digests), locateBatch)
		locs, err := s.c.LocateChunks(ctx, digests[:n])
		if noChunkAPI(err) {
			s.noAPI = true
			return nil
		}
		if err != nil {
			return err
		}
		for d, l := range locs {
			if l.Size > 0 && s.asked[d] {
				s.found[d] = l
			}
		}
		digests = digests[n:]
	}
	return nil
}

// plan adds one chunk to the recipe: a range of a stored blob when the
// server holds it, else a range of a new-chunk blob, each distinct new
// chunk sent once. Neighbouring ranges merge, so an unchanged run of
// tensors is one part.
func (s *stager) plan(ch chunkRef) {
	s.seen += ch.size
	if l, ok := s.found[ch.digest]; ok && l.Size == ch.size {
		s.known += ch.size
		s.parts = appendPart(s.parts, stagedPart{BlobRange: l, batch: -1})
		return
	}
	loc, ok := s.newAt[ch.digest]
	if !ok {
		if s.open == nil {
			s.open = &chunkBatch{}
			s.batches = append(s.batches, s.open)
		}
		loc = newLoc{batch: len(s.batches) - 1, off: s.open.size}
		s.newAt[ch.digest] = loc
		s.open.ranges = appendRange(s.open.ranges, BlobRange{Offset: ch.off, Size: ch.size})
		s.open.size += ch.size
	}
	s.parts = appendPart(s.parts, stagedPart{BlobRange: BlobRange{Offset: loc.off, Size: ch.size}, batch: loc.batch})
}

func appendPart(ps []stagedPart, p stagedPart) []stagedPart {
	if n := len(ps); n > 0 && ps[n-1].batch == p.batch && ps[n-1].Blob == p.Blob && ps[n-1].Offset+ps[n-1].Size == p.Offset {
		ps[n-1].Size += p.Size
		return ps
	}
	return append(ps, p)
}

func appendRange(rs []BlobRange, r BlobRange) []BlobRange {
	if n := len(rs); n > 0 && rs[n-1].Blob == r.Blob && rs[n-1].Offset+rs[n-1].Size == r.Offset {
		rs[n-1].Size += r.Size
		return rs
	}
	return append(rs, r)
}

// send queues a batch for the uploader, starting it on first use.
func (s *stager) send(b *chunkBatch) {
	if s.uploads == nil {
		s.uploads = make(chan *chunkBatch, 64)
		s.uploaded = make(chan struct{})
		go s.uploader()
	}
	s.uploads <- b
}

// uploader sends the batches one after another (they share one link);
// after an error it only drains.
func (s *stager) uploader() {
	defer close(s.uploaded)
	for b := range s.uploads {
		if s.uploadErr == nil {
			s.uploadErr = s.uploadBatch(b)
		}
	}
}

// closeUploads stops the uploader once the queued batches are sent, and
// reports its error. Push calls it for every stager, used or not.
func (s *stager) closeUploads() error {
	s.closeOnce.Do(func() {
		if s.uploads != nil {
			close(s.uploads)
			<-s.uploaded
		}
	})
	return s.uploadErr
}

// abort stops uploads in flight and waits for the uploader; after finish
// it only releases the context.
func (s *stager) abort() {
	s.cancel()
	s.closeUploads()
}

// sentBytes counts the bytes of the batches the server stored. Only after
// closeUploads.
func (s *stager) sentBytes() int64 {
	var n int64
	for _, b := range s.batches {
		if b.digest != "" {
			n += b.size
		}
	}
	return n
}

// finish completes the chunked way for a file the server lacks: the last
// new chunks go up, then the recipe, which the server verifies against the
// file's digest. ok is false when the file should be uploaded whole
// instead; sent counts the bytes uploaded either way.
func (s *stager) finish(ctx context.Context) (ok bool, sent int64, err error) {
	if s.gaveUp {
		s.closeUploads()
		return false, 0, nil
	}
	if err := s.stageSegment(ctx); err != nil && !errors.Is(err, errGiveUp) { // the tail
		s.closeUploads()
		return false, s.sentBytes(), err
	}
	started := s.uploads != nil
	if !started && (!worthChunking(s.known, s.f.size) || len(s.parts) > maxRecipeParts) {
		s.closeUploads()
		return false, 0, nil
	}
	if s.open != nil {
		s.send(s.open)
		s.open = nil
	}
	if err := s.closeUploads(); err != nil {
		return false, s.sentBytes(), err
	}
	recipe := Recipe{Size: s.f.size, Parts: make([]BlobRange, len(s.parts))}
	for i, p := range s.parts {
		recipe.Parts[i] = p.BlobRange
		if p.batch >= 0 {
			recipe.Parts[i].Blob = s.batches[p.batch].digest
		}
	}
	sent = s.sentBytes()
	if _, err := s.c.PutRecipe(ctx, s.f.digest, recipe); err != nil {
		if code := Code(err); code == CodeInvalidArgument || code == CodeFailedPrecondition || code == CodeMissingBlobs || noChunkAPI(err) {
			// A located blob went away (garbage collection) between the
			// lookup and the recipe (INVALID_ARGUMENT before the server's
			// check, MISSING_BLOBS during it), or the server keeps no
			// recipes: send the file whole instead. The new chunks were
			// sent all the same.
			return false, sent, nil
		}
		if IsDigestMismatch(err) {
			return false, sent, fmt.Errorf("%s changed while it was being pushed; push again: %w", s.path, err)
		}
		return false, sent, err
	}
	return true, sent, nil
}

// uploadBatch streams a batch's ranges of the file as one new blob,
// checked with CRC-32C like a streamed upload, and once more after a
// network error.
func (s *stager) uploadBatch(b *chunkBatch) error {
	ctx := s.ctx
	digest, err := s.c.uploadRanges(ctx, s.path, b)
	var ne *NetworkError
	if errors.As(err, &ne) && ctx.Err() == nil {
		digest, err = s.c.uploadRanges(ctx, s.path, b)
	}
	b.digest = digest
	return err
}

// uploadRanges sends a batch and returns the digest the server stored.
func (c *Client) uploadRanges(ctx context.Context, path string, b *chunkBatch) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	readers := make([]io.Reader, len(b.ranges))
	for i, r := range b.ranges {
		readers[i] = io.NewSectionReader(fh, r.Offset, r.Size)
	}
	crc := crc32.New(castagnoli)
	blob, err := c.IngestBlob(ctx, b.size, io.TeeReader(io.MultiReader(readers...), crc))
	if err != nil {
		return "", err
	}
	if mine := fmt.Sprintf("%08x", crc.Sum32()); blob.CRC32C != mine || blob.Size != b.size {
		return "", fmt.Errorf("uploading new chunks of %s: the server received %d bytes with CRC-32C %q, we sent %d with %q; push again",
			path, blob.Size, blob.CRC32C, b.size, mine)
	}
	return blob.Digest, nil
}

// newStagers gives a stager to each fresh file (one the server certainly
// lacks), so that it is chunked while it is hashed. It runs before hashing
// starts, which then writes the files' digests.
func (c *Client) newStagers(pushCtx context.Context, files []localFile) []*stager {
	var out []*stager
	for i := range files {
		if f := &files[i]; f.fresh && f.digest == "" {
			f.stage = newStager(pushCtx, c, f)
			out = append(out, f.stage)
		}
	}
	return out
}

// stageLarge chunks, hashes and stages the files, one after another.
func stageLarge(ctx context.Context, stagers []*stager) error {
	for _, s := range stagers {
		err := chunkStream(ctx, s.path, -1, func(b []chunkRef) error { return s.add(ctx, b) })
		if err != nil && !errors.Is(err, errGiveUp) {
			return err
		}
	}
	return nil
}
