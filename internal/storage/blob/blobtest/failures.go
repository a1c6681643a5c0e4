package blobtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

// The failure tests: whatever goes wrong during a Put, nothing becomes
// visible and a blob stored before stays intact.

func testInvalidDigest(t *testing.T, open Opener) {
	hex := strings.TrimPrefix(randomBlob(10, 20).digest, "sha256:")
	for _, tc := range []struct{ name, digest string }{
		{"empty", ""},
		{"prefixOnly", "sha256:"},
		{"noPrefix", hex},
		{"uppercaseHex", "sha256:" + strings.ToUpper(hex)},
		{"uppercasePrefix", "SHA256:" + hex},
		{"otherAlgorithm", "sha512:" + hex},
		{"short", "sha256:" + hex[:63]},
		{"long", "sha256:" + hex + "0"},
		{"notHex", "sha256:" + hex[:63] + "g"},
		{"pathTraversal", "sha256:../../" + hex[:58]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			err := s.Put(ctx, tc.digest, 3, bytes.NewReader([]byte("abc")))
			assertKind(t, "Put", err, registry.KindInvalid)
			_, err = s.Stat(ctx, tc.digest)
			assertKind(t, "Stat", err, registry.KindInvalid)
			_, _, err = s.Open(ctx, tc.digest)
			assertKind(t, "Open", err, registry.KindInvalid)
			assertKind(t, "Delete", s.Delete(ctx, tc.digest), registry.KindInvalid)
		})
	}
}

func testNegativeSize(t *testing.T, open Opener) {
	s := open(t)
	b := randomBlob(0, 21)
	err := s.Put(context.Background(), b.digest, -1, bytes.NewReader(nil))
	assertKind(t, "Put with size -1", err, registry.KindInvalid)
	assertAbsent(t, s, b.digest)
}

func testWrongBytes(t *testing.T, open Opener) {
	for _, size := range []int{1000, largeSize} {
		t.Run(sizeName(size), func(t *testing.T) {
			s := open(t)
			want, got := randomBlob(size, 22), randomBlob(size, 23)
			err := s.Put(context.Background(), want.digest, int64(size), plainReader{bytes.NewReader(got.data)})
			assertKind(t, "Put of other bytes", err, registry.KindDigestMismatch)
			if msg := registry.Message(err); !strings.Contains(msg, want.digest) || !strings.Contains(msg, got.digest) {
				t.Errorf("message %q should name the expected %s and the actual %s", msg, want.digest, got.digest)
			}
			assertAbsent(t, s, want.digest)
			assertAbsent(t, s, got.digest)
		})
	}
}

func testTruncated(t *testing.T, open Opener) {
	for _, tc := range []struct {
		name       string
		size, sent int
	}{
		{"nothing", 1000, 0},
		{"oneShort", 1000, 999},
		{"midBlock", largeSize, 5*MiB + 17},
		{"atBlockBoundary", largeSize, 8 * MiB},
		{"tailMissing", largeSize, largeSize - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			b := randomBlob(tc.size, 24)
			err := s.Put(context.Background(), b.digest, int64(tc.size), plainReader{bytes.NewReader(b.data[:tc.sent])})
			assertKind(t, "Put of a truncated upload", err, registry.KindInvalid)
			assertAbsent(t, s, b.digest)
		})
	}
}

func testMoreBytesThanSize(t *testing.T, open Opener) {
	for _, size := range []int{0, 1000, 4 * MiB, largeSize} {
		t.Run(sizeName(size), func(t *testing.T) {
			s := open(t)
			// The first size bytes are exactly the blob: only the extra
			// byte at the end tells the upload is wrong.
			long := randomBlob(size+1, 25)
			b := blob{data: long.data[:size], digest: digestOf(long.data[:size])}
			err := s.Put(context.Background(), b.digest, int64(size), plainReader{bytes.NewReader(long.data)})
			assertKind(t, "Put of more bytes than size", err, registry.KindDigestMismatch)
			assertAbsent(t, s, b.digest)
			assertAbsent(t, s, long.digest)
		})
	}
}

func testFailingReader(t *testing.T, open Opener) {
	for _, failAt := range []int{0, 1, MiB, 4 * MiB, largeSize} {
		t.Run("after"+sizeName(failAt), func(t *testing.T) {
			s := open(t)
			b := randomBlob(largeSize, 26)
			err := s.Put(context.Background(), b.digest, largeSize, &failingReader{data: b.data, n: failAt})
			if !errors.Is(err, errBroken) {
				t.Fatalf("Put error = %v; want one wrapping the reader's %v", err, errBroken)
			}
			assertAbsent(t, s, b.digest)
		})
	}
}

func testCancelled(t *testing.T, open Opener) {
	t.Run("before", func(t *testing.T) {
		s := open(t)
		b := randomBlob(1000, 27)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		assertCancelled(t, s.Put(ctx, b.digest, 1000, plainReader{bytes.NewReader(b.data)}))
		assertAbsent(t, s, b.digest)
	})
	for _, tc := range []struct {
		name     string
		size, at int
	}{
		{"small", 1000, 500},
		{"midStream", largeSize, 5 * MiB},
		{"afterLastByte", largeSize, largeSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			b := randomBlob(tc.size, 28)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r := &cancellingReader{data: b.data, n: tc.at, cancel: cancel}
			assertCancelled(t, s.Put(ctx, b.digest, int64(tc.size), r))
			assertAbsent(t, s, b.digest)
		})
	}
	t.Run("blockedReader", func(t *testing.T) {
		s := open(t)
		b := randomBlob(largeSize, 29)
		assertCancelled(t, putBlocked(t, s, b, 5*MiB))
		assertAbsent(t, s, b.digest)
	})
}

// putBlocked puts b from a reader that blocks after n bytes, cancels the
// context once it blocks, and returns Put's error.
func putBlocked(t *testing.T, s registry.BlobStore, b blob, n int) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &blockingReader{ctx: ctx, data: b.data, n: n, started: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- s.Put(ctx, b.digest, int64(len(b.data)), r) }()
	select {
	case <-r.started:
	case err := <-done:
		t.Fatalf("Put returned %v before the reader blocked", err)
	}
	cancel()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Put did not return within 30s of its context being cancelled")
		return nil
	}
}

func assertCancelled(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put error = %v; want one wrapping %v", err, context.Canceled)
	}
}

// testBadPutKeepsExisting: a failed Put of a digest already stored leaves
// the stored blob intact and readable.
func testBadPutKeepsExisting(t *testing.T, open Opener) {
	good := randomBlob(largeSize, 30)
	other := randomBlob(largeSize, 31)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		r    io.Reader
		kind registry.Kind
	}{
		{"wrongBytes", context.Background(), bytes.NewReader(other.data), registry.KindDigestMismatch},
		{"truncated", context.Background(), bytes.NewReader(good.data[:MiB]), registry.KindInvalid},
		{"moreBytes", context.Background(), io.MultiReader(bytes.NewReader(good.data), strings.NewReader("x")), registry.KindDigestMismatch},
		{"failingReader", context.Background(), &failingReader{data: good.data, n: 5 * MiB}, ""},
		{"cancelled", cancelled, bytes.NewReader(good.data), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			mustPut(t, s, good)
			err := s.Put(tc.ctx, good.digest, largeSize, plainReader{tc.r})
			if err == nil {
				t.Fatal("Put of bad bytes for a stored digest succeeded")
			}
			if tc.kind != "" {
				assertKind(t, "Put", err, tc.kind)
			}
			assertStored(t, s, good)
		})
	}
}
