package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/modelry/modelry/internal/registry"
)

// renameTables are the tables whose model column follows a rename, children
// after the models row. Foreign keys are checked at commit
// (defer_foreign_keys), when every row carries the new name.
var renameTables = []string{"models", "model_tags", "versions", "version_tags", "version_inputs", "aliases", "alias_moves"}

// RenameModel moves a model and every row under it to a new name.
func (tx *writeTx) RenameModel(ctx context.Context, from, to string) error {
	var one int
	err := tx.c.queryRow(ctx, `SELECT 1 FROM models WHERE name = ?`, to).Scan(&one)
	if err == nil {
		return registry.E(registry.KindAlreadyExists, "model %q already exists", to)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return storeError(ctx, err, "rename model %q", from)
	}
	if _, err := tx.c.exec(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
		return storeError(ctx, err, "rename model %q", from)
	}
	for _, table := range renameTables {
		col := "model"
		if table == "models" {
			col = "name"
		}
		res, err := tx.c.exec(ctx, `UPDATE `+table+` SET `+col+` = ? WHERE `+col+` = ?`, to, from)
		if err != nil {
			return storeError(ctx, err, "rename model %q in %s", from, table)
		}
		if table == "models" {
			if n, _ := res.RowsAffected(); n == 0 {
				return modelNotFound(from)
			}
		}
	}
	return tx.renameInputs(ctx, from, to)
}
