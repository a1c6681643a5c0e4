package registry_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/blob/fs"
	"github.com/modelry/modelry/internal/storage/storetest"
	"github.com/modelry/modelry/internal/tracking"
)

// gcFixture is a service over real stores whose blob store can pretend some
// blobs are recipes (their Parts), as the chunking store reports them, and
// run a hook right after a walk.
type gcFixture struct {
	t     *testing.T
	svc   *registry.Service
	ctx   context.Context
	blobs *recipeStore
	st    storetest.Stores
	trk   *tracking.Service // MLflow artifacts, a blob referrer as in the server
}

type recipeStore struct {
	*fs.Store
	parts     map[string][]string
	afterWalk func()
}

func (r *recipeStore) Walk(ctx context.Context, fn func(registry.BlobInfo) error) error {
	err := r.Store.Walk(ctx, func(b registry.BlobInfo) error {
		b.Parts = r.parts[b.Digest]
		return fn(b)
	})
	if err == nil && r.afterWalk != nil {
		r.afterWalk()
	}
	return err
}

func newGCFixture(t *testing.T, opts ...registry.Option) *gcFixture {
	t.Helper()
	st := storetest.Open(t)
	blobs := &recipeStore{Store: st.Blobs, parts: map[string][]string{}}
	ctx := registry.WithPrincipal(context.Background(), registry.Principal{Name: "root", Role: registry.RoleAdmin})
	opts = append(opts, registry.WithBlobReferrers(st.Meta.Tracking()))
	svc := registry.New(st.Meta, blobs, opts...)
	trk := tracking.New(st.Meta.Tracking(), blobs, tracking.WithBlobGuard(svc))
	return &gcFixture{t: t, svc: svc, ctx: ctx, blobs: blobs, st: st, trk: trk}
}

