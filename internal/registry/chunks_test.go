package registry_test

import (
	"context"
	"strings"
	"testing"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/storetest"
)

// plainBlobs hides the blob store's optional interfaces, as a backend
// without chunk-level dedup would look.
type plainBlobs struct{ registry.BlobStore }

func TestChunksWithoutChunkStore(t *testing.T) {
	st := storetest.Open(t)
	svc := registry.New(st.Meta, plainBlobs{st.Blobs})
	ctx := registry.WithPrincipal(context.Background(), registry.Principal{Name: "ci", Role: registry.RoleWriter})
	d := "sha256:" + strings.Repeat("ab", 32)
	locs, err := svc.LocateChunks(ctx, []string{d})
	if err != nil || len(locs) != 0 {
		t.Fatalf("LocateChunks = %v, %v; want no locations and no error", locs, err)
	}
	_, err = svc.PutRecipe(ctx, d, registry.Recipe{Size: 1, Parts: []registry.BlobRange{{Blob: d, Size: 1}}})
	if !registry.Is(err, registry.KindPrecondition) {
		t.Fatalf("PutRecipe = %v; want %s", err, registry.KindPrecondition)
	}
}

func TestChunksChecks(t *testing.T) {
	svc, admin := newService(t)
	d := "sha256:" + strings.Repeat("cd", 32)
	reader := registry.WithPrincipal(context.Background(), registry.Principal{Name: "dash", Role: registry.RoleReader})
	tooMany := make([]string, registry.MaxLocateQuery+1)
	for i := range tooMany {
		tooMany[i] = d
	}
	cases := []struct {
		name string
		err  error
		kind registry.Kind
	}{
		{"locate as reader", func() error { _, err := svc.LocateChunks(reader, []string{d}); return err }(), registry.KindPermission},
		{"locate too many", func() error { _, err := svc.LocateChunks(admin, tooMany); return err }(), registry.KindInvalid},
		{"recipe as reader", func() error { _, err := svc.PutRecipe(reader, d, registry.Recipe{}); return err }(), registry.KindPermission},
		{"recipe parts over size", func() error {
			_, err := svc.PutRecipe(admin, d, registry.Recipe{Size: 1, Parts: []registry.BlobRange{{Blob: d, Size: 2}}})
			return err
		}(), registry.KindInvalid},
		{"recipe too many parts", func() error {
			parts := make([]registry.BlobRange, registry.MaxRecipeParts+1)
			_, err := svc.PutRecipe(admin, d, registry.Recipe{Size: 0, Parts: parts})
			return err
		}(), registry.KindInvalid},
	}
	for _, tc := range cases {
		if !registry.Is(tc.err, tc.kind) {
			t.Errorf("%s: error %v; want %s", tc.name, tc.err, tc.kind)
		}
	}
}
