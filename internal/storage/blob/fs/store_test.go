package fs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/cdc"
	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/blob/blobtest"
	"github.com/modelry/modelry/internal/storage/blob/fs"
)

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []fs.Option
	}{
		{"directIO", nil},
		{"buffered", []fs.Option{fs.WithDirectIO(false)}},
		{"oneSlot", []fs.Option{fs.WithMaxConcurrentPuts(1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blobtest.Run(t, func(t *testing.T) registry.BlobStore {
				return openChecked(t, t.TempDir(), tc.opts...)
			})
		})
	}
}

// TestConformanceTmpfs runs the suite on tmpfs, whose O_DIRECT support
// depends on the kernel: with or without it, Put must work.
func TestConformanceTmpfs(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const shm = "/dev/shm"
	if fi, err := os.Stat(shm); err != nil || !fi.IsDir() {
		t.Skip("no /dev/shm")
	}
	blobtest.Run(t, func(t *testing.T) registry.BlobStore {
		dir, err := os.MkdirTemp(shm, "modelry-blobtest-")
		if err != nil {
			t.Skipf("cannot use %s: %v", shm, err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		return openChecked(t, dir)
	})
}

// openChecked opens a store at dir and, when the test ends, checks that no
// upload is left in tmp/ and that Usage agrees with the files on disk.
func openChecked(t *testing.T, dir string, opts ...fs.Option) *fs.Store {
	t.Helper()
	s, err := fs.Open(dir, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		s.Close()
		if left := tempFiles(t, dir); len(left) > 0 {
			t.Errorf("uploads left in tmp/: %v", left)
		}
		count, bytes := s.Usage()
		wantCount, wantBytes := diskUsage(t, dir)
		if count != wantCount || bytes != wantBytes {
			t.Errorf("Usage() = %d blobs, %d bytes; the disk has %d blobs, %d bytes", count, bytes, wantCount, wantBytes)
		}
	})
	return s
}

func tempFiles(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, "tmp"))
	if err != nil {
		t.Fatalf("reading tmp/: %v", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// diskUsage counts the files under sha256/ without the store's help.
func diskUsage(t *testing.T, root string) (count, bytes int64) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(root, "sha256", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		count++
		bytes += fi.Size()
	}
	return count, bytes
}

type testBlob struct {
	data   []byte
	digest string
}

func newBlob(size int, seed uint64) testBlob {
	data := make([]byte, size)
	var key [32]byte
	key[0] = byte(seed)
	rand.NewChaCha8(key).Read(data)
	sum := sha256.Sum256(data)
	return testBlob{data: data, digest: "sha256:" + hex.EncodeToString(sum[:])}
}

func put(t *testing.T, s *fs.Store, b testBlob) {
	t.Helper()
	if err := s.Put(context.Background(), b.digest, int64(len(b.data)), bytes.NewReader(b.data)); err != nil {
		t.Fatalf("Put: %v", err)
	}
}

func TestLayout(t *testing.T) {
	root := t.TempDir()
	s := openChecked(t, root)
	b := newBlob(5*1024*1024+3, 1)
	put(t, s, b)
	hexDigest := strings.TrimPrefix(b.digest, "sha256:")
	path := filepath.Join(root, "sha256", hexDigest[:2], hexDigest)
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("blob not at %s: %v", path, err)
	}
	if !bytes.Equal(got, b.data) {
		t.Fatalf("%s holds %d other bytes", path, len(got))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o222 != 0 {
		t.Errorf("blob mode %v is writable; blobs are immutable", fi.Mode())
	}
	shards, _ := filepath.Glob(filepath.Join(root, "sha256", "*"))
	if len(shards) != 1 {
		t.Errorf("shard folders %v; want only the one holding the blob", shards)
	}
}

func TestOpenReturnsFile(t *testing.T) {
	s := openChecked(t, t.TempDir())
	b := newBlob(100, 2)
	put(t, s, b)
	rc, _, err := s.Open(context.Background(), b.digest)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, ok := rc.(*os.File); !ok {
		t.Fatalf("Open returned %T; want *os.File so HTTP serving can use sendfile", rc)
	}
}

func TestUsage(t *testing.T) {
	root := t.TempDir()
	s := openChecked(t, root)
	ctx := context.Background()
	a, b, c := newBlob(1000, 3), newBlob(5*1024*1024, 4), newBlob(0, 5)
	for _, x := range []testBlob{a, b, c, b} {
		put(t, s, x)
	}
	s.Put(ctx, a.digest, 1000, bytes.NewReader(b.data[:1000])) // fails: counts nothing
	assertUsage(t, s, 3, 1000+5*1024*1024)
	if err := s.Delete(ctx, a.digest); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, a.digest); err != nil {
		t.Fatal(err)
	}
	assertUsage(t, s, 2, 5*1024*1024)

	reopened := openChecked(t, root)
	assertUsage(t, reopened, 2, 5*1024*1024)
}

