package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// TestDownloadFiles writes exactly the files it is given, replacing what
// stands in their way, and refuses corrupt bytes.
func TestDownloadFiles(t *testing.T) {
	fake, c := newFake(t)
	ctx := context.Background()
	v, err := c.Resolve(ctx, pushTree(t, c, map[string]string{"a.txt": "A", "sub/b.txt": "B", "ln": "->a.txt"}))
	if err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	os.MkdirAll(filepath.Join(dest, "a.txt", "in-the-way"), 0o755)
	os.WriteFile(filepath.Join(dest, "mine.txt"), []byte("mine"), 0o644)
	var want []File
	for _, f := range v.Files {
		if f.Path != "sub/b.txt" {
			want = append(want, f)
		}
	}
	rep, err := c.DownloadFiles(ctx, dest, want, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 1 || rep.Links != 1 || rep.DownloadedBytes != 1 {
		t.Errorf("report = %+v, want 1 file, 1 link, 1 byte", rep)
	}
	for name, content := range map[string]string{"a.txt": "A", "ln": "A", "mine.txt": "mine"} {
		if b, err := os.ReadFile(filepath.Join(dest, name)); err != nil || string(b) != content {
			t.Errorf("%s = %q, %v; want %q", name, b, err, content)
		}
	}
	if _, err := os.Stat(filepath.Join(dest, "sub")); err == nil {
		t.Errorf("DownloadFiles wrote sub/b.txt, which it was not given")
	}

	for _, f := range v.Files {
		if f.Path == "sub/b.txt" {
			fake.corrupt[f.Digest] = true
			if _, err := c.DownloadFiles(ctx, dest, []File{f}, PullOptions{}); !IsDigestMismatch(err) {
				t.Errorf("corrupt download: %v, want DIGEST_MISMATCH", err)
			}
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(dest, "sub")); len(entries) != 0 {
		t.Errorf("a corrupt download left %v behind", entries)
	}
	if _, err := c.DownloadFiles(ctx, dest, []File{{Path: "../x", Size: 1, Digest: v.Files[0].Digest}}, PullOptions{}); err == nil {
		t.Errorf("DownloadFiles accepted a path outside dest")
	}
}

func TestModelKind(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/models/old":
			w.Write([]byte(`{"name": "old"}`))
		case "/api/v1/models/sales":
			w.Write([]byte(`{"name": "sales", "kind": "dataset"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error": {"code": "NOT_FOUND", "message": "model not found"}}`))
		}
	}))
	defer srv.Close()
	c := New(srv.URL)
	for name, want := range map[string]string{"old": "model", "sales": "dataset"} {
		if got, err := c.ModelKind(context.Background(), name); err != nil || got != want {
			t.Errorf("ModelKind(%s) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := c.ModelKind(context.Background(), "nope"); !IsNotFound(err) {
		t.Errorf("ModelKind of a missing name: %v", err)
	}
}
