package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/tracking"
)

func (t Tracking) PutArtifact(ctx context.Context, a tracking.Artifact) error {
	return t.write(ctx, func(c *conn) error {
		_, err := c.exec(ctx, `INSERT OR REPLACE INTO artifacts (path, digest, size) VALUES (?, ?, ?)`, a.Path, a.Digest, a.Size)
		return maybeStoreError(ctx, err, "put artifact")
	})
}

func (t Tracking) GetArtifact(ctx context.Context, path string) (a tracking.Artifact, err error) {
	err = t.read(ctx, func(c *conn) error {
		err := c.queryRow(ctx, `SELECT path, digest, size FROM artifacts WHERE path = ?`, path).Scan(&a.Path, &a.Digest, &a.Size)
		if errors.Is(err, sql.ErrNoRows) {
			return registry.E(registry.KindNotFound, "Artifact '%s' not found", path)
		}
		return maybeStoreError(ctx, err, "get artifact")
	})
	return a, err
}

// ListArtifacts selects paths in [dir/, dir0): '0' follows '/' in byte order.
func (t Tracking) ListArtifacts(ctx context.Context, dir string) (out []tracking.Artifact, err error) {
	query, args := `SELECT path, digest, size FROM artifacts ORDER BY path`, []any{}
	if dir != "" {
		query, args = `SELECT path, digest, size FROM artifacts WHERE path > ? AND path < ? ORDER BY path`, []any{dir + "/", dir + "0"}
	}
	err = t.read(ctx, func(c *conn) error {
		out, err = collect(ctx, c, func(s scanner) (tracking.Artifact, error) {
			var a tracking.Artifact
			return a, s.Scan(&a.Path, &a.Digest, &a.Size)
		}, query, args...)
		return maybeStoreError(ctx, err, "list artifacts")
	})
	return out, err
}

func (t Tracking) DeleteArtifacts(ctx context.Context, path string) error {
	return t.write(ctx, func(c *conn) error {
		_, err := c.exec(ctx, `DELETE FROM artifacts WHERE path = ? OR (path > ? AND path < ?)`, path, path+"/", path+"0")
		return maybeStoreError(ctx, err, "delete artifacts")
	})
}
