package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"

	"github.com/modelry/modelry/internal/registry"
)

// selectVersions reads versions with their tags and the aliases pointing at
// them in one statement.
const selectVersions = `SELECT v.model, v.number, v.label, v.digest, v.description,
	v.metrics, v.params, v.source, v.lineage, v.files, v.size, v.created_by, v.created_at, v.deleted_at,
	(SELECT json_group_object(t.key, t.value) FROM version_tags t WHERE t.model = v.model AND t.number = v.number),
	(SELECT json_group_array(a.alias) FROM aliases a WHERE a.model = v.model AND a.version = v.number)
FROM versions v`

func scanVersion(row scanner) (registry.Version, error) {
	var v registry.Version
	var metrics, params, source, lineage, files, tags, aliases string
	var created int64
	var deleted sql.NullInt64
	err := row.Scan(&v.Model, &v.Number, &v.Label, &v.Digest, &v.Description,
		&metrics, &params, &source, &lineage, &files, &v.Size, &v.CreatedBy, &created, &deleted, &tags, &aliases)
	if err != nil {
		return v, err
	}
	v.CreatedAt, v.DeletedAt = fromNanos(created), fromNullNanos(deleted)
	if v.Metrics, err = decodeMap[float64](metrics); err != nil {
		return v, err
	}
	if v.Params, err = decodeMap[string](params); err != nil {
		return v, err
	}
	if v.Tags, err = decodeMap[string](tags); err != nil {
		return v, err
	}
	if err = json.Unmarshal([]byte(source), &v.Source); err != nil {
		return v, err
	}
	if err = json.Unmarshal([]byte(lineage), &v.Lineage); err != nil {
		return v, err
	}
	v.Files, v.Aliases = []registry.File{}, []string{}
	if err = json.Unmarshal([]byte(files), &v.Files); err != nil {
		return v, err
	}
	if aliases != "[]" {
		err = json.Unmarshal([]byte(aliases), &v.Aliases)
		slices.Sort(v.Aliases)
	}
	return v, err
}

