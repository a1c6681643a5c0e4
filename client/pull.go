package client

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sync/errgroup"
)

// PullOptions tune a Pull.
type PullOptions struct {
	// Parallelism is how many files download at once; 4 when 0.
	Parallelism int
	// Progress, when set, receives the "checking" and "downloading" phases.
	Progress Progress
	// SkipVerify turns off the SHA-256 check of downloaded bytes. Pull
	// verifies every file by default; leave this false.
	SkipVerify bool
}

// PullReport says what a Pull did.
type PullReport struct {
	Version         Version
	Files           int   // regular files in the version
	Links           int   // symbolic links recreated
	Bytes           int64 // total size of the files
	DownloadedBytes int64
	Skipped         int // files already present with the right digest
}

// Pull resolves ref and writes the version's files under dest, creating it
// if needed. Each file is downloaded into a temporary file next to its final
// place while it is hashed, verified, fsynced and only then renamed into
// place with its mode; a file whose bytes do not match its digest is an
// error naming it, and leaves nothing behind. Files already in dest with the
// right content are not downloaded again. Files in dest that the version
// does not list are left alone.
func (c *Client) Pull(ctx context.Context, ref, dest string, o PullOptions) (PullReport, error) {
	v, err := c.Resolve(ctx, ref)
	if err != nil {
		return PullReport{}, err
	}
	return c.PullVersion(ctx, v, dest, o)
}

// PullVersion writes the files of an already resolved version under dest;
// see Pull.
func (c *Client) PullVersion(ctx context.Context, v Version, dest string, o PullOptions) (PullReport, error) {
	rep := PullReport{Version: v}
	if err := checkManifest(v.Files); err != nil {
		return rep, err
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return rep, err
	}
	todo, err := filesToFetch(ctx, dest, v.Files, o.Progress, &rep)
	if err != nil {
		return rep, err
	}
	if err := c.downloadAll(ctx, dest, todo, o, &rep); err != nil {
		return rep, err
	}
	for _, f := range v.Files {
		if f.IsLink() {
			if err := makeLink(dest, f); err != nil {
				return rep, err
			}
			rep.Links++
		}
	}
	return rep, syncDirs(dest, v.Files)
}

// checkManifest refuses paths and link targets that would write outside the
// destination, whatever the server sent.
func checkManifest(files []File) error {
	for _, f := range files {
		p := f.Path
		if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
			return fmt.Errorf("the server sent an unsafe file path %q; refusing to pull", p)
		}
		if f.IsLink() {
			t := path.Join(path.Dir(p), f.Target)
			if strings.HasPrefix(f.Target, "/") || t == ".." || strings.HasPrefix(t, "../") {
				return fmt.Errorf("the server sent link %q -> %q, which leaves the tree; refusing to pull", p, f.Target)
			}
		}
	}
	return nil
}

// filesToFetch returns the regular files that dest lacks or holds with other
// content, hashing the ones that are present with the right size.
func filesToFetch(ctx context.Context, dest string, files []File, prog Progress, rep *PullReport) ([]File, error) {
	p := progressOrNop(prog)
	var present []int
	var presentBytes int64
	for i, f := range files {
		if f.IsLink() {
			continue
		}
		rep.Files++
		rep.Bytes += f.Size
		if info, err := os.Lstat(localPath(dest, f.Path)); err == nil && info.Mode().IsRegular() && info.Size() == f.Size {
			present = append(present, i)
			presentBytes += f.Size
		}
	}
	same := make([]bool, len(files))
	p.Start("checking", presentBytes)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, i := range present {
		g.Go(func() error {
			_, digest, err := hashFile(gctx, localPath(dest, files[i].Path), p)
			same[i] = err == nil && digest == files[i].Digest
			return gctx.Err()
		})
	}
	err := g.Wait()
	p.Finish()
	var todo []File
	for i, f := range files {
		switch {
		case f.IsLink():
		case same[i]:
			rep.Skipped++
			if err := os.Chmod(localPath(dest, f.Path), fs.FileMode(f.Mode)); err != nil {
				return nil, err
			}
		default:
			todo = append(todo, f)
		}
	}
	return todo, err
}

// downloadAll downloads files, Parallelism at a time.
func (c *Client) downloadAll(ctx context.Context, dest string, files []File, o PullOptions, rep *PullReport) error {
	var total int64
	for _, f := range files {
		total += f.Size
	}
	p := progressOrNop(o.Progress)
	p.Start("downloading", total)
	defer p.Finish()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelism(o.Parallelism))
	for _, f := range files {
		g.Go(func() error { return c.download(gctx, dest, f, !o.SkipVerify, p) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	rep.DownloadedBytes = total
	return nil
}

// download fetches one file's blob into a temporary file beside its final
// place, verifies and fsyncs it, sets its mode and renames it into place.
func (c *Client) download(ctx context.Context, dest string, f File, verify bool, p Progress) (err error) {
	final := localPath(dest, f.Path)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return err
	}
	body, _, err := c.OpenBlob(ctx, f.Digest, 0)
	if err != nil {
		return fmt.Errorf("download %s: %w", f.Path, err)
	}
	defer body.Close()
	tmp, err := os.CreateTemp(filepath.Dir(final), ".modelry-pull-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, digest, err := ingest(newFileSink(tmp, f.Size), body, verify, func(k int) { p.Add(int64(k)) })
	if err != nil {
		return fmt.Errorf("download %s: %w", f.Path, err)
	}
	if n != f.Size || verify && digest != f.Digest {
		return &Error{Code: CodeDigestMismatch, Message: fmt.Sprintf(
			"file %q: received %d bytes hashing to %s; the version lists %d bytes with %s", f.Path, n, digest, f.Size, f.Digest)}
	}
	if err = tmp.Chmod(fs.FileMode(f.Mode)); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return replace(tmp.Name(), final)
}

// replace renames tmp onto final, first removing a directory or link that
// stands where the file goes.
func replace(tmp, final string) error {
	if info, err := os.Lstat(final); err == nil && !info.Mode().IsRegular() {
		if err := os.RemoveAll(final); err != nil {
			return err
		}
	}
	return os.Rename(tmp, final)
}

// makeLink (re)creates a symbolic link of the version.
func makeLink(dest string, f File) error {
	final := localPath(dest, f.Path)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return err
	}
	if cur, err := os.Readlink(final); err == nil && cur == filepath.FromSlash(f.Target) {
		return nil
	}
	if err := os.RemoveAll(final); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.Symlink(filepath.FromSlash(f.Target), final)
}

// syncDirs fsyncs dest and every folder that received files, so that the
// renames survive a crash.
func syncDirs(dest string, files []File) error {
	dirs := map[string]bool{dest: true}
	for _, f := range files {
		dirs[filepath.Dir(localPath(dest, f.Path))] = true
	}
	for d := range dirs {
		fh, err := os.Open(d)
		if err != nil {
			return err
		}
		err = fh.Sync()
		fh.Close()
		if err != nil {
			return fmt.Errorf("sync %s: %w", d, err)
		}
	}
	return nil
}

func localPath(dest, p string) string { return filepath.Join(dest, filepath.FromSlash(p)) }
