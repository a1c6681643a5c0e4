package metatest

import (
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

var versionTests = []test{
	{"InsertAndGet", testInsertGetVersion},
	{"NumberTaken", testVersionNumberTaken},
	{"MissingModel", testVersionMissingModel},
	{"GetMissing", testGetMissingVersion},
	{"LabelTakenByLiveVersion", testLabelConflict},
	{"LabelFreedByDelete", testLabelReuse},
	{"EmptyLabelsNeverConflict", testEmptyLabels},
	{"Update", testUpdateVersion},
	{"UpdateMissing", testUpdateMissingVersion},
	{"Count", testCountVersions},
	{"CarriesAliases", testVersionAliases},
}

func testInsertGetVersion(t *testing.T, s registry.Store) {
	v := newVersion("iris", 1)
	v.Label = "1.0"
	v.Description = "first cut"
	v.Metrics = map[string]float64{"accuracy": 0.9731, "loss": 1e-9}
	v.Params = map[string]string{"lr": "0.01", "epochs": "3"}
	v.Tags = map[string]string{"stage": "candidate", "empty": ""}
	v.Source = registry.Source{
		Git: &registry.GitSource{Remote: "git@example.com:ml/iris.git", Commit: "0123abc", Branch: "main", Dirty: true},
		Run: &registry.RunSource{System: "mlflow", ID: "r1", URI: "runs:/r1/model"},
	}
	v.Files = append(v.Files, registry.File{Path: "latest", Target: "weights.bin", Mode: 0o777})
	seed(t, s, "iris", 1, func(got *registry.Version) { *got = v })
	view(t, s, func(tx registry.ReadTx) error {
		got, err := tx.GetVersion(t.Context(), "iris", 1)
		noErr(t, err)
		same(t, "GetVersion", got, v)
		return nil
	})
}

func testVersionNumberTaken(t *testing.T, s registry.Store) {
	seed(t, s, "iris", 2, nil)
	err := s.Update(t.Context(), func(tx registry.WriteTx) error {
		return tx.InsertVersion(t.Context(), newVersion("iris", 2))
	})
	wantErr(t, err, registry.KindAlreadyExists, "2", `"iris"`)
}

func testVersionMissingModel(t *testing.T, s registry.Store) {
	err := s.Update(t.Context(), func(tx registry.WriteTx) error {
		return tx.InsertVersion(t.Context(), newVersion("iris", 1))
	})
	wantErr(t, err, registry.KindNotFound, `model "iris" not found`)
}

func testGetMissingVersion(t *testing.T, s registry.Store) {
	seed(t, s, "iris", 2, nil)
	view(t, s, func(tx registry.ReadTx) error {
		_, err := tx.GetVersion(t.Context(), "iris", 7)
		wantErr(t, err, registry.KindNotFound, `version 7 of "iris" not found`)
		_, err = tx.GetVersion(t.Context(), "iris", 0) // not "the latest"
		wantErr(t, err, registry.KindNotFound, `version 0 of "iris" not found`)
		_, err = tx.GetVersion(t.Context(), "rose", 1)
		wantErr(t, err, registry.KindNotFound, `model "rose" not found`)
		return nil
	})
}

func testLabelConflict(t *testing.T, s registry.Store) {
	seed(t, s, "iris", 3, func(v *registry.Version) {
		if v.Number == 3 {
			v.Label = "1.0"
		}
	})
	seed(t, s, "rose", 1, func(v *registry.Version) { v.Label = "1.0" }) // other models don't count
	v := newVersion("iris", 4)
	v.Label = "1.0"
	err := s.Update(t.Context(), func(tx registry.WriteTx) error { return tx.InsertVersion(t.Context(), v) })
	wantErr(t, err, registry.KindAlreadyExists, `"1.0"`)
	if _, err := findVersion(t, s, registry.Ref{Model: "iris", Number: 4}); !registry.Is(err, registry.KindNotFound) {
		t.Errorf("the conflicting version was stored (err %v)", err)
	}
}

// testLabelReuse: a deleted version frees its label; restoring it while a
// live version holds the label is a conflict.
func testLabelReuse(t *testing.T, s registry.Store) {
	ctx := t.Context()
	vs := seed(t, s, "iris", 1, func(v *registry.Version) { v.Label = "1.0" })
	deleted := vs[0]
	deleted.DeletedAt = ptr(at(10))
	v2 := newVersion("iris", 2)
	v2.Label = "1.0"
	update(t, s, func(tx registry.WriteTx) error {
		noErr(t, tx.UpdateVersion(ctx, deleted))
		return tx.InsertVersion(ctx, v2)
	})
	got, err := findVersion(t, s, registry.Ref{Model: "iris", Label: "1.0"})
	noErr(t, err)
	same(t, "version labelled 1.0", got, v2)

	restored := deleted
	restored.DeletedAt = nil
	err = s.Update(ctx, func(tx registry.WriteTx) error { return tx.UpdateVersion(ctx, restored) })
	wantErr(t, err, registry.KindAlreadyExists, `"1.0"`)
	got, err = findVersion(t, s, registry.Ref{Model: "iris", Number: 1})
	noErr(t, err)
	same(t, "version 1 after the refused restore", got, deleted)
}

func testEmptyLabels(t *testing.T, s registry.Store) {
	vs := seed(t, s, "iris", 3, nil) // all unlabelled
	if _, err := findVersion(t, s, registry.Ref{Model: "iris", Number: 3}); err != nil {
		t.Fatalf("%d unlabelled versions: %v", len(vs), err)
	}
}

func testUpdateVersion(t *testing.T, s registry.Store) {
	vs := seed(t, s, "iris", 1, func(v *registry.Version) {
		v.Label, v.Description = "1.0", "before"
		v.Tags = map[string]string{"old": "x", "kept": "1"}
	})
	changed := vs[0]
	changed.Description = "after"
	changed.Tags = map[string]string{"kept": "2", "new": "y"}
	changed.DeletedAt = ptr(at(30))
	// Fields other than Description, Tags and DeletedAt never change.
	changed.Label, changed.Digest, changed.Size = "9.9", digestOf("other"), 1
	changed.Metrics = map[string]float64{"sneaky": 1}
	changed.Files = changed.Files[:1]
	update(t, s, func(tx registry.WriteTx) error { return tx.UpdateVersion(t.Context(), changed) })

	want := vs[0]
	want.Description, want.Tags, want.DeletedAt = changed.Description, changed.Tags, changed.DeletedAt
	got, err := findVersion(t, s, registry.Ref{Model: "iris", Number: 1})
	noErr(t, err)
	same(t, "version after UpdateVersion", got, want)
}

func testUpdateMissingVersion(t *testing.T, s registry.Store) {
	seed(t, s, "iris", 1, nil)
	err := s.Update(t.Context(), func(tx registry.WriteTx) error {
		return tx.UpdateVersion(t.Context(), newVersion("iris", 7))
	})
	wantErr(t, err, registry.KindNotFound, `version 7 of "iris" not found`)
}

func testCountVersions(t *testing.T, s registry.Store) {
	count := func() int64 {
		var n int64
		view(t, s, func(tx registry.ReadTx) error {
			var err error
			n, err = tx.CountVersions(t.Context())
			return err
		})
		return n
	}
	if n := count(); n != 0 {
		t.Fatalf("empty store: CountVersions = %d", n)
	}
	seed(t, s, "iris", 4, func(v *registry.Version) {
		if v.Number == 2 {
			v.DeletedAt = ptr(at(9))
		}
	})
	seed(t, s, "rose", 3, nil)
	if n := count(); n != 6 {
		t.Errorf("CountVersions = %d, want 6 (7 versions, 1 deleted)", n)
	}
}

func testVersionAliases(t *testing.T, s registry.Store) {
	ctx := t.Context()
	seed(t, s, "iris", 2, nil)
	update(t, s, func(tx registry.WriteTx) error {
		for _, a := range []string{"production", "champion", "staging"} {
			noErr(t, tx.PutAlias(ctx, registry.Alias{Model: "iris", Name: a, Version: 2, UpdatedAt: t0}))
		}
		return tx.PutAlias(ctx, registry.Alias{Model: "iris", Name: "old", Version: 1, UpdatedAt: t0})
	})
	view(t, s, func(tx registry.ReadTx) error {
		v, err := tx.GetVersion(ctx, "iris", 2)
		noErr(t, err)
		same(t, "aliases of version 2", v.Aliases, []string{"champion", "production", "staging"})
		vs, _, err := tx.ListVersions(ctx, "iris", registry.VersionQuery{})
		noErr(t, err)
		same(t, "aliases in a listing", [][]string{vs[0].Aliases, vs[1].Aliases},
			[][]string{{"champion", "production", "staging"}, {"old"}})
		return nil
	})
}

func ptr[T any](v T) *T { return &v }
