package sqlite

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/modelry/modelry/internal/registry"
	"modernc.org/sqlite"
)

// Version search (registry.VersionSearcher) runs as one statement that reads
// only the columns a search shows: no files, metrics, params or lineage.
// The run's id and URI come out of the source JSON with json_extract. Tags
// and aliases of the versions found are read afterwards with one statement
// each for the whole window, joined on a JSON array of (model, number) keys,
// so a search costs three statements whatever its size.
//
// LIKE and ILIKE call modelry_like, the registry's own matcher
// (registry.MatchLike), because SQLite's LIKE ignores the case of ASCII
// letters only and would not agree with MLflow's semantics.
//
// The statements vary with the filter, so they run unprepared rather than
// filling the connection's statement cache with one entry per shape.

// runField extracts one field of Source.Run, "" when absent.
const (
	runIDExpr  = `COALESCE(json_extract(v.source, '$.run.id'), '')`
	runURIExpr = `COALESCE(json_extract(v.source, '$.run.uri'), '')`
)

const selectFound = `SELECT v.model, v.number, v.description, v.created_by, v.created_at,
	json_type(v.source, '$.run') IS NOT NULL, ` + runIDExpr + `, ` + runURIExpr + `,
	COALESCE(json_extract(v.source, '$.run.system'), '')
FROM versions v JOIN models m ON m.name = v.model`

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
	conds := []string{"v.deleted_at IS NULL", "m.kind = 'model'"}
	var args []any
	for _, c := range q.Where {
		cond, condArgs := searchCond(c)
		conds, args = append(conds, cond), append(args, condArgs...)
	}
	query := selectFound + where(conds) + searchOrder(q.Order) + ` LIMIT ? OFFSET ?`
	found, err := tx.collectFound(ctx, query, append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, storeError(ctx, err, "search versions")
	}
	if len(found) == 0 {
		return found, nil
	}
	if err := tx.attachTagsAndAliases(ctx, found); err != nil {
		return nil, storeError(ctx, err, "read tags and aliases of found versions")
	}
	return found, nil
}

func (tx *readTx) collectFound(ctx context.Context, query string, args ...any) ([]registry.Version, error) {
	rows, err := tx.c.c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := []registry.Version{}
	for rows.Next() {
		var v registry.Version
		var created int64
		var hasRun bool
		var run registry.RunSource
		if err := rows.Scan(&v.Model, &v.Number, &v.Description, &v.CreatedBy, &created,
			&hasRun, &run.ID, &run.URI, &run.System); err != nil {
			return nil, err
		}
		v.CreatedAt = fromNanos(created)
		if hasRun {
			v.Source.Run = &run
		}
		v.Tags, v.Aliases = map[string]string{}, []string{}
		found = append(found, v)
	}
	return found, rows.Err()
}

// searchCond renders one condition as SQL and its arguments.
func searchCond(c registry.VersionCond) (string, []any) {
	if c.Field == registry.FieldNumber {
		return numberCond(c.Op, c.Number)
	}
	var column string
	switch c.Field {
	case registry.FieldModel:
		column = "v.model"
	case registry.FieldRunID:
		column = runIDExpr
	case registry.FieldRunURI:
		column = runURIExpr
	case registry.FieldTag:
		column = "t.value"
	}
	expr, args := stringCond(column, c)
	if c.Field != registry.FieldTag {
		return expr, args
	}
	cond := `EXISTS (SELECT 1 FROM version_tags t WHERE t.model = v.model AND t.number = v.number AND t.key = ? AND ` + expr + `)`
	args = append([]any{c.Key}, args...)
	if c.IfMissing {
		cond = `(` + cond + ` OR NOT EXISTS (SELECT 1 FROM version_tags t WHERE t.model = v.model AND t.number = v.number AND t.key = ?))`
		args = append(args, c.Key)
	}
	return cond, args
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

// numberCond compares the version number with a float as Go does: exactly
// for finite values and infinities, and a NaN passes only !=.
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

// attachTagsAndAliases fills the tags and aliases of found versions with
// one statement each.
func (tx *readTx) attachTagsAndAliases(ctx context.Context, found []registry.Version) error {
	index := make(map[versionKey]int, len(found))
	var keys strings.Builder
	keys.WriteByte('[')
	for i, v := range found {
		index[versionKey{v.Model, v.Number}] = i
		if i > 0 {
			keys.WriteByte(',')
		}
		name, _ := json.Marshal(v.Model)
		keys.WriteByte('[')
		keys.Write(name)
		keys.WriteByte(',')
		keys.WriteString(strconv.FormatInt(v.Number, 10))
		keys.WriteByte(']')
	}
	keys.WriteByte(']')
	err := tx.eachKeyed(ctx, `SELECT t.model, t.number, t.key, t.value FROM json_each(?1) p
		CROSS JOIN version_tags t WHERE t.model = p.value ->> 0 AND t.number = p.value ->> 1`, keys.String(),
		func(i int, key, value string) { found[i].Tags[key] = value }, index)
	if err != nil {
		return err
	}
	err = tx.eachKeyed(ctx, `SELECT a.model, a.version, a.alias, '' FROM json_each(?1) p
		CROSS JOIN aliases a WHERE a.model = p.value ->> 0 AND a.version = p.value ->> 1`, keys.String(),
		func(i int, alias, _ string) { found[i].Aliases = append(found[i].Aliases, alias) }, index)
	for _, v := range found {
		slices.Sort(v.Aliases)
	}
	return err
}

type versionKey struct {
	model  string
	number int64
}

// eachKeyed runs a query whose rows start with (model, number) and calls fn
// with the index of that version and the row's other two columns.
func (tx *readTx) eachKeyed(ctx context.Context, query, keys string, fn func(i int, a, b string), index map[versionKey]int) error {
	rows, err := tx.c.query(ctx, query, keys)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k versionKey
		var a, b string
		if err := rows.Scan(&k.model, &k.number, &a, &b); err != nil {
			return err
		}
		if i, ok := index[k]; ok {
			fn(i, a, b)
		}
	}
	return rows.Err()
}
