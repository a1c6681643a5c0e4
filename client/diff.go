package client

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Kinds of change in a VersionDiff.
const (
	ChangeAdded   = "added"   // only the To version has it
	ChangeRemoved = "removed" // only the From version has it
	ChangeChanged = "changed" // both have it, with different values
)

// VersionDiff is what differs between two versions, From and To, as Diff
// and DiffRefs compute it and 'modelry diff -o json' prints it. Every list
// holds differences only, sorted by key, and is empty (never null) when
// there are none.
type VersionDiff struct {
	From      VersionID      `json:"from"`
	To        VersionID      `json:"to"`
	Identical bool           `json:"identical"` // no difference in any section
	Files     FilesDiff      `json:"files"`
	Metrics   []MetricChange `json:"metrics"`
	Params    []ValueChange  `json:"params"`
	Tags      []ValueChange  `json:"tags"`
	// Metadata holds the keys "label" and "description".
	Metadata []ValueChange `json:"metadata"`
	// Lineage compares datasets by role and name, and the parent.
	Lineage []LineageChange `json:"lineage"`
	// Source holds the keys git.remote, git.commit, git.branch, git.dirty
	// ("true" or "false" when there is a git source), git.diff_digest,
	// run.system, run.id and run.uri.
	Source []ValueChange `json:"source"`
	// Schema compares the modelry.json files the Python SDK writes; null
	// unless both versions have one.
	Schema *SchemaDiff `json:"schema"`
}

// VersionID names one side of a diff.
type VersionID struct {
	Ref     string `json:"ref"` // model/number
	Model   string `json:"model"`
	Version int64  `json:"version"`
	Label   string `json:"label"`
	Digest  string `json:"digest"`
}

// FilesDiff compares two manifests by path.
type FilesDiff struct {
	Added     []FileChange `json:"added"`
	Removed   []FileChange `json:"removed"`
	Changed   []FileChange `json:"changed"` // other bytes, mode, link target or kind
	Unchanged int          `json:"unchanged"`
}

// FileChange is one path of a FilesDiff. The old_ fields are zero for an
// added file, the new_ fields for a removed one. A symbolic link has a
// target, no digest and size 0.
type FileChange struct {
	Path      string `json:"path"`
	OldSize   int64  `json:"old_size"`
	NewSize   int64  `json:"new_size"`
	OldDigest string `json:"old_digest"`
	NewDigest string `json:"new_digest"`
	OldMode   uint32 `json:"old_mode"`
	NewMode   uint32 `json:"new_mode"`
	OldTarget string `json:"old_target,omitempty"`
	NewTarget string `json:"new_target,omitempty"`
}

// MetricChange is one metric that differs. Old is null for an added metric,
// New for a removed one; Delta (New - Old, rounded to the decimals the two
// values are written with) only when both exist.
type MetricChange struct {
	Name   string   `json:"name"`
	Change string   `json:"change"`
	Old    *float64 `json:"old"`
	New    *float64 `json:"new"`
	Delta  *float64 `json:"delta"`
}

// ValueChange is one string value that differs. Old is "" when added, New
// when removed.
type ValueChange struct {
	Key    string `json:"key"`
	Change string `json:"change"`
	Old    string `json:"old"`
	New    string `json:"new"`
}

// LineageChange is one lineage entry that differs: a dataset used in Role
// (matched by role and dataset name), or the parent (Role "parent"). Old is
// null when added, New when removed.
type LineageChange struct {
	Role   string          `json:"role"`
	Change string          `json:"change"`
	Old    *VersionPointer `json:"old"`
	New    *VersionPointer `json:"new"`
}

// Diff compares two versions without a server: files, metrics, params,
// tags, label and description, lineage and source. Schema is left nil;
// DiffRefs fills it from the versions' modelry.json files.
func Diff(from, to Version) VersionDiff {
	d := VersionDiff{
		From: versionID(from), To: versionID(to),
		Files:    diffFiles(from.Files, to.Files),
		Metrics:  diffMetrics(from.Metrics, to.Metrics),
		Params:   diffStrings(from.Params, to.Params),
		Tags:     diffStrings(from.Tags, to.Tags),
		Metadata: diffStrings(metadataOf(from), metadataOf(to)),
		Lineage:  diffLineage(from.Lineage, to.Lineage),
		Source:   diffStrings(sourceOf(from.Source), sourceOf(to.Source)),
	}
	d.Identical = d.identical()
	return d
}

func (d VersionDiff) identical() bool {
	f := d.Files
	return len(f.Added)+len(f.Removed)+len(f.Changed)+len(d.Metrics)+len(d.Params)+len(d.Tags)+
		len(d.Metadata)+len(d.Lineage)+len(d.Source) == 0 &&
		(d.Schema == nil || len(d.Schema.Changes) == 0 && d.Schema.Skipped == "")
}

func versionID(v Version) VersionID {
	return VersionID{Ref: v.Ref(), Model: v.Model, Version: v.Version, Label: v.Label, Digest: v.Digest}
}

func diffFiles(from, to []File) FilesDiff {
	d := FilesDiff{Added: []FileChange{}, Removed: []FileChange{}, Changed: []FileChange{}}
	old := make(map[string]File, len(from))
	for _, f := range from {
		old[f.Path] = f
	}
	seen := make(map[string]bool, len(to))
	for _, n := range to {
		seen[n.Path] = true
		o, ok := old[n.Path]
		switch {
		case !ok:
			d.Added = append(d.Added, fileChange(File{}, n))
		case o.Digest == n.Digest && o.Mode == n.Mode && o.Target == n.Target && o.Size == n.Size:
			d.Unchanged++
		default:
			d.Changed = append(d.Changed, fileChange(o, n))
		}
	}
	for _, o := range from {
		if !seen[o.Path] {
			d.Removed = append(d.Removed, fileChange(o, File{}))
		}
	}
	for _, l := range [][]FileChange{d.Added, d.Removed, d.Changed} {
		slices.SortFunc(l, func(a, b FileChange) int { return strings.Compare(a.Path, b.Path) })
	}
	return d
}

