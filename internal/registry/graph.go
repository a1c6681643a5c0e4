package registry

import (
	"cmp"
	"context"
	"strconv"
	"time"
)

// Graph bounds. Depth is counted in edges from the root.
const (
	DefaultGraphDepth = 10
	MaxGraphDepth     = 100
	MaxGraphNodes     = 1000
)

// Graph is a lineage graph: versions as nodes, "was made from" as edges
// pointing from input to output. Root is the reference the walk started
// from: one version ("churn/3"), or a name ("sales") for every version of it.
type Graph struct {
	Root  string      `json:"root"`
	Nodes []GraphNode `json:"nodes"`
	Edges []GraphEdge `json:"edges"`
	// Truncated is set when the walk stopped at MaxGraphNodes; Depth
	// bounds it silently, as asked.
	Truncated bool `json:"truncated,omitempty"`
}

// GraphNode is one version in a graph. ID is "name/number". Deleted marks a
// version deleted since it was used (or whose whole model was): it is still
// part of the record, with what the pointer to it recorded.
type GraphNode struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	Version   int64     `json:"version"`
	Digest    string    `json:"digest"`
	Label     string    `json:"label"`
	CreatedAt time.Time `json:"created_at"`
	Source    Source    `json:"source"`
	Deleted   bool      `json:"deleted,omitempty"`
}

// GraphEdge says that From was an input of To, in Role ("train", "eval",
// ... or RoleParent).
type GraphEdge struct {
	From string `json:"from"`
	To   string `json:"to"`
	Role string `json:"role"`
}

func nodeID(name string, number int64) string { return name + "/" + strconv.FormatInt(number, 10) }

// checkDepth applies DefaultGraphDepth to 0 and refuses depths out of range.
func checkDepth(depth int) (int, error) {
	switch {
	case depth == 0:
		return DefaultGraphDepth, nil
	case depth < 0 || depth > MaxGraphDepth:
		return 0, E(KindInvalid, "depth %d is out of range; use 1 to %d (default %d)", depth, MaxGraphDepth, DefaultGraphDepth)
	}
	return depth, nil
}

// graphBuilder accumulates nodes and edges without duplicates.
type graphBuilder struct {
	g     Graph
	nodes map[string]string // node ID -> digest
	edges map[GraphEdge]bool
	kinds map[string]string // model name -> kind, "" when the model is gone
}

func newGraphBuilder(root string) *graphBuilder {
	return &graphBuilder{
		g:     Graph{Root: root, Nodes: []GraphNode{}, Edges: []GraphEdge{}},
		nodes: map[string]string{}, edges: map[GraphEdge]bool{}, kinds: map[string]string{},
	}
}

func (b *graphBuilder) full() bool { return len(b.g.Nodes) >= MaxGraphNodes }

// addNode adds the version pointer p names, or a stand-in built from p when
// that version is gone (with fallbackKind as its kind when its whole model
// is). A version under the same name and number with another digest is not
// the one p points at: its model was deleted and the name created again,
// numbers starting over. It returns the version when it was added now and
// still exists, to walk on from; nil when it was there already, is gone, or
// the graph is full; and whether the node in the graph under p's ID is the
// version p points at, so that edges to it may be drawn.
func (b *graphBuilder) addNode(ctx context.Context, tx ReadTx, p VersionPointer, fallbackKind string) (*Version, bool, error) {
	id := nodeID(p.Name, p.Version)
	if digest, seen := b.nodes[id]; seen {
		return nil, p.Digest == "" || digest == p.Digest, nil
	}
	if b.full() {
		b.g.Truncated = true
		return nil, false, nil
	}
	kind, err := b.kindOf(ctx, tx, p.Name)
	if err != nil {
		return nil, false, err
	}
	n := GraphNode{ID: id, Kind: cmp.Or(kind, fallbackKind), Name: p.Name, Version: p.Version, Digest: p.Digest, Deleted: true}
	var found *Version
	if kind != "" {
		v, err := tx.GetVersion(ctx, p.Name, p.Version)
		switch {
		case err == nil && p.Digest != "" && v.Digest != p.Digest:
			n.Kind = cmp.Or(fallbackKind, kind)
		case err == nil:
			n, found = versionNode(v, kind), &v
		case !Is(err, KindNotFound):
			return nil, false, err
		}
	}
	b.nodes[id] = n.Digest
	b.g.Nodes = append(b.g.Nodes, n)
	return found, true, nil
}

