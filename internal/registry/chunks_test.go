package registry_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

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

// TestRecipeCheckDoesNotHoldBackCollections checks that a collection, and
// with it every push, does not wait while a recipe's bytes are hashed: that
// takes as long as reading the whole file, minutes for a large one.
func TestRecipeCheckDoesNotHoldBackCollections(t *testing.T) {
	svc, admin := newService(t)
	blob := strings.Repeat("x", 1<<20)
	sum := sha256.Sum256([]byte(blob))
	d := "sha256:" + hex.EncodeToString(sum[:])
	if err := svc.PutBlob(admin, d, int64(len(blob)), strings.NewReader(blob)); err != nil {
		t.Fatal(err)
	}
	// A recipe of a terabyte: hashing it outlasts the test.
	r := registry.Recipe{Size: 1 << 40, Parts: make([]registry.BlobRange, 1<<20)}
	for i := range r.Parts {
		r.Parts[i] = registry.BlobRange{Blob: d, Size: 1 << 20}
	}
	r.Parts = r.Parts[:registry.MaxRecipeParts]
	r.Size = int64(len(r.Parts)) << 20
	ctx, cancel := context.WithCancel(admin)
	done := make(chan error, 1)
	go func() {
		_, err := svc.PutRecipe(ctx, "sha256:"+strings.Repeat("ef", 32), r)
		done <- err
	}()
	defer func() { cancel(); <-done }()
	time.Sleep(300 * time.Millisecond) // the check is under way
	gc := make(chan error, 1)
	go func() {
		_, err := svc.CollectGarbage(admin, registry.GCOptions{Grace: time.Hour})
		gc <- err
	}()
	select {
	case err := <-gc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		cancel()
		<-gc
		t.Fatal("a collection waited for a recipe's bytes to be hashed")
	}
}
