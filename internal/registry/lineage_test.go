package registry_test

import (
	"context"
	"strings"
	"testing"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/storetest"
)

// pushKind creates the next version of name with the given kind, content
// and lineage, failing the test on error.
func pushKind(t *testing.T, svc *registry.Service, ctx context.Context, name, kind, content string, l registry.LineageInput) registry.Version {
	t.Helper()
	in := version(t, svc, ctx, content)
	in.Kind, in.Lineage = kind, l
	v, err := svc.CreateVersion(ctx, name, in)
	if err != nil {
		t.Fatalf("push %s: %v", name, err)
	}
	return v
}

func uses(pairs ...string) []registry.DatasetInput {
	var out []registry.DatasetInput
	for _, p := range pairs {
		role, ref, _ := strings.Cut(p, "=")
		out = append(out, registry.DatasetInput{Role: role, Ref: ref})
	}
	return out
}

// seedLineage: datasets sales (2 versions, alias current at 1) and holdout;
// model base/1; churn/1 trained on sales@current and holdout, from base/1;
// churn/2 from churn/1, trained on sales/2.
func seedLineage(t *testing.T) (*registry.Service, context.Context) {
	t.Helper()
	svc, ctx := newService(t)
	pushKind(t, svc, ctx, "sales", registry.KindDataset, "sales-1", registry.LineageInput{})
	pushKind(t, svc, ctx, "sales", registry.KindDataset, "sales-2", registry.LineageInput{})
	if _, err := svc.SetAlias(ctx, "sales", "current", 1, registry.AliasOptions{}); err != nil {
		t.Fatal(err)
	}
	pushKind(t, svc, ctx, "holdout", registry.KindDataset, "holdout-1", registry.LineageInput{})
	pushKind(t, svc, ctx, "base", "", "base-1", registry.LineageInput{})
	pushKind(t, svc, ctx, "churn", registry.KindModel, "churn-1", registry.LineageInput{
		Datasets: uses("train=sales@current", "eval=holdout"), Parent: "base/1"})
	pushKind(t, svc, ctx, "churn", "", "churn-2", registry.LineageInput{
		Datasets: uses("train=sales/2"), Parent: "churn/1"})
	return svc, ctx
}

func TestPushResolvesLineage(t *testing.T) {
	svc, ctx := seedLineage(t)
	v, err := svc.ResolveString(ctx, "churn/1")
	if err != nil {
		t.Fatal(err)
	}
	sales1, _ := svc.ResolveString(ctx, "sales/1")
	got := v.Lineage.Datasets[0]
	want := registry.DatasetUse{Role: "train", VersionPointer: registry.VersionPointer{Ref: "sales@current", Name: "sales", Version: 1, Digest: sales1.Digest}}
	if got != want || len(v.Lineage.Datasets) != 2 || v.Lineage.Parent == nil || v.Lineage.Parent.Name != "base" {
		t.Fatalf("lineage = %+v, want train %+v, eval holdout, parent base/1", v.Lineage, want)
	}
	// Moving the alias later changes nothing recorded.
	if _, err := svc.SetAlias(ctx, "sales", "current", 2, registry.AliasOptions{}); err != nil {
		t.Fatal(err)
	}
	if v, _ := svc.ResolveString(ctx, "churn/1"); v.Lineage.Datasets[0].Version != 1 {
		t.Fatalf("train input moved with the alias: %+v", v.Lineage.Datasets[0])
	}
	events, _ := svc.ListEvents(ctx, registry.EventQuery{Model: "churn", Type: registry.EventVersionCreated})
	if len(events) != 2 || events[0].Data["lineage"] != "train=sales/1 eval=holdout/1 parent=base/1" {
		t.Fatalf("version.created events of churn = %+v, want the lineage in one line", events)
	}
	m, _ := svc.GetModel(ctx, "sales")
	if m.Kind != registry.KindDataset {
		t.Fatalf("sales has kind %q", m.Kind)
	}
}

