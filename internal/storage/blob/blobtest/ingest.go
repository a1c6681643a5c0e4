package blobtest

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

// testIngest covers storing bytes whose digest the caller does not know.
func testIngest(t *testing.T, open Opener) {
	ctx := context.Background()
	t.Run("StoresUnderItsDigest", func(t *testing.T) {
		s := open(t)
		b := randomBlob(largeSize, 7)
		got, err := s.Ingest(ctx, int64(len(b.data)), plainReader{bytes.NewReader(b.data)})
		if err != nil || got != b.digest {
			t.Fatalf("Ingest = %s, %v; want %s", got, err, b.digest)
		}
		assertStored(t, s, b)
	})
	t.Run("AlreadyStored", func(t *testing.T) {
		s := open(t)
		b := randomBlob(5000, 8)
		mustPut(t, s, b)
		got, err := s.Ingest(ctx, int64(len(b.data)), plainReader{bytes.NewReader(b.data)})
		if err != nil || got != b.digest {
			t.Fatalf("Ingest of a stored blob = %s, %v", got, err)
		}
		assertStored(t, s, b)
	})
	t.Run("Truncated", func(t *testing.T) {
		s := open(t)
		b := randomBlob(5000, 9)
		_, err := s.Ingest(ctx, int64(len(b.data))+10, plainReader{bytes.NewReader(b.data)})
		assertKind(t, "Ingest of fewer bytes than declared", err, registry.KindInvalid)
		assertAbsent(t, s, b.digest)
	})
	t.Run("MoreBytesThanSize", func(t *testing.T) {
		s := open(t)
		b := randomBlob(5000, 10)
		_, err := s.Ingest(ctx, 4000, plainReader{bytes.NewReader(b.data)})
		assertKind(t, "Ingest of more bytes than declared", err, registry.KindDigestMismatch)
		assertAbsent(t, s, randomBlobPrefix(b, 4000).digest)
	})
	t.Run("Concurrent", func(t *testing.T) {
		s := open(t)
		b := randomBlob(largeSize, 11)
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Go(func() {
				var got string
				got, errs[i] = s.Ingest(ctx, int64(len(b.data)), plainReader{bytes.NewReader(b.data)})
				if errs[i] == nil && got != b.digest {
					t.Errorf("concurrent Ingest returned %s", got)
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("concurrent Ingest: %v", err)
			}
		}
		assertStored(t, s, b)
	})
}

// testHasSize checks the size index follows Put, Ingest and Delete.
func testHasSize(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	a, b := randomBlob(1234, 12), randomBlob(1234, 13)
	if s.HasSize(1234) {
		t.Fatal("an empty store has a blob of size 1234")
	}
	mustPut(t, s, a)
	if _, err := s.Ingest(ctx, 1234, plainReader{bytes.NewReader(b.data)}); err != nil {
		t.Fatal(err)
	}
	if !s.HasSize(1234) || s.HasSize(1235) {
		t.Fatal("HasSize does not follow stored blobs")
	}
	if err := s.Delete(ctx, a.digest); err != nil {
		t.Fatal(err)
	}
	if !s.HasSize(1234) {
		t.Fatal("deleting one of two blobs of a size forgot the size")
	}
	if err := s.Delete(ctx, b.digest); err != nil {
		t.Fatal(err)
	}
	if s.HasSize(1234) {
		t.Fatal("a size with no blob left is still reported")
	}
}

// randomBlobPrefix is the blob made of b's first n bytes.
func randomBlobPrefix(b blob, n int) blob {
	return blob{data: b.data[:n], digest: digestOf(b.data[:n])}
}
