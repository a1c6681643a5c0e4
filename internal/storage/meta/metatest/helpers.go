package metatest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

// t0 has nanoseconds and a zone other than UTC on purpose: stores must keep
// at least microseconds and hand times back in UTC.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

// at is t0 plus i minutes.
func at(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }

func digestOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// newModel is a model as the registry creates it.
func newModel(name string) registry.Model {
	return registry.Model{
		Name:        name,
		Kind:        registry.KindModel,
		Description: "the " + name + " model",
		Tags:        map[string]string{},
		CreatedAt:   t0,
		UpdatedAt:   t0,
		CreatedBy:   "alice",
		Aliases:     map[string]int64{},
	}
}

// newVersion is version n of model with two files and distinct digests.
func newVersion(model string, n int64) registry.Version {
	files := []registry.File{
		{Path: "config.json", Size: 10, Digest: digestOf(fmt.Sprint(model, n, "config")), Mode: 0o644},
		{Path: "weights.bin", Size: 100 * n, Digest: digestOf(fmt.Sprint(model, n, "weights")), Mode: 0o644},
	}
	return registry.Version{
		Model:     model,
		Number:    n,
		Digest:    registry.ManifestDigest(files),
		Metrics:   map[string]float64{},
		Params:    map[string]string{},
		Tags:      map[string]string{},
		Files:     files,
		Size:      registry.ManifestSize(files),
		Aliases:   []string{},
		CreatedBy: "bob",
		CreatedAt: at(int(n)),
	}
}

func update(t *testing.T, s registry.Store, fn func(tx registry.WriteTx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s registry.Store, fn func(tx registry.ReadTx) error) {
	t.Helper()
	if err := s.View(t.Context(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// seed creates model name with versions 1..n, as the registry would: each
// version bumps LastNumber and VersionCount. edit, if set, adjusts each
// version before it is inserted. It returns the inserted versions.
func seed(t *testing.T, s registry.Store, name string, n int, edit func(v *registry.Version)) []registry.Version {
	t.Helper()
	m := newModel(name)
	var vs []registry.Version
	for i := 1; i <= n; i++ {
		v := newVersion(name, int64(i))
		if edit != nil {
			edit(&v)
		}
		vs = append(vs, v)
		m.LastNumber++
		if v.DeletedAt == nil {
			m.VersionCount++
		}
	}
	update(t, s, func(tx registry.WriteTx) error {
		if err := tx.CreateModel(t.Context(), newModel(name)); err != nil {
			return err
		}
		for _, v := range vs {
			if err := tx.InsertVersion(t.Context(), v); err != nil {
				return err
			}
		}
		return tx.UpdateModel(t.Context(), m)
	})
	return vs
}

func createModels(t *testing.T, s registry.Store, ms ...registry.Model) {
	t.Helper()
	update(t, s, func(tx registry.WriteTx) error {
		for _, m := range ms {
			if err := tx.CreateModel(t.Context(), m); err != nil {
				return err
			}
		}
		return nil
	})
}

func getModel(t *testing.T, s registry.Store, name string) (m registry.Model, err error) {
	t.Helper()
	view(t, s, func(tx registry.ReadTx) error {
		m, err = tx.GetModel(t.Context(), name)
		return nil
	})
	return m, err
}

func findVersion(t *testing.T, s registry.Store, ref registry.Ref) (v registry.Version, err error) {
	t.Helper()
	view(t, s, func(tx registry.ReadTx) error {
		v, err = tx.FindVersion(t.Context(), ref)
		return nil
	})
	return v, err
}

// wantErr fails unless err has the kind and its client message contains
// every one of parts.
func wantErr(t *testing.T, err error, kind registry.Kind, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", kind)
	}
	if got := registry.KindOf(err); got != kind {
		t.Fatalf("got error kind %s (%v), want %s", got, err, kind)
	}
	for _, p := range parts {
		if msg := registry.Message(err); !strings.Contains(msg, p) {
			t.Errorf("error message %q does not contain %q", msg, p)
		}
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// us is t as a store must give it back: UTC, at least to the microsecond.
func us(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMicro(t.UnixMicro()).UTC()
}

func usPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := us(*t)
	return &u
}

// same fails unless got and want are deeply equal once times are cut to the
// microsecond (nil and empty maps or slices differ on purpose).
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	got, want = normalize(got), normalize(want)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Fatalf("%s:\n got %s (%#v)\nwant %s (%#v)", what, g, got, w, want)
	}
}

func normalize(x any) any {
	switch x := x.(type) {
	case registry.Model:
		x.CreatedAt, x.UpdatedAt = us(x.CreatedAt), us(x.UpdatedAt)
		return x
	case registry.Version:
		x.CreatedAt, x.DeletedAt = us(x.CreatedAt), usPtr(x.DeletedAt)
		return x
	case registry.Alias:
		x.UpdatedAt = us(x.UpdatedAt)
		return x
	case registry.AliasMove:
		x.At = us(x.At)
		return x
	case registry.Event:
		x.At = us(x.At)
		if x.Data == nil { // omitted from JSON either way, so not pinned down
			x.Data = map[string]any{}
		}
		return x
	case registry.Token:
		x.CreatedAt, x.RevokedAt = us(x.CreatedAt), usPtr(x.RevokedAt)
		return x
	}
	v := reflect.ValueOf(x)
	if v.Kind() == reflect.Slice && !v.IsNil() {
		out := make([]any, v.Len())
		for i := range out {
			out[i] = normalize(v.Index(i).Interface())
		}
		return out
	}
	return x
}