func fileChange(o, n File) FileChange {
	return FileChange{
		Path: cmp.Or(n.Path, o.Path), OldSize: o.Size, NewSize: n.Size, OldDigest: o.Digest, NewDigest: n.Digest,
		OldMode: o.Mode, NewMode: n.Mode, OldTarget: o.Target, NewTarget: n.Target,
	}
}

func diffMetrics(from, to map[string]float64) []MetricChange {
	out := []MetricChange{}
	for _, k := range unionKeys(from, to) {
		o, inOld := from[k]
		n, inNew := to[k]
		switch {
		case !inOld:
			out = append(out, MetricChange{Name: k, Change: ChangeAdded, New: &n})
		case !inNew:
			out = append(out, MetricChange{Name: k, Change: ChangeRemoved, Old: &o})
		case o != n:
			c := MetricChange{Name: k, Change: ChangeChanged, Old: &o, New: &n}
			if delta := roundDelta(o, n); !math.IsInf(delta, 0) {
				c.Delta = &delta // (metrics are finite; their difference may not be)
			}
			out = append(out, c)
		}
	}
	return out
}

// roundDelta is n - o without the binary noise of floating point: rounded
// to the decimals of whichever of o and n is written with more (0.95 - 0.93
// is 0.02, not 0.020000000000000018).
func roundDelta(o, n float64) float64 {
	d := n - o
	decimals := max(decimalPlaces(o), decimalPlaces(n))
	if decimals > 15 || math.IsInf(d, 0) || math.IsNaN(d) {
		return d
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(d, 'f', decimals, 64), 64)
	if err != nil {
		return d
	}
	return r
}

func decimalPlaces(f float64) int {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if _, frac, ok := strings.Cut(s, "."); ok {
		return len(frac)
	}
	return 0
}

func diffStrings(from, to map[string]string) []ValueChange {
	out := []ValueChange{}
	for _, k := range unionKeys(from, to) {
		o, inOld := from[k]
		n, inNew := to[k]
		switch {
		case !inOld:
			out = append(out, ValueChange{Key: k, Change: ChangeAdded, New: n})
		case !inNew:
			out = append(out, ValueChange{Key: k, Change: ChangeRemoved, Old: o})
		case o != n:
			out = append(out, ValueChange{Key: k, Change: ChangeChanged, Old: o, New: n})
		}
	}
	return out
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// metadataOf holds a version's label and description, when set.
func metadataOf(v Version) map[string]string {
	m := map[string]string{}
	setNonEmptyKey(m, "label", v.Label)
	setNonEmptyKey(m, "description", v.Description)
	return m
}

// sourceOf flattens a source into git.* and run.* keys.
func sourceOf(s Source) map[string]string {
	m := map[string]string{}
	if g := s.Git; g != nil {
		setNonEmptyKey(m, "git.remote", g.Remote)
		setNonEmptyKey(m, "git.commit", g.Commit)
		setNonEmptyKey(m, "git.branch", g.Branch)
		m["git.dirty"] = strconv.FormatBool(g.Dirty)
		setNonEmptyKey(m, "git.diff_digest", g.DiffDigest)
	}
	if r := s.Run; r != nil {
		setNonEmptyKey(m, "run.system", r.System)
		setNonEmptyKey(m, "run.id", r.ID)
		setNonEmptyKey(m, "run.uri", r.URI)
	}
	return m
}

func setNonEmptyKey(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// diffLineage matches datasets by role and name (a dataset used twice in
// one role is matched in order) and compares the versions they resolved to;
// the Ref each was given by is not compared.
func diffLineage(from, to Lineage) []LineageChange {
	old, cur := datasetsByKey(from.Datasets), datasetsByKey(to.Datasets)
	out := []LineageChange{}
	for _, k := range unionKeys(old, cur) {
		if c, ok := pointerChange(cmp.Or(old[k].Role, cur[k].Role), ptr(old, k), ptr(cur, k)); ok {
			out = append(out, c)
		}
	}
	if c, ok := pointerChange("parent", from.Parent, to.Parent); ok {
		out = append(out, c)
	}
	return out
}

func datasetsByKey(uses []DatasetUse) map[string]DatasetUse {
	m := make(map[string]DatasetUse, len(uses))
	for _, u := range uses {
		k := u.Role + "\x00" + u.Name
		for i := 2; ; i++ {
			if _, dup := m[k]; !dup {
				break
			}
			k = u.Role + "\x00" + u.Name + "\x00" + strconv.Itoa(i)
		}
		m[k] = u
	}
	return m
}

func ptr(m map[string]DatasetUse, k string) *VersionPointer {
	if u, ok := m[k]; ok {
		return &u.VersionPointer
	}
	return nil
}

func pointerChange(role string, o, n *VersionPointer) (LineageChange, bool) {
	c := LineageChange{Role: role, Old: o, New: n}
	switch {
	case o == nil && n == nil:
		return c, false
	case o == nil:
		c.Change = ChangeAdded
	case n == nil:
		c.Change = ChangeRemoved
	case o.Name == n.Name && o.Version == n.Version && o.Digest == n.Digest:
		return c, false
	default:
		c.Change = ChangeChanged
	}
	return c, true
}
