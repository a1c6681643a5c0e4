package client

import (
	"context"
	"fmt"
	"os"

	"golang.org/x/sync/errgroup"
)

// streamThreshold is the size from which a file no stored blob has the
// size of is uploaded while it is hashed, instead of hashed first; below it
// the time saved is too small to be worth a second request.
const streamThreshold = 8 << 20

// streamNewFiles uploads, without a hashing pass first, the large files
// whose size no stored blob has: such a file cannot be stored yet, so
// hashing it before the upload would only delay it. Each is sent with
// sendfile while a goroutine hashes a second read of it; the digest the
// server computed must equal the local one. Only the first file of each new
// size is streamed, so two identical new files are not both sent.
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
	var todo []*localFile
	var total int64
	for _, f := range candidates {
		if fresh[f.size] {
			fresh[f.size] = false
			todo = append(todo, f)
			total += f.size
		}
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

// streamFile uploads one file with IngestBlob while hashing it, and checks
// that the server stored the bytes the file holds.
func (c *Client) streamFile(ctx context.Context, f *localFile, p Progress) error {
	type hashed struct {
		size   int64
		digest string
		err    error
	}
	done := make(chan hashed, 1)
	go func() {
		size, digest, err := hashFile(ctx, f.abs, noProgress{})
		done <- hashed{size, digest, err}
	}()
	fh, err := os.Open(f.abs)
	if err != nil {
		<-done
		return err
	}
	stop := watchOffset(fh, p)
	blob, err := c.IngestBlob(ctx, f.size, fh)
	fh.Close() // net/http normally has; closing twice is harmless
	reported := stop()
	local := <-done
	switch {
	case err != nil:
		p.Add(-reported)
		return err
	case local.err != nil:
		return local.err
	case local.size != f.size || blob.Digest != local.digest:
		return fmt.Errorf("%s changed while it was being pushed (the server received %s, the file now hashes to %s); push again",
			f.abs, blob.Digest, local.digest)
	}
	p.Add(f.size - reported)
	f.digest, f.streamed = local.digest, true
	return nil
}
