package blobtest

import (
	"bytes"
	"context"
	"io"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/cdc"
	"github.com/modelry/modelry/internal/registry"
)

// ChunkStore is what RunChunks tests: a blob store that keeps recipes and a
// chunk index, and says how many files wait to be indexed.
type ChunkStore interface {
	registry.BlobStore
	registry.ChunkStore
	IndexPending() int64
}

// RunChunks runs the conformance suite of chunk-level dedup: recipes that
// read like blobs, their checks, and the chunk index. Every subtest gets a
// fresh store from open.
func RunChunks(t *testing.T, open func(t *testing.T) ChunkStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, ChunkStore)
	}{
		{"RecipeReadsLikeABlob", testRecipeReads},
		{"RecipeRefusesBadInput", testRecipeBadInput},
		{"RecipeOfRecipeIsFlattened", testRecipeFlatten},
		{"RecipeDelete", testRecipeDelete},
		{"IndexLocatesChunks", testIndexLocates},
		{"IndexOfRecipe", testIndexOfRecipe},
		{"DeleteDropsIndex", testDeleteDropsIndex},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// twoBlobs stores two random blobs and returns them.
func twoBlobs(t *testing.T, s ChunkStore) (a, b blob) {
	a, b = randomBlob(6*MiB+11, 21), randomBlob(3*MiB+5, 22)
	mustPut(t, s, a)
	mustPut(t, s, b)
	return a, b
}

// assemble returns the file the ranges make, and the recipe.
func assemble(parts ...part) (blob, registry.Recipe) {
	var data []byte
	r := registry.Recipe{Parts: []registry.BlobRange{}}
	for _, p := range parts {
		data = append(data, p.b.data[p.off:p.off+p.size]...)
		r.Parts = append(r.Parts, registry.BlobRange{Blob: p.b.digest, Offset: int64(p.off), Size: int64(p.size)})
	}
	r.Size = int64(len(data))
	return blob{data: data, digest: digestOf(data)}, r
}

type part struct {
	b         blob
	off, size int
}

func testRecipeReads(t *testing.T, s ChunkStore) {
	ctx := context.Background()
	a, b := twoBlobs(t, s)
	f, r := assemble(part{a, MiB, 2 * MiB}, part{b, 0, MiB + 3}, part{a, 5 * MiB, MiB + 11})
	created, err := s.PutRecipe(ctx, f.digest, r)
	if err != nil || !created {
		t.Fatalf("PutRecipe = %v, %v; want true, nil", created, err)
	}
	assertStored(t, s, f)
	if !s.HasSize(int64(len(f.data))) {
		t.Fatal("HasSize is false for the size of a file stored as a recipe")
	}
	rc, _, err := s.Open(ctx, f.digest)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	for _, off := range []int64{3*MiB + 1, 0, 2*MiB - 2, int64(len(f.data)) - 5} {
		if _, err := rc.Seek(off, io.SeekStart); err != nil {
			t.Fatalf("Seek(%d): %v", off, err)
		}
		got := make([]byte, 5)
		if _, err := io.ReadFull(rc, got); err != nil || !bytes.Equal(got, f.data[off:off+5]) {
			t.Fatalf("bytes at %d differ (%v)", off, err)
		}
	}
	info := walkOne(t, s, f.digest)
	want := []string{a.digest, b.digest}
	slices.Sort(want)
	if info.Size != int64(len(f.data)) || !slices.Equal(info.Parts, want) {
		t.Fatalf("Walk reports %+v; want size %d and parts %v", info, len(f.data), want)
	}
	if created, err := s.PutRecipe(ctx, f.digest, r); err != nil || created {
		t.Fatalf("second PutRecipe = %v, %v; want false, nil", created, err)
	}
	wrongSize := registry.Recipe{Size: r.Size - 1, Parts: slices.Clone(r.Parts)}
	wrongSize.Parts[0].Size--
	_, err = s.PutRecipe(ctx, f.digest, wrongSize)
	assertKind(t, "PutRecipe of a stored file with another size", err, registry.KindInvalid)
	mustPut(t, s, f) // the same bytes uploaded whole are accepted
	assertStored(t, s, f)
}

func walkOne(t *testing.T, s registry.BlobStore, digest string) registry.BlobInfo {
	t.Helper()
	walker, ok := s.(registry.BlobWalker)
	if !ok {
		t.Skip("store does not implement registry.BlobWalker")
	}
	var found []registry.BlobInfo
	err := walker.Walk(context.Background(), func(b registry.BlobInfo) error {
		if b.Digest == digest {
			found = append(found, b)
		}
		return nil
	})
	if err != nil || len(found) != 1 {
		t.Fatalf("Walk found %s %d times (%v); want once", digest, len(found), err)
	}
	return found[0]
}

func testRecipeBadInput(t *testing.T, s ChunkStore) {
	ctx := context.Background()
	a, _ := twoBlobs(t, s)
	f, good := assemble(part{a, 0, MiB}, part{a, 2 * MiB, MiB})
	absent := randomBlob(100, 99)
	edit := func(fn func(*registry.Recipe)) registry.Recipe {
		r := registry.Recipe{Size: good.Size, Parts: slices.Clone(good.Parts)}
		fn(&r)
		return r
	}
	cases := []struct {
		name   string
		digest string
		r      registry.Recipe
		kind   registry.Kind
	}{
		{"missing blob", f.digest, edit(func(r *registry.Recipe) { r.Parts[1].Blob = absent.digest }), registry.KindInvalid},
		{"range outside blob", f.digest, edit(func(r *registry.Recipe) { r.Parts[1].Offset = int64(len(a.data)) - 10 }), registry.KindInvalid},
		{"sizes do not add up", f.digest, edit(func(r *registry.Recipe) { r.Size++ }), registry.KindInvalid},
		{"offset overflowing int64", f.digest, edit(func(r *registry.Recipe) { r.Parts[1].Offset = math.MaxInt64 }), registry.KindInvalid},
		{"sizes overflowing int64", f.digest, registry.Recipe{Size: math.MaxInt64, Parts: []registry.BlobRange{
			{Blob: a.digest, Size: 2}, {Blob: a.digest, Offset: 2, Size: math.MaxInt64}, {Blob: a.digest, Size: math.MaxInt64},
			{Blob: a.digest, Size: math.MaxInt64}}}, registry.KindInvalid},
		{"negative offset", f.digest, edit(func(r *registry.Recipe) { r.Parts[0].Offset = -1 }), registry.KindInvalid},
		{"empty part", f.digest, edit(func(r *registry.Recipe) { r.Parts = append(r.Parts, registry.BlobRange{Blob: a.digest}) }), registry.KindInvalid},
		{"bad part digest", f.digest, edit(func(r *registry.Recipe) { r.Parts[0].Blob = "md5:abc" }), registry.KindInvalid},
		{"bad digest", "sha256:xyz", good, registry.KindInvalid},
		{"wrong bytes", f.digest, edit(func(r *registry.Recipe) { r.Parts[1].Offset++ }), registry.KindDigestMismatch},
		{"other digest", absent.digest, good, registry.KindDigestMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			created, err := s.PutRecipe(ctx, tc.digest, tc.r)
			assertKind(t, "PutRecipe", err, tc.kind)
			if created {
				t.Fatal("PutRecipe failed but says it created the file")
			}
			if registry.ValidateDigest(tc.digest) == nil {
				assertAbsent(t, s, tc.digest)
			}
		})
	}
	assertStored(t, s, a)
}