func versionNode(v Version, kind string) GraphNode {
	return GraphNode{
		ID: nodeID(v.Model, v.Number), Kind: kind, Name: v.Model, Version: v.Number, Digest: v.Digest,
		Label: v.Label, CreatedAt: v.CreatedAt, Source: v.Source, Deleted: v.Deleted(),
	}
}

// kindOf returns a model's kind, "" when it no longer exists.
func (b *graphBuilder) kindOf(ctx context.Context, tx ReadTx, name string) (string, error) {
	if k, ok := b.kinds[name]; ok {
		return k, nil
	}
	m, err := tx.GetModel(ctx, name)
	if err != nil && !Is(err, KindNotFound) {
		return "", err
	}
	b.kinds[name] = m.Kind
	return m.Kind, nil
}

func (b *graphBuilder) addEdge(e GraphEdge) {
	_, from := b.nodes[e.From]
	_, to := b.nodes[e.To]
	if !b.edges[e] && from && to {
		b.edges[e] = true
		b.g.Edges = append(b.g.Edges, e)
	}
}

// Lineage walks upstream from the version ref names: the dataset versions
// and parent it was made from, theirs, and so on, at most depth edges away
// (0: DefaultGraphDepth).
func (s *Service) Lineage(ctx context.Context, ref string, depth int) (g Graph, err error) {
	r, err := ParseRef(ref)
	if err != nil {
		return Graph{}, err
	}
	if depth, err = checkDepth(depth); err != nil {
		return Graph{}, err
	}
	err = s.view(ctx, RoleReader, func(tx ReadTx) error {
		root, err := s.resolve(ctx, tx, r)
		if err != nil {
			return err
		}
		b := newGraphBuilder(nodeID(root.Model, root.Number))
		if _, _, err := b.addNode(ctx, tx, pointerTo(root), ""); err != nil {
			return err
		}
		level := []Version{root}
		for d := 0; d < depth && len(level) > 0 && !b.full(); d++ {
			if level, err = s.upstreamStep(ctx, tx, b, level); err != nil {
				return err
			}
		}
		g = b.g
		return nil
	})
	return g, err
}

// upstreamStep adds the inputs of every version of level and returns the
// ones seen for the first time that still exist, to walk on from.
func (s *Service) upstreamStep(ctx context.Context, tx ReadTx, b *graphBuilder, level []Version) ([]Version, error) {
	var next []Version
	for _, v := range level {
		kind := b.kinds[v.Model]
		for _, e := range inputsOfVersion(v) {
			fallback := KindDataset
			if e.Role == RoleParent {
				fallback = kind
			}
			up, same, err := b.addNode(ctx, tx, e.Upstream, fallback)
			if err != nil {
				return nil, err
			}
			if !same {
				continue
			}
			b.addEdge(GraphEdge{From: nodeID(e.Upstream.Name, e.Upstream.Version), To: nodeID(v.Model, v.Number), Role: e.Role})
			if up != nil {
				next = append(next, *up)
			}
		}
	}
	return next, nil
}

// inputsOfVersion lists v's lineage as edges: datasets, then the parent.
func inputsOfVersion(v Version) []LineageEdge {
	var out []LineageEdge
	for _, d := range v.Lineage.Datasets {
		out = append(out, LineageEdge{Model: v.Model, Number: v.Number, Role: d.Role, Upstream: d.VersionPointer})
	}
	if p := v.Lineage.Parent; p != nil {
		out = append(out, LineageEdge{Model: v.Model, Number: v.Number, Role: RoleParent, Upstream: *p})
	}
	return out
}

func pointerTo(v Version) VersionPointer {
	return VersionPointer{Name: v.Model, Version: v.Number, Digest: v.Digest}
}

