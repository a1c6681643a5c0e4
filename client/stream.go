package client

import (
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"golang.org/x/sync/errgroup"
)

// streamThreshold is the size from which a file no stored blob has the
// size of is uploaded without a hashing pass first; below it the time saved
// is too small to be worth a second request.
const streamThreshold = 8 << 20

// streamNewFiles uploads, without hashing them first, the large files whose
// size no stored blob has: such a file cannot be stored yet, so hashing it
// before the upload would only delay it. The server names the blob by the
// SHA-256 it computes while storing it; the client checks that the server
// received exactly the file's bytes with a CRC-32C computed on both sides
// (about a tenth of the cost of SHA-256), and that the file did not change
// during the upload. Only the first file of each new size is streamed, so
// two identical new files are not both sent.
func (c *Client) streamNewFiles(ctx context.Context, files []localFile, o PushOptions, rep *PushReport) error {
	var candidates []*localFile
	var sizes []int64
	for i := range files {
		if f := &files[i]; f.target == "" && f.size >= streamThreshold {
			candidates = append(candidates, f)
			sizes = append(sizes, f.size)
		}
	}
	if len(candidates) == 0 {
		return nil
	}
	_, newSizes, err := c.CheckBlobs(ctx, nil, sizes)
	if err != nil {
		return err
	}
	fresh := map[int64]bool{}
	for _, n := range newSizes {
		fresh[n] = true
	}
	var firsts []*localFile
	for _, f := range candidates {
		if fresh[f.size] {
			fresh[f.size] = false
			firsts = append(firsts, f)
		}
	}
	todo, err := c.withoutKnownChunks(ctx, firsts, o)
	if err != nil {
		return err
	}
	var total int64
	for _, f := range todo {
		total += f.size
	}
	if len(todo) == 0 {
		return nil
	}
	p := progressOrNop(o.Progress)
	p.Start("uploading", total)
	defer p.Finish()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelism(o.Parallelism))
	for _, f := range todo {
		g.Go(func() error { return c.streamFile(gctx, f, p) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	rep.UploadedBytes += total
	rep.BlobsUploaded += len(todo)
	return nil
}

// withoutKnownChunks leaves out the files whose first chunks the server
// holds: a new size need not mean new bytes, since a header that grew moves
// every offset but keeps most chunks. Those files are hashed and go the
// chunked way instead. The probes run in parallel.
func (c *Client) withoutKnownChunks(ctx context.Context, files []*localFile, o PushOptions) ([]*localFile, error) {
	if o.NoChunking {
		return files, nil
	}
	known := make([]bool, len(files))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelism(o.Parallelism))
	for i, f := range files {
		g.Go(func() (err error) {
			known[i], err = c.probe(gctx, f)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []*localFile
	for i, f := range files {
		if known[i] {
			f.fresh = true
		} else {
			out = append(out, f)
		}
	}
	return out, nil
}

// streamFile uploads one file with IngestBlob while a goroutine computes
// the file's CRC-32C, then checks the server's CRC-32C and that the file's
// size and modification time did not change, and takes the server's digest.
func (c *Client) streamFile(ctx context.Context, f *localFile, p Progress) error {
	fh, err := os.Open(f.abs)
	if err != nil {
		return err
	}
	before, err := fh.Stat()
	if err != nil || before.Size() != f.size {
		fh.Close()
		return fmt.Errorf("%s changed while it was being pushed; push again", f.abs)
	}
	type local struct {
		crc string
		err error
	}
	done := make(chan local, 1)
	go func() {
		crc, err := crcFile(ctx, f.abs)
		done <- local{crc, err}
	}()
	stop := watchOffset(fh, p)
	blob, err := c.IngestBlob(ctx, f.size, fh)
	fh.Close() // net/http normally has; closing twice is harmless
	reported := stop()
	mine := <-done
	if err != nil {
		p.Add(-reported)
		return err
	}
	if mine.err != nil {
		return mine.err
	}
	after, err := os.Stat(f.abs)
	if err != nil || blob.CRC32C != mine.crc || blob.Size != f.size || changed(before, after) {
		return fmt.Errorf("%s changed while it was being pushed (the server received %d bytes with CRC-32C %q, the file has %q); push again",
			f.abs, blob.Size, blob.CRC32C, mine.crc)
	}
	p.Add(f.size - reported)
	f.digest, f.streamed = blob.Digest, true
	return nil
}

// changed reports whether a file's size or modification time moved between
// two stats.
func changed(a, b os.FileInfo) bool {
	return a.Size() != b.Size() || !a.ModTime().Equal(b.ModTime())
}

// crcFile returns the CRC-32C of a file as 8 hex digits.
func crcFile(ctx context.Context, name string) (string, error) {
	fh, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := crc32.New(castagnoli)
	buf := getBuf()
	defer putBuf(buf)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := fh.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			return fmt.Sprintf("%08x", h.Sum32()), nil
		}
		if err != nil {
			return "", fmt.Errorf("read %s: %w", name, err)
		}
	}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)
