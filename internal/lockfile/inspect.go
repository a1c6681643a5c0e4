package lockfile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// The status of one file in a pinned folder.
const (
	// StatusOK: the pinned file is there with the pinned content.
	StatusOK = "ok"
	// StatusMissing: a pinned file is not there.
	StatusMissing = "missing"
	// StatusStale: exactly what checkout wrote for an earlier pin; checkout
	// replaces it (or removes it, when the pin no longer lists it).
	StatusStale = "stale"
	// StatusModified: content checkout did not write, where checkout must
	// write or remove: a changed pinned file, a changed file checkout wrote
	// earlier, or a file or folder in the way. Checkout refuses to touch it
	// without --force.
	StatusModified = "modified"
	// StatusExtra: a file checkout neither wrote nor needs; left alone.
	StatusExtra = "extra"
)

// DownloadTempPrefix starts the names of the temporary files a download
// writes beside the file's final place (client/pull.go). One found in a
// pinned folder was left by a download that was killed: checkout holds
// LockWorkTree, so no other checkout is writing it.
const DownloadTempPrefix = ".modelry-pull-"

// FileStatus says how one file on disk, or one pinned file, compares.
type FileStatus struct {
	Path       string `json:"path"` // inside the pinned folder
	Status     string `json:"status"`
	Pinned     bool   `json:"pinned"`                // the pin lists this path
	Size       int64  `json:"size"`                  // on disk; 0 when absent
	PinnedSize int64  `json:"pinned_size,omitempty"` // what the pin says
	Note       string `json:"note,omitempty"`        // why, for modified files
}

// Differs reports whether checkout would change (or refuse to change) the
// file; extra files do not count.
func (s FileStatus) Differs() bool { return s.Status != StatusOK && s.Status != StatusExtra }

// onDisk is one entry found under a pinned folder.
type onDisk struct {
	mode   fs.FileMode // type bits only
	size   int64
	target string // for links, '/'-separated
}

// Inspect compares the folder dir with the pinned files and with wrote, the
// files checkout last wrote there (nil when none), and returns one status
// per pinned file and per other file found, sorted by path. Present files
// are hashed only when their size matches.
func Inspect(ctx context.Context, dir string, pinned []File, wrote map[string]File) ([]FileStatus, error) {
	disk, err := scan(dir)
	if err != nil {
		return nil, err
	}
	h := &hasher{ctx: ctx, dir: dir, sums: map[string]string{}}
	if err := h.prehash(disk, pinned, wrote); err != nil {
		return nil, err
	}
	isPinned := map[string]bool{}
	needDir := map[string]bool{}
	var out []FileStatus
	for _, f := range pinned {
		isPinned[f.Path] = true
		for d := path.Dir(f.Path); d != "."; d = path.Dir(d) {
			needDir[d] = true
		}
		st, err := inspectPinned(h, f, disk, wrote)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	for rel, d := range disk {
		if isPinned[rel] || d.mode.IsDir() {
			continue
		}
		st := FileStatus{Path: rel, Status: StatusExtra, Size: d.size}
		if w, ok := wrote[rel]; ok {
			same, err := h.matches(rel, d, w)
			if err != nil {
				return nil, err
			}
			st.Status, st.Note = StatusStale, "written by checkout for an earlier pin"
			if !same {
				st.Status, st.Note = StatusModified, "changed since checkout wrote it, and no longer pinned"
			}
		} else if d.mode.IsRegular() && strings.HasPrefix(path.Base(rel), DownloadTempPrefix) {
			st.Status, st.Note = StatusStale, "left by an interrupted download"
		} else if needDir[rel] {
			st.Status, st.Note = StatusModified, "not written by checkout, and in the way of pinned files"
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b FileStatus) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func inspectPinned(h *hasher, f File, disk map[string]onDisk, wrote map[string]File) (FileStatus, error) {
	st := FileStatus{Path: f.Path, Pinned: true, PinnedSize: f.Size}
	d, ok := disk[f.Path]
	if !ok {
		st.Status = StatusMissing
		return st, nil
	}
	st.Size = d.size
	if same, err := h.matches(f.Path, d, f); err != nil || same {
		st.Status = StatusOK
		return st, err
	}
	w, wroteIt := wrote[f.Path]
	if wroteIt {
		same, err := h.matches(f.Path, d, w)
		if err != nil {
			return st, err
		}
		if same {
			st.Status, st.Note = StatusStale, "written by checkout for an earlier pin"
			return st, nil
		}
	}
	st.Status = StatusModified
	switch {
	case d.mode.IsDir():
		st.Note = "a folder is in the way; --force deletes it with everything in it"
	case wroteIt:
		st.Note = "changed since checkout wrote it"
	default:
		st.Note = "not written by checkout"
	}
	return st, nil
}

// scan lists what is under dir, without following links; a missing dir is
// empty.
func scan(dir string) (map[string]onDisk, error) {
	disk := map[string]onDisk{}
	err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			if p == dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		d := onDisk{mode: info.Mode().Type()}
		switch {
		case d.mode&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			d.target = filepath.ToSlash(t)
		case d.mode.IsRegular():
			d.size = info.Size()
		}
		disk[filepath.ToSlash(rel)] = d
		return nil
	})
	return disk, err
}

// hasher hashes files under dir at most once each; prehash fills sums in
// parallel before Inspect asks.
type hasher struct {
	ctx  context.Context
	dir  string
	sums map[string]string
}

// prehash hashes, several at a time, every regular file whose size matches
// the pinned file or the file checkout wrote at its path: the ones matches
// will ask about.
func (h *hasher) prehash(disk map[string]onDisk, pinned []File, wrote map[string]File) error {
	want := map[string]bool{}
	for _, f := range pinned {
		if d, ok := disk[f.Path]; ok && !f.IsLink() && d.mode.IsRegular() && d.size == f.Size {
			want[f.Path] = true
		}
	}
	for rel, f := range wrote {
		if d, ok := disk[rel]; ok && !f.IsLink() && d.mode.IsRegular() && d.size == f.Size {
			want[rel] = true
		}
	}
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(h.ctx)
	g.SetLimit(4)
	for rel := range want {
		g.Go(func() error {
			sum, err := HashFile(ctx, filepath.Join(h.dir, filepath.FromSlash(rel)))
			if err != nil {
				return err
			}
			mu.Lock()
			h.sums[rel] = sum
			mu.Unlock()
			return nil
		})
	}
	return g.Wait()
}

// matches reports whether d, found at rel, has the content of f.
func (h *hasher) matches(rel string, d onDisk, f File) (bool, error) {
	if f.IsLink() {
		return d.mode&fs.ModeSymlink != 0 && d.target == f.Target, nil
	}
	if !d.mode.IsRegular() || d.size != f.Size {
		return false, nil
	}
	sum, ok := h.sums[rel]
	if !ok {
		var err error
		if sum, err = HashFile(h.ctx, filepath.Join(h.dir, filepath.FromSlash(rel))); err != nil {
			return false, err
		}
		h.sums[rel] = sum
	}
	return sum == f.Digest, nil
}

// HashFile returns "sha256:<hex>" of a file's content.
func HashFile(ctx context.Context, name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// ctxReader stops a long read when ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
