package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sync/errgroup"
)

// PushOptions describe the version a Push creates.
type PushOptions struct {
	Label       string // optional, unique per model, e.g. "1.0"
	Description string
	Metrics     map[string]float64
	Params      map[string]string
	Tags        map[string]string
	Aliases     []string // pointed at the new version in the same commit
	Source      *Source
	Kind        string        // KindDataset to push a dataset; KindModel when empty
	Lineage     *LineageInput // datasets and parent the version was made from

	// Parallelism is how many blobs upload at once; 4 when 0.
	Parallelism int
	// NoChunking turns chunk-level dedup off: large files the server lacks
	// are uploaded whole even when it holds most of their chunks.
	NoChunking bool
	// Progress, when set, receives the "hashing" and "uploading" phases.
	Progress Progress
}

// PushReport says what a Push did.
type PushReport struct {
	Files         int   // regular files in the version
	Links         int   // symbolic links in the version
	Bytes         int64 // total size of the files
	UploadedBytes int64 // bytes sent to the server (0 when it had every blob)
	BlobsUploaded int
	BlobsSkipped  int   // blobs the server already had
	ChunkedFiles  int   // files sent as recipes: only their new chunks went up
	ReusedBytes   int64 // bytes of those files the server already held
}

// Push creates a new version of model from local files and directories: it
// hashes every file, asks the server which blobs it lacks, uploads only
// those (several at once), then creates the version. paths follow the rules
// of collectFiles: one file is stored under its base name; one directory
// contributes its contents; with several paths each file keeps its base name
// and each directory's contents go under the directory's name. Symbolic links
// inside the tree are kept as links; links leaving it are refused.
func (c *Client) Push(ctx context.Context, model string, paths []string, o PushOptions) (Version, PushReport, error) {
	files, err := collectFiles(paths)
	if err != nil {
		return Version{}, PushReport{}, err
	}
	var rep PushReport
	for i := range files {
		if files[i].target != "" {
			rep.Links++
			continue
		}
		rep.Files++
		info, err := os.Stat(files[i].abs)
		if err != nil {
			return Version{}, rep, err
		}
		files[i].size = info.Size()
	}
	if err := c.streamNewFiles(ctx, files, o, &rep); err != nil {
		return Version{}, rep, err
	}
	defer func() {
		for _, f := range files {
			if f.stage != nil {
				f.stage.abort()
			}
		}
	}()
	if err := c.hashRest(ctx, files, o); err != nil {
		return Version{}, rep, err
	}
	for _, f := range files {
		rep.Bytes += f.size
	}
	if err := c.uploadMissing(ctx, files, o, &rep); err != nil {
		return Version{}, rep, err
	}
	v, err := c.CreateVersion(ctx, model, newVersion(files, o))
	return v, rep, err
}

// hashRest hashes the regular files whose digest is not known yet. Fresh
// files (which the server lacks, see localFile) are chunked and staged at
// the same time; other large files are chunked only once the server says
// it lacks them: on a machine with few cores, chunking every file while
// hashing would slow down re-pushes of unchanged files for nothing.
func (c *Client) hashRest(ctx context.Context, files []localFile, o PushOptions) error {
	var total int64
	for _, f := range files {
		if f.target == "" && f.digest == "" {
			total += f.size
		}
	}
	p := progressOrNop(o.Progress)
	p.Start("hashing", total)
	defer p.Finish()
	var stagers []*stager
	if !o.NoChunking {
		stagers = c.newStagers(ctx, files)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return hashFiles(gctx, files, p) })
	g.Go(func() error { return stageLarge(gctx, stagers) })
	return g.Wait()
}

func newVersion(files []localFile, o PushOptions) NewVersion {
	nv := NewVersion{
		Label: o.Label, Description: o.Description, Metrics: o.Metrics, Params: o.Params,
		Tags: o.Tags, Aliases: o.Aliases, Source: o.Source, Files: make([]File, len(files)),
		Kind: o.Kind, Lineage: o.Lineage,
	}
	for i, f := range files {
		nv.Files[i] = File{Path: f.path, Size: f.size, Digest: f.digest, Mode: f.mode, Target: f.target}
	}
	return nv
}

// uploadMissing uploads the blobs the server lacks, Parallelism at a time.
func (c *Client) uploadMissing(ctx context.Context, files []localFile, o PushOptions, rep *PushReport) error {
	byDigest := map[string]*localFile{}
	var digests []string
	for i := range files {
		f := &files[i]
		if f.target == "" && !f.streamed && byDigest[f.digest] == nil {
			byDigest[f.digest] = f
			digests = append(digests, f.digest)
		}
	}
	missing, err := c.MissingBlobs(ctx, digests)
	if err != nil {
		return err
	}
	var total int64
	for _, d := range missing {
		if byDigest[d] == nil {
			return fmt.Errorf("server asked for blob %s, which this push does not contain", d)
		}
		total += byDigest[d].size
	}
	rep.BlobsUploaded += len(missing)
	rep.BlobsSkipped += len(digests) - len(missing)
	p := progressOrNop(o.Progress)
	p.Start("uploading", total)
	defer p.Finish()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelism(o.Parallelism))
	var mu sync.Mutex
	for _, d := range missing {
		f := byDigest[d]
		g.Go(func() error {
			if !o.NoChunking && f.stage == nil && f.size >= chunkMinSize {
				f.stage = newStager(ctx, c, f)
				if err := stageLarge(gctx, []*stager{f.stage}); err != nil {
					return err
				}
			}
			if f.stage != nil {
				ok, sent, err := f.stage.finish(gctx)
				mu.Lock()
				rep.UploadedBytes += sent
				if ok {
					rep.ChunkedFiles++
					rep.ReusedBytes += f.size - sent
				}
				mu.Unlock()
				if err != nil || ok {
					if ok {
						p.Add(f.size)
					}
					return err
				}
			}
			if err := c.uploadWithRetry(gctx, f, p); err != nil {
				return err
			}
			mu.Lock()
			rep.UploadedBytes += f.size
			mu.Unlock()
			return nil
		})
	}
	return g.Wait()
}

// uploadWithRetry uploads one blob, once more if the network failed.
func (c *Client) uploadWithRetry(ctx context.Context, f *localFile, p Progress) error {
	err := c.uploadFile(ctx, f, p)
	var ne *NetworkError
	if errors.As(err, &ne) && ctx.Err() == nil {
		err = c.uploadFile(ctx, f, p)
	}
	if IsDigestMismatch(err) {
		return fmt.Errorf("%s changed while it was being pushed; push again: %w", f.abs, err)
	}
	return err
}

// uploadFile PUTs one file as a blob. The *os.File goes to net/http as is, so
// that the body is sent with sendfile on Linux; net/http closes it.
func (c *Client) uploadFile(ctx context.Context, f *localFile, p Progress) error {
	fh, err := os.Open(f.abs)
	if err != nil {
		return err
	}
	if info, err := fh.Stat(); err != nil || info.Size() != f.size {
		fh.Close()
		return fmt.Errorf("%s changed while it was being pushed (it was %d bytes when hashed); push again", f.abs, f.size)
	}
	stop := watchOffset(fh, p)
	_, _, err = c.PutBlob(ctx, f.digest, f.size, fh)
	fh.Close() // net/http normally has; closing twice is harmless
	reported := stop()
	if err != nil {
		p.Add(-reported) // a retry reports these bytes again
		return err
	}
	p.Add(f.size - reported)
	return nil
}

func parallelism(n int) int {
	if n <= 0 {
		return 4
	}
	return n
}