func TestBadLineageIsRefusedAndStoresNothing(t *testing.T) {
	svc, ctx := seedLineage(t)
	tests := []struct {
		name, model, kind string
		lineage           registry.LineageInput
		want              registry.Kind
		hint              string
	}{
		{"model into a dataset", "sales", "", registry.LineageInput{}, registry.KindWrongKind, `"sales" is a dataset, not a model; names are one kind or the other: push to "sales" with 'modelry data push'`},
		{"dataset into a model", "churn", registry.KindDataset, registry.LineageInput{}, registry.KindWrongKind, `"churn" is a model, not a dataset`},
		{"bad kind", "new", "table", registry.LineageInput{}, registry.KindInvalid, `kind "table" is not "model" or "dataset"`},
		{"unknown dataset", "new", "", registry.LineageInput{Datasets: uses("train=nope/1")}, registry.KindNotFound, `dataset train=nope/1: dataset "nope" not found`},
		{"unknown dataset version", "new", "", registry.LineageInput{Datasets: uses("train=sales/9")}, registry.KindNotFound, `dataset train=sales/9: dataset "sales" has no version 9`},
		{"dataset that is a model", "new", "", registry.LineageInput{Datasets: uses("train=base/1")}, registry.KindWrongKind, `dataset train=base/1: "base" is a model, not a dataset`},
		{"parent of another kind", "new", "", registry.LineageInput{Parent: "sales/1"}, registry.KindWrongKind, `parent sales/1: "sales" is a dataset, not a model`},
		{"unknown parent", "new", "", registry.LineageInput{Parent: "ghost@prod"}, registry.KindNotFound, `parent ghost@prod: model "ghost" not found`},
		{"bad role", "new", "", registry.LineageInput{Datasets: uses("9lives=sales/1")}, registry.KindInvalid, `must start with a letter`},
		{"reserved role", "new", "", registry.LineageInput{Datasets: uses("parent=sales/1")}, registry.KindInvalid, `"parent" is reserved`},
		{"empty role", "new", "", registry.LineageInput{Datasets: uses("=sales/1")}, registry.KindInvalid, `role is empty`},
		{"bad ref", "new", "", registry.LineageInput{Datasets: uses("train=sales/x")}, registry.KindInvalid, `dataset train=sales/x: invalid reference`},
		{"twice", "new", "", registry.LineageInput{Datasets: uses("train=sales/1", "train=sales/1")}, registry.KindInvalid, `given twice`},
		{"too many", "new", "", registry.LineageInput{Datasets: make([]registry.DatasetInput, 101)}, registry.KindInvalid, `lists 101 datasets; the limit is 100`},
	}
	before, _ := svc.ListEvents(ctx, registry.EventQuery{Limit: registry.MaxPageSize})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := version(t, svc, ctx, "x")
			in.Kind, in.Lineage = tt.kind, tt.lineage
			_, err := svc.CreateVersion(ctx, tt.model, in)
			if !registry.Is(err, tt.want) || !strings.Contains(registry.Message(err), tt.hint) {
				t.Fatalf("err = %v (%s), want %s containing %q", err, registry.KindOf(err), tt.want, tt.hint)
			}
		})
	}
	if _, err := svc.GetModel(ctx, "new"); !registry.Is(err, registry.KindNotFound) {
		t.Fatalf("a refused push created its model: %v", err)
	}
	after, _ := svc.ListEvents(ctx, registry.EventQuery{Limit: registry.MaxPageSize})
	if len(after) != len(before) {
		t.Fatalf("refused pushes logged %d events", len(after)-len(before))
	}
	if _, err := svc.CreateModel(ctx, registry.NewModel{Name: "x", Kind: "table"}); !registry.Is(err, registry.KindInvalid) {
		t.Fatalf("CreateModel with kind table: %v", err)
	}
}

func ids(g registry.Graph) (nodes []string, edges []string) {
	for _, n := range g.Nodes {
		nodes = append(nodes, n.ID+":"+n.Kind)
	}
	for _, e := range g.Edges {
		edges = append(edges, e.From+"->"+e.To+":"+e.Role)
	}
	return nodes, edges
}

