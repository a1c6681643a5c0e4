package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/modelry/modelry/client"
)

// writeTree prints a lineage graph as an indented tree. Upstream trees
// start at the root version and list its inputs ("train: sales/3 ...");
// downstream trees start at the root version(s) and list their users ("as
// train in churn/3 ..."). A version reached a second time is printed once
// more, marked, without its subtree.
func writeTree(w io.Writer, g client.Graph, upstream bool) error {
	t := treePrinter{w: w, nodes: map[string]client.GraphNode{}, next: map[string][]client.GraphEdge{}, shown: map[string]bool{}, upstream: upstream}
	for _, n := range g.Nodes {
		t.nodes[n.ID] = n
	}
	for _, e := range g.Edges {
		if upstream {
			t.next[e.To] = append(t.next[e.To], e)
		} else {
			t.next[e.From] = append(t.next[e.From], e)
		}
	}
	roots := treeRoots(g)
	if len(roots) == 0 {
		fmt.Fprintf(w, "%s has no live versions\n", g.Root)
	}
	for i, id := range roots {
		if i > 0 {
			fmt.Fprintln(w)
		}
		t.shown[id] = true
		fmt.Fprintf(w, "%s %s\n", id, t.details(id))
		if len(t.next[id]) == 0 {
			if upstream {
				fmt.Fprintln(w, "  (no datasets or parent recorded)")
			} else {
				fmt.Fprintln(w, "  (not used by any live version)")
			}
		}
		t.children(id, "")
	}
	if g.Truncated {
		fmt.Fprintln(w, "\n(the graph is cut at the server's limit of 1000 versions; use --depth to narrow it)")
	}
	return t.err
}

// treeRoots are the versions the walk started from: Root when it names a
// version, else every version of the name Root.
func treeRoots(g client.Graph) []string {
	var out []string
	for _, n := range g.Nodes {
		if n.ID == g.Root || n.Name == g.Root {
			out = append(out, n.ID)
		}
	}
	return out
}

type treePrinter struct {
	w        io.Writer
	nodes    map[string]client.GraphNode
	next     map[string][]client.GraphEdge
	shown    map[string]bool
	upstream bool
	err      error
}

func (t *treePrinter) children(id, indent string) {
	edges := t.next[id]
	for i, e := range edges {
		branch, more := "├── ", "│   "
		if i == len(edges)-1 {
			branch, more = "└── ", "    "
		}
		other, line := e.From, e.Role+": "+e.From
		if !t.upstream {
			other, line = e.To, "as "+e.Role+" in "+e.To
			if e.Role == "parent" {
				line = "as parent of " + e.To
			}
		}
		if t.shown[other] {
			t.printf("%s%s%s (shown above)\n", indent, branch, line)
			continue
		}
		t.shown[other] = true
		t.printf("%s%s%s %s\n", indent, branch, line, t.details(other))
		t.children(other, indent+more)
	}
}

func (t *treePrinter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

// details describes a version in brackets: kind, label, digest, git
// commit and run.
func (t *treePrinter) details(id string) string {
	n := t.nodes[id]
	parts := []string{n.Kind}
	if n.Label != "" {
		parts = append(parts, "label "+n.Label)
	}
	parts = append(parts, shortDigest(n.Digest))
	if g := n.Source.Git; g != nil && g.Commit != "" {
		git := "git " + shortCommit(g.Commit)
		if g.Dirty {
			git += " (dirty)"
		}
		parts = append(parts, git)
	}
	if r := n.Source.Run; r != nil && (r.ID != "" || r.URI != "") {
		parts = append(parts, "run "+orDash(r.ID))
	}
	if n.Deleted {
		parts = append(parts, "DELETED")
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func shortCommit(c string) string {
	if len(c) > 7 {
		return c[:7]
	}
	return c
}

// writeDot prints a lineage graph in Graphviz's dot language: one node per
// version (datasets as cylinders, models as boxes, deleted ones dashed),
// one edge per input labelled with its role (parent edges dashed).
func writeDot(w io.Writer, g client.Graph, name string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", dotID(name))
	b.WriteString("  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\"];\n")
	for _, n := range g.Nodes {
		label := n.ID + "\n" + n.Kind
		if n.Label != "" {
			label += " " + n.Label
		}
		label += "\n" + shortDigest(n.Digest)
		attrs := []string{"label=" + dotID(label)}
		if n.Kind == client.KindDataset {
			attrs = append(attrs, "shape=cylinder")
		}
		if n.Deleted {
			attrs = append(attrs, "style=dashed")
		}
		if n.ID == g.Root || n.Name == g.Root {
			attrs = append(attrs, "penwidth=2")
		}
		fmt.Fprintf(&b, "  %s [%s];\n", dotID(n.ID), strings.Join(attrs, ", "))
	}
	for _, e := range g.Edges {
		attrs := "label=" + dotID(e.Role)
		if e.Role == "parent" {
			attrs += ", style=dashed"
		}
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", dotID(e.From), dotID(e.To), attrs)
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// dotID quotes s as a dot string: quotes and backslashes escaped, newlines
// written as \n, which dot reads as a line break. Names, labels and roles
// are printable ASCII, so Go's quoting is dot's.
func dotID(s string) string { return strconv.Quote(s) }
