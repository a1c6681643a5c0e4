// Package lockfile reads and writes modelry.lock, the small text file that
// pins models and datasets by digest inside a user's repository, and keeps
// the record of what 'modelry checkout' wrote (.modelry/checkout.json).
// It also compares a pinned folder on disk with its pinned files (Inspect),
// which both 'modelry lock status' and 'modelry checkout' use.
//
// It works on local files only: resolving references and downloading files
// is the client's job (package client), and the commands live in
// internal/cli. Names, references and digests are checked with the
// registry's own rules.
//
// The format, one entry per line, sorted by name:
//
//	# comment lines and blank lines are ignored
//	format 1
//	KIND NAME VERSION DIGEST PATH REF
//	model churn 7 sha256:<64 hex> models/churn churn@production
//
// KIND is model or dataset; VERSION the version number the digest had when
// pinned; DIGEST the version's manifest digest, which checkout fetches and
// verifies; PATH the folder the files go to, relative to the folder that
// holds modelry.lock; REF the reference the user pinned.
package lockfile

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode"

	"github.com/modelry/modelry/internal/registry"
)

// FileName is the lock file's name, at the root of the user's repository.
const FileName = "modelry.lock"

// Format is the version of the lock file format this package reads and writes.
const Format = 1

// Kinds of pinned items.
const (
	KindModel   = "model"
	KindDataset = "dataset"
)

// Entry pins one model or dataset version into a folder.
type Entry struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Version int64  `json:"version"`
	Digest  string `json:"digest"`
	Path    string `json:"path"` // slash-separated, relative to the lock's folder
	Ref     string `json:"ref"`  // what the user pinned, e.g. churn@production

	line int // where Parse found it; 0 for entries added in code
}

// DigestRef is the reference that names exactly the pinned version:
// "name@sha256:...".
func (e Entry) DigestRef() string { return e.Name + "@" + e.Digest }

// Lock is the content of a modelry.lock: entries sorted by name.
type Lock struct {
	Entries []Entry
}

// Find returns the entry pinning name.
func (l *Lock) Find(name string) (Entry, bool) {
	for _, e := range l.Entries {
		if e.Name == name {
			return e, true
		}
	}
	return Entry{}, false
}

// Put adds e, replacing the entry with the same name, and returns the entry
// it replaced, if any. The lock is left unchanged when the result would not
// be valid (an overlapping path, say).
func (l *Lock) Put(e Entry) (old *Entry, err error) {
	e.line = 0
	next := make([]Entry, 0, len(l.Entries)+1)
	for _, cur := range l.Entries {
		if cur.Name == e.Name {
			old = &cur
			continue
		}
		next = append(next, cur)
	}
	next = append(next, e)
	sortEntries(next)
	if err := validate(next); err != nil {
		return nil, err
	}
	l.Entries = next
	return old, nil
}

// Remove drops the entry pinning name and reports whether there was one.
func (l *Lock) Remove(name string) bool {
	n := len(l.Entries)
	l.Entries = slices.DeleteFunc(l.Entries, func(e Entry) bool { return e.Name == name })
	return len(l.Entries) != n
}

func sortEntries(es []Entry) {
	slices.SortFunc(es, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
}

// checkEntry checks one entry's fields on their own.
func checkEntry(e Entry) error {
	if e.Kind != KindModel && e.Kind != KindDataset {
		return fmt.Errorf("kind %q is neither model nor dataset", e.Kind)
	}
	if err := registry.ValidateModelName(e.Name); err != nil {
		return fmt.Errorf("name: %s", registry.Message(err))
	}
	if e.Version <= 0 {
		return fmt.Errorf("version %d is not a positive version number", e.Version)
	}
	if err := registry.ValidateDigest(e.Digest); err != nil {
		return fmt.Errorf("%s; copy the digest from 'modelry show %s' or pin again with 'modelry lock add'", registry.Message(err), e.Name)
	}
	if err := CheckPath(e.Path); err != nil {
		return err
	}
	r, err := registry.ParseRef(e.Ref)
	if err != nil {
		return fmt.Errorf("ref: %s", registry.Message(err))
	}
	if r.Model != e.Name {
		return fmt.Errorf("ref %q names %q, not %q; the ref must name the pinned item", e.Ref, r.Model, e.Name)
	}
	return nil
}

// reserved are first path segments a pinned folder may not use.
var reserved = []string{".git", ".modelry", FileName}

// CheckPath checks a pinned folder: relative to the lock's folder,
// slash-separated, clean, inside the repository, without spaces (they
// separate the lock's fields) and not one of Modelry's or git's own files.
func CheckPath(p string) error {
	switch {
	case p == "" || p == ".":
		return fmt.Errorf("path %q is the repository root; pin into a folder such as models/NAME", p)
	case len(p) > registry.MaxPathLen:
		return fmt.Errorf("path is %d bytes long; the limit is %d", len(p), registry.MaxPathLen)
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("path %q is absolute; paths are relative to the folder holding %s", p, FileName)
	case strings.Contains(p, "\\"):
		return fmt.Errorf("path %q contains a backslash; use '/' between folders", p)
	case strings.IndexFunc(p, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		return fmt.Errorf("path %q contains a space or control character; %s separates fields with spaces, so use a folder name without them", p, FileName)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return fmt.Errorf("path %q contains '..'; pinned folders must stay inside the repository", p)
		}
	}
	if path.Clean(p) != p {
		return fmt.Errorf("path %q is not clean; write it as %q", p, path.Clean(p))
	}
	first, _, _ := strings.Cut(p, "/")
	if slices.Contains(reserved, first) {
		return fmt.Errorf("path %q is inside %s, which Modelry or git uses; pick another folder", p, first)
	}
	return nil
}

// validate checks every entry and the entries together: one line per name,
// and folders that neither repeat nor contain one another.
func validate(es []Entry) error {
	names := map[string]Entry{}
	for _, e := range es {
		if err := checkEntry(e); err != nil {
			return lineErr(e.line, "%s: %v", e.Name, err)
		}
		if prev, dup := names[e.Name]; dup {
			return lineErr(e.line, "%s is pinned twice (also %s); keep one line per name", e.Name, where(prev))
		}
		names[e.Name] = e
	}
	byPath := slices.Clone(es)
	slices.SortFunc(byPath, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	for i := range byPath {
		for j := i + 1; j < len(byPath) && strings.HasPrefix(byPath[j].Path, byPath[i].Path); j++ {
			a, b := byPath[i], byPath[j]
			switch {
			case a.Path == b.Path:
				return lineErr(b.line, "%s and %s (%s) are both pinned to %s; give each its own folder", b.Name, a.Name, where(a), b.Path)
			case strings.HasPrefix(b.Path, a.Path+"/"):
				return lineErr(b.line, "%s's folder %s is inside %s, the folder of %s (%s); pinned folders may not contain one another", b.Name, b.Path, a.Path, a.Name, where(a))
			}
		}
	}
	return nil
}

func where(e Entry) string {
	if e.line == 0 {
		return "already in the lock"
	}
	return fmt.Sprintf("line %d", e.line)
}

// ParseError is a problem in a lock file, at a line (0 when it concerns the
// file as a whole or an entry added in code).
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	name := e.File
	if name == "" {
		name = FileName
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", name, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", name, e.Msg)
}

func lineErr(line int, format string, args ...any) error {
	return &ParseError{Line: line, Msg: fmt.Sprintf(format, args...)}
}
