package sqlite

import (
	"context"
	"encoding/json"

	"github.com/modelry/modelry/internal/registry"
)

// insertInputs writes one version_inputs row per input of v's lineage: its
// datasets in order, then its parent.
func (tx *writeTx) insertInputs(ctx context.Context, v registry.Version) error {
	for i, e := range inputsOf(v) {
		_, err := tx.c.exec(ctx, `INSERT INTO version_inputs
			(model, number, seq, role, upstream, upstream_number, upstream_digest) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			v.Model, v.Number, i, e.Role, e.Upstream.Name, e.Upstream.Version, e.Upstream.Digest)
		if err != nil {
			return storeError(ctx, err, "record lineage of version %d of %q", v.Number, v.Model)
		}
	}
	return nil
}

// inputsOf lists v's lineage as edges, in the order version_inputs numbers
// them.
func inputsOf(v registry.Version) []registry.LineageEdge {
	var out []registry.LineageEdge
	for _, d := range v.Lineage.Datasets {
		out = append(out, registry.LineageEdge{Model: v.Model, Number: v.Number, Role: d.Role, Upstream: d.VersionPointer})
	}
	if p := v.Lineage.Parent; p != nil {
		out = append(out, registry.LineageEdge{Model: v.Model, Number: v.Number, Role: registry.RoleParent, Upstream: *p})
	}
	return out
}

// selectInputs reads inputs with the lineage of the live version declaring
// them; the Ref a caller wrote lives only in that JSON.
const selectInputs = `SELECT i.model, i.number, i.seq, v.lineage
FROM version_inputs i JOIN versions v ON v.model = i.model AND v.number = i.number
WHERE v.deleted_at IS NULL AND i.upstream = ?`

func (tx *readTx) UsedBy(ctx context.Context, upstream string, number int64, limit int) ([]registry.LineageEdge, error) {
	query, args := selectInputs, []any{upstream}
	if number > 0 {
		query, args = query+` AND i.upstream_number = ?`, append(args, number)
	}
	query += ` ORDER BY i.model, i.number, i.seq`
	if limit > 0 {
		query, args = query+` LIMIT ?`, append(args, limit)
	}
	type input struct {
		model   string
		number  int64
		seq     int
		lineage string
	}
	rows, err := collect(ctx, tx.c, func(row scanner) (input, error) {
		var in input
		err := row.Scan(&in.model, &in.number, &in.seq, &in.lineage)
		return in, err
	}, query, args...)
	if err != nil {
		return nil, storeError(ctx, err, "list the users of %q", upstream)
	}
	out := make([]registry.LineageEdge, 0, len(rows))
	for _, in := range rows {
		v := registry.Version{Model: in.model, Number: in.number}
		if err := json.Unmarshal([]byte(in.lineage), &v.Lineage); err != nil {
			return nil, storeError(ctx, err, "read lineage of version %d of %q", in.number, in.model)
		}
		edges := inputsOf(v)
		if in.seq >= len(edges) {
			return nil, registry.E(registry.KindInternal, "sqlite: version %d of %q has input %d beyond its lineage", in.number, in.model, in.seq)
		}
		out = append(out, edges[in.seq])
	}
	return out, nil
}

// renameInputs makes every input naming from name to instead: the
// upstream column, and the resolved names in the lineage JSON of the
// versions declaring them. It runs after the versions themselves moved.
func (tx *writeTx) renameInputs(ctx context.Context, from, to string) error {
	type row struct {
		model   string
		number  int64
		lineage string
	}
	users, err := collect(ctx, tx.c, func(s scanner) (row, error) {
		var r row
		err := s.Scan(&r.model, &r.number, &r.lineage)
		return r, err
	}, `SELECT v.model, v.number, v.lineage FROM versions v
		WHERE EXISTS (SELECT 1 FROM version_inputs i WHERE i.model = v.model AND i.number = v.number AND i.upstream = ?)`, from)
	if err != nil {
		return storeError(ctx, err, "rename %q in lineage", from)
	}
	for _, u := range users {
		var l registry.Lineage
		if err := json.Unmarshal([]byte(u.lineage), &l); err != nil {
			return storeError(ctx, err, "read lineage of version %d of %q", u.number, u.model)
		}
		for i := range l.Datasets {
			if l.Datasets[i].Name == from {
				l.Datasets[i].Name = to
			}
		}
		if l.Parent != nil && l.Parent.Name == from {
			l.Parent.Name = to
		}
		js, err := encodeJSON(l)
		if err != nil {
			return err
		}
		if _, err := tx.c.exec(ctx, `UPDATE versions SET lineage = ? WHERE model = ? AND number = ?`, js, u.model, u.number); err != nil {
			return storeError(ctx, err, "rename %q in lineage", from)
		}
	}
	if _, err := tx.c.exec(ctx, `UPDATE version_inputs SET upstream = ? WHERE upstream = ?`, to, from); err != nil {
		return storeError(ctx, err, "rename %q in lineage", from)
	}
	return nil
}
