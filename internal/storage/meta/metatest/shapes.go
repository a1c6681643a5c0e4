package metatest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

var shapeTests = []test{
	{"EmptyMapsAndSlicesAreNotNil", testNotNil},
	{"EmptyListingsAreNotNil", testEmptyListings},
	{"TimesInUTC", testTimesUTC},
}

// testNotNil: what the store returns encodes as {} and [], never null,
// even when the caller stored nil.
func testNotNil(t *testing.T, s registry.Store) {
	ctx := t.Context()
	m := registry.Model{Name: "iris", CreatedAt: t0, UpdatedAt: t0}
	v := registry.Version{Model: "iris", Number: 1, Digest: digestOf("v"), CreatedAt: t0}
	update(t, s, func(tx registry.WriteTx) error {
		noErr(t, tx.CreateModel(ctx, m))
		return tx.InsertVersion(ctx, v)
	})
	view(t, s, func(tx registry.ReadTx) error {
		gotM, err := tx.GetModel(ctx, "iris")
		noErr(t, err)
		ms, _, err := tx.ListModels(ctx, registry.ModelQuery{})
		noErr(t, err)
		gotV, err := tx.GetVersion(ctx, "iris", 1)
		noErr(t, err)
		vs, _, err := tx.ListVersions(ctx, "iris", registry.VersionQuery{})
		noErr(t, err)
		for _, x := range []any{gotM, ms[0]} {
			wantJSON(t, x, `"tags":{}`, `"aliases":{}`)
		}
		for _, x := range []any{gotV, vs[0]} {
			wantJSON(t, x, `"metrics":{}`, `"params":{}`, `"tags":{}`, `"files":[]`, `"aliases":[]`)
		}
		return nil
	})
}

func wantJSON(t *testing.T, x any, parts ...string) {
	t.Helper()
	b, err := json.Marshal(x)
	noErr(t, err)
	for _, p := range parts {
		if !strings.Contains(string(b), p) {
			t.Errorf("JSON %s does not contain %s", b, p)
		}
	}
}

func testEmptyListings(t *testing.T, s registry.Store) {
	ctx := t.Context()
	check := func(what string, got any) {
		t.Helper()
		b, _ := json.Marshal(got)
		if string(b) != "[]" {
			t.Errorf("%s of nothing encodes as %s, want []", what, b)
		}
	}
	view(t, s, func(tx registry.ReadTx) error {
		ms, _, err := tx.ListModels(ctx, registry.ModelQuery{})
		noErr(t, err)
		check("ListModels", ms)
		es, err := tx.ListEvents(ctx, registry.EventQuery{})
		noErr(t, err)
		check("ListEvents", es)
		ts, err := tx.ListTokens(ctx)
		noErr(t, err)
		check("ListTokens", ts)
		return nil
	})
	createModels(t, s, newModel("iris"))
	view(t, s, func(tx registry.ReadTx) error {
		vs, _, err := tx.ListVersions(ctx, "iris", registry.VersionQuery{})
		noErr(t, err)
		check("ListVersions", vs)
		as, err := tx.ListAliases(ctx, "iris")
		noErr(t, err)
		check("ListAliases", as)
		hs, _, err := tx.AliasHistory(ctx, "iris", "production", registry.HistoryQuery{})
		noErr(t, err)
		check("AliasHistory", hs)
		return nil
	})
}

// testTimesUTC: every time comes back in UTC and equal to what was stored,
// at least to the microsecond.
func testTimesUTC(t *testing.T, s registry.Store) {
	ctx := t.Context()
	zone := time.FixedZone("NPT", 5*3600+45*60)
	ts := func(i int) time.Time { return at(i).In(zone) }
	m := newModel("iris")
	m.CreatedAt, m.UpdatedAt = ts(1), ts(2)
	v := newVersion("iris", 1)
	v.CreatedAt, v.DeletedAt = ts(3), ptr(ts(4))
	tok := newToken("t1", "ci", registry.RoleAdmin)
	tok.CreatedAt, tok.RevokedAt = ts(7), ptr(ts(8))
	update(t, s, func(tx registry.WriteTx) error {
		noErr(t, tx.CreateModel(ctx, m))
		noErr(t, tx.InsertVersion(ctx, v))
		noErr(t, tx.PutAlias(ctx, registry.Alias{Model: "iris", Name: "production", Version: 1, UpdatedAt: ts(5)}))
		noErr(t, tx.AppendAliasMove(ctx, registry.AliasMove{Model: "iris", Alias: "production", To: 1, At: ts(6)}))
		noErr(t, tx.CreateToken(ctx, tok))
		_, err := tx.AppendEvent(ctx, registry.Event{Type: registry.EventModelCreated, At: ts(9)})
		return err
	})
	var got [9]time.Time
	view(t, s, func(tx registry.ReadTx) error {
		gm, err := tx.GetModel(ctx, "iris")
		noErr(t, err)
		gv, err := tx.GetVersion(ctx, "iris", 1)
		noErr(t, err)
		ga, err := tx.GetAlias(ctx, "iris", "production")
		noErr(t, err)
		gh, _, err := tx.AliasHistory(ctx, "iris", "production", registry.HistoryQuery{})
		noErr(t, err)
		gt, err := tx.TokenByHash(ctx, tok.Hash)
		noErr(t, err)
		ge, err := tx.ListEvents(ctx, registry.EventQuery{})
		noErr(t, err)
		if gv.DeletedAt == nil || gt.RevokedAt == nil || len(gh) != 1 || len(ge) != 1 {
			t.Fatalf("missing times: version %+v, token %+v, %d moves, %d events", gv, gt, len(gh), len(ge))
		}
		got = [9]time.Time{gm.CreatedAt, gm.UpdatedAt, gv.CreatedAt, *gv.DeletedAt, ga.UpdatedAt, gh[0].At, gt.CreatedAt, *gt.RevokedAt, ge[0].At}
		return nil
	})
	for i, g := range got {
		want := ts(i + 1)
		if g.Location() != time.UTC {
			t.Errorf("time %d comes back in %v, want UTC", i+1, g.Location())
		}
		if d := g.Sub(want).Abs(); d >= time.Microsecond {
			t.Errorf("time %d comes back as %v, want %v (off by %v)", i+1, g, want.UTC(), d)
		}
	}
}
