// Package blobtest is the conformance suite for registry.BlobStore: the
// behaviour every blob backend (filesystem, S3, ...) must have, written once.
// A backend is done when Run passes against it.
//
// It holds only tests and their helpers; backend-specific checks (on-disk
// layout, temp files) live next to each backend.
package blobtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/modelry/modelry/internal/registry"
)

// Sizes that matter to a streaming store: the suite assumes nothing about
// a backend's buffers, but these cover 4 KiB alignment and several blocks of
// the common 1, 4 and 8 MiB sizes.
const (
	MiB       = 1 << 20
	largeSize = 9*MiB + 123 // several blocks and an unaligned tail
)

// Opener returns a new, empty store for one subtest. It registers its own
// cleanup with t, and may add checks there (for example, that no temporary
// files are left).
type Opener func(t *testing.T) registry.BlobStore

// Run runs the whole suite; every subtest gets a fresh store from open.
func Run(t *testing.T, open func(t *testing.T) registry.BlobStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"RoundTrip", testRoundTrip},
		{"OpenSeeks", testOpenSeeks},
		{"Empty", testEmpty},
		{"InvalidDigest", testInvalidDigest},
		{"NegativeSize", testNegativeSize},
		{"WrongBytes", testWrongBytes},
		{"Truncated", testTruncated},
		{"MoreBytesThanSize", testMoreBytesThanSize},
		{"FailingReader", testFailingReader},
		{"Cancelled", testCancelled},
		{"BadPutKeepsExisting", testBadPutKeepsExisting},
		{"RePut", testRePut},
		{"Concurrent", testConcurrent},
		{"Delete", testDelete},
		{"Absent", testAbsent},
		{"Ingest", testIngest},
		{"HasSize", testHasSize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

func testRoundTrip(t *testing.T, open Opener) {
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"plain", func(r io.Reader) io.Reader { return plainReader{r} }},
		{"half", iotest.HalfReader},       // short reads
		{"dataErr", iotest.DataErrReader}, // io.EOF with the last bytes
	}
	sizes := []int{1, 4095, 4096, 4097, MiB, 4*MiB + 1, largeSize}
	for _, rd := range readers {
		for i, size := range sizes {
			t.Run(rd.name+"/"+sizeName(size), func(t *testing.T) {
				s := open(t)
				b := randomBlob(size, uint64(i))
				if err := s.Put(context.Background(), b.digest, int64(size), rd.wrap(bytes.NewReader(b.data))); err != nil {
					t.Fatalf("Put: %v", err)
				}
				assertStored(t, s, b)
			})
		}
	}
}

func testOpenSeeks(t *testing.T, open Opener) {
	s := open(t)
	b := randomBlob(largeSize, 1)
	mustPut(t, s, b)
	rc, size, err := s.Open(context.Background(), b.digest)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	if size != int64(len(b.data)) {
		t.Fatalf("Open size = %d, want %d", size, len(b.data))
	}
	for _, off := range []int64{5*MiB + 7, 0, size - 10} {
		if _, err := rc.Seek(off, io.SeekStart); err != nil {
			t.Fatalf("Seek(%d): %v", off, err)
		}
		got := make([]byte, 10)
		if _, err := io.ReadFull(rc, got); err != nil {
			t.Fatalf("read at %d: %v", off, err)
		}
		if !bytes.Equal(got, b.data[off:off+10]) {
			t.Fatalf("bytes at offset %d differ", off)
		}
	}
	if end, err := rc.Seek(0, io.SeekEnd); err != nil || end != size {
		t.Fatalf("Seek to end = %d, %v; want %d", end, err, size)
	}
}

func testEmpty(t *testing.T, open Opener) {
	s := open(t)
	b := blob{data: []byte{}, digest: digestOf(nil)}
	if b.digest != "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatalf("digest of empty input = %s", b.digest)
	}
	if err := s.Put(context.Background(), b.digest, 0, plainReader{bytes.NewReader(nil)}); err != nil {
		t.Fatalf("Put empty blob: %v", err)
	}
	assertStored(t, s, b)
}

func testRePut(t *testing.T, open Opener) {
	s := open(t)
	b := randomBlob(largeSize, 2)
	mustPut(t, s, b)
	mustPut(t, s, b)
	assertStored(t, s, b)
}

