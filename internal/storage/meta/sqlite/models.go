package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/modelry/modelry/internal/registry"
)

// selectModels reads models with their tags and aliases in one statement.
const selectModels = `SELECT m.name, m.kind, m.description, m.created_at, m.updated_at, m.created_by,
	m.last_number, m.version_count,
	(SELECT json_group_object(t.key, t.value) FROM model_tags t WHERE t.model = m.name),
	(SELECT json_group_object(a.alias, a.version) FROM aliases a WHERE a.model = m.name)
FROM models m`

func scanModel(row scanner) (registry.Model, error) {
	var m registry.Model
	var created, updated int64
	var tags, aliases string
	err := row.Scan(&m.Name, &m.Kind, &m.Description, &created, &updated, &m.CreatedBy,
		&m.LastNumber, &m.VersionCount, &tags, &aliases)
	if err != nil {
		return m, err
	}
	m.CreatedAt, m.UpdatedAt = fromNanos(created), fromNanos(updated)
	if m.Tags, err = decodeMap[string](tags); err != nil {
		return m, err
	}
	m.Aliases, err = decodeMap[int64](aliases)
	return m, err
}

func (tx *readTx) GetModel(ctx context.Context, name string) (registry.Model, error) {
	m, err := scanModel(tx.c.queryRow(ctx, selectModels+` WHERE m.name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return registry.Model{}, modelNotFound(name)
	}
	if err != nil {
		return registry.Model{}, storeError(ctx, err, "get model %q", name)
	}
	return m, nil
}

func (tx *readTx) ListModels(ctx context.Context, q registry.ModelQuery) ([]registry.Model, string, error) {
	size := pageSize(q.Page.Size)
	var conds []string
	var args []any
	if q.Page.Token != "" {
		after, err := decodeToken(modelToken, q.Page.Token)
		if err != nil {
			return nil, "", err
		}
		conds, args = append(conds, "m.name > ?"), append(args, after)
	}
	if q.Kind != "" {
		conds, args = append(conds, "m.kind = ?"), append(args, q.Kind)
	}
	if q.Prefix != "" {
		conds, args = append(conds, "m.name >= ?"), append(args, q.Prefix)
		if end, ok := prefixEnd(q.Prefix); ok {
			conds, args = append(conds, "m.name < ?"), append(args, end)
		}
	}
	if t := q.Tag; t != nil {
		if t.HasValue {
			conds, args = append(conds, "m.name IN (SELECT model FROM model_tags WHERE key = ? AND value = ?)"), append(args, t.Key, t.Value)
		} else {
			conds, args = append(conds, "m.name IN (SELECT model FROM model_tags WHERE key = ?)"), append(args, t.Key)
		}
	}
	if q.Alias != "" {
		conds, args = append(conds, "m.name IN (SELECT model FROM aliases WHERE alias = ?)"), append(args, q.Alias)
	}
	models, err := collect(ctx, tx.c, scanModel, selectModels+where(conds)+` ORDER BY m.name LIMIT ?`, append(args, size+1)...)
	if err != nil {
		return nil, "", storeError(ctx, err, "list models")
	}
	models, next := page(models, size, modelToken, func(m registry.Model) string { return m.Name })
	return models, next, nil
}

// requireModel returns KindNotFound when the model does not exist. Error
// paths use it to tell "the model is missing" from "the thing in it is".
func (tx *readTx) requireModel(ctx context.Context, name string) error {
	var one int
	err := tx.c.queryRow(ctx, `SELECT 1 FROM models WHERE name = ?`, name).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return modelNotFound(name)
	}
	if err != nil {
		return storeError(ctx, err, "look up model %q", name)
	}
	return nil
}

func (tx *writeTx) CreateModel(ctx context.Context, m registry.Model) error {
	kind := m.Kind
	if kind == "" {
		kind = registry.KindModel
	}
	_, err := tx.c.exec(ctx, `INSERT INTO models
		(name, kind, description, created_at, updated_at, created_by, last_number, version_count)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		m.Name, kind, m.Description, nanos(m.CreatedAt), nanos(m.UpdatedAt), m.CreatedBy, m.LastNumber, m.VersionCount)
	if isUnique(err) {
		return registry.E(registry.KindAlreadyExists, "model %q already exists", m.Name)
	}
	if err != nil {
		return storeError(ctx, err, "create model %q", m.Name)
	}
	return tx.insertModelTags(ctx, m.Name, m.Tags)
}

func (tx *writeTx) UpdateModel(ctx context.Context, m registry.Model) error {
	found, err := changedRow(tx.c.exec(ctx, `UPDATE models
		SET description = ?, updated_at = ?, last_number = ?, version_count = ?
		WHERE name = ?`,
		m.Description, nanos(m.UpdatedAt), m.LastNumber, m.VersionCount, m.Name))
	if err != nil {
		return storeError(ctx, err, "update model %q", m.Name)
	}
	if !found {
		return modelNotFound(m.Name)
	}
	if _, err := tx.c.exec(ctx, `DELETE FROM model_tags WHERE model = ?`, m.Name); err != nil {
		return storeError(ctx, err, "replace tags of model %q", m.Name)
	}
	return tx.insertModelTags(ctx, m.Name, m.Tags)
}

func (tx *writeTx) insertModelTags(ctx context.Context, model string, tags map[string]string) error {
	for k, v := range tags {
		if _, err := tx.c.exec(ctx, `INSERT INTO model_tags (model, key, value) VALUES (?, ?, ?)`, model, k, v); err != nil {
			return storeError(ctx, err, "tag model %q", model)
		}
	}
	return nil
}

// DeleteModel deletes the model row; foreign keys cascade to its tags,
// versions, version tags, aliases and alias history.
func (tx *writeTx) DeleteModel(ctx context.Context, name string) error {
	found, err := changedRow(tx.c.exec(ctx, `DELETE FROM models WHERE name = ?`, name))
	if err != nil {
		return storeError(ctx, err, "delete model %q", name)
	}
	if !found {
		return modelNotFound(name)
	}
	return nil
}

// changedRow takes the outcome of an UPDATE or DELETE of one row by its key
// and reports whether the row was there.
func changedRow(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
