package fs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

func TestTouchRenewsModTimeOnly(t *testing.T) {
	root := t.TempDir()
	s := openChecked(t, root)
	ctx := context.Background()
	b := newBlob(3000, 61)
	put(t, s, b)
	hexDigest := strings.TrimPrefix(b.digest, "sha256:")
	file := filepath.Join(root, "sha256", hexDigest[:2], hexDigest)
	old := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	if err := os.Chtimes(file, old, old); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ModTime(ctx, b.digest); err != nil || !got.Equal(old) {
		t.Fatalf("ModTime = %v, %v; want %v", got, err, old)
	}
	if err := s.Touch(ctx, b.digest); err != nil {
		t.Fatal(err)
	}
	got, err := s.ModTime(ctx, b.digest)
	if err != nil || time.Since(got) > time.Minute {
		t.Fatalf("ModTime after Touch = %v, %v; want now", got, err)
	}
	err = s.Walk(ctx, func(info registry.BlobInfo) error {
		if !info.ModTime.Equal(got) {
			t.Errorf("Walk reports ModTime %v, ModTime says %v", info.ModTime, got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o444 {
		t.Fatalf("touched blob: %v, mode %v; want read-only", err, fi.Mode())
	}
	rc, _, err := s.Open(ctx, b.digest)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if data, _ := io.ReadAll(rc); !bytes.Equal(data, b.data) {
		t.Fatal("Touch changed the blob's bytes")
	}
}

func TestTouchAndModTimeErrors(t *testing.T) {
	s := openChecked(t, t.TempDir())
	ctx := context.Background()
	absent := newBlob(10, 62).digest
	if err := s.Touch(ctx, absent); !registry.Is(err, registry.KindNotFound) {
		t.Errorf("Touch of an absent blob: %v, want NOT_FOUND", err)
	}
	if _, err := s.ModTime(ctx, absent); !registry.Is(err, registry.KindNotFound) {
		t.Errorf("ModTime of an absent blob: %v, want NOT_FOUND", err)
	}
	if err := s.Touch(ctx, "sha256:nope"); !registry.Is(err, registry.KindInvalid) {
		t.Errorf("Touch of a bad digest: %v, want INVALID_ARGUMENT", err)
	}
	if _, err := s.ModTime(ctx, "md5:00"); !registry.Is(err, registry.KindInvalid) {
		t.Errorf("ModTime of a bad digest: %v, want INVALID_ARGUMENT", err)
	}
}

// A file stored as a recipe is touched through its recipe, and RecipeParts
// names the blob it reads.
func TestTouchRecipe(t *testing.T) {
	root := t.TempDir()
	s := openChecked(t, root)
	ctx := context.Background()
	b := newBlob(3000, 62)
	put(t, s, b)
	file := b.data[100:1100]
	sum := sha256.Sum256(file)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if _, err := s.PutRecipe(ctx, digest, registry.Recipe{Size: 1000, Parts: []registry.BlobRange{{Blob: b.digest, Offset: 100, Size: 1000}}}); err != nil {
		t.Fatal(err)
	}
	hexDigest := strings.TrimPrefix(digest, "sha256:")
	recipe := filepath.Join(root, "recipes", hexDigest[:2], hexDigest)
	old := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	if err := os.Chtimes(recipe, old, old); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ModTime(ctx, digest); err != nil || !got.Equal(old) {
		t.Fatalf("ModTime of a recipe = %v, %v; want %v", got, err, old)
	}
	if err := s.Touch(ctx, digest); err != nil {
		t.Fatalf("Touch of a recipe: %v", err)
	}
	if got, err := s.ModTime(ctx, digest); err != nil || time.Since(got) > time.Minute {
		t.Fatalf("ModTime of a recipe after Touch = %v, %v; want now", got, err)
	}
	if parts, err := s.RecipeParts(ctx, digest); err != nil || len(parts) != 1 || parts[0] != b.digest {
		t.Fatalf("RecipeParts = %v, %v; want [%s]", parts, err, b.digest)
	}
	if _, err := s.RecipeParts(ctx, b.digest); !registry.Is(err, registry.KindNotFound) {
		t.Fatalf("RecipeParts of a whole blob = %v; want NOT_FOUND", err)
	}
}