// UsedBy walks downstream from ref: the live versions that declared it as a
// dataset or parent, their users, and so on, at most depth edges away. A
// reference without a selector ("sales") starts from every live version of
// the name, not only the latest.
func (s *Service) UsedBy(ctx context.Context, ref string, depth int) (g Graph, err error) {
	r, err := ParseRef(ref)
	if err != nil {
		return Graph{}, err
	}
	if depth, err = checkDepth(depth); err != nil {
		return Graph{}, err
	}
	whole := r.IsLatest() && !hasSelector(ref)
	err = s.view(ctx, RoleReader, func(tx ReadTx) error {
		root, level, kinds, err := s.usedByRoots(ctx, tx, r, whole)
		if err != nil {
			return err
		}
		b := newGraphBuilder(root)
		for _, p := range level {
			if _, _, err := b.addNode(ctx, tx, p, kinds[nodeID(p.Name, p.Version)]); err != nil {
				return err
			}
		}
		for d := 0; d < depth && len(level) > 0 && !b.full(); d++ {
			if level, err = s.downstreamStep(ctx, tx, b, level); err != nil {
				return err
			}
		}
		g = b.g
		return nil
	})
	return g, err
}

// usedByRoots returns the graph's root and the versions a used-by walk
// starts from: every live version of the name (whole), or the version r
// names. A name or a version deleted since versions used it still has
// users: the walk then starts from the pointers they recorded, whose kinds
// (the model being gone) kinds gives.
func (s *Service) usedByRoots(ctx context.Context, tx ReadTx, r Ref, whole bool) (string, []VersionPointer, map[string]string, error) {
	var err error
	if whole {
		if _, err = tx.GetModel(ctx, r.Model); err == nil {
			vs, _, err := tx.ListVersions(ctx, r.Model, VersionQuery{Page: Page{Size: MaxGraphNodes}})
			if err != nil {
				return "", nil, nil, err
			}
			var level []VersionPointer
			for _, v := range vs {
				level = append(level, pointerTo(v))
			}
			return r.Model, level, nil, nil
		}
	} else {
		var root Version
		if root, err = s.resolve(ctx, tx, r); err == nil {
			return nodeID(root.Model, root.Number), []VersionPointer{pointerTo(root)}, nil, nil
		}
	}
	byNumber := r.Number > 0 && r.Label == "" && r.Alias == "" && r.Digest == ""
	if !Is(err, KindNotFound) || !whole && !byNumber {
		return "", nil, nil, err
	}
	edges, uerr := tx.UsedBy(ctx, r.Model, r.Number, MaxGraphNodes+1)
	if uerr != nil || len(edges) == 0 {
		return "", nil, nil, cmp.Or(uerr, err)
	}
	var level []VersionPointer
	kinds := map[string]string{}
	for _, e := range edges {
		id := nodeID(e.Upstream.Name, e.Upstream.Version)
		if _, seen := kinds[id]; !seen {
			kinds[id] = KindDataset
			if e.Role == RoleParent {
				kinds[id] = KindModel
			}
			level = append(level, e.Upstream)
		}
	}
	root := r.Model
	if !whole {
		root = nodeID(r.Model, r.Number)
	}
	return root, level, kinds, nil
}

// downstreamStep adds the users of every version of level and returns
// those seen for the first time.
func (s *Service) downstreamStep(ctx context.Context, tx ReadTx, b *graphBuilder, level []VersionPointer) ([]VersionPointer, error) {
	var next []VersionPointer
	for _, p := range level {
		edges, err := tx.UsedBy(ctx, p.Name, p.Version, MaxGraphNodes+1)
		if err != nil {
			return nil, err
		}
		for _, e := range edges {
			if p.Digest != "" && e.Upstream.Digest != p.Digest {
				continue // it used an earlier version of a name since deleted and created again
			}
			down := VersionPointer{Name: e.Model, Version: e.Number}
			added, same, err := b.addNode(ctx, tx, down, "")
			if err != nil {
				return nil, err
			}
			if same {
				b.addEdge(GraphEdge{From: nodeID(p.Name, p.Version), To: nodeID(e.Model, e.Number), Role: e.Role})
			}
			if added != nil {
				next = append(next, pointerTo(*added))
			}
		}
	}
	return next, nil
}

// hasSelector reports whether a reference as written names one version
// ("iris/3", "models:/iris/latest"), as opposed to a bare name.
func hasSelector(ref string) bool {
	for i := 0; i < len(ref); i++ {
		if ref[i] == '/' || ref[i] == ':' || ref[i] == '@' {
			return true
		}
	}
	return false
}
