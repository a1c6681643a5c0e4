package api_test

import (
	"net/url"
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

func TestDatasetsAndLineage(t *testing.T) {
	a := newTestAPI(t)
	a.do("POST", "/api/v1/models", a.writer, map[string]any{"name": "holdout", "kind": "dataset", "description": "held out"}).ok(201)
	sales := a.push("sales", map[string]string{"sales.csv": "a,b\n1,2\n"}, map[string]any{"kind": "dataset", "aliases": []string{"current"}})
	a.push("base", map[string]string{"model.bin": "base"}, nil)
	a.push("holdout", map[string]string{"holdout.csv": "9,9\n"}, map[string]any{"kind": "dataset"})

	churn := a.push("churn", map[string]string{"model.bin": "churn"}, map[string]any{
		"source": map[string]any{"run": map[string]any{"system": "mlflow", "id": "run-42"}},
		"lineage": map[string]any{
			"datasets": []map[string]string{{"role": "train", "ref": "sales@current"}, {"role": "eval", "ref": "holdout"}},
			"parent":   "base/1",
		},
	})
	d := churn.Lineage.Datasets
	if len(d) != 2 || d[0].Role != "train" || d[0].Ref != "sales@current" || d[0].Name != "sales" || d[0].Version != 1 || d[0].Digest != sales.Digest {
		t.Fatalf("lineage datasets = %+v", d)
	}
	if p := churn.Lineage.Parent; p == nil || p.Ref != "base/1" || p.Name != "base" || p.Version != 1 {
		t.Fatalf("lineage parent = %+v", p)
	}

	var m registry.Model
	a.do("GET", "/api/v1/models/sales", a.reader, nil).ok(200).decode(&m)
	if m.Kind != "dataset" {
		t.Fatalf("sales has kind %q", m.Kind)
	}
	var list struct{ Models []registry.Model }
	a.do("GET", "/api/v1/models?kind=dataset", a.reader, nil).ok(200).decode(&list)
	if len(list.Models) != 2 || list.Models[0].Name != "holdout" || list.Models[1].Name != "sales" {
		t.Fatalf("datasets listed: %+v", list.Models)
	}
	a.do("GET", "/api/v1/models?kind=model", a.reader, nil).ok(200).decode(&list)
	if len(list.Models) != 2 || list.Models[0].Kind != "model" {
		t.Fatalf("models listed: %+v", list.Models)
	}

	var g registry.Graph
	a.do("GET", "/api/v1/lineage?ref=churn", a.reader, nil).ok(200).decode(&g)
	if g.Root != "churn/1" || len(g.Nodes) != 4 || len(g.Edges) != 3 {
		t.Fatalf("lineage graph = %+v", g)
	}
	if n := g.Nodes[0]; n.ID != "churn/1" || n.Kind != "model" || n.Source.Run == nil || n.Source.Run.ID != "run-42" {
		t.Fatalf("root node = %+v", n)
	}
	want := []registry.GraphEdge{{From: "sales/1", To: "churn/1", Role: "train"}, {From: "holdout/1", To: "churn/1", Role: "eval"}, {From: "base/1", To: "churn/1", Role: "parent"}}
	for i, e := range g.Edges {
		if e != want[i] {
			t.Fatalf("edge %d = %+v, want %+v", i, e, want[i])
		}
	}
	a.do("GET", "/api/v1/used-by?ref=sales&depth=3", a.reader, nil).ok(200).decode(&g)
	if g.Root != "sales" || len(g.Nodes) != 2 || len(g.Edges) != 1 || g.Edges[0] != want[0] {
		t.Fatalf("used-by graph = %+v", g)
	}
}

// TestBadLineageInput checks every bad dataset or lineage request gets a
// 4xx with a stable code and stores nothing.
func TestBadLineageInput(t *testing.T) {
	a := newTestAPI(t)
	a.push("sales", map[string]string{"sales.csv": "1\n"}, map[string]any{"kind": "dataset"})
	a.push("churn", map[string]string{"model.bin": "churn"}, nil)
	lineage := func(l map[string]any) map[string]any { return map[string]any{"lineage": l} }
	train := func(ref string) map[string]any {
		return lineage(map[string]any{"datasets": []map[string]string{{"role": "train", "ref": ref}}})
	}
	tests := []struct {
		name, model string
		extra       map[string]any
		status      int
		code, hint  string
	}{
		{"unknown dataset ref", "churn", train("nope/1"), 404, "NOT_FOUND", `dataset train=nope/1: dataset "nope" not found`},
		{"unknown dataset version", "churn", train("sales/7"), 404, "NOT_FOUND", `dataset "sales" has no version 7`},
		{"dataset ref that is a model", "churn", train("churn/1"), 412, "KIND_MISMATCH", `"churn" is a model, not a dataset`},
		{"model pushed into a dataset name", "sales", nil, 412, "KIND_MISMATCH", `"sales" is a dataset, not a model`},
		{"dataset pushed into a model name", "churn", map[string]any{"kind": "dataset"}, 412, "KIND_MISMATCH", `'modelry push'`},
		{"bad kind", "new", map[string]any{"kind": "table"}, 400, "INVALID_ARGUMENT", `kind "table"`},
		{"bad role", "new", lineage(map[string]any{"datasets": []map[string]string{{"role": "x y", "ref": "sales/1"}}}), 400, "INVALID_ARGUMENT", "dataset role"},
		{"parent role", "new", lineage(map[string]any{"datasets": []map[string]string{{"role": "parent", "ref": "sales/1"}}}), 400, "INVALID_ARGUMENT", "reserved"},
		{"parent of the other kind", "new", lineage(map[string]any{"parent": "sales/1"}), 412, "KIND_MISMATCH", `"sales" is a dataset, not a model`},
		{"bad parent ref", "new", lineage(map[string]any{"parent": "churn//1"}), 400, "INVALID_ARGUMENT", "parent: invalid reference"},
		{"lineage not an object", "new", map[string]any{"lineage": []string{"sales"}}, 400, "INVALID_ARGUMENT", "lineage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.pushResponse(tt.model, map[string]string{"x": "x"}, tt.extra).fails(tt.status, tt.code, tt.hint)
		})
	}
	queries := []struct {
		name, path string
		status     int
		code, hint string
	}{
		{"missing ref", "/api/v1/lineage", 400, "INVALID_ARGUMENT", "ref is required"},
		{"depth 0", "/api/v1/lineage?ref=churn&depth=0", 400, "INVALID_ARGUMENT", "depth=0 is out of range; use 1 to 100"},
		{"depth too deep", "/api/v1/used-by?ref=sales&depth=101", 400, "INVALID_ARGUMENT", "out of range"},
		{"depth negative", "/api/v1/used-by?ref=sales&depth=-1", 400, "INVALID_ARGUMENT", "depth"},
		{"depth not a number", "/api/v1/lineage?ref=churn&depth=deep", 400, "INVALID_ARGUMENT", "depth"},
		{"unknown ref", "/api/v1/lineage?ref=" + url.QueryEscape("ghost@prod"), 404, "NOT_FOUND", `model "ghost" not found`},
		{"unknown name for used-by", "/api/v1/used-by?ref=ghost", 404, "NOT_FOUND", `"ghost"`},
		{"bad ref", "/api/v1/used-by?ref=" + url.QueryEscape("a b"), 400, "INVALID_ARGUMENT", "invalid reference"},
		{"bad kind filter", "/api/v1/models?kind=table", 400, "INVALID_ARGUMENT", `kind "table"`},
	}
	for _, tt := range queries {
		t.Run(tt.name, func(t *testing.T) {
			a.do("GET", tt.path, a.reader, nil).fails(tt.status, tt.code, tt.hint)
		})
	}
	var list struct{ Models []registry.Model }
	a.do("GET", "/api/v1/models", a.reader, nil).ok(200).decode(&list)
	if len(list.Models) != 2 || list.Models[0].VersionCount != 1 || list.Models[1].VersionCount != 1 {
		t.Fatalf("bad requests changed the store: %+v", list.Models)
	}
}
