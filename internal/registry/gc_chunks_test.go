package registry_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/cdc"
	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/blob/blobtest"
	"github.com/modelry/modelry/internal/storage/storetest"
)

// TestGCGracePeriodCoversLocatedChunks: a client told by LocateChunks that
// an old, unreferenced blob holds its chunks uploads none of them and
// stores its file as a recipe of that blob; as with MissingBlobs, the
// answer must renew the blob, so a collection within the grace period
// spares it.
func TestGCGracePeriodCoversLocatedChunks(t *testing.T) {
	st := storetest.Open(t)
	ctx := registry.WithPrincipal(context.Background(), registry.Principal{Name: "root", Role: registry.RoleAdmin})
	f := &gcFixture{t: t, svc: registry.New(st.Meta, st.Blobs), ctx: ctx, st: st}
	data := make([]byte, 5<<20)
	rand.NewChaCha8([32]byte{3}).Read(data)
	sum := sha256.Sum256(data)
	old := "sha256:" + hex.EncodeToString(sum[:])
	if err := f.svc.PutBlob(ctx, old, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	blobtest.WaitIndexed(t, st.Blobs)
	f.age(old, 2*time.Hour) // its version was deleted long ago
	first := registry.ChunkDigest(data[:cdc.Cut(data)])
	locs, err := f.svc.LocateChunks(ctx, []string{first})
	if err != nil || locs[first].Blob != old {
		t.Fatalf("LocateChunks = %v, %v; want the chunk in %s", locs, err, old)
	}
	f.gc(registry.GCOptions{Grace: time.Hour})
	f.wantStored("just located", true, old)
}
