package blob_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/blob"
	"github.com/modelry/modelry/internal/storage/blob/fs"
)

func TestOpenFilesystem(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tc := range []struct{ url, root string }{
		{"file://" + filepath.Join(dir, "a"), filepath.Join(dir, "a")},
		{"file://localhost" + filepath.Join(dir, "b"), filepath.Join(dir, "b")},
		{"file://" + filepath.Join(dir, "with space"), filepath.Join(dir, "with space")},
		{"file://" + filepath.Join(dir, "pct%20c"), filepath.Join(dir, "pct c")},
		{filepath.Join(dir, "d"), filepath.Join(dir, "d")},
		{"rel/e", filepath.Join(dir, "rel", "e")},
	} {
		t.Run(tc.url, func(t *testing.T) {
			s, err := blob.Open(context.Background(), tc.url)
			if err != nil {
				t.Fatalf("Open(%q): %v", tc.url, err)
			}
			fsStore, ok := s.(*fs.Store)
			if !ok {
				t.Fatalf("Open(%q) = %T; want *fs.Store", tc.url, s)
			}
			if fsStore.Root() != tc.root {
				t.Errorf("root = %q; want %q", fsStore.Root(), tc.root)
			}
			if fi, err := os.Stat(filepath.Join(tc.root, "sha256")); err != nil || !fi.IsDir() {
				t.Errorf("store folder not created under %s: %v", tc.root, err)
			}
		})
	}
}

func TestOpenRejects(t *testing.T) {
	for _, tc := range []struct{ url, mention string }{
		{"", "empty"},
		{"s3://bucket/prefix", `"s3"`},
		{"gopher://x/y", `"gopher"`},
		{"file://host/dir", "no host"},
		{"file://relative", "no host"},
		{"file://", "absolute path"},
		{"file:///tmp/x?mode=ro", "no query"},
		{"file:///tmp/x#frag", "no query"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			s, err := blob.Open(context.Background(), tc.url)
			if err == nil {
				t.Fatalf("Open(%q) = %T, nil; want an error", tc.url, s)
			}
			if !registry.Is(err, registry.KindInvalid) || !strings.Contains(registry.Message(err), tc.mention) {
				t.Errorf("Open(%q) error = %v; want %s mentioning %s", tc.url, err, registry.KindInvalid, tc.mention)
			}
		})
	}
}
