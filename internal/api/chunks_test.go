package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/api"
	"github.com/modelry/modelry/internal/cdc"
	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/storetest"
	"github.com/modelry/modelry/internal/tracking"
)

func randomData(n int, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed, 'a', 'p', 'i'}).Read(b)
	return b
}

// chunkDigests cuts data with the registry's chunker.
func chunkDigests(data []byte) (digests []string, sizes []int) {
	for rest := data; len(rest) > 0; {
		n := cdc.Cut(rest)
		digests = append(digests, registry.ChunkDigest(rest[:n]))
		sizes = append(sizes, n)
		rest = rest[n:]
	}
	return digests, sizes
}

func (a *testAPI) waitIndexed() {
	a.t.Helper()
	ix := a.svc.Blobs().(interface{ IndexPending() int64 })
	for deadline := time.Now().Add(30 * time.Second); ix.IndexPending() > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			a.t.Fatal("chunk indexing did not finish in 30 s")
		}
	}
}

type locations struct {
	Locations map[string]registry.BlobRange `json:"locations"`
}

// storeRecipeFile stores a 6 MiB blob and a small one, and a file made of
// a chunk-aligned run of the first and all of the second as a recipe. It
// returns the file's bytes.
func storeRecipeFile(t *testing.T, a *testAPI) []byte {
	t.Helper()
	big, small := randomData(6<<20, 1), randomData(300_000, 2)
	a.do("PUT", "/api/v1/blobs/"+digestOf(big), a.writer, big).ok(201)
	a.do("PUT", "/api/v1/blobs/"+digestOf(small), a.writer, small).ok(201)
	a.waitIndexed()
	digests, sizes := chunkDigests(big)
	var locs locations
	a.do("POST", "/api/v1/chunks/locate", a.writer, map[string]any{"digests": digests[2:40]}).ok(200).decode(&locs)
	if len(locs.Locations) != 38 {
		t.Fatalf("located %d of 38 chunks of a stored blob", len(locs.Locations))
	}
	start := sizes[0] + sizes[1]
	first, last := locs.Locations[digests[2]], locs.Locations[digests[39]]
	if first.Blob != digestOf(big) || first.Offset != int64(start) {
		t.Fatalf("chunk 2 located at %+v; want %s at %d", first, digestOf(big), start)
	}
	end := int(last.Offset + last.Size)
	file := append(bytes.Clone(big[start:end]), small...)
	recipe := map[string]any{"size": len(file), "parts": []map[string]any{
		{"blob": digestOf(big), "offset": start, "size": end - start},
		{"blob": digestOf(small), "offset": 0, "size": len(small)},
	}}
	path := "/api/v1/blobs/" + digestOf(file) + "/recipe"
	a.do("PUT", path, a.writer, recipe).ok(201)
	a.do("PUT", path, a.writer, recipe).ok(200) // idempotent
	return file
}

// TestRecipeFileReadsLikeABlob stores a file as a recipe and reads it back
// the ways old clients and MLflow clients do: a blob GET with and without
// Range, a version's file, and the MLflow artifact proxy.
func TestRecipeFileReadsLikeABlob(t *testing.T) {
	a := newTestAPI(t)
	file := storeRecipeFile(t, a)
	d := digestOf(file)
	head := a.do("HEAD", "/api/v1/blobs/"+d, a.reader, nil).ok(200)
	if head.header.Get("Content-Length") != fmt.Sprint(len(file)) {
		t.Fatalf("HEAD Content-Length = %s, want %d", head.header.Get("Content-Length"), len(file))
	}
	if got := a.do("GET", "/api/v1/blobs/"+d, a.reader, nil).ok(200).body; !bytes.Equal(got, file) {
		t.Fatal("GET of a recipe-stored blob returned other bytes")
	}
	lo := len(file) - 300_010 // spans both parts
	r := a.do("GET", "/api/v1/blobs/"+d, a.reader, nil, "Range", fmt.Sprintf("bytes=%d-%d", lo, lo+99)).ok(206)
	if !bytes.Equal(r.body, file[lo:lo+100]) {
		t.Fatal("range GET of a recipe-stored blob returned other bytes")
	}
	manifest := []map[string]any{{"path": "model.bin", "size": len(file), "digest": d, "mode": 0o644}}
	a.do("POST", "/api/v1/models/chunky/versions", a.writer, map[string]any{"files": manifest}).ok(201)
	if got := a.do("GET", "/api/v1/models/chunky/versions/1/files/model.bin", a.reader, nil).ok(200).body; !bytes.Equal(got, file) {
		t.Fatal("version file GET returned other bytes")
	}
}

