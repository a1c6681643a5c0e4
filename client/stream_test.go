package client_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/modelry/modelry/client"
	"github.com/modelry/modelry/internal/api"
	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/storetest"
)

// realServer runs the real API on real stores in a temp dir, counting the
// upload requests by route; corrupt, when set, flips a byte of every
// streamed upload on its way in.
type realServer struct {
	mu      sync.Mutex
	uploads map[string]int // "POST" for streamed, "PUT" for digest-first
	corrupt bool
}

func startReal(t *testing.T) (*realServer, *client.Client) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	store, blobs := st.Meta, st.Blobs
	svc := registry.New(store, blobs)
	const secret = "mdl_stream_test_admin_0123456789"
	if _, err := svc.Bootstrap(ctx, secret); err != nil {
		t.Fatal(err)
	}
	rs := &realServer{uploads: map[string]int{}}
	h := api.New(svc, api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v1/blobs") && (r.Method == "PUT" || r.Method == "POST" && r.URL.Path == "/api/v1/blobs") {
			rs.mu.Lock()
			rs.uploads[r.Method]++
			corrupt := rs.corrupt && r.Method == "POST"
			rs.mu.Unlock()
			if corrupt {
				r.Body = &flipFirstByte{r: r.Body}
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return rs, client.New(srv.URL, client.WithToken(secret))
}

type flipFirstByte struct {
	r    io.ReadCloser
	done bool
}

func (f *flipFirstByte) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if n > 0 && !f.done {
		p[0] ^= 0xff
		f.done = true
	}
	return n, err
}

func (f *flipFirstByte) Close() error { return f.r.Close() }

func writeRandom(t *testing.T, path string, size int) []byte {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return data
}

// TestPushStreamsNewLargeFiles checks that a large file of a size the server
// has never seen is uploaded without a hashing pass first (one POST), that
// a second new file of the same size goes the digest-first way, and that a
// re-push sends nothing.
func TestPushStreamsNewLargeFiles(t *testing.T) {
	rs, c := startReal(t)
	ctx := context.Background()
	dir := t.TempDir()
	const size = 9<<20 + 17
	big := writeRandom(t, filepath.Join(dir, "weights.bin"), size)
	writeRandom(t, filepath.Join(dir, "twin.bin"), size) // same size, other bytes
	writeRandom(t, filepath.Join(dir, "config.json"), 100)

	v, rep, err := c.Push(ctx, "llm", []string{dir}, client.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.UploadedBytes != 2*size+100 || rep.BlobsUploaded != 3 || rep.BlobsSkipped != 0 {
		t.Fatalf("report = %+v", rep)
	}
	if rs.uploads["POST"] != 1 || rs.uploads["PUT"] != 2 {
		t.Fatalf("uploads by method = %v; want 1 streamed and 2 digest-first", rs.uploads)
	}
	pulled := t.TempDir()
	if _, err := c.Pull(ctx, "llm/1", pulled, client.PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(pulled, "weights.bin")); !bytes.Equal(got, big) {
		t.Fatal("streamed file did not round-trip")
	}
	_, rep, err = c.Push(ctx, "llm", []string{dir}, client.PushOptions{})
	if err != nil || rep.UploadedBytes != 0 || rep.BlobsSkipped != 3 {
		t.Fatalf("re-push: %+v, %v", rep, err)
	}
	if rs.uploads["POST"] != 1 {
		t.Fatalf("re-push streamed again: %v", rs.uploads)
	}
	_ = v
}

// TestPushDetectsBytesChangedInTransit corrupts a streamed upload on its way
// to the server: the digests disagree, and no version is created.
func TestPushDetectsBytesChangedInTransit(t *testing.T) {
	rs, c := startReal(t)
	rs.corrupt = true
	ctx := context.Background()
	dir := t.TempDir()
	writeRandom(t, filepath.Join(dir, "weights.bin"), 9<<20)
	_, _, err := c.Push(ctx, "llm", []string{dir}, client.PushOptions{})
	if err == nil || !strings.Contains(err.Error(), "changed while it was being pushed") {
		t.Fatalf("err = %v, want a changed-file error", err)
	}
	if _, err := c.Resolve(ctx, "llm"); !client.IsNotFound(err) {
		t.Fatalf("a failed push created a version: %v", err)
	}
}
