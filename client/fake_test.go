package client

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeServer is an in-memory stand-in for the blob and version routes that
// Push and Pull use, so that client logic can be tested alone. It verifies
// uploaded digests like the real server and records what it was asked.
type fakeServer struct {
	mu       sync.Mutex
	blobs    map[string][]byte
	versions []Version
	puts     []string // digests uploaded
	gets     []string // digests downloaded
	corrupt  map[string]bool
	failPuts int // answer this many PUTs by dropping the connection
}

func newFake(t *testing.T) (*fakeServer, *Client) {
	t.Helper()
	f := &fakeServer{blobs: map[string][]byte{}, corrupt: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/blobs/missing", f.missing)
	mux.HandleFunc("PUT /api/v1/blobs/{digest}", f.put)
	mux.HandleFunc("GET /api/v1/blobs/{digest}", f.get)
	mux.HandleFunc("POST /api/v1/models/{model}/versions", f.create)
	mux.HandleFunc("GET /api/v1/resolve", f.resolve)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, New(srv.URL, WithToken("secret"))
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (f *fakeServer) missing(w http.ResponseWriter, r *http.Request) {
	var in struct{ Digests []string }
	json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []string{}
	for _, d := range in.Digests {
		if _, ok := f.blobs[d]; !ok {
			out = append(out, d)
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"missing": out})
}

func (f *fakeServer) put(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if f.failPuts > 0 {
		f.failPuts--
		f.mu.Unlock()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
		return
	}
	f.mu.Unlock()
	if r.ContentLength < 0 {
		writeErr(w, 411, "LENGTH_REQUIRED", "send Content-Length")
		return
	}
	b, _ := io.ReadAll(r.Body)
	d := r.PathValue("digest")
	sum := sha256.Sum256(b)
	if "sha256:"+hex.EncodeToString(sum[:]) != d {
		writeErr(w, 400, "DIGEST_MISMATCH", "bytes do not match "+d)
		return
	}
	f.mu.Lock()
	f.blobs[d] = b
	f.puts = append(f.puts, d)
	f.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(Blob{Digest: d, Size: int64(len(b))})
}

func (f *fakeServer) get(w http.ResponseWriter, r *http.Request) {
	d := r.PathValue("digest")
	f.mu.Lock()
	b, ok := f.blobs[d]
	f.gets = append(f.gets, d)
	corrupt := f.corrupt[d]
	f.mu.Unlock()
	if !ok {
		writeErr(w, 404, "NOT_FOUND", "blob "+d+" not found")
		return
	}
	if corrupt {
		b = append([]byte{}, b...)
		b[len(b)/2] ^= 0xff
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

func (f *fakeServer) create(w http.ResponseWriter, r *http.Request) {
	var nv NewVersion
	json.NewDecoder(r.Body).Decode(&nv)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, file := range nv.Files {
		if _, ok := f.blobs[file.Digest]; !ok && !file.IsLink() {
			writeErr(w, 409, "MISSING_BLOBS", "blob "+file.Digest+" is missing")
			return
		}
	}
	v := Version{Model: r.PathValue("model"), Version: int64(len(f.versions) + 1), Label: nv.Label,
		Digest: "sha256:" + strings.Repeat("0", 64), Files: nv.Files, Metrics: nv.Metrics, Aliases: nv.Aliases}
	f.versions = append(f.versions, v)
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeServer) resolve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ref := r.URL.Query().Get("ref")
	for _, v := range f.versions {
		if v.Ref() == ref {
			json.NewEncoder(w).Encode(v)
			return
		}
	}
	writeErr(w, 404, "NOT_FOUND", "reference "+strconv.Quote(ref)+" names no version")
}
