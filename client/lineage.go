package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Graph is a lineage graph as GET /api/v1/lineage and /api/v1/used-by
// answer it: versions as nodes, edges from input to output.
type Graph struct {
	Root      string      `json:"root"` // "churn/3", or a name for every version of it
	Nodes     []GraphNode `json:"nodes"`
	Edges     []GraphEdge `json:"edges"`
	Truncated bool        `json:"truncated,omitempty"` // the server's node limit cut the walk
}

// GraphNode is one version in a Graph; ID is "name/number".
type GraphNode struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	Version   int64     `json:"version"`
	Digest    string    `json:"digest"`
	Label     string    `json:"label"`
	CreatedAt time.Time `json:"created_at"`
	Source    Source    `json:"source"`
	Deleted   bool      `json:"deleted,omitempty"` // deleted since it was used
}

// GraphEdge says From was an input of To, in Role ("train", "eval", ... or
// "parent").
type GraphEdge struct {
	From string `json:"from"`
	To   string `json:"to"`
	Role string `json:"role"`
}

// Lineage returns what made the version ref names: its datasets and parent,
// theirs, and so on, at most depth edges away (the server's default, 10,
// when 0).
func (c *Client) Lineage(ctx context.Context, ref string, depth int) (Graph, error) {
	return c.graph(ctx, "/api/v1/lineage", ref, depth)
}

// UsedBy returns the live versions made from ref, directly or not, at most
// depth edges away. A ref without a selector ("sales") means every version
// of the name.
func (c *Client) UsedBy(ctx context.Context, ref string, depth int) (Graph, error) {
	return c.graph(ctx, "/api/v1/used-by", ref, depth)
}

func (c *Client) graph(ctx context.Context, path, ref string, depth int) (Graph, error) {
	q := url.Values{"ref": {ref}}
	if depth != 0 {
		q.Set("depth", strconv.Itoa(depth))
	}
	var g Graph
	err := c.do(ctx, request{method: http.MethodGet, path: path, query: q}, &g)
	return g, err
}
