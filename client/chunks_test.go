package client_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelry/modelry/client"
	"github.com/modelry/modelry/internal/api"
	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/blob/blobtest"
	"github.com/modelry/modelry/internal/storage/storetest"
)

// startChunkServer runs the real API on real stores; wait blocks until the
// server has indexed the chunks of what it stores.
func startChunkServer(t *testing.T, opts ...client.Option) (c *client.Client, wait func()) {
	c, wait, _ = startCountingChunkServer(t, opts...)
	return c, wait
}

// startCountingChunkServer is startChunkServer that also counts the
// streamed uploads (POST /api/v1/blobs), which carry new chunks.
func startCountingChunkServer(t *testing.T, opts ...client.Option) (c *client.Client, wait func(), posts *atomic.Int64) {
	t.Helper()
	st := storetest.Open(t)
	svc := registry.New(st.Meta, st.Blobs)
	const secret = "mdl_chunk_test_admin_0123456789"
	if _, err := svc.Bootstrap(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	h := api.New(svc, api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	posts = &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.URL.Path == "/api/v1/blobs" {
			posts.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return client.New(srv.URL, append([]client.Option{client.WithToken(secret)}, opts...)...),
		func() { blobtest.WaitIndexed(t, st.Blobs) }, posts
}

func seeded(n int, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

// TestPushChunked pushes a file, then versions of it with a changed
// region, with a grown header (new size, every offset moved) and with
// chunking off, and pulls each back.
func TestPushChunked(t *testing.T) {
	t.Run("default sizes", func(t *testing.T) { testPushChunked(t, 1) })
	t.Run("small segments", func(t *testing.T) {
		// 16 chunks (~1 MiB) per lookup and 256 KiB batches: new chunks go
		// up in several blobs while the file is still being chunked.
		defer client.SetStagingSizes(16, 256<<10)()
		testPushChunked(t, 2)
	})
}

// testPushChunked runs the pushes; the in-place change must send its new
// chunks in at least minBatches uploads.
func testPushChunked(t *testing.T, minBatches int64) {
	ctx := context.Background()
	c, wait, posts := startCountingChunkServer(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	base := seeded(24<<20, 1)

	inPlace := bytes.Clone(base)
	copy(inPlace[10<<20:], seeded(1<<20, 2))
	grown := append(seeded(37, 3), inPlace...)
	cases := []struct {
		name        string
		data        []byte
		noChunking  bool
		wantChunked bool
		maxSent     int64
	}{
		{"first push", base, false, false, 24 << 20},
		{"1 MiB changed in place", inPlace, false, true, 2 << 20},
		{"header grew by 37 bytes", grown, false, true, 1 << 20},
		{"chunking off", append(seeded(5, 4), base...), true, false, 24<<20 + 5},
		{"same size, all new", seeded(24<<20, 5), false, false, 24 << 20},
	}
	for i, tc := range cases {
		if err := os.WriteFile(path, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		postsBefore := posts.Load()
		v, rep, err := c.Push(ctx, "chunky", []string{path}, client.PushOptions{NoChunking: tc.noChunking})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if i == 1 && posts.Load()-postsBefore < minBatches {
			t.Fatalf("%s: new chunks went up in %d uploads; want at least %d", tc.name, posts.Load()-postsBefore, minBatches)
		}
		if (rep.ChunkedFiles == 1) != tc.wantChunked || rep.UploadedBytes > tc.maxSent {
			t.Fatalf("%s: report %+v; want chunked=%v and at most %d bytes sent", tc.name, rep, tc.wantChunked, tc.maxSent)
		}
		if tc.wantChunked && rep.UploadedBytes+rep.ReusedBytes != int64(len(tc.data)) {
			t.Fatalf("%s: sent %d + reused %d != %d", tc.name, rep.UploadedBytes, rep.ReusedBytes, len(tc.data))
		}
		dest := filepath.Join(dir, "pulled", tc.name)
		if _, err := c.Pull(ctx, v.Ref(), dest, client.PullOptions{}); err != nil {
			t.Fatalf("%s: pull: %v", tc.name, err)
		}
		got, err := os.ReadFile(filepath.Join(dest, "model.safetensors"))
		if err != nil || !bytes.Equal(got, tc.data) {
			t.Fatalf("%s: pulled file differs (%v)", tc.name, err)
		}
		if i == 0 {
			wait()
		}
	}
}

// TestPushRateLimit checks that --limit-rate paces uploads.
func TestPushRateLimit(t *testing.T) {
	c, _ := startChunkServer(t, client.WithUploadRateLimit(8<<20))
	path := filepath.Join(t.TempDir(), "w.bin")
	if err := os.WriteFile(path, seeded(3<<20, 9), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, _, err := c.Push(context.Background(), "paced", []string{path}, client.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	// 3 MiB at 8 MiB/s with a 0.8 MiB burst: at least 0.25 s.
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Fatalf("3 MiB pushed in %v at 8 MiB/s", d)
	}
}
