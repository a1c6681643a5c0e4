// Package storetest opens Modelry's default stores, a SQLite file and a
// filesystem blob store, in a test's temporary folder. It is for tests above
// the storage layer that want real stores rather than fakes; the stores'
// own behaviour is pinned by their conformance suites (metatest, blobtest).
package storetest

import (
	"path/filepath"
	"testing"

	"github.com/modelry/modelry/internal/storage/blob/fs"
	"github.com/modelry/modelry/internal/storage/meta/sqlite"
)

// Stores are the default stores in one temporary folder.
type Stores struct {
	Meta     *sqlite.Store
	Blobs    *fs.Store
	BlobRoot string // the blob store's folder, for tests that look at its files
}

// Open opens both stores in a new temporary folder of t; the metadata store
// and the blob store (its chunk indexer) are closed when t ends.
func Open(t testing.TB) Stores {
	t.Helper()
	dir := t.TempDir()
	meta, err := sqlite.Open(t.Context(), filepath.Join(dir, "modelry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { meta.Close() })
	root := filepath.Join(dir, "blobs")
	blobs, err := fs.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() }) // stops the chunk indexer before the folder goes
	return Stores{Meta: meta, Blobs: blobs, BlobRoot: root}
}
