package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

// migrationFiles are the schema changes, applied in order of their number.
// A file is never edited once released; a change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads migrations/NNNN_name.sql, checking that the numbers
// run 1, 2, 3... without gaps.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var ms []migration
	for i, path := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(path, "migrations/"), ".sql")
		num, _, _ := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %04d", path, i+1)
		}
		b, err := migrationFiles.ReadFile(path)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	return ms, nil
}

const createSchemaVersion = `CREATE TABLE IF NOT EXISTS schema_version (
	version    INTEGER NOT NULL PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at INTEGER NOT NULL
)`

// migrate brings the schema up to date in one transaction, so a failed
// migration leaves the file as it was. Running it again changes nothing.
func migrate(ctx context.Context, c *conn) error {
	ms, err := loadMigrations()
	if err != nil {
		return registry.Wrap(registry.KindInternal, err, "sqlite: load migrations")
	}
	return transact(ctx, c, "BEGIN IMMEDIATE", func() error {
		if _, err := c.c.ExecContext(ctx, createSchemaVersion); err != nil {
			return storeError(ctx, err, "create schema_version")
		}
		var current int
		if err := c.c.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
			return storeError(ctx, err, "read schema version")
		}
		if current > len(ms) {
			return registry.E(registry.KindPrecondition,
				"sqlite: the database has schema version %d, newer than this binary's %d; upgrade modelry", current, len(ms))
		}
		for _, m := range ms[current:] {
			if _, err := c.c.ExecContext(ctx, m.sql); err != nil {
				return storeError(ctx, err, "apply migration %s", m.name)
			}
			if _, err := c.c.ExecContext(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, time.Now().UnixNano()); err != nil {
				return storeError(ctx, err, "record migration %s", m.name)
			}
		}
		return nil
	})
}
