package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

// TestDatasetsMigrationKeepsExistingModels opens a database written before
// migration 0004 and checks that its models become models of kind "model"
// whose versions have no lineage, and that lineage works from there on.
func TestDatasetsMigrationKeepsExistingModels(t *testing.T) {
	ctx := t.Context()
	path := oldDatabase(t, 3,
		`INSERT INTO models (name, created_at, updated_at, last_number, version_count) VALUES ('iris', 1, 1, 1, 1)`,
		`INSERT INTO versions (model, number, digest, created_at) VALUES ('iris', 1, 'sha256:00', 1)`)
	s := openAt(t, path)
	err := s.Update(ctx, func(tx registry.WriteTx) error {
		m, err := tx.GetModel(ctx, "iris")
		if err != nil {
			return err
		}
		if m.Kind != registry.KindModel {
			t.Errorf("an existing model has kind %q after the migration, want model", m.Kind)
		}
		v, err := tx.GetVersion(ctx, "iris", 1)
		if err != nil {
			return err
		}
		if v.Lineage.Parent != nil || len(v.Lineage.Datasets) != 0 {
			t.Errorf("an existing version has lineage %+v", v.Lineage)
		}
		v2 := v
		v2.Number, v2.Lineage = 2, registry.Lineage{Parent: &registry.VersionPointer{Ref: "iris/1", Name: "iris", Version: 1, Digest: v.Digest}}
		if err := tx.InsertVersion(ctx, v2); err != nil {
			return err
		}
		edges, err := tx.UsedBy(ctx, "iris", 1, 0)
		if err != nil {
			return err
		}
		if len(edges) != 1 || edges[0].Number != 2 || edges[0].Role != registry.RoleParent {
			t.Errorf("users of iris/1 = %+v, want iris/2 as parent", edges)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// oldDatabase writes a database as a release with only the first n
// migrations left it, with the given statements run on it, and returns
// its path: opening it then applies the newer migrations.
func oldDatabase(t *testing.T, n int, stmts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meta.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	all := []string{createSchemaVersion}
	for _, m := range ms[:n] {
		all = append(all, m.sql, `INSERT INTO schema_version (version, name, applied_at) VALUES (`+formatInt(int64(m.version))+`, '`+m.name+`', 0)`)
	}
	for _, q := range append(all, stmts...) {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return path
}
