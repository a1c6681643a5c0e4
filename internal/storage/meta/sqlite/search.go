package sqlite

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/modelry/modelry/internal/registry"
	"modernc.org/sqlite"
)

// Version search (registry.VersionSearcher) runs as one statement that reads
// only the columns a search shows: no files, metrics, params or lineage, and
// the run's id and URI from their own columns (migration 0005), not from the
// source JSON. Tag conditions are sets of (model, number) computed once per
// statement from the index on (key, value), not probes per row. The tags
// and aliases of the versions found are read afterwards, a model's worth of
// rows at a time where the window holds many of its versions (a range scan)
// and otherwise with one statement joined on a JSON array of keys: a search
// of one model costs three statements whatever its size.
//
// LIKE and ILIKE call modelry_like, the registry's own matcher
// (registry.MatchLike), because SQLite's LIKE ignores the case of ASCII
// letters only and would not agree with MLflow's semantics.
//
// The search statement varies with the filter, so it runs unprepared rather
// than filling the connection's statement cache with one entry per shape.

const selectFound = `SELECT v.model, v.number, v.description, v.created_by, v.created_at, v.run_id, v.run_uri
FROM versions v`

// registerLike makes modelry_like(pattern, s, fold) available to every
// connection opened afterwards; Open calls it before opening any.
var registerLike = sync.OnceValue(func() error {
	return sqlite.RegisterDeterministicScalarFunction("modelry_like", 3,
		func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			pattern, _ := args[0].(string)
			s, _ := args[1].(string)
			fold, _ := args[2].(int64)
			if registry.MatchLike(pattern, s, fold != 0) {
				return int64(1), nil
			}
			return int64(0), nil
		})
})

func (tx *readTx) SearchVersions(ctx context.Context, q registry.VersionSearch) ([]registry.Version, error) {
	conds := []string{"v.deleted_at IS NULL", "v.model IN (SELECT name FROM models WHERE kind = 'model')"}
	var args []any
	for _, c := range q.Where {
		cond, condArgs := searchCond(c)
		conds, args = append(conds, cond), append(args, condArgs...)
	}
	query := selectFound + where(conds) + searchOrder(q.Order) + ` LIMIT ? OFFSET ?`
	found, err := tx.collectFound(ctx, q.Limit, query, append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, storeError(ctx, err, "search versions")
	}
	if err := tx.attachTagsAndAliases(ctx, found); err != nil {
		return nil, storeError(ctx, err, "read tags and aliases of found versions")
	}
	return found, nil
}

// foundRow is one row of a search, kept small: a window of many versions
// is collected in a growing slice of these, then copied once into
// registry.Versions (growing a slice of the much larger Version costs more
// than the query).
type foundRow struct {
	model, description, createdBy, runID, runURI string
	number, created                              int64
}