func sha(content string) string {
	sum := sha256.Sum256([]byte(content))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// put stores content and returns its digest.
func (f *gcFixture) put(content string) string {
	f.t.Helper()
	d := sha(content)
	if err := f.svc.PutBlob(f.ctx, d, int64(len(content)), strings.NewReader(content)); err != nil {
		f.t.Fatal(err)
	}
	return d
}

// push stores each content as a file and creates a version of model.
func (f *gcFixture) push(model string, contents ...string) registry.Version {
	f.t.Helper()
	var in registry.NewVersion
	for i, c := range contents {
		in.Files = append(in.Files, registry.File{Path: "f" + string(rune('a'+i)), Size: int64(len(c)), Digest: f.put(c), Mode: 0o644})
	}
	v, err := f.svc.CreateVersion(f.ctx, model, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

func (f *gcFixture) del(model string, n int64) {
	f.t.Helper()
	if _, err := f.svc.DeleteVersion(f.ctx, registry.Ref{Model: model, Number: n}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *gcFixture) gc(opt registry.GCOptions) registry.GCReport {
	f.t.Helper()
	rep, err := f.svc.CollectGarbage(f.ctx, opt)
	if err != nil {
		f.t.Fatal(err)
	}
	if rep.ErrorCount != 0 {
		f.t.Fatalf("collection errors: %v", rep.Errors)
	}
	return rep
}

func (f *gcFixture) stored(d string) bool {
	_, err := f.st.Blobs.Stat(f.ctx, d)
	return err == nil
}

// age sets a blob's ModTime back, as if it had been written long ago.
func (f *gcFixture) age(d string, by time.Duration) {
	f.t.Helper()
	hex := strings.TrimPrefix(d, "sha256:")
	old := time.Now().Add(-by)
	if err := os.Chtimes(filepath.Join(f.st.BlobRoot, "sha256", hex[:2], hex), old, old); err != nil {
		f.t.Fatal(err)
	}
}

func (f *gcFixture) wantStored(what string, want bool, digests ...string) {
	f.t.Helper()
	for _, d := range digests {
		if got := f.stored(d); got != want {
			f.t.Errorf("%s blob %s: stored = %v, want %v", what, d, got, want)
		}
	}
}

func TestGCDeletesOnlyWhatNoLiveVersionUses(t *testing.T) {
	f := newGCFixture(t)
	f.push("iris", "only-in-v1", "shared")
	f.push("iris", "shared", "only-in-v2")
	f.push("sales", "dataset rows") // another model's version
	f.del("iris", 1)
	stray := f.put("uploaded but never used")

	dry := f.gc(registry.GCOptions{DryRun: true})
	if dry.Scanned != 5 || dry.Deleted != 2 || dry.DeletedBytes != int64(len("only-in-v1")+len("uploaded but never used")) || dry.Live != 3 {
		t.Fatalf("dry run report = %+v", dry)
	}
	f.wantStored("after a dry run, every", true, sha("only-in-v1"), stray)

	rep := f.gc(registry.GCOptions{})
	if rep.Deleted != 2 || rep.Live != 3 || rep.Young != 0 || rep.DryRun {
		t.Fatalf("report = %+v", rep)
	}
	f.wantStored("v1-only or stray", false, sha("only-in-v1"), stray)
	f.wantStored("live", true, sha("shared"), sha("only-in-v2"), sha("dataset rows"))

	events, err := f.svc.ListEvents(f.ctx, registry.EventQuery{Type: registry.EventGCCompleted})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Actor != "root" || events[0].Data["deleted"] != float64(2) {
		t.Fatalf("gc events = %+v (only the real run is logged)", events)
	}
	if n, b := f.svc.GCTotals(); n != 2 || b != rep.DeletedBytes {
		t.Fatalf("GCTotals = %d, %d", n, b)
	}
}

func TestGCDeletedModelFreesItsBlobs(t *testing.T) {
	f := newGCFixture(t)
	f.push("tmp", "scratch")
	if err := f.svc.DeleteModel(f.ctx, "tmp"); err != nil {
		t.Fatal(err)
	}
	if rep := f.gc(registry.GCOptions{}); rep.Deleted != 1 {
		t.Fatalf("report = %+v", rep)
	}
	f.wantStored("deleted model's", false, sha("scratch"))
}

func TestGCGracePeriodSparesRecentBlobs(t *testing.T) {
	f := newGCFixture(t)
	old, recent := f.put("old upload"), f.put("recent upload")
	f.age(old, 2*time.Hour)
	rep := f.gc(registry.GCOptions{Grace: time.Hour})
	if rep.Deleted != 1 || rep.Young != 1 || rep.YoungBytes != int64(len("recent upload")) {
		t.Fatalf("report = %+v", rep)
	}
	f.wantStored("old", false, old)
	f.wantStored("recent", true, recent)
}

// A client told a blob is present does not upload it; the answer renews
// the blob so that a collection keeps it while the version is created.
func TestGCMissingBlobsAnswerRenewsTheBlob(t *testing.T) {
	f := newGCFixture(t)
	f.push("iris", "weights")
	f.del("iris", 1)
	d := sha("weights")
	f.age(d, 3*time.Hour)
	missing, err := f.svc.MissingBlobs(f.ctx, []string{d})
	if err != nil || len(missing) != 0 {
		t.Fatalf("MissingBlobs = %v, %v", missing, err)
	}
	f.gc(registry.GCOptions{Grace: time.Hour})
	f.wantStored("reported present", true, d)
	if _, err := f.svc.CreateVersion(f.ctx, "iris", registry.NewVersion{Files: []registry.File{{Path: "w", Size: 7, Digest: d, Mode: 0o644}}}); err != nil {
		t.Fatal(err)
	}
}

func TestGCKeepsPartsOfLiveAndYoungRecipes(t *testing.T) {
	f := newGCFixture(t)
	c1, c2, c3, c4, c5 := f.put("chunk-1"), f.put("chunk-2"), f.put("chunk-3"), f.put("chunk-4"), f.put("chunk-5")
	live := f.push("llm", "recipe of 1+2").Files[0].Digest
	dead := f.push("llm", "recipe of 2+3").Files[0].Digest
	young := f.put("recipe of 4")
	orphan := f.put("recipe of 5")
	f.blobs.parts[live] = []string{c1, c2}
	f.blobs.parts[dead] = []string{c2, c3}
	f.blobs.parts[young] = []string{c4}
	f.blobs.parts[orphan] = []string{c5}
	f.del("llm", 2)
	for _, d := range []string{c1, c2, c3, c4, c5, live, dead, orphan} {
		f.age(d, 2*time.Hour)
	}
	rep := f.gc(registry.GCOptions{Grace: time.Hour})
	f.wantStored("live recipe or its part", true, live, c1, c2)
	f.wantStored("young recipe or its part", true, young, c4)
	f.wantStored("dead recipe or its only part", false, dead, c3, orphan, c5)
	if rep.Deleted != 4 || rep.RecipesDeleted != 2 || rep.Young != 1 || rep.Live != 4 {
		t.Fatalf("report = %+v", rep)
	}
}

// The race the locking is for: a version reuses an old, unreferenced blob
// after the collector listed it as a candidate and before it deletes it.
func TestGCSparesABlobReferencedAfterTheWalk(t *testing.T) {
	f := newGCFixture(t)
	f.push("iris", "reused weights", "dropped")
	f.del("iris", 1)
	reused := sha("reused weights")
	var pushed registry.Version
	var pushErr error
	f.blobs.afterWalk = func() {
		pushed, pushErr = f.svc.CreateVersion(f.ctx, "iris", registry.NewVersion{
			Files: []registry.File{{Path: "w", Size: int64(len("reused weights")), Digest: reused, Mode: 0o644}}})
	}
	rep := f.gc(registry.GCOptions{})
	if pushErr != nil {
		t.Fatal(pushErr)
	}
	f.wantStored("reused", true, reused)
	f.wantStored("dropped", false, sha("dropped"))
	if rep.Deleted != 1 || rep.Young != 1 {
		t.Fatalf("report = %+v", rep)
	}
	f.blobs.afterWalk = nil
	if _, err := f.svc.Resolve(f.ctx, registry.Ref{Model: "iris", Number: pushed.Number}); err != nil {
		t.Fatal(err)
	}
	// Once deleted, a blob cannot be referenced: the push is refused.
	_, err := f.svc.CreateVersion(f.ctx, "iris", registry.NewVersion{
		Files: []registry.File{{Path: "d", Size: int64(len("dropped")), Digest: sha("dropped"), Mode: 0o644}}})
	if !registry.Is(err, registry.KindMissingBlobs) {
		t.Fatalf("push of a collected blob: %v, want MISSING_BLOBS", err)
	}
}

func TestGCKeepsBlobsOfReferrers(t *testing.T) {
	f := newGCFixture(t)
	if err := f.trk.PutArtifact(f.ctx, "0/run/artifacts/model.pkl", 6, strings.NewReader("pickle")); err != nil {
		t.Fatal(err)
	}
	rep := f.gc(registry.GCOptions{})
	if rep.Live != 1 || rep.Deleted != 0 {
		t.Fatalf("report = %+v", rep)
	}
	f.wantStored("artifact", true, sha("pickle"))
	if err := f.trk.DeleteArtifacts(f.ctx, "0/run"); err != nil {
		t.Fatal(err)
	}
	if rep := f.gc(registry.GCOptions{}); rep.Deleted != 1 {
		t.Fatalf("after the artifact was deleted: %+v", rep)
	}
	f.wantStored("deleted artifact", false, sha("pickle"))
}

func TestGCRefusals(t *testing.T) {
	f := newGCFixture(t)
	writer := registry.WithPrincipal(context.Background(), registry.Principal{Name: "ci", Role: registry.RoleWriter})
	if _, err := f.svc.CollectGarbage(writer, registry.GCOptions{}); !registry.Is(err, registry.KindPermission) {
		t.Errorf("writer: %v, want PERMISSION_DENIED", err)
	}
	_, err := f.svc.CollectGarbage(f.ctx, registry.GCOptions{Grace: -time.Minute})
	if !registry.Is(err, registry.KindInvalid) || !strings.Contains(err.Error(), "negative") {
		t.Errorf("negative grace: %v, want INVALID_ARGUMENT", err)
	}
	f.blobs.afterWalk = func() {
		f.blobs.afterWalk = nil
		_, err := f.svc.CollectGarbage(f.ctx, registry.GCOptions{})
		if !registry.Is(err, registry.KindPrecondition) {
			t.Errorf("second collection while one runs: %v, want FAILED_PRECONDITION", err)
		}
	}
	f.gc(registry.GCOptions{})
}

// pausingIndex holds an artifact index write until released: the moment
// between an artifact's upload and its index entry.
type pausingIndex struct {
	tracking.Store
	entered, release chan struct{}
}

func (p pausingIndex) PutArtifact(ctx context.Context, a tracking.Artifact) error {
	close(p.entered)
	<-p.release
	return p.Store.PutArtifact(ctx, a)
}

// An artifact uploaded before a collection starts and indexed after it read
// the index keeps its blob: the collection waits for the index write.
func TestGCWaitsForAnArtifactBeingIndexed(t *testing.T) {
	f := newGCFixture(t)
	idx := pausingIndex{Store: f.st.Meta.Tracking(), entered: make(chan struct{}), release: make(chan struct{})}
	trk := tracking.New(idx, f.st.Blobs, tracking.WithBlobGuard(f.svc))
	logged := make(chan error, 1)
	go func() { logged <- trk.PutArtifact(f.ctx, "0/r/artifacts/m.pkl", 6, strings.NewReader("pickle")) }()
	<-idx.entered
	collected := make(chan registry.GCReport, 1)
	go func() {
		rep, err := f.svc.CollectGarbage(f.ctx, registry.GCOptions{})
		if err != nil {
			t.Error(err)
		}
		collected <- rep
	}()
	var rep registry.GCReport
	select {
	case rep = <-collected:
		t.Errorf("the collection ran while an artifact was being indexed: %+v", rep)
		close(idx.release)
		<-logged
	case <-time.After(200 * time.Millisecond):
		close(idx.release)
		if err := <-logged; err != nil {
			t.Fatal(err)
		}
		if rep = <-collected; rep.Deleted != 0 || rep.Live != 1 {
			t.Errorf("report = %+v", rep)
		}
	}
	f.wantStored("indexed artifact", true, sha("pickle"))
}
