package metatest

import (
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

var findTests = []test{
	{"BySelector", testFindVersion},
	{"LatestSkipsDeleted", testFindLatest},
}

// findFixture is model "iris" with versions 1..5:
//
//	1  label "a"
//	2  digest D           <- alias production
//	3  digest D
//	4  deleted, label "b", digest E   <- alias stale
//	5  the latest
func findFixture(t *testing.T, s registry.Store) []registry.Version {
	t.Helper()
	d, e := digestOf("D"), digestOf("E")
	vs := seed(t, s, "iris", 5, func(v *registry.Version) {
		switch v.Number {
		case 1:
			v.Label = "a"
		case 2, 3:
			v.Digest = d
		case 4:
			v.Label, v.Digest, v.DeletedAt = "b", e, ptr(at(40))
		}
	})
	update(t, s, func(tx registry.WriteTx) error {
		noErr(t, tx.PutAlias(t.Context(), registry.Alias{Model: "iris", Name: "production", Version: 2, UpdatedAt: t0}))
		return tx.PutAlias(t.Context(), registry.Alias{Model: "iris", Name: "stale", Version: 4, UpdatedAt: t0})
	})
	vs[1].Aliases = []string{"production"}
	vs[3].Aliases = []string{"stale"}
	return vs
}

func testFindVersion(t *testing.T, s registry.Store) {
	vs := findFixture(t, s)
	for _, tc := range []struct {
		name    string
		ref     registry.Ref
		want    int64  // version number; 0 when NotFound
		wantMsg string // part of the NotFound message
	}{
		{"number", registry.Ref{Model: "iris", Number: 3}, 3, ""},
		{"number of a deleted version", registry.Ref{Model: "iris", Number: 4}, 4, ""},
		{"number never given", registry.Ref{Model: "iris", Number: 9}, 0, `version 9 of "iris" not found`},
		{"label", registry.Ref{Model: "iris", Label: "a"}, 1, ""},
		{"label of a deleted version", registry.Ref{Model: "iris", Label: "b"}, 0, `"b"`},
		{"label never used", registry.Ref{Model: "iris", Label: "zz"}, 0, `"zz"`},
		{"alias", registry.Ref{Model: "iris", Alias: "production"}, 2, ""},
		{"alias on a deleted version", registry.Ref{Model: "iris", Alias: "stale"}, 0, `"stale"`},
		{"alias not set", registry.Ref{Model: "iris", Alias: "canary"}, 0, `alias "canary" of "iris" is not set`},
		{"digest: newest live", registry.Ref{Model: "iris", Digest: digestOf("D")}, 3, ""},
		{"digest of a deleted version only", registry.Ref{Model: "iris", Digest: digestOf("E")}, 0, digestOf("E")},
		{"latest", registry.Ref{Model: "iris"}, 5, ""},
		{"missing model", registry.Ref{Model: "rose"}, 0, `model "rose" not found`},
		{"missing model by number", registry.Ref{Model: "rose", Number: 1}, 0, `model "rose" not found`},
		{"missing model by alias", registry.Ref{Model: "rose", Alias: "production"}, 0, `model "rose" not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := findVersion(t, s, tc.ref)
			if tc.want == 0 {
				wantErr(t, err, registry.KindNotFound, tc.wantMsg)
				return
			}
			noErr(t, err)
			same(t, "FindVersion("+tc.ref.String()+")", got, vs[tc.want-1])
		})
	}
}

func testFindLatest(t *testing.T, s registry.Store) {
	ctx := t.Context()
	vs := seed(t, s, "iris", 3, nil)
	for n := 3; n >= 1; n-- {
		got, err := findVersion(t, s, registry.Ref{Model: "iris"})
		noErr(t, err)
		if got.Number != int64(n) {
			t.Fatalf("latest = %d, want %d", got.Number, n)
		}
		del := vs[n-1]
		del.DeletedAt = ptr(at(50))
		update(t, s, func(tx registry.WriteTx) error { return tx.UpdateVersion(ctx, del) })
	}
	_, err := findVersion(t, s, registry.Ref{Model: "iris"})
	wantErr(t, err, registry.KindNotFound, `"iris"`)
}
