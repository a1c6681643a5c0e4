package lockfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"
)

// StatePath is where checkout records what it wrote, relative to the lock's
// folder. It describes one work tree, not the project: .modelry/ belongs in
// .gitignore.
const StatePath = ".modelry/checkout.json"

// State is checkout's record of the files it wrote, per pinned folder. A
// file on disk whose content still matches the record is checkout's to
// replace or remove; anything else on disk is the user's and is never
// overwritten without --force.
type State struct {
	Format  int                   `json:"format"`
	Folders map[string]StateEntry `json:"folders"` // by entry path
}

// StateEntry is what checkout last wrote into one folder.
type StateEntry struct {
	Name   string          `json:"name"`
	Digest string          `json:"digest"`
	Files  map[string]File `json:"files"` // by path inside the folder
}

// File is one file of a version's manifest: a regular file (Digest, Size,
// Mode) or a symbolic link (Target).
type File struct {
	Path   string `json:"-"`
	Size   int64  `json:"size"`
	Digest string `json:"digest,omitempty"`
	Mode   uint32 `json:"mode,omitempty"`
	Target string `json:"target,omitempty"`
}

// IsLink reports whether f is a symbolic link.
func (f File) IsLink() bool { return f.Target != "" }

// LoadState reads root's checkout record; a missing one is empty.
func LoadState(root string) (*State, error) {
	s := &State{Format: 1, Folders: map[string]StateEntry{}}
	name := filepath.Join(root, filepath.FromSlash(StatePath))
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	err = json.Unmarshal(b, s)
	if err == nil && s.Format != 1 {
		err = fmt.Errorf("format %d is unknown", s.Format)
	}
	if err != nil {
		return nil, fmt.Errorf("%s is damaged (%v); delete it: checkout then treats every file it finds as yours and refuses to overwrite changed ones without --force", name, err)
	}
	if s.Folders == nil {
		s.Folders = map[string]StateEntry{}
	}
	for dir, e := range s.Folders {
		for p, f := range e.Files {
			f.Path = p
			e.Files[p] = f
		}
		s.Folders[dir] = e
	}
	return s, nil
}

// LockWorkTree takes an exclusive lock on root's checkout record
// (.modelry/checkout.lock), waiting while another checkout holds it, and
// returns its release: two checkouts of one work tree run one after the
// other, so that neither removes the other's downloads in flight nor
// overwrites its record. wait is called once before waiting.
func LockWorkTree(root string, wait func()) (release func(), err error) {
	name := filepath.Join(root, filepath.FromSlash(path.Dir(StatePath)), "checkout.lock")
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		wait()
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return func() { f.Close() }, nil
}

// Save writes the record atomically, creating .modelry/ if needed.
func (s *State) Save(root string) error {
	name := filepath.Join(root, filepath.FromSlash(StatePath))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(name, append(b, '\n'), 0o644)
}

// Record notes that folder now holds exactly files, as checkout wrote them
// for entry e.
func (s *State) Record(e Entry, files []File) {
	m := make(map[string]File, len(files))
	for _, f := range files {
		m[f.Path] = f
	}
	s.Folders[e.Path] = StateEntry{Name: e.Name, Digest: e.Digest, Files: m}
}
