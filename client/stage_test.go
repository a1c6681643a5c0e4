package client

import (
	"context"
	"reflect"
	"testing"
)

// TestStagerPlan checks how a file's chunks become a recipe: held chunks
// become ranges of the server's blobs, neighbours merge, and a new chunk
// that repeats is uploaded once.
func TestStagerPlan(t *testing.T) {
	chunks := []chunkRef{
		{off: 0, size: 10, digest: "a"},  // held, blob X 100..110
		{off: 10, size: 20, digest: "b"}, // held, continues a: merges
		{off: 30, size: 5, digest: "n"},  // new
		{off: 35, size: 7, digest: "m"},  // new, continues n in the file and the new blob
		{off: 42, size: 5, digest: "n"},  // new again: reuses n's bytes
		{off: 47, size: 8, digest: "c"},  // held elsewhere in X
		{off: 55, size: 3, digest: "z"},  // located with another size: treated as new
	}
	found := map[string]BlobRange{
		"a": {Blob: "X", Offset: 100, Size: 10},
		"b": {Blob: "X", Offset: 110, Size: 20},
		"c": {Blob: "X", Offset: 0, Size: 8},
		"z": {Blob: "Y", Offset: 0, Size: 4},
	}
	s := newStager(context.Background(), nil, &localFile{size: 58})
	s.found = found
	for _, ch := range chunks {
		s.plan(ch)
	}
	wantParts := []stagedPart{
		{BlobRange{Blob: "X", Offset: 100, Size: 30}, -1},
		{BlobRange{Offset: 0, Size: 12}, 0},
		{BlobRange{Offset: 0, Size: 5}, 0},
		{BlobRange{Blob: "X", Offset: 0, Size: 8}, -1},
		{BlobRange{Offset: 12, Size: 3}, 0},
	}
	if !reflect.DeepEqual(s.parts, wantParts) {
		t.Fatalf("parts =\n%+v\nwant\n%+v", s.parts, wantParts)
	}
	wantBatch := []BlobRange{{Offset: 30, Size: 12}, {Offset: 55, Size: 3}}
	if len(s.batches) != 1 || !reflect.DeepEqual(s.batches[0].ranges, wantBatch) || s.batches[0].size != 15 {
		t.Fatalf("new chunks = %+v; want one batch of %v, 15 bytes", s.batches, wantBatch)
	}
	if s.known != 38 || s.seen != 58 {
		t.Fatalf("known %d of %d bytes; want 38 of 58", s.known, s.seen)
	}
	if knownBytes(chunks, found) != 38 {
		t.Fatalf("knownBytes = %d, want 38", knownBytes(chunks, found))
	}
}

func TestWorthChunking(t *testing.T) {
	for _, tc := range []struct {
		known, size int64
		want        bool
	}{
		{0, 1 << 30, false},
		{1 << 20, 1 << 30, false},   // 1 MiB of 1 GiB: below 5%
		{60 << 20, 1 << 30, true},   // above 5%
		{1<<20 - 1, 4 << 20, false}, // below 1 MiB
		{1 << 20, 4 << 20, true},
	} {
		if got := worthChunking(tc.known, tc.size); got != tc.want {
			t.Errorf("worthChunking(%d, %d) = %v, want %v", tc.known, tc.size, got, tc.want)
		}
	}
}
