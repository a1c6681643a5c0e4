package cli_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestGarbageCollectionKeepsChunkParts: a file stored as a recipe keeps the
// blobs it reads from, even when the version that uploaded them is gone;
// once nothing uses the recipe, it and its parts are collected.
func TestGarbageCollectionKeepsChunkParts(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "weights.bin")
	data := make([]byte, 12<<20)
	rand.NewChaCha8([32]byte{'g', 'c'}).Read(data)
	digestOf := func(b []byte) string {
		sum := sha256.Sum256(b)
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	write := func() {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write()
	v1 := digestOf(data)
	admin.ok(t, "push", "gc-chunky", path)
	waitIndexed(t)
	copy(data[4<<20:5<<20], bytes.Repeat([]byte("fine-tuned "), 1<<20/11+1))
	write()
	v2 := digestOf(data)
	var p pushJSON
	decode(t, admin.ok(t, "push", "gc-chunky", path, "-o", "json"), &p)
	if p.Push.ChunkedFiles != 1 {
		t.Fatalf("second push %+v; want its file stored as a recipe", p.Push)
	}

	admin.ok(t, "delete", "gc-chunky/1")
	admin.ok(t, "gc", "--grace", "0")
	if !blobStored(t, v1) || !blobStored(t, v2) {
		t.Fatalf("after gc: v1's blob stored %v, v2's recipe file stored %v; both must stay (v2 reads from v1's blob)", blobStored(t, v1), blobStored(t, v2))
	}
	dest := filepath.Join(dir, "pulled")
	admin.ok(t, "pull", "gc-chunky/2", "--dest", dest)
	if got, err := os.ReadFile(filepath.Join(dest, "weights.bin")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("v2 pulled after gc differs from what was pushed (%v)", err)
	}

	admin.ok(t, "delete", "gc-chunky/2")
	admin.ok(t, "gc", "--grace", "0")
	if blobStored(t, v1) || blobStored(t, v2) {
		t.Errorf("with no version left, v1's blob stored %v and v2's recipe file stored %v; want both collected", blobStored(t, v1), blobStored(t, v2))
	}
}
