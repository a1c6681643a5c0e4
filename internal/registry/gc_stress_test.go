package registry_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

// Pushes that reuse old, unreferenced blobs race collections with a zero
// grace period; afterwards every live version's blobs exist and hash to
// their digests.
func TestGCStressConcurrentPushesNeverLoseABlob(t *testing.T) {
	f := newGCFixture(t)
	pool := make([]string, 40)
	for i := range pool {
		pool[i] = fmt.Sprintf("pooled blob %d %s", i, strings.Repeat("x", i*37))
		f.put(pool[i])
	}
	const pushers, pushes = 4, 25
	var wg sync.WaitGroup
	var retries atomic.Int64
	stop := make(chan struct{})
	for p := range pushers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(p), 7))
			model := fmt.Sprintf("m%d", p)
			for i := range pushes {
				contents := []string{pool[rng.IntN(len(pool))], pool[rng.IntN(len(pool))], fmt.Sprintf("new %d/%d", p, i)}
				v, n, err := clientPush(f, model, contents)
				retries.Add(int64(n))
				if err != nil {
					t.Error(err)
					return
				}
				if rng.IntN(3) == 0 { // drop it: its blobs become garbage
					if _, err := f.svc.DeleteVersion(f.ctx, registry.Ref{Model: model, Number: v.Number}); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // MLflow artifacts reusing the same blobs
		defer wg.Done()
		rng := rand.New(rand.NewPCG(99, 7))
		for i := range pushes {
			c := pool[rng.IntN(len(pool))]
			if err := putArtifact(f, fmt.Sprintf("0/run%d/artifacts/f", i), c); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var runs, deleted atomic.Int64
	gcDone := make(chan struct{})
	go func() {
		defer close(gcDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			rep, err := f.svc.CollectGarbage(f.ctx, registry.GCOptions{Grace: time.Duration(runs.Load()%2) * time.Millisecond})
			if err != nil || rep.ErrorCount > 0 {
				t.Errorf("collection: %v %v", err, rep.Errors)
				return
			}
			runs.Add(1)
			deleted.Add(rep.Deleted)
		}
	}()
	wg.Wait()
	close(stop)
	<-gcDone
	if runs.Load() < 3 || deleted.Load() == 0 {
		t.Fatalf("only %d collections deleting %d blobs ran during the pushes; the test proves nothing", runs.Load(), deleted.Load())
	}
	t.Logf("%d collections deleted %d blobs; pushes retried %d times", runs.Load(), deleted.Load(), retries.Load())
	checked := verifyAllVersions(t, f, pushers)
	if checked == 0 {
		t.Fatal("no live version to check")
	}
	artifacts, err := f.trk.ArtifactsUnder(f.ctx, "")
	if err != nil || len(artifacts) != pushes {
		t.Fatalf("%d artifacts (%v), want %d", len(artifacts), err, pushes)
	}
	for _, a := range artifacts {
		verifyBlob(t, f, a.Path, a.Digest, a.Size)
	}
}

// putArtifact logs an MLflow artifact; when a collection removed its blob
// between the upload and the index entry (MISSING_BLOBS), it uploads again.
func putArtifact(f *gcFixture, path, content string) error {
	for range 20 {
		err := f.trk.PutArtifact(f.ctx, path, int64(len(content)), strings.NewReader(content))
		if !registry.Is(err, registry.KindMissingBlobs) {
			return err
		}
	}
	return fmt.Errorf("artifact %s kept losing its blob", path)
}

// clientPush pushes as a client does: ask which blobs are missing, upload
// those, create the version; on MISSING_BLOBS (a collection removed a blob
// in between) start over. It returns how many times it started over.
func clientPush(f *gcFixture, model string, contents []string) (registry.Version, int, error) {
	var in registry.NewVersion
	byDigest := map[string]string{}
	for i, c := range contents {
		d := sha(c)
		byDigest[d] = c
		in.Files = append(in.Files, registry.File{Path: fmt.Sprint("file", i), Size: int64(len(c)), Digest: d, Mode: 0o644})
	}
	digests := make([]string, 0, len(byDigest))
	for d := range byDigest {
		digests = append(digests, d)
	}
	for attempt := 0; attempt < 20; attempt++ {
		missing, err := f.svc.MissingBlobs(f.ctx, digests)
		if err != nil {
			return registry.Version{}, attempt, err
		}
		for _, d := range missing {
			c := byDigest[d]
			if err := f.svc.PutBlob(f.ctx, d, int64(len(c)), strings.NewReader(c)); err != nil {
				return registry.Version{}, attempt, err
			}
		}
		v, err := f.svc.CreateVersion(f.ctx, model, in)
		if registry.Is(err, registry.KindMissingBlobs) {
			continue
		}
		return v, attempt, err
	}
	return registry.Version{}, 20, fmt.Errorf("push to %s kept losing its blobs", model)
}

// verifyAllVersions reads every file of every live version back and checks
// its digest; it returns how many files it checked.
func verifyAllVersions(t *testing.T, f *gcFixture, models int) int {
	t.Helper()
	checked := 0
	for p := range models {
		vs, _, err := f.svc.ListVersions(f.ctx, fmt.Sprintf("m%d", p), registry.VersionQuery{Page: registry.Page{Size: registry.MaxPageSize}})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			for _, file := range v.Files {
				verifyBlob(t, f, v.String()+" file "+file.Path, file.Digest, file.Size)
				checked++
			}
		}
	}
	return checked
}

// verifyBlob fails unless the blob exists, has size bytes and hashes to its
// digest.
func verifyBlob(t *testing.T, f *gcFixture, what, digest string, size int64) {
	t.Helper()
	rc, n, err := f.svc.OpenBlob(f.ctx, digest)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	defer rc.Close()
	h := sha256.New()
	_, err = io.Copy(h, rc)
	if err != nil || n != size || "sha256:"+hex.EncodeToString(h.Sum(nil)) != digest {
		t.Fatalf("%s: blob %s does not verify (%v)", what, digest, err)
	}
}
