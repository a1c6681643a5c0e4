package metatest

import (
	"errors"
	"slices"
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

var referenceTests = []test{
	{"Empty", testReferencesEmpty},
	{"LiveVersionsOnce", testReferencesLiveVersions},
	{"StopsOnError", testReferencesStop},
}

// referenced collects ReferencedDigests, sorted, failing on repeats.
func referenced(t *testing.T, s registry.Store) []string {
	t.Helper()
	var got []string
	view(t, s, func(tx registry.ReadTx) error {
		return tx.ReferencedDigests(t.Context(), func(d string) error {
			if slices.Contains(got, d) {
				t.Errorf("digest %s named twice", d)
			}
			got = append(got, d)
			return nil
		})
	})
	slices.Sort(got)
	return got
}

func testReferencesEmpty(t *testing.T, s registry.Store) {
	createModels(t, s, newModel("empty"))
	if got := referenced(t, s); len(got) != 0 {
		t.Fatalf("an empty store references %v", got)
	}
}

func testReferencesLiveVersions(t *testing.T, s registry.Store) {
	shared := digestOf("shared")
	iris := seed(t, s, "iris", 3, func(v *registry.Version) {
		v.Files = append(v.Files,
			registry.File{Path: "shared.bin", Size: 6, Digest: shared, Mode: 0o644},
			registry.File{Path: "link", Target: "shared.bin", Mode: 0o777})
		if v.Number == 2 {
			v.DeletedAt = new(at(9))
		}
	})
	sales := seed(t, s, "sales", 1, nil)
	want := []string{shared}
	for _, v := range []registry.Version{iris[0], iris[2], sales[0]} {
		for _, f := range v.Files[:2] {
			want = append(want, f.Digest)
		}
	}
	slices.Sort(want)
	same(t, "referenced digests (deleted version 2 and links left out)", referenced(t, s), want)
}

func testReferencesStop(t *testing.T, s registry.Store) {
	seed(t, s, "iris", 2, nil)
	stop := errors.New("enough")
	calls := 0
	err := s.View(t.Context(), func(tx registry.ReadTx) error {
		return tx.ReferencedDigests(t.Context(), func(string) error {
			calls++
			return stop
		})
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("err = %v after %d calls; want the callback's error after 1", err, calls)
	}
}