// TestRecipeFileThroughMLflowProxy reads a recipe-stored version file
// through the MLflow artifact proxy, as an MLflow client downloads a
// registered model.
func TestRecipeFileThroughMLflowProxy(t *testing.T) {
	st := storetest.Open(t)
	svc := registry.New(st.Meta, st.Blobs)
	if _, err := svc.Bootstrap(context.Background(), adminSecret); err != nil {
		t.Fatal(err)
	}
	h := api.New(svc, api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Tracking: tracking.New(st.Meta.Tracking(), st.Blobs)})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	a := &testAPI{t: t, url: srv.URL, svc: svc, blobRoot: st.BlobRoot, admin: adminSecret, writer: adminSecret, reader: adminSecret}
	file := storeRecipeFile(t, a)
	manifest := []map[string]any{{"path": "model.bin", "size": len(file), "digest": digestOf(file), "mode": 0o644}}
	a.do("POST", "/api/v1/models/chunky/versions", a.writer, map[string]any{"files": manifest}).ok(201)
	got := a.do("GET", "/api/2.0/mlflow-artifacts/artifacts/_modelry/models/chunky/versions/1/model.bin", a.reader, nil).ok(200).body
	if !bytes.Equal(got, file) {
		t.Fatal("MLflow artifact proxy returned other bytes for a recipe-stored file")
	}
}

func TestChunksBadInput(t *testing.T) {
	a := newTestAPI(t)
	blob := randomData(1<<20, 3)
	a.do("PUT", "/api/v1/blobs/"+digestOf(blob), a.writer, blob).ok(201)
	file := blob[100:200]
	d := digestOf(file)
	part := func(blob string, off, size int) map[string]any {
		return map[string]any{"blob": blob, "offset": off, "size": size}
	}
	recipe := func(size int, parts ...map[string]any) map[string]any {
		return map[string]any{"size": size, "parts": parts}
	}
	tooMany := make([]string, registry.MaxLocateQuery+1)
	for i := range tooMany {
		tooMany[i] = digestOf([]byte{byte(i), byte(i >> 8)})
	}
	absent := digestOf([]byte("absent"))
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code, hint                string
	}{
		{"locate without token", "POST", "/api/v1/chunks/locate", "", map[string]any{"digests": []string{}}, 401, "UNAUTHENTICATED", "token"},
		{"locate as reader", "POST", "/api/v1/chunks/locate", a.reader, map[string]any{"digests": []string{}}, 403, "PERMISSION_DENIED", "writer"},
		{"locate bad digest", "POST", "/api/v1/chunks/locate", a.writer, map[string]any{"digests": []string{"sha256:xyz"}}, 400, "INVALID_ARGUMENT", "digest"},
		{"locate too many", "POST", "/api/v1/chunks/locate", a.writer, map[string]any{"digests": tooMany}, 400, "INVALID_ARGUMENT", "limit is 10000"},
		{"locate not JSON", "POST", "/api/v1/chunks/locate", a.writer, []byte("digests"), 400, "INVALID_ARGUMENT", "JSON"},
		{"recipe as reader", "PUT", "/api/v1/blobs/" + d + "/recipe", a.reader, recipe(100, part(digestOf(blob), 100, 100)), 403, "PERMISSION_DENIED", "writer"},
		{"recipe bad digest", "PUT", "/api/v1/blobs/sha256:xyz/recipe", a.writer, recipe(100, part(digestOf(blob), 100, 100)), 400, "INVALID_ARGUMENT", "digest"},
		{"recipe missing blob", "PUT", "/api/v1/blobs/" + d + "/recipe", a.writer, recipe(100, part(absent, 0, 100)), 400, "INVALID_ARGUMENT", "not stored"},
		{"recipe range outside", "PUT", "/api/v1/blobs/" + d + "/recipe", a.writer, recipe(100, part(digestOf(blob), 1<<20-50, 100)), 400, "INVALID_ARGUMENT", "outside"},
		{"recipe sizes", "PUT", "/api/v1/blobs/" + d + "/recipe", a.writer, recipe(101, part(digestOf(blob), 100, 100)), 400, "INVALID_ARGUMENT", "add up"},
		{"recipe negative", "PUT", "/api/v1/blobs/" + d + "/recipe", a.writer, recipe(100, part(digestOf(blob), -1, 100)), 400, "INVALID_ARGUMENT", "offset"},
		{"recipe wrong bytes", "PUT", "/api/v1/blobs/" + d + "/recipe", a.writer, recipe(100, part(digestOf(blob), 101, 100)), 400, "DIGEST_MISMATCH", "hash to"},
		{"recipe not JSON", "PUT", "/api/v1/blobs/" + d + "/recipe", a.writer, []byte("{"), 400, "INVALID_ARGUMENT", "JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a.do(tc.method, tc.path, tc.token, tc.body, jsonCT...).fails(tc.status, tc.code, tc.hint)
		})
	}
	a.do("HEAD", "/api/v1/blobs/"+d, a.reader, nil).ok(404)
	if !strings.HasPrefix(d, "sha256:") {
		t.Fatal(d)
	}
}