func sameList(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func TestLineageWalksUpstream(t *testing.T) {
	svc, ctx := seedLineage(t)
	g, err := svc.Lineage(ctx, "churn", 0)
	if err != nil {
		t.Fatal(err)
	}
	nodes, edges := ids(g)
	if g.Root != "churn/2" {
		t.Fatalf("root = %q, want churn/2", g.Root)
	}
	sameList(t, "nodes", nodes, "churn/2:model", "sales/2:dataset", "churn/1:model", "sales/1:dataset", "holdout/1:dataset", "base/1:model")
	sameList(t, "edges", edges, "sales/2->churn/2:train", "churn/1->churn/2:parent",
		"sales/1->churn/1:train", "holdout/1->churn/1:eval", "base/1->churn/1:parent")

	g, _ = svc.Lineage(ctx, "churn/2", 1)
	nodes, _ = ids(g)
	sameList(t, "nodes at depth 1", nodes, "churn/2:model", "sales/2:dataset", "churn/1:model")

	for _, depth := range []int{-1, registry.MaxGraphDepth + 1} {
		if _, err := svc.Lineage(ctx, "churn", depth); !registry.Is(err, registry.KindInvalid) {
			t.Fatalf("depth %d: %v", depth, err)
		}
	}
	if _, err := svc.Lineage(ctx, "nope/1", 0); !registry.Is(err, registry.KindNotFound) {
		t.Fatalf("unknown ref: %v", err)
	}
}

func TestUsedByWalksDownstream(t *testing.T) {
	svc, ctx := seedLineage(t)
	g, err := svc.UsedBy(ctx, "sales", 0)
	if err != nil {
		t.Fatal(err)
	}
	nodes, edges := ids(g)
	if g.Root != "sales" {
		t.Fatalf("root = %q, want the name sales", g.Root)
	}
	sameList(t, "nodes", nodes, "sales/2:dataset", "sales/1:dataset", "churn/2:model", "churn/1:model")
	sameList(t, "edges", edges, "sales/2->churn/2:train", "sales/1->churn/1:train", "churn/1->churn/2:parent")

	g, _ = svc.UsedBy(ctx, "sales/2", 0)
	nodes, _ = ids(g)
	sameList(t, "users of sales/2", nodes, "sales/2:dataset", "churn/2:model")
	g, _ = svc.UsedBy(ctx, "base/1", 1)
	nodes, _ = ids(g)
	sameList(t, "users of base/1 at depth 1", nodes, "base/1:model", "churn/1:model")
}

func TestGraphShowsDeletedInputs(t *testing.T) {
	svc, ctx := seedLineage(t)
	if err := svc.DeleteModel(ctx, "holdout"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DeleteVersion(ctx, registry.Ref{Model: "churn", Number: 1}); err != nil {
		t.Fatal(err)
	}
	g, err := svc.Lineage(ctx, "churn/2", 0)
	if err != nil {
		t.Fatal(err)
	}
	deleted := map[string]bool{}
	for _, n := range g.Nodes {
		if n.Deleted {
			deleted[n.ID+":"+n.Kind] = true
		}
	}
	if !deleted["churn/1:model"] || !deleted["holdout/1:dataset"] || len(deleted) != 2 {
		t.Fatalf("deleted nodes = %v, want churn/1 and holdout/1", deleted)
	}
	// A deleted version is no longer a user.
	g, _ = svc.UsedBy(ctx, "base/1", 0)
	nodes, _ := ids(g)
	sameList(t, "users of base/1", nodes, "base/1:model")
}

func TestRenameKeepsLineage(t *testing.T) {
	svc, ctx := seedLineage(t)
	if _, err := svc.RenameModel(ctx, "sales", "revenue"); err != nil {
		t.Fatal(err)
	}
	g, err := svc.UsedBy(ctx, "revenue/2", 0)
	if err != nil {
		t.Fatal(err)
	}
	nodes, _ := ids(g)
	sameList(t, "users of revenue/2", nodes, "revenue/2:dataset", "churn/2:model")
	g, _ = svc.Lineage(ctx, "churn/2", 1)
	nodes, _ = ids(g)
	sameList(t, "lineage of churn/2", nodes, "churn/2:model", "revenue/2:dataset", "churn/1:model")
}

// TestGraphStopsAtNodeLimit writes a dataset used by more model versions
// than a graph may hold, straight into the store in one transaction, and
// checks that used-by stops at the limit and says so.
func TestGraphStopsAtNodeLimit(t *testing.T) {
	st := storetest.Open(t)
	ctx := registry.WithPrincipal(context.Background(), registry.Principal{Name: "alice", Role: registry.RoleReader})
	files := []registry.File{{Path: "f", Size: 1, Digest: "sha256:" + strings.Repeat("a", 64), Mode: 0o644}}
	digest := registry.ManifestDigest(files)
	err := st.Meta.Update(ctx, func(tx registry.WriteTx) error {
		for _, m := range []registry.Model{{Name: "sales", Kind: registry.KindDataset}, {Name: "big", Kind: registry.KindModel}} {
			if err := tx.CreateModel(ctx, m); err != nil {
				return err
			}
		}
		if err := tx.InsertVersion(ctx, registry.Version{Model: "sales", Number: 1, Digest: digest, Files: files}); err != nil {
			return err
		}
		use := registry.DatasetUse{Role: "train", VersionPointer: registry.VersionPointer{Ref: "sales/1", Name: "sales", Version: 1, Digest: digest}}
		for n := int64(1); n <= registry.MaxGraphNodes+5; n++ {
			v := registry.Version{Model: "big", Number: n, Digest: digest, Files: files, Lineage: registry.Lineage{Datasets: []registry.DatasetUse{use}}}
			if err := tx.InsertVersion(ctx, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := registry.New(st.Meta, st.Blobs).UsedBy(ctx, "sales/1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != registry.MaxGraphNodes || !g.Truncated || len(g.Edges) != registry.MaxGraphNodes-1 {
		t.Fatalf("graph of %d nodes, %d edges, truncated %v; want %d nodes, cut", len(g.Nodes), len(g.Edges), g.Truncated, registry.MaxGraphNodes)
	}
}

// TestGraphKeepsARecreatedNameApart deletes a model whose version was a
// parent, creates the name again (its numbers start over) and declares the
// new version's parent to be the old version's child. The record must not
// turn into a loop: b/1 was made from the old a/1, not the new one.
func TestGraphKeepsARecreatedNameApart(t *testing.T) {
	svc, ctx := newService(t)
	oldA := pushKind(t, svc, ctx, "a", "", "a-old", registry.LineageInput{})
	pushKind(t, svc, ctx, "b", "", "b-1", registry.LineageInput{Parent: "a/1"})
	if err := svc.DeleteModel(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	newA := pushKind(t, svc, ctx, "a", "", "a-new", registry.LineageInput{Parent: "b/1"})
	if newA.Number != 1 || newA.Digest == oldA.Digest {
		t.Fatalf("recreated a is %d %s; the test needs a new a/1", newA.Number, newA.Digest)
	}

	g, err := svc.Lineage(ctx, "b/1", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range g.Nodes {
		if n.ID == "a/1" && (n.Digest != oldA.Digest || !n.Deleted) {
			t.Fatalf("lineage of b/1 shows a/1 as %s (deleted %v); b/1 was made from the deleted %s", n.Digest, n.Deleted, oldA.Digest)
		}
	}
	_, edges := ids(g)
	sameList(t, "lineage of b/1", edges, "a/1->b/1:parent")

	g, _ = svc.Lineage(ctx, "a/1", 0)
	_, edges = ids(g)
	sameList(t, "lineage of the new a/1", edges, "b/1->a/1:parent")

	g, _ = svc.UsedBy(ctx, "a/1", 0)
	nodes, _ := ids(g)
	sameList(t, "users of the new a/1", nodes, "a/1:model")

	g, _ = svc.UsedBy(ctx, "b/1", 0)
	_, edges = ids(g)
	sameList(t, "users of b/1", edges, "b/1->a/1:parent")
}

// TestUsedByADeletedDataset: the record of what made a version outlives the
// deletion of its inputs, so "which versions used the data we deleted?"
// still has an answer, by name and by version number.
func TestUsedByADeletedDataset(t *testing.T) {
	svc, ctx := seedLineage(t)
	if err := svc.DeleteModel(ctx, "holdout"); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"holdout", "holdout/1"} {
		g, err := svc.UsedBy(ctx, ref, 0)
		if err != nil {
			t.Fatalf("used-by %s: %v", ref, err)
		}
		nodes, edges := ids(g)
		sameList(t, "users of "+ref, nodes, "holdout/1:dataset", "churn/1:model", "churn/2:model")
		sameList(t, "edges from "+ref, edges, "holdout/1->churn/1:eval", "churn/1->churn/2:parent")
		if !g.Nodes[0].Deleted || g.Nodes[0].Digest == "" {
			t.Errorf("used-by %s: the root is %+v, want the deleted version with its digest", ref, g.Nodes[0])
		}
	}
	for _, ref := range []string{"holdout/2", "holdout@current", "nothing"} {
		if _, err := svc.UsedBy(ctx, ref, 0); !registry.Is(err, registry.KindNotFound) {
			t.Errorf("used-by %s: %v, want not found", ref, err)
		}
	}
}