func testRecipeFlatten(t *testing.T, s ChunkStore) {
	ctx := context.Background()
	a, b := twoBlobs(t, s)
	f, r := assemble(part{a, 0, MiB}, part{b, 0, MiB})
	if _, err := s.PutRecipe(ctx, f.digest, r); err != nil {
		t.Fatal(err)
	}
	// g uses a range of f that spans both of f's parts.
	g, rg := assemble(part{f, MiB / 2, MiB}, part{a, 4 * MiB, 100})
	if _, err := s.PutRecipe(ctx, g.digest, rg); err != nil {
		t.Fatalf("PutRecipe naming a recipe: %v", err)
	}
	assertStored(t, s, g)
	info := walkOne(t, s, g.digest)
	want := []string{a.digest, b.digest}
	slices.Sort(want)
	if !slices.Equal(info.Parts, want) {
		t.Fatalf("parts of a recipe made from a recipe = %v; want the whole blobs %v", info.Parts, want)
	}
	assertWalkOrder(t, s, map[string]bool{a.digest: false, b.digest: false, f.digest: true, g.digest: true})
}

// assertWalkOrder checks that Walk reports blobs and recipes together in
// strictly increasing digest order, recipes (and only they) with parts.
func assertWalkOrder(t *testing.T, s registry.BlobStore, recipe map[string]bool) {
	t.Helper()
	var seen []string
	err := s.(registry.BlobWalker).Walk(context.Background(), func(b registry.BlobInfo) error {
		if (b.Parts != nil) != recipe[b.Digest] {
			t.Errorf("Walk reports %s with parts %v; recipe: %v", b.Digest, b.Parts, recipe[b.Digest])
		}
		seen = append(seen, b.Digest)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(recipe) || !slices.IsSorted(seen) || len(slices.Compact(slices.Clone(seen))) != len(seen) {
		t.Fatalf("Walk reported %v; want the %d stored files once each, in digest order", seen, len(recipe))
	}
}

func testRecipeDelete(t *testing.T, s ChunkStore) {
	ctx := context.Background()
	a, b := twoBlobs(t, s)
	f, r := assemble(part{a, 0, MiB}, part{b, 0, MiB})
	if _, err := s.PutRecipe(ctx, f.digest, r); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, f.digest); err != nil {
		t.Fatal(err)
	}
	assertAbsent(t, s, f.digest)
	assertStored(t, s, a)
	assertStored(t, s, b)
	if s.HasSize(int64(len(f.data))) {
		t.Fatal("HasSize still true after the recipe was deleted")
	}
	if _, err := s.PutRecipe(ctx, f.digest, r); err != nil { // and it can come back
		t.Fatal(err)
	}
	assertStored(t, s, f)
}

// WaitIndexed waits until the store has indexed every stored file.
func WaitIndexed(t testing.TB, s interface{ IndexPending() int64 }) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.IndexPending() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d files still wait to be indexed after 30 s", s.IndexPending())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// chunksOf splits data with the registry's chunker.
func chunksOf(data []byte) (digests []string, chunks [][]byte) {
	c := cdc.NewChunker(bytes.NewReader(data))
	for {
		chunk, _, err := c.Next()
		if err != nil {
			return digests, chunks
		}
		digests = append(digests, registry.ChunkDigest(chunk))
		chunks = append(chunks, bytes.Clone(chunk))
	}
}

// assertLocated checks that every chunk is located and that the range
// given holds the chunk's bytes.
func assertLocated(t *testing.T, s ChunkStore, digests []string, chunks [][]byte) {
	t.Helper()
	ctx := context.Background()
	locs, err := s.LocateChunks(ctx, digests)
	if err != nil {
		t.Fatal(err)
	}
	if len(locs) != len(uniq(digests)) {
		t.Fatalf("located %d of %d chunks", len(locs), len(uniq(digests)))
	}
	for i, d := range digests {
		loc := locs[d]
		rc, _, err := s.Open(ctx, loc.Blob)
		if err != nil {
			t.Fatalf("chunk %d located in %s: %v", i, loc.Blob, err)
		}
		got := make([]byte, loc.Size)
		_, err = rc.Seek(loc.Offset, io.SeekStart)
		if err == nil {
			_, err = io.ReadFull(rc, got)
		}
		rc.Close()
		if err != nil || !bytes.Equal(got, chunks[i]) {
			t.Fatalf("chunk %d: range %+v does not hold its bytes (%v)", i, loc, err)
		}
		if walkOne(t, s, loc.Blob).Parts != nil {
			t.Fatalf("chunk %d located in %s, which is a recipe; want a whole blob", i, loc.Blob)
		}
	}
}

func uniq(ds []string) []string {
	s := slices.Clone(ds)
	slices.Sort(s)
	return slices.Compact(s)
}

func testIndexLocates(t *testing.T, s ChunkStore) {
	x := randomBlob(8*MiB+123, 31)
	small := randomBlob(MiB, 32)
	mustPut(t, s, x)
	mustPut(t, s, small)
	WaitIndexed(t, s)
	digests, chunks := chunksOf(x.data)
	assertLocated(t, s, digests, chunks)
	smallDigests, _ := chunksOf(small.data)
	unknown := append(smallDigests, randomBlob(10, 33).digest)
	locs, err := s.LocateChunks(context.Background(), unknown)
	if err != nil || len(locs) != 0 {
		t.Fatalf("LocateChunks of unknown chunks (and a file too small to index) = %v, %v; want none", locs, err)
	}
	_, err = s.LocateChunks(context.Background(), []string{"sha256:nothex"})
	assertKind(t, "LocateChunks of a bad digest", err, registry.KindInvalid)
}

// testIndexOfRecipe stores a file as a recipe whose part boundaries are
// chunk boundaries: a chunk-aligned run of an indexed blob, then a blob too
// small to be indexed itself. Its chunks must be found through the recipe,
// as ranges of the whole blobs.
func testIndexOfRecipe(t *testing.T, s ChunkStore) {
	ctx := context.Background()
	a := randomBlob(6*MiB, 51)
	c := randomBlob(3*MiB+17, 52) // below IndexMinSize: indexed only through the recipe
	mustPut(t, s, a)
	mustPut(t, s, c)
	_, achunks := chunksOf(a.data)
	start := len(achunks[0]) + len(achunks[1])
	end := start
	for _, ch := range achunks[2:40] {
		end += len(ch)
	}
	f, r := assemble(part{a, start, end - start}, part{c, 0, len(c.data)})
	if _, err := s.PutRecipe(ctx, f.digest, r); err != nil {
		t.Fatal(err)
	}
	WaitIndexed(t, s)
	digests, chunks := chunksOf(f.data)
	assertLocated(t, s, digests, chunks)
	cdigests, _ := chunksOf(c.data)
	locs, err := s.LocateChunks(ctx, cdigests)
	if err != nil || len(locs) == 0 || locs[cdigests[0]].Blob != c.digest {
		t.Fatalf("chunks only the recipe holds were located at %v (%v); want ranges of %s", locs, err, c.digest)
	}
}

func testDeleteDropsIndex(t *testing.T, s ChunkStore) {
	ctx := context.Background()
	x := randomBlob(5*MiB, 41)
	mustPut(t, s, x)
	WaitIndexed(t, s)
	digests, _ := chunksOf(x.data)
	if err := s.Delete(ctx, x.digest); err != nil {
		t.Fatal(err)
	}
	locs, err := s.LocateChunks(ctx, digests)
	if err != nil || len(locs) != 0 {
		t.Fatalf("after Delete, %d chunks are still located (%v)", len(locs), err)
	}
}
