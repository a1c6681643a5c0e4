package metatest

import (
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

var lineageTests = []test{
	{"KindStoredAndFiltered", testKindStoredAndFiltered},
	{"RoundTrip", testLineageRoundTrip},
	{"UsedBy", testUsedBy},
	{"UsedBySkipsDeleted", testUsedBySkipsDeleted},
	{"CascadesWithVersions", testLineageCascades},
	{"DeletedInputKeepsRecord", testDeletedInputKeepsRecord},
	{"RenameUpstream", testRenameUpstream},
	{"RenameDownstream", testRenameDownstream},
}

// seedDataset creates dataset name with versions 1..n.
func seedDataset(t *testing.T, s registry.Store, name string, n int) []registry.Version {
	t.Helper()
	m := newModel(name)
	m.Kind = registry.KindDataset
	var out []registry.Version
	update(t, s, func(tx registry.WriteTx) error {
		if err := tx.CreateModel(t.Context(), m); err != nil {
			return err
		}
		for i := 1; i <= n; i++ {
			v := newVersion(name, int64(i))
			if err := tx.InsertVersion(t.Context(), v); err != nil {
				return err
			}
			out = append(out, v)
		}
		m.LastNumber, m.VersionCount = int64(n), int64(n)
		return tx.UpdateModel(t.Context(), m)
	})
	return out
}

func pointer(v registry.Version, ref string) registry.VersionPointer {
	return registry.VersionPointer{Ref: ref, Name: v.Model, Version: v.Number, Digest: v.Digest}
}

// seedLineage stores datasets sales (2 versions) and holdout (1), model base
// (1), and churn/1 trained on sales/2, evaluated on holdout/1, from base/1.
func seedLineage(t *testing.T, s registry.Store) (sales, holdout, base []registry.Version, churn registry.Version) {
	t.Helper()
	sales = seedDataset(t, s, "sales", 2)
	holdout = seedDataset(t, s, "holdout", 1)
	base = seed(t, s, "base", 1, nil)
	parent := pointer(base[0], "base@2")
	churn = seed(t, s, "churn", 1, func(v *registry.Version) {
		v.Lineage = registry.Lineage{
			Datasets: []registry.DatasetUse{
				{Role: "train", VersionPointer: pointer(sales[1], "sales")},
				{Role: "eval", VersionPointer: pointer(holdout[0], "holdout@current")},
			},
			Parent: &parent,
		}
	})[0]
	return sales, holdout, base, churn
}

func usedBy(t *testing.T, s registry.Store, name string, number int64, limit int) (edges []registry.LineageEdge) {
	t.Helper()
	view(t, s, func(tx registry.ReadTx) (err error) {
		edges, err = tx.UsedBy(t.Context(), name, number, limit)
		return err
	})
	return edges
}

func testKindStoredAndFiltered(t *testing.T, s registry.Store) {
	seedDataset(t, s, "sales", 0)
	seed(t, s, "iris", 0, nil)
	legacy := newModel("old")
	legacy.Kind = "" // callers from before datasets: stored as a model
	createModels(t, s, legacy)

	m, err := getModel(t, s, "sales")
	noErr(t, err)
	if m.Kind != registry.KindDataset {
		t.Fatalf("sales has kind %q, want dataset", m.Kind)
	}
	if m, _ := getModel(t, s, "old"); m.Kind != registry.KindModel {
		t.Fatalf("a model created without a kind has kind %q, want model", m.Kind)
	}
	for kind, want := range map[string][]string{
		registry.KindDataset: {"sales"},
		registry.KindModel:   {"iris", "old"},
		"":                   {"iris", "old", "sales"},
	} {
		var names []string
		view(t, s, func(tx registry.ReadTx) error {
			ms, _, err := tx.ListModels(t.Context(), registry.ModelQuery{Kind: kind})
			for _, m := range ms {
				names = append(names, m.Name)
			}
			return err
		})
		same(t, "models of kind "+kind, names, want)
	}
}

func testLineageRoundTrip(t *testing.T, s registry.Store) {
	_, _, _, churn := seedLineage(t, s)
	got, err := findVersion(t, s, registry.Ref{Model: "churn", Number: 1})
	noErr(t, err)
	same(t, "lineage", got.Lineage, churn.Lineage)
	plain, err := findVersion(t, s, registry.Ref{Model: "sales", Number: 1})
	noErr(t, err)
	same(t, "lineage of a version without one", plain.Lineage, registry.Lineage{})
}

func testUsedBy(t *testing.T, s registry.Store) {
	sales, _, base, churn := seedLineage(t, s)
	train := registry.LineageEdge{Model: "churn", Number: 1, Role: "train", Upstream: churn.Lineage.Datasets[0].VersionPointer}
	same(t, "users of sales/2", usedBy(t, s, "sales", 2, 0), []registry.LineageEdge{train})
	same(t, "users of sales/1", usedBy(t, s, "sales", 1, 0), []registry.LineageEdge{})
	same(t, "users of any sales", usedBy(t, s, "sales", 0, 0), []registry.LineageEdge{train})
	parent := registry.LineageEdge{Model: "churn", Number: 1, Role: registry.RoleParent, Upstream: *churn.Lineage.Parent}
	same(t, "users of base/1", usedBy(t, s, "base", base[0].Number, 0), []registry.LineageEdge{parent})

	// A second user, in order of downstream model and number; limit cuts.
	seed(t, s, "alpha", 1, func(v *registry.Version) {
		v.Lineage.Datasets = []registry.DatasetUse{{Role: "train", VersionPointer: pointer(sales[0], "sales/1")}}
	})
	edges := usedBy(t, s, "sales", 0, 0)
	if len(edges) != 2 || edges[0].Model != "alpha" || edges[1].Model != "churn" {
		t.Fatalf("users of any sales = %+v, want alpha/1 then churn/1", edges)
	}
	if edges := usedBy(t, s, "sales", 0, 1); len(edges) != 1 || edges[0].Model != "alpha" {
		t.Fatalf("limit 1 gave %+v", edges)
	}
}

func testUsedBySkipsDeleted(t *testing.T, s registry.Store) {
	seedLineage(t, s)
	update(t, s, func(tx registry.WriteTx) error {
		v, err := tx.GetVersion(t.Context(), "churn", 1)
		if err != nil {
			return err
		}
		v.DeletedAt = &t0
		return tx.UpdateVersion(t.Context(), v)
	})
	same(t, "users of sales/2 after churn/1 was deleted", usedBy(t, s, "sales", 2, 0), []registry.LineageEdge{})
}

func testLineageCascades(t *testing.T, s registry.Store) {
	seedLineage(t, s)
	update(t, s, func(tx registry.WriteTx) error { return tx.DeleteModel(t.Context(), "churn") })
	same(t, "users of sales after churn was deleted", usedBy(t, s, "sales", 0, 0), []registry.LineageEdge{})
	// A new churn must not inherit the old inputs.
	seed(t, s, "churn", 1, nil)
	same(t, "users of sales after churn came back", usedBy(t, s, "sales", 0, 0), []registry.LineageEdge{})

}

func testDeletedInputKeepsRecord(t *testing.T, s registry.Store) {
	_, _, _, churn := seedLineage(t, s)
	update(t, s, func(tx registry.WriteTx) error { return tx.DeleteModel(t.Context(), "sales") })
	got, err := findVersion(t, s, registry.Ref{Model: "churn", Number: 1})
	noErr(t, err)
	same(t, "lineage after its dataset was deleted", got.Lineage, churn.Lineage)
	if edges := usedBy(t, s, "sales", 2, 0); len(edges) != 1 || edges[0].Model != "churn" {
		t.Fatalf("users of the deleted sales/2 = %+v, want churn/1", edges)
	}
}

func testRenameUpstream(t *testing.T, s registry.Store) {
	seedLineage(t, s)
	update(t, s, func(tx registry.WriteTx) error { return tx.RenameModel(t.Context(), "sales", "revenue") })
	v, err := findVersion(t, s, registry.Ref{Model: "churn", Number: 1})
	noErr(t, err)
	d := v.Lineage.Datasets[0]
	if d.Name != "revenue" || d.Ref != "sales" || d.Version != 2 {
		t.Fatalf("train input after renaming sales to revenue = %+v, want name revenue, ref as written", d)
	}
	same(t, "users of the old name", usedBy(t, s, "sales", 0, 0), []registry.LineageEdge{})
	if edges := usedBy(t, s, "revenue", 2, 0); len(edges) != 1 || edges[0].Upstream.Name != "revenue" {
		t.Fatalf("users of revenue/2 = %+v, want churn/1", edges)
	}
}

func testRenameDownstream(t *testing.T, s registry.Store) {
	seedLineage(t, s)
	// churn/2 derives from churn/1: renaming churn moves both ends.
	update(t, s, func(tx registry.WriteTx) error {
		v := newVersion("churn", 2)
		v.Lineage.Parent = &registry.VersionPointer{Ref: "churn/1", Name: "churn", Version: 1, Digest: newVersion("churn", 1).Digest}
		return tx.InsertVersion(t.Context(), v)
	})
	update(t, s, func(tx registry.WriteTx) error { return tx.RenameModel(t.Context(), "churn", "attrition") })
	edges := usedBy(t, s, "sales", 2, 0)
	if len(edges) != 1 || edges[0].Model != "attrition" {
		t.Fatalf("users of sales/2 after renaming churn = %+v, want attrition/1", edges)
	}
	edges = usedBy(t, s, "attrition", 1, 0)
	if len(edges) != 1 || edges[0].Model != "attrition" || edges[0].Number != 2 || edges[0].Upstream.Name != "attrition" {
		t.Fatalf("users of attrition/1 = %+v, want attrition/2 as parent", edges)
	}
}
