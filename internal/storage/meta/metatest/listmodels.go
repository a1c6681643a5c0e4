package metatest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

var listModelTests = []test{
	{"Filters", testListModelFilters},
	{"Pages", testListModelPages},
	{"PageSizeLimits", testListModelPageSizes},
	{"InvalidToken", testListModelBadToken},
}

func testListModelFilters(t *testing.T, s registry.Store) {
	ctx := t.Context()
	tagged := func(name string, tags map[string]string) registry.Model {
		m := newModel(name)
		m.Tags = tags
		return m
	}
	createModels(t, s,
		tagged("iris", map[string]string{"team": "vision", "tier": "1"}),
		tagged("iris-large", map[string]string{"team": "vision"}),
		tagged("irises", map[string]string{"team": "nlp"}),
		tagged("ir", nil),
		tagged("rose", map[string]string{"tier": "1"}),
		tagged("tulip", nil),
	)
	seed(t, s, "lily", 1, nil)
	update(t, s, func(tx registry.WriteTx) error {
		return tx.PutAlias(ctx, registry.Alias{Model: "lily", Name: "production", Version: 1, UpdatedAt: t0})
	})
	for _, tc := range []struct {
		name string
		q    registry.ModelQuery
		want []string
	}{
		{"all, by name", registry.ModelQuery{}, []string{"ir", "iris", "iris-large", "irises", "lily", "rose", "tulip"}},
		{"prefix", registry.ModelQuery{Prefix: "iris"}, []string{"iris", "iris-large", "irises"}},
		{"prefix matching nothing", registry.ModelQuery{Prefix: "zz"}, []string{}},
		{"tag key", registry.ModelQuery{Tag: &registry.TagFilter{Key: "tier"}}, []string{"iris", "rose"}},
		{"tag key=value", registry.ModelQuery{Tag: &registry.TagFilter{Key: "team", Value: "vision", HasValue: true}}, []string{"iris", "iris-large"}},
		{"tag key=empty value", registry.ModelQuery{Tag: &registry.TagFilter{Key: "team", HasValue: true}}, []string{}},
		{"prefix and tag", registry.ModelQuery{Prefix: "iris", Tag: &registry.TagFilter{Key: "team", Value: "nlp", HasValue: true}}, []string{"irises"}},
		{"alias", registry.ModelQuery{Alias: "production"}, []string{"lily"}},
		{"alias set nowhere", registry.ModelQuery{Alias: "staging"}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			view(t, s, func(tx registry.ReadTx) error {
				ms, next, err := tx.ListModels(ctx, tc.q)
				noErr(t, err)
				same(t, "model names", modelNames(ms), tc.want)
				if next != "" {
					t.Errorf("next page token = %q, want none", next)
				}
				return nil
			})
		})
	}
}

func modelNames(ms []registry.Model) []string {
	names := []string{}
	for _, m := range ms {
		names = append(names, m.Name)
	}
	return names
}

// listAllModels follows page tokens to the end.
func listAllModels(t *testing.T, s registry.Store, q registry.ModelQuery) (names []string, pages int) {
	t.Helper()
	names = []string{}
	view(t, s, func(tx registry.ReadTx) error {
		for {
			ms, next, err := tx.ListModels(t.Context(), q)
			noErr(t, err)
			if len(ms) > q.Page.Size {
				t.Fatalf("page %d has %d models, more than the size %d", pages, len(ms), q.Page.Size)
			}
			names = append(names, modelNames(ms)...)
			pages++
			if next == "" {
				return nil
			}
			if pages > 100 {
				t.Fatal("page tokens never end")
			}
			q.Page.Token = next
		}
	})
	return names, pages
}

func testListModelPages(t *testing.T, s registry.Store) {
	var all []registry.Model
	var want []string
	for i := range 23 {
		m := newModel(fmt.Sprintf("m%02d", i))
		if i%3 == 0 {
			m.Tags = map[string]string{"every": "third"}
			want = append(want, m.Name)
		}
		all = append(all, m)
	}
	createModels(t, s, all...)
	for _, tc := range []struct {
		name      string
		q         registry.ModelQuery
		wantNames []string
		wantPages int
	}{
		{"23 by 5", registry.ModelQuery{Page: registry.Page{Size: 5}}, modelNames(all), 5},
		{"23 by 23", registry.ModelQuery{Page: registry.Page{Size: 23}}, modelNames(all), 1},
		{"23 by 1", registry.ModelQuery{Page: registry.Page{Size: 1}}, modelNames(all), 23},
		{"filtered, 8 by 3", registry.ModelQuery{Tag: &registry.TagFilter{Key: "every"}, Page: registry.Page{Size: 3}}, want, 3},
		{"prefix, 10 by 4", registry.ModelQuery{Prefix: "m1", Page: registry.Page{Size: 4}}, modelNames(all[10:20]), 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			names, pages := listAllModels(t, s, tc.q)
			same(t, "models across pages (no duplicates, no gaps)", names, tc.wantNames)
			// A page that ends exactly at the last item may be followed by
			// one empty page, but no more.
			if pages != tc.wantPages && pages != tc.wantPages+1 {
				t.Errorf("took %d pages, want %d", pages, tc.wantPages)
			}
		})
	}
}

func testListModelPageSizes(t *testing.T, s registry.Store) {
	var ms []registry.Model
	for i := range registry.MaxPageSize + 1 {
		ms = append(ms, newModel(fmt.Sprintf("m%05d", i)))
	}
	createModels(t, s, ms...)
	for _, tc := range []struct {
		size, want int
	}{
		{0, registry.DefaultPageSize},
		{registry.MaxPageSize * 5, registry.MaxPageSize},
		{registry.MaxPageSize, registry.MaxPageSize},
		{7, 7},
	} {
		view(t, s, func(tx registry.ReadTx) error {
			got, next, err := tx.ListModels(t.Context(), registry.ModelQuery{Page: registry.Page{Size: tc.size}})
			noErr(t, err)
			if len(got) != tc.want || next == "" {
				t.Errorf("page size %d: got %d models and token %q, want %d and a token", tc.size, len(got), next, tc.want)
			}
			if !slices.IsSortedFunc(got, func(a, b registry.Model) int { return cmp.Compare(a.Name, b.Name) }) {
				t.Errorf("page size %d: models are not sorted by name", tc.size)
			}
			return nil
		})
	}
}

func testListModelBadToken(t *testing.T, s registry.Store) {
	createModels(t, s, newModel("iris"))
	for _, token := range []string{"not a token", "!!!", "AAAA", "eyJ9"} {
		view(t, s, func(tx registry.ReadTx) error {
			_, _, err := tx.ListModels(t.Context(), registry.ModelQuery{Page: registry.Page{Token: token}})
			wantErr(t, err, registry.KindInvalid, "page token is not valid")
			return nil
		})
	}
}
