package metatest

import (
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

var renameTests = []test{
	{"MovesEverything", testRenameMovesEverything},
	{"Missing", testRenameMissing},
	{"Taken", testRenameTaken},
}

func testRenameMovesEverything(t *testing.T, s registry.Store) {
	seed(t, s, "iris", 2, nil)
	update(t, s, func(tx registry.WriteTx) error {
		m, err := tx.GetModel(t.Context(), "iris")
		if err != nil {
			return err
		}
		m.Tags = map[string]string{"team": "ml"}
		if err := tx.UpdateModel(t.Context(), m); err != nil {
			return err
		}
		return tx.PutAlias(t.Context(), registry.Alias{Model: "iris", Name: "prod", Version: 2, UpdatedAt: at(3)})
	})
	update(t, s, func(tx registry.WriteTx) error { return tx.RenameModel(t.Context(), "iris", "flower") })

	_, err := getModel(t, s, "iris")
	wantErr(t, err, registry.KindNotFound)
	m, err := getModel(t, s, "flower")
	noErr(t, err)
	same(t, "tags", m.Tags, map[string]string{"team": "ml"})
	same(t, "aliases", m.Aliases, map[string]int64{"prod": 2})
	v, err := findVersion(t, s, registry.Ref{Model: "flower", Alias: "prod"})
	noErr(t, err)
	if v.Model != "flower" || v.Number != 2 {
		t.Fatalf("alias prod resolves to %s, want flower/2", v)
	}
	v, err = findVersion(t, s, registry.Ref{Model: "flower", Number: 1})
	noErr(t, err)
	if v.Model != "flower" {
		t.Fatalf("version 1 belongs to %q after the rename", v.Model)
	}
}

func testRenameMissing(t *testing.T, s registry.Store) {
	err := s.Update(t.Context(), func(tx registry.WriteTx) error { return tx.RenameModel(t.Context(), "iris", "flower") })
	wantErr(t, err, registry.KindNotFound, `"iris"`)
}

func testRenameTaken(t *testing.T, s registry.Store) {
	createModels(t, s, newModel("iris"), newModel("flower"))
	err := s.Update(t.Context(), func(tx registry.WriteTx) error { return tx.RenameModel(t.Context(), "iris", "flower") })
	wantErr(t, err, registry.KindAlreadyExists, `"flower"`)
	_, err = getModel(t, s, "iris")
	noErr(t, err)
}
