package registry_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/storetest"
)

// Pushes of files stored as real recipes (fs.Store's PutRecipe over a pool
// of chunk blobs) race collections with a zero grace period; afterwards
// every live version's files read back whole and verify.
func TestGCStressRecipesNeverLoseAPart(t *testing.T) {
	st := storetest.Open(t)
	ctx := registry.WithPrincipal(context.Background(), registry.Principal{Name: "root", Role: registry.RoleAdmin})
	svc := registry.New(st.Meta, st.Blobs)
	f := &gcFixture{t: t, svc: svc, ctx: ctx}
	chunks := make([]string, 12)
	for i := range chunks {
		chunks[i] = fmt.Sprintf("chunk %d %s|", i, strings.Repeat("c", 50+i))
	}
	const pushers, pushes = 3, 20
	var wg sync.WaitGroup
	var retries atomic.Int64
	for p := range pushers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(p), 11))
			model := fmt.Sprintf("m%d", p)
			for range pushes {
				a, b := rng.IntN(len(chunks)), rng.IntN(len(chunks))
				v, n, err := pushRecipe(f, model, chunks[a], chunks[b])
				retries.Add(int64(n))
				if err != nil {
					t.Error(err)
					return
				}
				if rng.IntN(2) == 0 {
					if _, err := svc.DeleteVersion(ctx, registry.Ref{Model: model, Number: v.Number}); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	stop := make(chan struct{})
	var runs, deleted, recipes atomic.Int64
	gcDone := make(chan struct{})
	go func() {
		defer close(gcDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			rep, err := svc.CollectGarbage(ctx, registry.GCOptions{Grace: time.Duration(runs.Load()%2) * time.Millisecond})
			if err != nil || rep.ErrorCount > 0 {
				t.Errorf("collection: %v %v", err, rep.Errors)
				return
			}
			runs.Add(1)
			deleted.Add(rep.Deleted)
			recipes.Add(rep.RecipesDeleted)
		}
	}()
	wg.Wait()
	close(stop)
	<-gcDone
	t.Logf("%d collections deleted %d blobs (%d recipes); pushes retried %d times", runs.Load(), deleted.Load(), recipes.Load(), retries.Load())
	if recipes.Load() == 0 {
		t.Fatal("no recipe was ever collected; the test proves nothing")
	}
	if verifyAllVersions(t, f, pushers) == 0 {
		t.Fatal("no live version to check")
	}
}

// pushRecipe pushes one file, the concatenation of two chunks, as a
// client with chunking does: store the chunks, store the file as a recipe
// of them, create the version; it starts over on MISSING_BLOBS or on a part
// gone between the upload and the recipe (INVALID).
func pushRecipe(f *gcFixture, model, c1, c2 string) (registry.Version, int, error) {
	content := c1 + c2
	d := sha(content)
	in := registry.NewVersion{Files: []registry.File{{Path: "weights", Size: int64(len(content)), Digest: d, Mode: 0o644}}}
	for attempt := range 50 {
		missing, err := f.svc.MissingBlobs(f.ctx, []string{d})
		if err != nil {
			return registry.Version{}, attempt, err
		}
		if len(missing) > 0 {
			recipe := registry.Recipe{Size: int64(len(content))}
			for _, c := range []string{c1, c2} {
				if err := f.svc.PutBlob(f.ctx, sha(c), int64(len(c)), strings.NewReader(c)); err != nil {
					return registry.Version{}, attempt, err
				}
				recipe.Parts = append(recipe.Parts, registry.BlobRange{Blob: sha(c), Size: int64(len(c))})
			}
			_, err := f.svc.PutRecipe(f.ctx, d, recipe)
			if registry.Is(err, registry.KindMissingBlobs) || registry.Is(err, registry.KindInvalid) {
				continue
			}
			if err != nil {
				return registry.Version{}, attempt, err
			}
		}
		v, err := f.svc.CreateVersion(f.ctx, model, in)
		if registry.Is(err, registry.KindMissingBlobs) {
			continue
		}
		return v, attempt, err
	}
	return registry.Version{}, 50, fmt.Errorf("push to %s kept losing its blobs", model)
}
