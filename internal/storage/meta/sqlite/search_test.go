package sqlite

import (
	"strings"
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

// TestSearchMigrationFillsRunColumns opens a database written before
// migration 0005 and checks that its versions are found by run id and show
// their run, as versions created afterwards are.
func TestSearchMigrationFillsRunColumns(t *testing.T) {
	ctx := t.Context()
	path := oldDatabase(t, 4,
		`INSERT INTO models (name, created_at, updated_at, last_number, version_count) VALUES ('iris', 1, 1, 2, 2)`,
		`INSERT INTO versions (model, number, digest, created_at, source) VALUES ('iris', 1, 'sha256:00', 1, '{"run":{"system":"mlflow","id":"r1","uri":"runs:/r1/m"}}')`,
		`INSERT INTO versions (model, number, digest, created_at, source) VALUES ('iris', 2, 'sha256:01', 2, '{"git":{"commit":"abc"}}')`)
	s := openAt(t, path)
	err := s.View(ctx, func(tx registry.ReadTx) error {
		q := registry.VersionSearch{Limit: 10, Where: []registry.VersionCond{{Field: registry.FieldRunID, Op: registry.OpEq, Values: []string{"r1"}}}}
		vs, err := tx.SearchVersions(ctx, q)
		if err != nil {
			return err
		}
		if len(vs) != 1 || vs[0].Number != 1 || vs[0].Source.Run == nil || *vs[0].Source.Run != (registry.RunSource{ID: "r1", URI: "runs:/r1/m"}) {
			t.Errorf("search by run id after the migration found %+v", vs)
		}
		q.Where[0].Values = []string{""}
		vs, err = tx.SearchVersions(ctx, q)
		if len(vs) != 1 || vs[0].Number != 2 || vs[0].Source.Run != nil {
			t.Errorf("search for versions without a run found %+v", vs)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSearchQueryPlans keeps MLflow's common searches on their indexes: one
// model newest first (its default order) reads the covering index in order,
// without a sort or the table rows; one run is an index lookup.
func TestSearchQueryPlans(t *testing.T) {
	s := openTemp(t)
	c := <-s.readers
	defer func() { s.readers <- c }()
	prompt := registry.VersionCond{Field: registry.FieldTag, Key: "mlflow.prompt.is_prompt", Op: registry.OpNe, Values: []string{"true"}, IfMissing: true}
	newest := []registry.VersionOrder{{Field: registry.FieldCreated, Desc: true}}
	for _, tc := range []struct {
		cond   registry.VersionCond
		order  []registry.VersionOrder
		want   string
		sorted bool // a sort is fine: a run has a handful of versions
	}{
		{registry.VersionCond{Field: registry.FieldModel, Op: registry.OpEq, Values: []string{"iris"}}, newest, "SEARCH v USING COVERING INDEX versions_live_created (model=?)", false},
		{registry.VersionCond{Field: registry.FieldModel, Op: registry.OpEq, Values: []string{"iris"}}, nil, "SEARCH v USING INDEX versions_live (model=?)", false},
		{registry.VersionCond{Field: registry.FieldRunID, Op: registry.OpEq, Values: []string{"r1"}}, newest, "SEARCH v USING INDEX versions_live_by_run (run_id=?)", true},
	} {
		conds := []string{"v.deleted_at IS NULL", "v.model IN (SELECT name FROM models WHERE kind = 'model')"}
		var args []any
		for _, cond := range []registry.VersionCond{tc.cond, prompt} {
			sql, a := searchCond(cond)
			conds, args = append(conds, sql), append(args, a...)
		}
		q := selectFound + where(conds) + searchOrder(tc.order) + ` LIMIT ? OFFSET ?`
		rows, err := c.c.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, append(args, 10, 0)...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "; ")
		if !strings.Contains(text, tc.want) || strings.Contains(text, "SCAN v") ||
			!tc.sorted && strings.Contains(text, "TEMP B-TREE") {
			t.Errorf("plan for %+v, order %+v:\n%s\nwant %s, no scan of versions, sorted %v", tc.cond, tc.order, text, tc.want, tc.sorted)
		}
	}
}
