package metatest

import (
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

var aliasTests = []test{
	{"PutGetMove", testPutGetAlias},
	{"GetNotSet", testGetAliasNotSet},
	{"List", testListAliases},
	{"Delete", testDeleteAlias},
	{"PutOnMissingVersion", testPutAliasMissing},
}

func testPutGetAlias(t *testing.T, s registry.Store) {
	ctx := t.Context()
	seed(t, s, "iris", 3, nil)
	first := registry.Alias{Model: "iris", Name: "production", Version: 1, UpdatedAt: at(1), UpdatedBy: "alice"}
	moved := registry.Alias{Model: "iris", Name: "production", Version: 3, UpdatedAt: at(2), UpdatedBy: "bob"}
	for _, want := range []registry.Alias{first, moved} {
		update(t, s, func(tx registry.WriteTx) error { return tx.PutAlias(ctx, want) })
		view(t, s, func(tx registry.ReadTx) error {
			got, err := tx.GetAlias(ctx, "iris", "production")
			noErr(t, err)
			same(t, "GetAlias", got, want)
			return nil
		})
	}
	v1, err := findVersion(t, s, registry.Ref{Model: "iris", Number: 1})
	noErr(t, err)
	same(t, "aliases of the version the alias left", v1.Aliases, []string{})
}

func testGetAliasNotSet(t *testing.T, s registry.Store) {
	seed(t, s, "iris", 1, nil)
	view(t, s, func(tx registry.ReadTx) error {
		_, err := tx.GetAlias(t.Context(), "iris", "production")
		wantErr(t, err, registry.KindNotFound, `alias "production" of "iris" is not set`)
		_, err = tx.GetAlias(t.Context(), "rose", "production")
		wantErr(t, err, registry.KindNotFound, `model "rose" not found`)
		return nil
	})
}

func testListAliases(t *testing.T, s registry.Store) {
	ctx := t.Context()
	seed(t, s, "iris", 2, nil)
	seed(t, s, "rose", 1, nil)
	want := []registry.Alias{
		{Model: "iris", Name: "champion", Version: 2, UpdatedAt: at(3), UpdatedBy: "carol"},
		{Model: "iris", Name: "production", Version: 1, UpdatedAt: at(1), UpdatedBy: "alice"},
		{Model: "iris", Name: "staging", Version: 2, UpdatedAt: at(2), UpdatedBy: "bob"},
	}
	update(t, s, func(tx registry.WriteTx) error {
		for _, i := range []int{1, 2, 0} { // any order in, by name out
			noErr(t, tx.PutAlias(ctx, want[i]))
		}
		return tx.PutAlias(ctx, registry.Alias{Model: "rose", Name: "production", Version: 1, UpdatedAt: t0})
	})
	view(t, s, func(tx registry.ReadTx) error {
		got, err := tx.ListAliases(ctx, "iris")
		noErr(t, err)
		same(t, "ListAliases", got, want)
		_, err = tx.ListAliases(ctx, "tulip")
		wantErr(t, err, registry.KindNotFound, `model "tulip" not found`)
		return nil
	})
}

func testDeleteAlias(t *testing.T, s registry.Store) {
	ctx := t.Context()
	seed(t, s, "iris", 1, nil)
	update(t, s, func(tx registry.WriteTx) error {
		noErr(t, tx.PutAlias(ctx, registry.Alias{Model: "iris", Name: "production", Version: 1, UpdatedAt: t0}))
		return tx.PutAlias(ctx, registry.Alias{Model: "iris", Name: "staging", Version: 1, UpdatedAt: t0})
	})
	update(t, s, func(tx registry.WriteTx) error { return tx.DeleteAlias(ctx, "iris", "production") })
	view(t, s, func(tx registry.ReadTx) error {
		_, err := tx.GetAlias(ctx, "iris", "production")
		wantErr(t, err, registry.KindNotFound, `alias "production" of "iris" is not set`)
		m, err := tx.GetModel(ctx, "iris")
		noErr(t, err)
		same(t, "model aliases after delete", m.Aliases, map[string]int64{"staging": 1})
		return nil
	})
	err := s.Update(ctx, func(tx registry.WriteTx) error { return tx.DeleteAlias(ctx, "iris", "production") })
	wantErr(t, err, registry.KindNotFound, `alias "production" of "iris" is not set`)
}

func testPutAliasMissing(t *testing.T, s registry.Store) {
	ctx := t.Context()
	seed(t, s, "iris", 1, nil)
	err := s.Update(ctx, func(tx registry.WriteTx) error {
		return tx.PutAlias(ctx, registry.Alias{Model: "iris", Name: "production", Version: 9, UpdatedAt: t0})
	})
	wantErr(t, err, registry.KindNotFound, `version 9 of "iris" not found`)
	err = s.Update(ctx, func(tx registry.WriteTx) error {
		return tx.PutAlias(ctx, registry.Alias{Model: "rose", Name: "production", Version: 1, UpdatedAt: t0})
	})
	wantErr(t, err, registry.KindNotFound, `model "rose" not found`)
}
