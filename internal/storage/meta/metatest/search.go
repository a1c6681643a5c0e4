package metatest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

var searchTests = []test{
	{"MatchesReference", testSearchMatchesReference},
	{"Pages", testSearchPages},
	{"LargeWindows", testSearchLargeWindows},
	{"Cases", testSearchCases},
}

// Pools the generated versions and queries draw from, so that conditions
// hit often. The values include LIKE wildcards, mixed case, and letters
// whose lower case is ASCII only under Unicode rules (K, the Kelvin sign,
// lowers to k), which SQL's own LIKE would get wrong.
var (
	searchModels  = []string{"iris", "Iris", "rose_1", "rose%1"}
	searchTagKeys = []string{"stage", "owner", "mlflow.prompt.is_prompt"}
	searchValues  = []string{"", "prod", "Prod", "dev", "true", "false", "a_b", "a%b", "Ébène", "\u212aelvin", "kelvin"}
	searchRunIDs  = []string{"", "r1", "R1", "r2"}
	searchURIs    = []string{"", "runs:/r1/model", "s3://b/x", "models:/m-1"}
	searchLikes   = []string{"%", "", "r_", "%1", "R%", "%o%", "a\\_b", "a_b", "a%b", "%b", "k%", "K%", "é%", "_bène", "%/%", "runs:/%"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// seedSearch stores a generated data set: four models of 25 versions each
// (some deleted, some with equal creation times) and a dataset, whose
// versions a search must never return.
func seedSearch(t *testing.T, s registry.Store, r *rand.Rand) {
	for _, name := range searchModels {
		seed(t, s, name, 25, func(v *registry.Version) { randomVersion(r, v) })
	}
	ds := newModel("sales")
	ds.Kind = registry.KindDataset
	createModels(t, s, ds)
	update(t, s, func(tx registry.WriteTx) error {
		v := newVersion("sales", 1)
		v.Tags = map[string]string{"stage": "prod"}
		v.Source.Run = &registry.RunSource{ID: "r1", URI: "runs:/r1/model"}
		if err := tx.InsertVersion(t.Context(), v); err != nil {
			return err
		}
		for i, name := range searchModels {
			for n := int64(1); n <= 25; n += int64(3 + i) {
				a := registry.Alias{Model: name, Name: fmt.Sprint("a", n%4), Version: n, UpdatedAt: t0}
				if err := tx.PutAlias(t.Context(), a); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func randomVersion(r *rand.Rand, v *registry.Version) {
	v.Description = pick(r, []string{"", "first", "Ébène"})
	v.CreatedAt = at(r.IntN(10)) // collisions, so the tie-breaks matter
	for _, k := range searchTagKeys {
		if r.IntN(2) == 0 {
			v.Tags[k] = pick(r, searchValues)
		}
	}
	if r.IntN(4) > 0 {
		v.Source.Run = &registry.RunSource{System: "mlflow", ID: pick(r, searchRunIDs), URI: pick(r, searchURIs)}
	}
	if r.IntN(6) == 0 {
		v.DeletedAt = ptr(at(100))
	}
}

func randomCond(r *rand.Rand) registry.VersionCond {
	c := registry.VersionCond{Field: pick(r, []registry.SearchField{
		registry.FieldModel, registry.FieldNumber, registry.FieldRunID, registry.FieldRunURI, registry.FieldTag, registry.FieldTag,
	})}
	if c.Field == registry.FieldNumber {
		c.Op = pick(r, []registry.SearchOp{registry.OpEq, registry.OpNe, registry.OpLt, registry.OpLe, registry.OpGt, registry.OpGe})
		c.Number = pick(r, []float64{0, 1, 3, 12.5, 13, 25, 26, -1, math.Inf(1), math.Inf(-1), math.NaN()})
		return c
	}
	pool := map[registry.SearchField][]string{
		registry.FieldModel: append(searchModels, "IRIS", "sales"), registry.FieldRunID: searchRunIDs,
		registry.FieldRunURI: searchURIs, registry.FieldTag: searchValues,
	}[c.Field]
	c.Op = pick(r, []registry.SearchOp{registry.OpEq, registry.OpNe, registry.OpLike, registry.OpILike, registry.OpIn})
	switch c.Op {
	case registry.OpIn:
		c.Values = []string{pick(r, pool), pick(r, pool)}
	case registry.OpLike, registry.OpILike:
		c.Values = []string{pick(r, searchLikes)}
	default:
		c.Values = []string{pick(r, pool)}
	}
	if c.Field == registry.FieldTag {
		c.Key, c.IfMissing = pick(r, searchTagKeys), r.IntN(3) == 0
	}
	return c
}

func randomSearch(r *rand.Rand) registry.VersionSearch {
	var q registry.VersionSearch
	for range r.IntN(4) {
		q.Where = append(q.Where, randomCond(r))
	}
	fields := []registry.SearchField{registry.FieldModel, registry.FieldNumber, registry.FieldCreated}
	r.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
	for _, f := range fields[:r.IntN(3)] {
		q.Order = append(q.Order, registry.VersionOrder{Field: f, Desc: r.IntN(2) == 0})
	}
	q.Offset, q.Limit = pick(r, []int{0, 0, 1, 7, 90, 200}), pick(r, []int{1, 5, 30, 1000})
	return q
}

// reference answers q the slow way: every live version of every model, read
// with ListVersions, kept by q.Match, sorted by q.Compare and cut.
func reference(t *testing.T, s registry.Store, q registry.VersionSearch) []registry.Version {
	t.Helper()
	all := []registry.Version{}
	view(t, s, func(tx registry.ReadTx) error {
		models, _, err := tx.ListModels(t.Context(), registry.ModelQuery{Kind: registry.KindModel, Page: registry.Page{Size: registry.MaxPageSize}})
		noErr(t, err)
		for _, m := range models {
			vs, _, err := tx.ListVersions(t.Context(), m.Name, registry.VersionQuery{Page: registry.Page{Size: registry.MaxPageSize}})
			noErr(t, err)
			for _, v := range vs {
				if q.Match(v) {
					all = append(all, shown(v))
				}
			}
		}
		return nil
	})
	slices.SortFunc(all, q.Compare)
	lo := min(q.Offset, len(all))
	return all[lo:min(lo+q.Limit, len(all))]
}

// shown keeps the fields a search returns.
func shown(v registry.Version) registry.Version {
	out := registry.Version{
		Model: v.Model, Number: v.Number, Description: v.Description, Tags: v.Tags, Aliases: v.Aliases,
		CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt,
	}
	if run := v.Source.Run; run != nil && (run.ID != "" || run.URI != "") {
		out.Source.Run = &registry.RunSource{ID: run.ID, URI: run.URI}
	}
	return out
}

func search(t *testing.T, s registry.Store, q registry.VersionSearch) (vs []registry.Version) {
	t.Helper()
	if err := q.Validate(); err != nil {
		t.Fatalf("generated an invalid query %+v: %v", q, err)
	}
	view(t, s, func(tx registry.ReadTx) (err error) {
		vs, err = tx.SearchVersions(t.Context(), q)
		noErr(t, err)
		return nil
	})
	return vs
}

func testSearchMatchesReference(t *testing.T, s registry.Store) {
	r := rand.New(rand.NewPCG(5, 7))
	seedSearch(t, s, r)
	hits := 0
	for i := range 400 {
		q := randomSearch(r)
		want := reference(t, s, q)
		same(t, fmt.Sprintf("query %d %+v", i, q), search(t, s, q), want)
		if len(want) > 0 {
			hits++
		}
	}
	if hits < 100 { // the generator must keep the comparison meaningful
		t.Errorf("only %d of 400 generated queries found anything", hits)
	}
}

func testSearchPages(t *testing.T, s registry.Store) {
	r := rand.New(rand.NewPCG(1, 2))
	seedSearch(t, s, r)
	for range 20 {
		q := randomSearch(r)
		q.Offset, q.Limit = 0, 1000
		whole := search(t, s, q)
		paged := []registry.Version{}
		for q.Limit = 1 + r.IntN(9); ; q.Offset += q.Limit {
			page := search(t, s, q)
			paged = append(paged, page...)
			if len(page) < q.Limit {
				break
			}
		}
		same(t, fmt.Sprintf("pages of %d, %+v", q.Limit, q.Where), paged, whole)
	}
}

// testSearchLargeWindows covers windows holding many versions of one
// model, whose tags and aliases a store may read differently (SQLite: a
// range scan) from those of a few versions spread over many models.
func testSearchLargeWindows(t *testing.T, s registry.Store) {
	r := rand.New(rand.NewPCG(9, 9))
	seedSearch(t, s, r)
	seed(t, s, "big", 300, func(v *registry.Version) { randomVersion(r, v) })
	update(t, s, func(tx registry.WriteTx) error {
		for n := int64(1); n <= 300; n += 7 {
			if err := tx.PutAlias(t.Context(), registry.Alias{Model: "big", Name: fmt.Sprint("b", n), Version: n, UpdatedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	for i := range 60 {
		q := randomSearch(r)
		if i%2 == 0 {
			q.Where = append(q.Where, registry.VersionCond{Field: registry.FieldModel, Op: registry.OpEq, Values: []string{"big"}})
		}
		q.Offset, q.Limit = pick(r, []int{0, 0, 10, 150}), pick(r, []int{70, 100, 1000})
		same(t, fmt.Sprintf("query %d %+v", i, q), search(t, s, q), reference(t, s, q))
	}
}

func testSearchCases(t *testing.T, s registry.Store) {
	seed(t, s, "iris", 3, func(v *registry.Version) {
		if v.Number == 2 {
			v.Tags["stage"] = "prod"
		}
	})
	eq := func(f registry.SearchField, key, value string, ifMissing bool) registry.VersionCond {
		return registry.VersionCond{Field: f, Key: key, Op: registry.OpEq, Values: []string{value}, IfMissing: ifMissing}
	}
	num := func(op registry.SearchOp, n float64) registry.VersionCond {
		return registry.VersionCond{Field: registry.FieldNumber, Op: op, Number: n}
	}
	for _, tc := range []struct {
		name string
		cond registry.VersionCond
		want []int64
	}{
		{"tag equal", eq(registry.FieldTag, "stage", "prod", false), []int64{2}},
		{"missing tag passes when asked", eq(registry.FieldTag, "stage", "dev", true), []int64{3, 1}},
		{"missing tag fails !=", registry.VersionCond{Field: registry.FieldTag, Key: "stage", Op: registry.OpNe, Values: []string{"dev"}}, []int64{2}},
		{"no run is an empty run id", eq(registry.FieldRunID, "", "", false), []int64{3, 2, 1}},
		{"number below a fraction", num(registry.OpLt, 2.5), []int64{2, 1}},
		{"number below infinity", num(registry.OpLt, math.Inf(1)), []int64{3, 2, 1}},
		{"number above minus infinity", num(registry.OpGe, math.Inf(-1)), []int64{3, 2, 1}},
		{"NaN equals nothing", num(registry.OpEq, math.NaN()), []int64{}},
		{"NaN differs from everything", num(registry.OpNe, math.NaN()), []int64{3, 2, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := registry.VersionSearch{Where: []registry.VersionCond{tc.cond}, Order: []registry.VersionOrder{{Field: registry.FieldNumber, Desc: true}}, Limit: 10}
			if got := versionNumbers(search(t, s, q)); !slices.Equal(got, tc.want) {
				t.Errorf("got versions %v, want %v", got, tc.want)
			}
			if got := versionNumbers(reference(t, s, q)); !slices.Equal(got, tc.want) {
				t.Errorf("the reference gives %v, want %v", got, tc.want)
			}
		})
	}
}
