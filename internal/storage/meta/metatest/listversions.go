package metatest

import (
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

var listVersionTests = []test{
	{"Filters", testListVersionFilters},
	{"Pages", testListVersionPages},
	{"InvalidToken", testListVersionBadToken},
	{"MissingModel", testListVersionsMissingModel},
}

func versionNumbers(vs []registry.Version) []int64 {
	ns := []int64{}
	for _, v := range vs {
		ns = append(ns, v.Number)
	}
	return ns
}

func testListVersionFilters(t *testing.T, s registry.Store) {
	ctx := t.Context()
	vs := seed(t, s, "iris", 6, func(v *registry.Version) {
		switch v.Number {
		case 1, 4:
			v.Tags = map[string]string{"stage": "prod"}
		case 2:
			v.Tags = map[string]string{"stage": "dev"}
		case 5:
			v.Tags, v.DeletedAt = map[string]string{"stage": "prod"}, ptr(at(60))
		}
	})
	seed(t, s, "rose", 2, func(v *registry.Version) { v.Tags = map[string]string{"stage": "prod"} })
	update(t, s, func(tx registry.WriteTx) error {
		noErr(t, tx.PutAlias(ctx, registry.Alias{Model: "iris", Name: "production", Version: 4, UpdatedAt: t0}))
		return tx.PutAlias(ctx, registry.Alias{Model: "iris", Name: "old", Version: 5, UpdatedAt: t0})
	})
	for _, tc := range []struct {
		name string
		q    registry.VersionQuery
		want []int64
	}{
		{"live, newest first", registry.VersionQuery{}, []int64{6, 4, 3, 2, 1}},
		{"with deleted", registry.VersionQuery{IncludeDeleted: true}, []int64{6, 5, 4, 3, 2, 1}},
		{"tag key", registry.VersionQuery{Tag: &registry.TagFilter{Key: "stage"}}, []int64{4, 2, 1}},
		{"tag key=value", registry.VersionQuery{Tag: &registry.TagFilter{Key: "stage", Value: "prod", HasValue: true}}, []int64{4, 1}},
		{"tag key=value with deleted", registry.VersionQuery{Tag: &registry.TagFilter{Key: "stage", Value: "prod", HasValue: true}, IncludeDeleted: true}, []int64{5, 4, 1}},
		{"tag nobody has", registry.VersionQuery{Tag: &registry.TagFilter{Key: "nope"}}, []int64{}},
		{"alias", registry.VersionQuery{Alias: "production"}, []int64{4}},
		{"alias on a deleted version", registry.VersionQuery{Alias: "old"}, []int64{}},
		{"alias on a deleted version, with deleted", registry.VersionQuery{Alias: "old", IncludeDeleted: true}, []int64{5}},
		{"alias not set", registry.VersionQuery{Alias: "canary"}, []int64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			view(t, s, func(tx registry.ReadTx) error {
				got, next, err := tx.ListVersions(ctx, "iris", tc.q)
				noErr(t, err)
				same(t, "version numbers", versionNumbers(got), tc.want)
				if next != "" {
					t.Errorf("next page token = %q, want none", next)
				}
				return nil
			})
		})
	}
	view(t, s, func(tx registry.ReadTx) error {
		got, _, err := tx.ListVersions(ctx, "iris", registry.VersionQuery{Alias: "production"})
		noErr(t, err)
		want := vs[3]
		want.Aliases = []string{"production"}
		same(t, "listed version", got, []registry.Version{want})
		return nil
	})
}

func testListVersionPages(t *testing.T, s registry.Store) {
	seed(t, s, "iris", 23, func(v *registry.Version) {
		if v.Number%4 == 0 {
			v.DeletedAt = ptr(at(70))
		}
	})
	var live, all []int64
	for n := int64(23); n >= 1; n-- {
		all = append(all, n)
		if n%4 != 0 {
			live = append(live, n)
		}
	}
	for _, tc := range []struct {
		name string
		q    registry.VersionQuery
		want []int64
	}{
		{"live by 5", registry.VersionQuery{Page: registry.Page{Size: 5}}, live},
		{"all by 4", registry.VersionQuery{IncludeDeleted: true, Page: registry.Page{Size: 4}}, all},
		{"all by 23", registry.VersionQuery{IncludeDeleted: true, Page: registry.Page{Size: 23}}, all},
		{"live by 1", registry.VersionQuery{Page: registry.Page{Size: 1}}, live},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := []int64{}
			q := tc.q
			view(t, s, func(tx registry.ReadTx) error {
				for pages := 1; ; pages++ {
					vs, next, err := tx.ListVersions(t.Context(), "iris", q)
					noErr(t, err)
					if len(vs) > q.Page.Size {
						t.Fatalf("page of %d versions, more than the size %d", len(vs), q.Page.Size)
					}
					got = append(got, versionNumbers(vs)...)
					if next == "" {
						return nil
					}
					if pages > len(tc.want)+1 {
						t.Fatal("page tokens never end")
					}
					q.Page.Token = next
				}
			})
			same(t, "versions across pages (no duplicates, no gaps)", got, tc.want)
		})
	}
}

func testListVersionBadToken(t *testing.T, s registry.Store) {
	seed(t, s, "iris", 1, nil)
	for _, token := range []string{"not a token", "!!!", "AAAA"} {
		view(t, s, func(tx registry.ReadTx) error {
			_, _, err := tx.ListVersions(t.Context(), "iris", registry.VersionQuery{Page: registry.Page{Token: token}})
			wantErr(t, err, registry.KindInvalid, "page token is not valid")
			return nil
		})
	}
}

func testListVersionsMissingModel(t *testing.T, s registry.Store) {
	view(t, s, func(tx registry.ReadTx) error {
		_, _, err := tx.ListVersions(t.Context(), "iris", registry.VersionQuery{})
		wantErr(t, err, registry.KindNotFound, `model "iris" not found`)
		return nil
	})
}
