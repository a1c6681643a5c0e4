package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/modelry/modelry/internal/registry"
)

func scanAlias(row scanner) (registry.Alias, error) {
	var a registry.Alias
	var updated int64
	err := row.Scan(&a.Model, &a.Name, &a.Version, &updated, &a.UpdatedBy)
	a.UpdatedAt = fromNanos(updated)
	return a, err
}

func (tx *readTx) GetAlias(ctx context.Context, model, alias string) (registry.Alias, error) {
	a, err := scanAlias(tx.c.queryRow(ctx, `SELECT model, alias, version, updated_at, updated_by
		FROM aliases WHERE model = ? AND alias = ?`, model, alias))
	if errors.Is(err, sql.ErrNoRows) {
		if err := tx.requireModel(ctx, model); err != nil {
			return registry.Alias{}, err
		}
		return registry.Alias{}, aliasNotSet(model, alias)
	}
	if err != nil {
		return registry.Alias{}, storeError(ctx, err, "get alias %q of %q", alias, model)
	}
	return a, nil
}

// ListAliases returns the model's aliases ordered by name; KindNotFound when
// the model does not exist.
func (tx *readTx) ListAliases(ctx context.Context, model string) ([]registry.Alias, error) {
	aliases, err := collect(ctx, tx.c, scanAlias, `SELECT model, alias, version, updated_at, updated_by
		FROM aliases WHERE model = ? ORDER BY alias`, model)
	if err != nil {
		return nil, storeError(ctx, err, "list aliases of %q", model)
	}
	if len(aliases) == 0 {
		return aliases, tx.requireModel(ctx, model)
	}
	return aliases, nil
}

func (tx *readTx) AliasHistory(ctx context.Context, model, alias string, q registry.HistoryQuery) ([]registry.AliasMove, string, error) {
	size := pageSize(q.Page.Size)
	conds, args := []string{"model = ?", "alias = ?"}, []any{model, alias}
	if q.Page.Token != "" {
		before, err := decodeNumberToken(historyToken, q.Page.Token)
		if err != nil {
			return nil, "", err
		}
		conds, args = append(conds, "seq < ?"), append(args, before)
	}
	if !q.Until.IsZero() {
		conds, args = append(conds, "at <= ?"), append(args, nanos(q.Until))
	}
	moves, err := collect(ctx, tx.c, scanMove, `SELECT seq, model, alias, from_version, to_version, actor, reason, at
		FROM alias_moves`+where(conds)+` ORDER BY seq DESC LIMIT ?`, append(args, size+1)...)
	if err != nil {
		return nil, "", storeError(ctx, err, "read history of alias %q of %q", alias, model)
	}
	if len(moves) == 0 && q.Page.Token == "" {
		return moves, "", tx.requireModel(ctx, model)
	}
	moves, next := page(moves, size, historyToken, func(m registry.AliasMove) string { return formatInt(m.Seq) })
	return moves, next, nil
}

func scanMove(row scanner) (registry.AliasMove, error) {
	var m registry.AliasMove
	var at int64
	err := row.Scan(&m.Seq, &m.Model, &m.Alias, &m.From, &m.To, &m.Actor, &m.Reason, &at)
	m.At = fromNanos(at)
	return m, err
}

// PutAlias sets or moves an alias. KindNotFound when the model or the
// version does not exist (the foreign key to versions).
func (tx *writeTx) PutAlias(ctx context.Context, a registry.Alias) error {
	_, err := tx.c.exec(ctx, `INSERT INTO aliases (model, alias, version, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (model, alias) DO UPDATE
		SET version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		a.Model, a.Name, a.Version, nanos(a.UpdatedAt), a.UpdatedBy)
	if isForeignKey(err) {
		if err := tx.requireModel(ctx, a.Model); err != nil {
			return err
		}
		return versionNotFound(a.Model, a.Version)
	}
	if err != nil {
		return storeError(ctx, err, "set alias %q of %q", a.Name, a.Model)
	}
	return nil
}

func (tx *writeTx) DeleteAlias(ctx context.Context, model, alias string) error {
	found, err := changedRow(tx.c.exec(ctx, `DELETE FROM aliases WHERE model = ? AND alias = ?`, model, alias))
	if err != nil {
		return storeError(ctx, err, "delete alias %q of %q", alias, model)
	}
	if !found {
		if err := tx.requireModel(ctx, model); err != nil {
			return err
		}
		return aliasNotSet(model, alias)
	}
	return nil
}

func (tx *writeTx) AppendAliasMove(ctx context.Context, m registry.AliasMove) error {
	_, err := tx.c.exec(ctx, `INSERT INTO alias_moves (model, alias, from_version, to_version, actor, reason, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		m.Model, m.Alias, m.From, m.To, m.Actor, m.Reason, nanos(m.At))
	if isForeignKey(err) {
		return modelNotFound(m.Model)
	}
	if err != nil {
		return storeError(ctx, err, "record move of alias %q of %q", m.Alias, m.Model)
	}
	return nil
}
