package lockfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// header explains the file to whoever reads it in a diff or an editor.
const header = `# modelry.lock: models and datasets pinned by digest.
#
#   modelry lock add REF [--path DIR]   pin a version (replaces NAME's line)
#   modelry lock rm NAME                unpin
#   modelry checkout                    write the pinned files, verified
#   modelry lock status                 show what differs on disk
#
# One line per entry, sorted by name:
#   KIND NAME VERSION DIGEST PATH REF
# KIND is model or dataset; VERSION the version number the digest had when
# pinned; DIGEST the version's manifest digest, which checkout fetches and
# verifies; PATH the folder the files go to, relative to this file; REF the
# reference that was pinned (status says when it has moved on).
# Written by modelry: comments other than this header are not kept.
`

// Format renders the lock: the header, the format line, then one line per
// entry sorted by name. The same lock always renders to the same bytes.
func (l *Lock) Format() []byte {
	var b bytes.Buffer
	b.WriteString(header)
	fmt.Fprintf(&b, "format %d\n", Format)
	es := append([]Entry(nil), l.Entries...)
	sortEntries(es)
	for _, e := range es {
		fmt.Fprintf(&b, "%s %s %d %s %s %s\n", e.Kind, e.Name, e.Version, e.Digest, e.Path, e.Ref)
	}
	return b.Bytes()
}

// Write checks the lock and writes it to file atomically.
func Write(file string, l *Lock) error {
	if err := validate(l.Entries); err != nil {
		return err
	}
	return WriteFileAtomic(file, l.Format(), 0o644)
}

// WriteFileAtomic writes data to a temporary file in name's folder, fsyncs
// it, renames it over name and fsyncs the folder: readers see the old
// content or the new, never a mix, even after a crash.
func WriteFileAtomic(name string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), name); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ioLimit reads at most one byte past maxLockSize, so that Read can tell a
// file that is too large.
func ioLimit(r io.Reader) io.Reader { return io.LimitReader(r, maxLockSize+1) }