func testConcurrent(t *testing.T, open Opener) {
	t.Run("SameDigest", func(t *testing.T) {
		s := open(t)
		b := randomBlob(largeSize, 3)
		errs := putAll(s, []blob{b, b, b, b, b, b, b, b})
		for i, err := range errs {
			if err != nil {
				t.Errorf("Put %d of 8: %v", i, err)
			}
		}
		assertStored(t, s, b)
	})
	t.Run("DifferentDigests", func(t *testing.T) {
		s := open(t)
		var blobs []blob
		for i := range 8 {
			blobs = append(blobs, randomBlob(MiB+i, uint64(10+i)))
		}
		for i, err := range putAll(s, blobs) {
			if err != nil {
				t.Errorf("Put %d of 8: %v", i, err)
			}
		}
		for _, b := range blobs {
			assertStored(t, s, b)
		}
	})
}

// putAll puts every blob at once, each from its own goroutine.
func putAll(s registry.BlobStore, blobs []blob) []error {
	errs := make([]error, len(blobs))
	var wg sync.WaitGroup
	for i, b := range blobs {
		wg.Go(func() {
			errs[i] = s.Put(context.Background(), b.digest, int64(len(b.data)), plainReader{bytes.NewReader(b.data)})
		})
	}
	wg.Wait()
	return errs
}

func testDelete(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	b, other := randomBlob(1000, 4), randomBlob(1000, 5)
	mustPut(t, s, b)
	mustPut(t, s, other)
	if err := s.Delete(ctx, b.digest); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	assertAbsent(t, s, b.digest)
	assertStored(t, s, other)
	if err := s.Delete(ctx, b.digest); err != nil {
		t.Fatalf("Delete of a deleted blob: %v", err)
	}
	if err := s.Delete(ctx, randomBlob(10, 6).digest); err != nil {
		t.Fatalf("Delete of a blob never stored: %v", err)
	}
	mustPut(t, s, b)
	assertStored(t, s, b)
}

func testAbsent(t *testing.T, open Opener) {
	s := open(t)
	mustPut(t, s, randomBlob(100, 7))
	d := randomBlob(100, 8).digest
	assertAbsent(t, s, d)
	_, err := s.Stat(context.Background(), d)
	if !strings.Contains(registry.Message(err), d) {
		t.Errorf("Stat error %q does not name the digest %s", registry.Message(err), d)
	}
}

func mustPut(t *testing.T, s registry.BlobStore, b blob) {
	t.Helper()
	if err := s.Put(context.Background(), b.digest, int64(len(b.data)), plainReader{bytes.NewReader(b.data)}); err != nil {
		t.Fatalf("Put %d bytes: %v", len(b.data), err)
	}
}

// assertStored checks that Stat and Open agree with b and that the stored
// bytes are b's.
func assertStored(t *testing.T, s registry.BlobStore, b blob) {
	t.Helper()
	ctx := context.Background()
	size, err := s.Stat(ctx, b.digest)
	if err != nil || size != int64(len(b.data)) {
		t.Fatalf("Stat = %d, %v; want %d, nil", size, err, len(b.data))
	}
	rc, size, err := s.Open(ctx, b.digest)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	if size != int64(len(b.data)) {
		t.Fatalf("Open size = %d, want %d", size, len(b.data))
	}
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading blob: %v", err)
	}
	if !bytes.Equal(got, b.data) {
		t.Fatalf("stored bytes differ: read %d bytes (digest %s), want %d bytes (%s)",
			len(got), digestOf(got), len(b.data), b.digest)
	}
}

// assertAbsent checks that Stat and Open say digest is not stored.
func assertAbsent(t *testing.T, s registry.BlobStore, digest string) {
	t.Helper()
	ctx := context.Background()
	if size, err := s.Stat(ctx, digest); !registry.Is(err, registry.KindNotFound) {
		t.Fatalf("Stat = %d, %v; want a %s error", size, err, registry.KindNotFound)
	}
	rc, _, err := s.Open(ctx, digest)
	if err == nil {
		rc.Close()
	}
	if !registry.Is(err, registry.KindNotFound) {
		t.Fatalf("Open error = %v; want a %s error", err, registry.KindNotFound)
	}
}

func assertKind(t *testing.T, what string, err error, kind registry.Kind) {
	t.Helper()
	if !registry.Is(err, kind) {
		t.Fatalf("%s: error = %v (kind %s); want kind %s", what, err, registry.KindOf(err), kind)
	}
}

func sizeName(n int) string {
	if n >= MiB {
		return fmt.Sprintf("%dMiB+%d", n/MiB, n%MiB)
	}
	return fmt.Sprint(n)
}