func (tx *readTx) collectFound(ctx context.Context, limit int, query string, args ...any) ([]registry.Version, error) {
	rows, err := tx.c.c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := make([]foundRow, 0, min(limit, 256))
	for rows.Next() {
		var r foundRow
		if err := rows.Scan(&r.model, &r.number, &r.description, &r.createdBy, &r.created, &r.runID, &r.runURI); err != nil {
			return nil, err
		}
		found = append(found, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	vs := make([]registry.Version, len(found))
	for i, r := range found {
		vs[i] = registry.Version{Model: r.model, Number: r.number, Description: r.description, CreatedBy: r.createdBy,
			CreatedAt: fromNanos(r.created), Tags: map[string]string{}, Aliases: []string{}}
		if r.runID != "" || r.runURI != "" {
			vs[i].Source.Run = &registry.RunSource{ID: r.runID, URI: r.runURI}
		}
	}
	return vs, nil
}

// searchCond renders one condition as SQL and its arguments.
func searchCond(c registry.VersionCond) (string, []any) {
	switch c.Field {
	case registry.FieldNumber:
		return numberCond(c.Op, c.Number)
	case registry.FieldModel:
		return stringCond("v.model", c)
	case registry.FieldRunID:
		return stringCond("v.run_id", c)
	case registry.FieldRunURI:
		return stringCond("v.run_uri", c)
	}
	// A tag: the versions whose tag passes, or, when a missing tag passes
	// too, all but the versions whose tag fails.
	expr, args := stringCond("value", c)
	if c.IfMissing {
		expr = "NOT (" + expr + ")"
	}
	set := `(v.model, v.number) IN (SELECT model, number FROM version_tags WHERE key = ? AND ` + expr + `)`
	if c.IfMissing {
		set = "NOT " + set
	}
	return set, append([]any{c.Key}, args...)
}

func stringCond(column string, c registry.VersionCond) (string, []any) {
	switch c.Op {
	case registry.OpEq:
		return column + ` = ?`, []any{c.Values[0]}
	case registry.OpNe:
		return column + ` <> ?`, []any{c.Values[0]}
	case registry.OpLike:
		return `modelry_like(?, ` + column + `, 0)`, []any{c.Values[0]}
	case registry.OpILike:
		return `modelry_like(?, ` + column + `, 1)`, []any{c.Values[0]}
	}
	list, _ := json.Marshal(c.Values) // OpIn; strings always encode
	return column + ` IN (SELECT value FROM json_each(?))`, []any{string(list)}
}

func numberCond(op registry.SearchOp, n float64) (string, []any) {
	if math.IsNaN(n) {
		if op == registry.OpNe {
			return "1", nil
		}
		return "0", nil
	}
	sqlOp := map[registry.SearchOp]string{
		registry.OpEq: "=", registry.OpNe: "<>", registry.OpLt: "<",
		registry.OpLe: "<=", registry.OpGt: ">", registry.OpGe: ">=",
	}[op]
	return `v.number ` + sqlOp + ` ?`, []any{n}
}

func searchOrder(keys []registry.VersionOrder) string {
	var terms []string
	for _, k := range keys {
		col := map[registry.SearchField]string{
			registry.FieldModel: "v.model", registry.FieldNumber: "v.number", registry.FieldCreated: "v.created_at",
		}[k.Field]
		if k.Desc {
			col += " DESC"
		}
		terms = append(terms, col)
	}
	return " ORDER BY " + strings.Join(append(terms, "v.model", "v.number DESC"), ", ")
}

// denseRun is how many versions of one model a window must hold before
// their tags and aliases are read with a range scan over the model's
// numbers; the scan is used only when at least a quarter of the numbers in
// the range are in the window.
const denseRun = 64

// attachTagsAndAliases fills in the tags and aliases of found versions.
func (tx *readTx) attachTagsAndAliases(ctx context.Context, found []registry.Version) error {
	byModel := map[string][]int{} // model -> indexes into found
	for i, v := range found {
		byModel[v.Model] = append(byModel[v.Model], i)
	}
	var rest []int
	for model, idx := range byModel {
		lo, hi := found[idx[0]].Number, found[idx[0]].Number
		for _, i := range idx {
			lo, hi = min(lo, found[i].Number), max(hi, found[i].Number)
		}
		if len(idx) < denseRun || hi-lo+1 > 4*int64(len(idx)) {
			rest = append(rest, idx...)
			continue
		}
		at := make(map[int64]int, len(idx))
		for _, i := range idx {
			at[found[i].Number] = i
		}
		err := tx.attachRows(ctx, found, func(m string, n int64) (int, bool) {
			i, ok := at[n]
			return i, ok && m == model
		}, `SELECT model, number, key, value FROM version_tags WHERE model = ? AND number BETWEEN ? AND ?`,
			`SELECT model, version, alias, '' FROM aliases WHERE model = ? AND version BETWEEN ? AND ?`, model, lo, hi)
		if err != nil {
			return err
		}
	}
	if len(rest) > 0 {
		at := make(map[versionKey]int, len(rest))
		keys := make([][2]any, len(rest))
		for j, i := range rest {
			at[versionKey{found[i].Model, found[i].Number}] = i
			keys[j] = [2]any{found[i].Model, found[i].Number}
		}
		list, _ := json.Marshal(keys) // strings and numbers always encode
		err := tx.attachRows(ctx, found, func(m string, n int64) (int, bool) {
			i, ok := at[versionKey{m, n}]
			return i, ok
		}, `SELECT t.model, t.number, t.key, t.value FROM json_each(?) p
			CROSS JOIN version_tags t WHERE t.model = p.value ->> 0 AND t.number = p.value ->> 1`,
			`SELECT a.model, a.version, a.alias, '' FROM json_each(?) p
			CROSS JOIN aliases a WHERE a.model = p.value ->> 0 AND a.version = p.value ->> 1`, string(list))
		if err != nil {
			return err
		}
	}
	for _, v := range found {
		slices.Sort(v.Aliases)
	}
	return nil
}

type versionKey struct {
	model  string
	number int64
}

// attachRows runs a tags query and an aliases query, each of whose rows is
// (model, number, a, b), and files each row under the found version that
// which names, skipping rows of versions not in the window.
func (tx *readTx) attachRows(ctx context.Context, found []registry.Version, which func(string, int64) (int, bool), tagsQuery, aliasesQuery string, args ...any) error {
	for _, q := range []string{tagsQuery, aliasesQuery} {
		rows, err := tx.c.query(ctx, q, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var model, a, b string
			var n int64
			if err := rows.Scan(&model, &n, &a, &b); err != nil {
				rows.Close()
				return err
			}
			i, ok := which(model, n)
			switch {
			case !ok:
			case q == tagsQuery:
				found[i].Tags[a] = b
			default:
				found[i].Aliases = append(found[i].Aliases, a)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}
