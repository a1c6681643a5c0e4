package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/meta/metatest"
)

func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func openTemp(t *testing.T) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "meta.db"))
}

func TestConformance(t *testing.T) {
	metatest.Run(t, func(t *testing.T) registry.Store { return openTemp(t) })
}

func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	// Characters that mean something in a URI must be taken literally.
	path := filepath.Join(t.TempDir(), "a dir?x=1#frag%20", "meta.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	err = s.Update(ctx, func(tx registry.WriteTx) error {
		if err := tx.CreateModel(ctx, registry.Model{Name: "iris", LastNumber: 3, CreatedAt: time.Now()}); err != nil {
			return err
		}
		_, err := tx.AppendEvent(ctx, registry.Event{Type: registry.EventModelCreated, Model: "iris", At: time.Now()})
		return err
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not at the path given: %v", err)
	}
	if err := s.View(ctx, func(registry.ReadTx) error { return nil }); !registry.Is(err, registry.KindUnavailable) {
		t.Errorf("View after Close: %v, want KindUnavailable", err)
	}

	s = openAt(t, path)
	err = s.View(ctx, func(tx registry.ReadTx) error {
		m, err := tx.GetModel(ctx, "iris")
		if err != nil {
			return err
		}
		es, err := tx.ListEvents(ctx, registry.EventQuery{})
		if m.LastNumber != 3 || len(es) != 1 {
			t.Errorf("after reopening: model %+v, %d events; want LastNumber 3 and 1 event", m, len(es))
		}
		return err
	})
	if err != nil {
		t.Fatalf("after reopening: %v", err)
	}
}

func TestMigrationsAreIdempotent(t *testing.T) {
	ctx := t.Context()
	s := openTemp(t)
	ms, err := loadMigrations()
	if err != nil || len(ms) == 0 {
		t.Fatalf("loadMigrations: %d migrations, %v", len(ms), err)
	}
	w := <-s.writer
	defer func() { s.writer <- w }()
	for range 2 {
		if err := migrate(ctx, w); err != nil {
			t.Fatalf("migrate again: %v", err)
		}
	}
	var rows, latest int
	if err := w.c.QueryRowContext(ctx, `SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&rows, &latest); err != nil {
		t.Fatal(err)
	}
	if rows != len(ms) || latest != len(ms) {
		t.Errorf("schema_version has %d rows up to %d; want %d", rows, latest, len(ms))
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	w := <-s.writer
	_, err = w.c.ExecContext(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES (999, 'future', 0)`)
	s.writer <- w
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(ctx, path)
	if !registry.Is(err, registry.KindPrecondition) || !strings.Contains(err.Error(), "999") {
		t.Errorf("Open of a newer schema: %v; want KindPrecondition naming version 999", err)
	}
}

// TestPragmas checks every connection, writer and readers, got its pragmas.
func TestPragmas(t *testing.T) {
	s := openTemp(t)
	check := func(c *conn, role string, want map[string]string) {
		t.Helper()
		for pragma, value := range want {
			var got string
			if err := c.c.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", role, pragma, err)
			}
			if !strings.EqualFold(got, value) {
				t.Errorf("%s: %s = %s, want %s", role, pragma, got, value)
			}
		}
	}
	common := map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "5000"}
	w := <-s.writer
	check(w, "writer", common)
	check(w, "writer", map[string]string{"query_only": "0"})
	s.writer <- w
	var readers []*conn
	for range readConns {
		readers = append(readers, <-s.readers)
	}
	for _, r := range readers {
		check(r, "reader", common)
		check(r, "reader", map[string]string{"query_only": "1"})
		s.readers <- r
	}
}

// TestHotQueriesUseIndexes keeps the lookups on the resolve path and the
// first page of each listing from turning into table scans or sorts.
func TestHotQueriesUseIndexes(t *testing.T) {
	s := openTemp(t)
	c := <-s.readers
	defer func() { s.readers <- c }()
	for _, q := range []string{
		selectVersions + " WHERE " + byNumber,
		selectVersions + " WHERE " + byLabel,
		selectVersions + " WHERE " + byAlias,
		selectVersions + " WHERE " + byDigest,
		selectVersions + " WHERE " + byLatest,
		selectVersions + " WHERE v.model = ? AND v.deleted_at IS NULL ORDER BY v.number DESC LIMIT ?",
		selectModels + " WHERE m.name = ?",
		selectModels + " WHERE m.name > ? ORDER BY m.name LIMIT ?",
		selectModels + " WHERE m.kind = ? AND m.name > ? ORDER BY m.name LIMIT ?",
		selectInputs + " AND i.upstream_number = ? ORDER BY i.model, i.number, i.seq LIMIT ?",
	} {
		rows, err := c.c.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, make([]any, strings.Count(q, "?"))...)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(detail, "SCAN") || strings.Contains(detail, "TEMP B-TREE") {
				t.Errorf("query plan step %q in:\n%s", detail, q)
			}
		}
		rows.Close()
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		path string
		kind registry.Kind
	}{
		{"", registry.KindInvalid},
		{filepath.Join(t.TempDir(), "no such folder", "meta.db"), registry.KindUnavailable},
	} {
		if _, err := Open(ctx, tc.path); !registry.Is(err, tc.kind) {
			t.Errorf("Open(%q) = %v, want %s", tc.path, err, tc.kind)
		}
	}
}
