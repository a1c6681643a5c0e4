package metatest

import (
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

var modelTests = []test{
	{"CreateAndGet", testCreateGetModel},
	{"CreateTakenName", testCreateTakenModel},
	{"GetMissing", testGetMissingModel},
	{"Update", testUpdateModel},
	{"UpdateMissing", testUpdateMissingModel},
	{"Delete", testDeleteModel},
	{"DeleteMissing", testDeleteMissingModel},
	{"CarriesAliases", testModelAliases},
}

func testCreateGetModel(t *testing.T, s registry.Store) {
	m := newModel("iris")
	m.Tags = map[string]string{"team": "vision", "tier": "1"}
	m.LastNumber, m.VersionCount = 7, 3
	m.UpdatedAt = at(5)
	createModels(t, s, m)
	got, err := getModel(t, s, "iris")
	noErr(t, err)
	same(t, "GetModel", got, m)
}

func testCreateTakenModel(t *testing.T, s registry.Store) {
	createModels(t, s, newModel("iris"))
	err := s.Update(t.Context(), func(tx registry.WriteTx) error {
		return tx.CreateModel(t.Context(), newModel("iris"))
	})
	wantErr(t, err, registry.KindAlreadyExists, `"iris"`)
}

func testGetMissingModel(t *testing.T, s registry.Store) {
	_, err := getModel(t, s, "iris")
	wantErr(t, err, registry.KindNotFound, `model "iris" not found`)
}

func testUpdateModel(t *testing.T, s registry.Store) {
	m := newModel("iris")
	m.Tags = map[string]string{"old": "x", "kept": "1"}
	createModels(t, s, m)

	changed := m
	changed.Description = "new words"
	changed.Tags = map[string]string{"kept": "2", "new": ""}
	changed.UpdatedAt = at(9)
	changed.LastNumber, changed.VersionCount = 4, 2
	// UpdateModel stores only the fields its contract names.
	changed.CreatedBy, changed.CreatedAt = "mallory", at(99)
	update(t, s, func(tx registry.WriteTx) error { return tx.UpdateModel(t.Context(), changed) })

	want := changed
	want.CreatedBy, want.CreatedAt = m.CreatedBy, m.CreatedAt
	got, err := getModel(t, s, "iris")
	noErr(t, err)
	same(t, "model after UpdateModel", got, want)
}

func testUpdateMissingModel(t *testing.T, s registry.Store) {
	err := s.Update(t.Context(), func(tx registry.WriteTx) error {
		return tx.UpdateModel(t.Context(), newModel("iris"))
	})
	wantErr(t, err, registry.KindNotFound, `model "iris" not found`)
}

// testDeleteModel checks that everything under the model goes, events stay,
// and a model created again under the name starts empty.
func testDeleteModel(t *testing.T, s registry.Store) {
	ctx := t.Context()
	m := newModel("iris")
	m.Tags = map[string]string{"team": "vision"}
	createModels(t, s, m)
	v := newVersion("iris", 1)
	v.Label, v.Tags = "1.0", map[string]string{"stage": "prod"}
	update(t, s, func(tx registry.WriteTx) error {
		noErr(t, tx.InsertVersion(ctx, v))
		noErr(t, tx.PutAlias(ctx, registry.Alias{Model: "iris", Name: "production", Version: 1, UpdatedAt: t0}))
		noErr(t, tx.AppendAliasMove(ctx, registry.AliasMove{Model: "iris", Alias: "production", To: 1, At: t0}))
		_, err := tx.AppendEvent(ctx, registry.Event{Type: registry.EventModelCreated, Model: "iris", At: t0})
		return err
	})
	update(t, s, func(tx registry.WriteTx) error { return tx.DeleteModel(ctx, "iris") })

	_, err := getModel(t, s, "iris")
	wantErr(t, err, registry.KindNotFound, `model "iris" not found`)
	createModels(t, s, newModel("iris"))
	view(t, s, func(tx registry.ReadTx) error {
		got, err := tx.GetModel(ctx, "iris")
		noErr(t, err)
		same(t, "model created again", got, newModel("iris"))
		_, err = tx.GetVersion(ctx, "iris", 1)
		wantErr(t, err, registry.KindNotFound, `version 1 of "iris" not found`)
		_, err = tx.FindVersion(ctx, registry.Ref{Model: "iris", Label: "1.0"})
		wantErr(t, err, registry.KindNotFound)
		vs, _, err := tx.ListVersions(ctx, "iris", registry.VersionQuery{IncludeDeleted: true})
		noErr(t, err)
		same(t, "versions after delete", vs, []registry.Version{})
		as, err := tx.ListAliases(ctx, "iris")
		noErr(t, err)
		same(t, "aliases after delete", as, []registry.Alias{})
		moves, _, err := tx.AliasHistory(ctx, "iris", "production", registry.HistoryQuery{})
		noErr(t, err)
		same(t, "alias history after delete", moves, []registry.AliasMove{})
		n, err := tx.CountVersions(ctx)
		noErr(t, err)
		if n != 0 {
			t.Errorf("CountVersions after delete = %d, want 0", n)
		}
		es, err := tx.ListEvents(ctx, registry.EventQuery{Model: "iris"})
		noErr(t, err)
		if len(es) != 1 || es[0].Type != registry.EventModelCreated {
			t.Errorf("events after delete = %+v, want the one model.created event", es)
		}
		return nil
	})
}

func testDeleteMissingModel(t *testing.T, s registry.Store) {
	err := s.Update(t.Context(), func(tx registry.WriteTx) error { return tx.DeleteModel(t.Context(), "iris") })
	wantErr(t, err, registry.KindNotFound, `model "iris" not found`)
}

func testModelAliases(t *testing.T, s registry.Store) {
	ctx := t.Context()
	seed(t, s, "iris", 3, nil)
	seed(t, s, "rose", 1, nil)
	update(t, s, func(tx registry.WriteTx) error {
		for name, n := range map[string]int64{"production": 2, "staging": 3, "canary": 3} {
			if err := tx.PutAlias(ctx, registry.Alias{Model: "iris", Name: name, Version: n, UpdatedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	want := map[string]int64{"production": 2, "staging": 3, "canary": 3}
	got, err := getModel(t, s, "iris")
	noErr(t, err)
	same(t, "GetModel aliases", got.Aliases, want)
	view(t, s, func(tx registry.ReadTx) error {
		ms, _, err := tx.ListModels(ctx, registry.ModelQuery{})
		noErr(t, err)
		if len(ms) != 2 {
			t.Fatalf("ListModels returned %d models, want 2", len(ms))
		}
		same(t, "ListModels aliases of iris", ms[0].Aliases, want)
		same(t, "ListModels aliases of rose", ms[1].Aliases, map[string]int64{})
		return nil
	})
}
