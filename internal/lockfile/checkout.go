package lockfile

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/modelry/modelry/internal/registry"
)

// Downloader writes files under dir: regular files verified against their
// digests and links, each atomically (temporary file, fsync, rename),
// replacing whatever stands at their paths. The CLI passes the client's.
type Downloader func(ctx context.Context, dir string, files []File) error

// Plan is what checkout does in one folder: make it hold exactly Pinned
// (nil for a folder no longer in the lock), given what Inspect found.
type Plan struct {
	Path   string // the entry's path
	Dir    string // where it is on disk
	Pinned []File
	Files  []FileStatus
}

// Conflicts are the files checkout must not touch without --force.
func (p Plan) Conflicts() []FileStatus {
	var out []FileStatus
	for _, f := range p.Files {
		if f.Status == StatusModified {
			out = append(out, f)
		}
	}
	return out
}

// Result counts what Apply did.
type Result struct {
	Written int `json:"written"` // files downloaded or links made
	Removed int `json:"removed"` // stale files removed
	Kept    int `json:"kept"`    // pinned files already right
}

// Apply carries out the plan: it removes the files checkout wrote that are
// no longer pinned, downloads the pinned files that are missing or differ
// and leaves extra files alone. Modified files are overwritten or removed,
// so call Apply only when Conflicts is empty or the user said --force.
func (p Plan) Apply(ctx context.Context, download Downloader) (Result, error) {
	var res Result
	pinned := map[string]File{}
	for _, f := range p.Pinned {
		pinned[f.Path] = f
	}
	var todo []File
	removed := map[string]bool{}
	for _, st := range p.Files {
		switch {
		case st.Status == StatusOK:
			res.Kept++
			if err := fixMode(p.Dir, pinned[st.Path]); err != nil {
				return res, err
			}
		case st.Pinned && st.Status != StatusExtra:
			todo = append(todo, pinned[st.Path])
		case st.Status == StatusStale || st.Status == StatusModified:
			if err := os.RemoveAll(p.local(st.Path)); err != nil {
				return res, err
			}
			removed[path.Dir(st.Path)] = true
			res.Removed++
		}
	}
	if len(todo) > 0 {
		if err := download(ctx, p.Dir, todo); err != nil {
			return res, err
		}
		res.Written = len(todo)
	}
	pruneEmpty(p.Dir, removed)
	return res, nil
}

func (p Plan) local(rel string) string { return filepath.Join(p.Dir, filepath.FromSlash(rel)) }

// fixMode sets a correct file's permission bits to the pinned ones.
func fixMode(dir string, f File) error {
	if f.IsLink() || f.Mode == 0 {
		return nil
	}
	name := filepath.Join(dir, filepath.FromSlash(f.Path))
	info, err := os.Lstat(name)
	if err != nil || info.Mode().Perm() == fs.FileMode(f.Mode) {
		return err
	}
	return os.Chmod(name, fs.FileMode(f.Mode))
}

// pruneEmpty removes the folders that removals left empty, deepest first,
// up to dir, which is removed too when nothing is left in it.
func pruneEmpty(dir string, dirs map[string]bool) {
	for len(dirs) > 0 {
		next := map[string]bool{}
		for d := range dirs {
			name := dir
			if d != "." {
				name = filepath.Join(dir, filepath.FromSlash(d))
			}
			if os.Remove(name) == nil && d != "." { // fails unless empty
				next[path.Dir(d)] = true
			}
		}
		dirs = next
	}
}

// VerifyManifest checks that files are exactly the manifest whose digest is
// digest, so that what checkout writes is what the lock pinned, whatever
// the server answered.
func VerifyManifest(digest string, files []File) error {
	rf := make([]registry.File, len(files))
	for i, f := range files {
		rf[i] = registry.File{Path: f.Path, Size: f.Size, Digest: f.Digest, Mode: f.Mode, Target: f.Target}
	}
	sorted, err := registry.ValidateManifest(rf)
	if err != nil {
		return fmt.Errorf("the server sent an invalid file list: %s", registry.Message(err))
	}
	if got := registry.ManifestDigest(sorted); got != digest {
		return fmt.Errorf("the server sent a file list whose digest is %s, not the pinned %s; refusing to write it", got, digest)
	}
	return nil
}