// getVersion runs one single-row version query.
func (tx *readTx) getVersion(ctx context.Context, cond string, args ...any) (registry.Version, bool, error) {
	v, err := scanVersion(tx.c.queryRow(ctx, selectVersions+" WHERE "+cond, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, false, nil
	}
	if err != nil {
		return v, false, storeError(ctx, err, "read version")
	}
	return v, true, nil
}

func (tx *readTx) GetVersion(ctx context.Context, model string, number int64) (registry.Version, error) {
	v, found, err := tx.getVersion(ctx, byNumber, model, number)
	if err != nil || found {
		return v, err
	}
	return registry.Version{}, tx.missingVersion(ctx, model, number)
}

// missingVersion explains a version number that matched no row.
func (tx *readTx) missingVersion(ctx context.Context, model string, number int64) error {
	if err := tx.requireModel(ctx, model); err != nil {
		return err
	}
	return versionNotFound(model, number)
}

// Live-version lookups spell out `deleted_at IS NULL` (and that the label is
// not empty) so that SQLite can use the partial indexes versions_live and
// versions_live_label.
const (
	byNumber = `v.model = ? AND v.number = ?`
	byLabel  = `v.model = ? AND v.label = ? AND v.label <> '' AND v.deleted_at IS NULL`
	byAlias  = `v.model = ? AND v.number = (SELECT version FROM aliases WHERE model = ? AND alias = ?) AND v.deleted_at IS NULL`
	byDigest = `v.model = ? AND v.digest = ? AND v.deleted_at IS NULL ORDER BY v.number DESC LIMIT 1`
	byLatest = `v.model = ? AND v.deleted_at IS NULL ORDER BY v.number DESC LIMIT 1`
)

func (tx *readTx) FindVersion(ctx context.Context, ref registry.Ref) (registry.Version, error) {
	var v registry.Version
	var found bool
	var err error
	switch {
	case ref.Number != 0:
		v, found, err = tx.getVersion(ctx, byNumber, ref.Model, ref.Number)
	case ref.Label != "":
		v, found, err = tx.getVersion(ctx, byLabel, ref.Model, ref.Label)
	case ref.Alias != "":
		v, found, err = tx.getVersion(ctx, byAlias, ref.Model, ref.Model, ref.Alias)
	case ref.Digest != "":
		v, found, err = tx.getVersion(ctx, byDigest, ref.Model, ref.Digest)
	default:
		v, found, err = tx.getVersion(ctx, byLatest, ref.Model)
	}
	if err != nil || found {
		return v, err
	}
	return registry.Version{}, tx.explainMissing(ctx, ref)
}

// explainMissing builds the KindNotFound error for a reference that matched
// nothing, saying which part is missing. It runs only on that path.
func (tx *readTx) explainMissing(ctx context.Context, ref registry.Ref) error {
	if ref.Number != 0 {
		return tx.missingVersion(ctx, ref.Model, ref.Number)
	}
	if err := tx.requireModel(ctx, ref.Model); err != nil {
		return err
	}
	switch {
	case ref.Label != "":
		return registry.E(registry.KindNotFound, "no live version of %q has label %q", ref.Model, ref.Label)
	case ref.Alias != "":
		a, err := tx.GetAlias(ctx, ref.Model, ref.Alias)
		if err != nil {
			return err
		}
		return registry.E(registry.KindNotFound, "alias %q of %q points at version %d, which is deleted", a.Name, a.Model, a.Version)
	case ref.Digest != "":
		return registry.E(registry.KindNotFound, "no live version of %q has digest %s", ref.Model, ref.Digest)
	}
	return registry.E(registry.KindNotFound, "model %q has no live versions", ref.Model)
}

func (tx *readTx) ListVersions(ctx context.Context, model string, q registry.VersionQuery) ([]registry.Version, string, error) {
	size := pageSize(q.Page.Size)
	conds, args := []string{"v.model = ?"}, []any{model}
	if q.Page.Token != "" {
		before, err := decodeNumberToken(versionToken, q.Page.Token)
		if err != nil {
			return nil, "", err
		}
		conds, args = append(conds, "v.number < ?"), append(args, before)
	}
	if !q.IncludeDeleted {
		conds = append(conds, "v.deleted_at IS NULL")
	}
	if t := q.Tag; t != nil {
		if t.HasValue {
			conds, args = append(conds, "v.number IN (SELECT number FROM version_tags WHERE model = ? AND key = ? AND value = ?)"), append(args, model, t.Key, t.Value)
		} else {
			conds, args = append(conds, "v.number IN (SELECT number FROM version_tags WHERE model = ? AND key = ?)"), append(args, model, t.Key)
		}
	}
	if q.Alias != "" {
		conds, args = append(conds, "v.number = (SELECT version FROM aliases WHERE model = ? AND alias = ?)"), append(args, model, q.Alias)
	}
	versions, err := collect(ctx, tx.c, scanVersion, selectVersions+where(conds)+` ORDER BY v.number DESC LIMIT ?`, append(args, size+1)...)
	if err != nil {
		return nil, "", storeError(ctx, err, "list versions of %q", model)
	}
	if len(versions) == 0 && q.Page.Token == "" {
		return versions, "", tx.requireModel(ctx, model)
	}
	versions, next := page(versions, size, versionToken, func(v registry.Version) string { return formatInt(v.Number) })
	return versions, next, nil
}

func (tx *readTx) CountVersions(ctx context.Context) (int64, error) {
	var n int64
	if err := tx.c.queryRow(ctx, `SELECT COUNT(*) FROM versions WHERE deleted_at IS NULL`).Scan(&n); err != nil {
		return 0, storeError(ctx, err, "count versions")
	}
	return n, nil
}

func (tx *writeTx) InsertVersion(ctx context.Context, v registry.Version) error {
	if v.Number <= 0 {
		return registry.E(registry.KindInvalid, "version number %d of %q is not positive", v.Number, v.Model)
	}
	cols, err := versionJSON(v)
	if err != nil {
		return err
	}
	var runID, runURI string
	if run := v.Source.Run; run != nil {
		runID, runURI = run.ID, run.URI
	}
	_, err = tx.c.exec(ctx, `INSERT INTO versions (model, number, label, digest, description,
		metrics, params, source, lineage, files, size, created_by, created_at, deleted_at, run_id, run_uri)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.Model, v.Number, v.Label, v.Digest, v.Description, cols[0], cols[1], cols[2], cols[4], cols[3],
		v.Size, v.CreatedBy, nanos(v.CreatedAt), nullNanos(v.DeletedAt), runID, runURI)
	switch {
	case isForeignKey(err):
		return modelNotFound(v.Model)
	case isUnique(err):
		if err := tx.labelConflict(ctx, v); err != nil {
			return err
		}
		return registry.E(registry.KindAlreadyExists, "version %d of %q already exists", v.Number, v.Model)
	case err != nil:
		return storeError(ctx, err, "insert version %d of %q", v.Number, v.Model)
	}
	if err := tx.insertVersionTags(ctx, v.Model, v.Number, v.Tags); err != nil {
		return err
	}
	return tx.insertInputs(ctx, v)
}

// versionJSON encodes the JSON columns: metrics, params, source, files,
// lineage. Nil maps and slices are stored as {} and [].
func versionJSON(v registry.Version) ([5]string, error) {
	var cols [5]string
	values := [5]any{v.Metrics, v.Params, v.Source, v.Files, v.Lineage}
	if v.Metrics == nil {
		values[0] = map[string]float64{}
	}
	if v.Params == nil {
		values[1] = map[string]string{}
	}
	if v.Files == nil {
		values[3] = []registry.File{}
	}
	for i, val := range values {
		s, err := encodeJSON(val)
		if err != nil {
			return cols, err
		}
		cols[i] = s
	}
	return cols, nil
}

// labelConflict returns KindAlreadyExists naming the live version of v's
// model that holds v's label, or nil when there is none (or v is deleted and
// so cannot conflict).
func (tx *writeTx) labelConflict(ctx context.Context, v registry.Version) error {
	if v.Label == "" || v.DeletedAt != nil {
		return nil
	}
	var other int64
	err := tx.c.queryRow(ctx, `SELECT number FROM versions v WHERE `+byLabel+` AND v.number <> ?`,
		v.Model, v.Label, v.Number).Scan(&other)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return storeError(ctx, err, "look up label %q of %q", v.Label, v.Model)
	}
	return registry.E(registry.KindAlreadyExists, "label %q is already used by version %d of %q", v.Label, other, v.Model)
}

func (tx *writeTx) UpdateVersion(ctx context.Context, v registry.Version) error {
	found, err := changedRow(tx.c.exec(ctx, `UPDATE versions SET description = ?, deleted_at = ? WHERE model = ? AND number = ?`,
		v.Description, nullNanos(v.DeletedAt), v.Model, v.Number))
	switch {
	case isUnique(err):
		return tx.restoreConflict(ctx, v)
	case err != nil:
		return storeError(ctx, err, "update version %d of %q", v.Number, v.Model)
	case !found:
		return tx.missingVersion(ctx, v.Model, v.Number)
	}
	if _, err := tx.c.exec(ctx, `DELETE FROM version_tags WHERE model = ? AND number = ?`, v.Model, v.Number); err != nil {
		return storeError(ctx, err, "replace tags of version %d of %q", v.Number, v.Model)
	}
	return tx.insertVersionTags(ctx, v.Model, v.Number, v.Tags)
}

// restoreConflict explains why v could not be restored (DeletedAt set back
// to nil): a live version took its label since it was deleted.
func (tx *writeTx) restoreConflict(ctx context.Context, v registry.Version) error {
	stored, err := tx.GetVersion(ctx, v.Model, v.Number)
	if err != nil {
		return err
	}
	stored.DeletedAt = nil
	if err := tx.labelConflict(ctx, stored); err != nil {
		return err
	}
	return registry.E(registry.KindAlreadyExists, "version %d of %q conflicts with a live version", v.Number, v.Model)
}

func (tx *writeTx) insertVersionTags(ctx context.Context, model string, number int64, tags map[string]string) error {
	for k, val := range tags {
		_, err := tx.c.exec(ctx, `INSERT INTO version_tags (model, number, key, value) VALUES (?, ?, ?, ?)`, model, number, k, val)
		if err != nil {
			return storeError(ctx, err, "tag version %d of %q", number, model)
		}
	}
	return nil
}