func assertUsage(t *testing.T, s *fs.Store, count, bytes int64) {
	t.Helper()
	if c, b := s.Usage(); c != count || b != bytes {
		t.Fatalf("Usage() = %d blobs, %d bytes; want %d, %d", c, b, count, bytes)
	}
}

func TestWalk(t *testing.T) {
	root := t.TempDir()
	s := openChecked(t, root)
	want := map[string]int64{}
	for i := range 20 {
		b := newBlob(i*100, uint64(10+i))
		put(t, s, b)
		want[b.digest] = int64(len(b.data))
	}
	// Files that are not blobs are skipped.
	os.WriteFile(filepath.Join(root, "sha256", "ab", "README"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(root, "sha256", "ab", strings.Repeat("cd", 32)), []byte("x"), 0o644)

	got := map[string]int64{}
	var order []string
	start := time.Now().Add(-time.Minute)
	err := s.Walk(context.Background(), func(b registry.BlobInfo) error {
		digest, size, modTime := b.Digest, b.Size, b.ModTime
		got[digest] = size
		order = append(order, digest)
		if modTime.Before(start) {
			t.Errorf("%s modTime %v is before the test started", digest, modTime)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if len(got) != len(want) {
		t.Errorf("Walk saw %d blobs, want %d", len(got), len(want))
	}
	for d, size := range want {
		if got[d] != size {
			t.Errorf("Walk: %s size %d, want %d", d, got[d], size)
		}
	}
	if !slices.IsSorted(order) {
		t.Errorf("Walk order is not digest order: %v", order)
	}
	os.Remove(filepath.Join(root, "sha256", "ab", "README"))
	os.Remove(filepath.Join(root, "sha256", "ab", strings.Repeat("cd", 32)))
}

func TestWalkStops(t *testing.T) {
	s := openChecked(t, t.TempDir())
	for i := range 5 {
		put(t, s, newBlob(10, uint64(40+i)))
	}
	stop := errors.New("stop")
	calls := 0
	err := s.Walk(context.Background(), func(registry.BlobInfo) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Fatalf("Walk = %v after %d calls; want the callback's error after 1", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Walk(ctx, func(registry.BlobInfo) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Walk with a cancelled context = %v", err)
	}
}

func TestOpenRemovesStaleUploads(t *testing.T) {
	root := t.TempDir()
	s := openChecked(t, root)
	b := newBlob(1000, 50)
	put(t, s, b)
	tmp := filepath.Join(root, "tmp")
	for _, name := range []string{"put-0123456789ab-0000000000000001", "junk"} {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte("partial"), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(tmp, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	reopened := openChecked(t, root)
	if left := tempFiles(t, root); len(left) != 0 {
		t.Fatalf("Open left %v in tmp/", left)
	}
	if size, err := reopened.Stat(context.Background(), b.digest); err != nil || size != 1000 {
		t.Fatalf("stored blob after reopen: Stat = %d, %v", size, err)
	}
}

// TestRePutTouches: putting a stored blob again renews its modTime, which
// garbage collection reads as the start of its grace period.
func TestRePutTouches(t *testing.T) {
	root := t.TempDir()
	s := openChecked(t, root)
	b := newBlob(1000, 60)
	put(t, s, b)
	old := time.Now().Add(-48 * time.Hour)
	hexDigest := strings.TrimPrefix(b.digest, "sha256:")
	if err := os.Chtimes(filepath.Join(root, "sha256", hexDigest[:2], hexDigest), old, old); err != nil {
		t.Fatal(err)
	}
	put(t, s, b)
	seen := 0
	err := s.Walk(context.Background(), func(b registry.BlobInfo) error {
		digest, modTime := b.Digest, b.ModTime
		seen++
		if time.Since(modTime) > time.Hour {
			t.Errorf("%s modTime %v was not renewed by the second Put", digest, modTime)
		}
		return nil
	})
	if err != nil || seen != 1 {
		t.Fatalf("Walk = %v after seeing %d blobs; want nil after 1", err, seen)
	}
}

// gateReader serves data once gate is closed; entered is closed on the
// first Read.
type gateReader struct {
	data    []byte
	gate    chan struct{}
	entered chan struct{}
	once    sync.Once
}

func (g *gateReader) Read(p []byte) (int, error) {
	g.once.Do(func() { close(g.entered) })
	<-g.gate
	if len(g.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.data)
	g.data = g.data[n:]
	return n, nil
}

// TestMaxConcurrentPuts: with one slot, a second Put waits for the first
// and gives up when its context ends.
func TestMaxConcurrentPuts(t *testing.T) {
	s := openChecked(t, t.TempDir(), fs.WithMaxConcurrentPuts(1))
	first, second := newBlob(1000, 70), newBlob(1000, 71)
	r := &gateReader{data: first.data, gate: make(chan struct{}), entered: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- s.Put(context.Background(), first.digest, 1000, r) }()
	<-r.entered

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := s.Put(ctx, second.digest, 1000, bytes.NewReader(second.data))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Put while the only slot is taken = %v; want it to wait until its deadline", err)
	}
	close(r.gate)
	if err := <-done; err != nil {
		t.Fatalf("first Put: %v", err)
	}
	put(t, s, second) // the slot is free again
}

func TestChunkConformance(t *testing.T) {
	blobtest.RunChunks(t, func(t *testing.T) blobtest.ChunkStore {
		return openChecked(t, t.TempDir())
	})
}

// TestChunkIndexSurvivesReopen checks that chunk lists persist, and that a
// file whose list is missing (a crash before the indexer ran) is indexed
// again at Open.
func TestChunkIndexSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	data := make([]byte, 6<<20)
	rand.NewChaCha8([32]byte{7}).Read(data)
	sum := sha256.Sum256(data)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	first := digestOfFirstChunk(data)

	s, err := fs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, digest, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	blobtest.WaitIndexed(t, s)
	s.Close()
	for _, lose := range []bool{false, true} {
		if lose {
			os.RemoveAll(filepath.Join(dir, "chunks"))
		}
		s := openChecked(t, dir)
		blobtest.WaitIndexed(t, s)
		locs, err := s.LocateChunks(ctx, []string{first})
		if err != nil || locs[first].Blob != digest {
			t.Fatalf("after reopening (chunk lists lost: %v), first chunk located at %v (%v)", lose, locs, err)
		}
		s.Close()
	}
}

func digestOfFirstChunk(data []byte) string {
	return registry.ChunkDigest(data[:cdc.Cut(data)])
}

// TestRecipeOfManyBlobs reads a recipe drawing on more blobs than a reader
// keeps open at once, back and forth.
func TestRecipeOfManyBlobs(t *testing.T) {
	s := openChecked(t, t.TempDir())
	ctx := context.Background()
	var file []byte
	var parts []registry.BlobRange
	var blobs [][]byte
	for i := range 20 {
		b := bytes.Repeat([]byte{byte(i)}, 1000+i)
		sum := sha256.Sum256(b)
		d := "sha256:" + hex.EncodeToString(sum[:])
		if err := s.Put(ctx, d, int64(len(b)), bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, b)
		parts = append(parts, registry.BlobRange{Blob: d, Offset: 1, Size: 500})
	}
	for i := range parts {
		file = append(file, blobs[i][1:501]...)
	}
	parts = append(parts, parts[0], parts[19], parts[0]) // back to early blobs
	file = append(file, blobs[0][1:501]...)
	file = append(file, blobs[19][1:501]...)
	file = append(file, blobs[0][1:501]...)
	sum := sha256.Sum256(file)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if _, err := s.PutRecipe(ctx, digest, registry.Recipe{Size: int64(len(file)), Parts: parts}); err != nil {
		t.Fatal(err)
	}
	rc, _, err := s.Open(ctx, digest)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, file) {
		t.Fatalf("read %d bytes (%v); want the %d bytes of the recipe", len(got), err, len(file))
	}
}

// TestDeleteKeepsSharedChunksLocated checks that deleting a file does not
// make the index forget chunks another stored file still holds: the index
// keeps one location per chunk, and that one may be in the deleted file.
func TestDeleteKeepsSharedChunksLocated(t *testing.T) {
	s := openChecked(t, t.TempDir())
	defer s.Close()
	ctx := context.Background()
	a := make([]byte, 6<<20)
	rand.NewChaCha8([32]byte{9}).Read(a)
	c := slices.Clone(a)
	rand.NewChaCha8([32]byte{10}).Read(c[3<<20 : 3<<20+4096]) // one chunk or two differ
	var digests []string
	for _, data := range [][]byte{a, c} {
		sum := sha256.Sum256(data)
		d := "sha256:" + hex.EncodeToString(sum[:])
		digests = append(digests, d)
		if err := s.Put(ctx, d, int64(len(data)), bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		blobtest.WaitIndexed(t, s)
	}
	first := digestOfFirstChunk(c)
	if err := s.Delete(ctx, digests[0]); err != nil {
		t.Fatal(err)
	}
	blobtest.WaitIndexed(t, s)
	locs, err := s.LocateChunks(ctx, []string{first})
	if err != nil || locs[first].Blob != digests[1] {
		t.Fatalf("after deleting a file, a chunk the other stored file holds is located at %v (%v); want in %s", locs, err, digests[1])
	}
}

// TestVerifiedRecipeStillChecksParts checks that a recipe VerifyRecipe
// hashed is refused by PutRecipe when a part went away meanwhile, and that
// VerifyRecipe refuses wrong bytes.
func TestVerifiedRecipeStillChecksParts(t *testing.T) {
	s := openChecked(t, t.TempDir())
	defer s.Close()
	ctx := context.Background()
	a := newBlob(1<<20, 3)
	put(t, s, a)
	part := a.data[10:5000]
	sum := sha256.Sum256(part)
	d := "sha256:" + hex.EncodeToString(sum[:])
	r := registry.Recipe{Size: int64(len(part)), Parts: []registry.BlobRange{{Blob: a.digest, Offset: 10, Size: int64(len(part))}}}
	wrong := registry.Recipe{Size: r.Size, Parts: []registry.BlobRange{{Blob: a.digest, Offset: 11, Size: r.Size}}}
	if err := s.VerifyRecipe(ctx, d, wrong); !registry.Is(err, registry.KindDigestMismatch) {
		t.Fatalf("VerifyRecipe of wrong bytes = %v; want %s", err, registry.KindDigestMismatch)
	}
	if err := s.VerifyRecipe(ctx, d, r); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, a.digest); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutRecipe(ctx, d, r); !registry.Is(err, registry.KindInvalid) {
		t.Fatalf("PutRecipe after its part was deleted = %v; want %s", err, registry.KindInvalid)
	}
	if _, err := s.Stat(ctx, d); !registry.Is(err, registry.KindNotFound) {
		t.Fatalf("Stat of the refused recipe = %v; want %s", err, registry.KindNotFound)
	}
}
