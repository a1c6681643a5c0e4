package client

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// recipePlan is how a file is sent the chunked way: the ranges of the file
// that go up as one new blob, and the recipe with placeholder parts (blob
// "") for ranges of that new blob.
type recipePlan struct {
	upload  []BlobRange // ranges of the local file (Blob unused), in order
	newSize int64
	recipe  Recipe
}

// planRecipe builds the plan: chunks the server holds become ranges of its
// blobs; the others are appended to the new blob, each distinct chunk once.
// Neighbouring ranges are merged, so an unchanged run of tensors is one part.
func planRecipe(size int64, chunks []chunkRef, found map[string]BlobRange) recipePlan {
	p := recipePlan{recipe: Recipe{Size: size, Parts: []BlobRange{}}}
	sent := map[string]int64{} // digest -> offset in the new blob
	for _, ch := range chunks {
		if l, ok := found[ch.digest]; ok && l.Size == ch.size {
			p.recipe.Parts = appendRange(p.recipe.Parts, l)
			continue
		}
		off, ok := sent[ch.digest]
		if !ok {
			off = p.newSize
			sent[ch.digest] = off
			p.upload = appendRange(p.upload, BlobRange{Offset: ch.off, Size: ch.size})
			p.newSize += ch.size
		}
		p.recipe.Parts = appendRange(p.recipe.Parts, BlobRange{Offset: off, Size: ch.size})
	}
	return p
}

// maxRecipeParts is the server's limit on parts (registry.MaxRecipeParts).
const maxRecipeParts = 500_000

func appendRange(rs []BlobRange, r BlobRange) []BlobRange {
	if n := len(rs); n > 0 && rs[n-1].Blob == r.Blob && rs[n-1].Offset+rs[n-1].Size == r.Offset {
		rs[n-1].Size += r.Size
		return rs
	}
	return append(rs, r)
}

// pushChunked sends a file the server lacks as a recipe when the server
// holds enough of its chunks: it uploads the other chunks as one new blob
// (checked with CRC-32C like a streamed upload) and then the recipe, which
// the server verifies against the file's digest. ok is false when the file
// should be uploaded whole instead; sent counts the bytes uploaded either way.
func (c *Client) pushChunked(ctx context.Context, f *localFile) (ok bool, sent int64, err error) {
	found, err := c.locateAll(ctx, f.chunks)
	if err != nil {
		return false, 0, err
	}
	if !worthChunking(knownBytes(f.chunks, found), f.size) {
		return false, 0, nil
	}
	plan := planRecipe(f.size, f.chunks, found)
	if len(plan.recipe.Parts) > maxRecipeParts {
		return false, 0, nil
	}
	if plan.newSize > 0 {
		digest, err := c.uploadRanges(ctx, f, plan)
		var ne *NetworkError
		if errors.As(err, &ne) && ctx.Err() == nil {
			digest, err = c.uploadRanges(ctx, f, plan) // once more, as whole uploads do
		}
		if err != nil {
			return false, 0, err
		}
		for i := range plan.recipe.Parts {
			if plan.recipe.Parts[i].Blob == "" {
				plan.recipe.Parts[i].Blob = digest
			}
		}
	}
	if _, err := c.PutRecipe(ctx, f.digest, plan.recipe); err != nil {
		if code := Code(err); code == CodeInvalidArgument || code == CodeFailedPrecondition || noChunkAPI(err) {
			// A located blob went away (garbage collection) between the
			// lookup and the recipe, or the server keeps no recipes: send
			// the file whole instead. The new chunks were sent all the same.
			return false, plan.newSize, nil
		}
		if IsDigestMismatch(err) {
			return false, 0, fmt.Errorf("%s changed while it was being pushed; push again: %w", f.abs, err)
		}
		return false, 0, err
	}
	return true, plan.newSize, nil
}

// uploadRanges streams the plan's ranges of the file as one new blob and
// returns its digest.
func (c *Client) uploadRanges(ctx context.Context, f *localFile, plan recipePlan) (string, error) {
	fh, err := os.Open(f.abs)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	readers := make([]io.Reader, len(plan.upload))
	for i, r := range plan.upload {
		readers[i] = io.NewSectionReader(fh, r.Offset, r.Size)
	}
	crc := crc32.New(castagnoli)
	blob, err := c.IngestBlob(ctx, plan.newSize, io.TeeReader(io.MultiReader(readers...), crc))
	if err != nil {
		return "", err
	}
	if mine := fmt.Sprintf("%08x", crc.Sum32()); blob.CRC32C != mine || blob.Size != plan.newSize {
		return "", fmt.Errorf("uploading the new chunks of %s: the server received %d bytes with CRC-32C %q, we sent %d with %q; push again",
			f.abs, blob.Size, blob.CRC32C, plan.newSize, mine)
	}
	return blob.Digest, nil
}

// chunkLarge cuts and hashes the chunks of the files that may go the
// chunked way: large regular files whose digest is not known yet. It runs
// beside hashFiles, so both read each file while it is in the page cache.
func chunkLarge(ctx context.Context, files []localFile) error {
	for i := range files {
		f := &files[i]
		if f.target != "" || f.digest != "" || f.size < chunkMinSize {
			continue
		}
		chunks, err := chunkFile(ctx, f.abs, -1)
		if err != nil {
			return err
		}
		f.chunks = chunks
	}
	return nil
}
