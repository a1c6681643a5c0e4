package fs

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/modelry/modelry/internal/registry"
)

// Walk calls fn for every stored blob, in digest order, with its digest,
// size and modification time: when it was last Put, even if it was already
// stored, so garbage collection can spare blobs young enough to belong to
// a version still being committed. A file stored as a recipe is reported
// with the recipe's size and time and the blobs it uses as Parts (a whole
// blob wins when a digest is both). Blobs added or deleted during the walk
// may or may not be seen. An error from fn stops the walk and is returned
// as is; files that are not blobs or recipes are skipped.
func (s *Store) Walk(ctx context.Context, fn func(registry.BlobInfo) error) error {
	shards := map[string]bool{}
	for _, dir := range []string{blobDir, recipeDir} {
		entries, err := os.ReadDir(filepath.Join(s.root, dir))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return registry.Wrap(registry.KindInternal, err, "listing blobs")
		}
		for _, e := range entries {
			if e.IsDir() && len(e.Name()) == 2 {
				shards[e.Name()] = true
			}
		}
	}
	for _, shard := range slices.Sorted(maps.Keys(shards)) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.walkShard(shard, fn); err != nil {
			return err
		}
	}
	return nil
}

// walkShard reports the blobs and recipes of one shard, merged in order.
func (s *Store) walkShard(prefix string, fn func(registry.BlobInfo) error) error {
	blobs, err := listShard(filepath.Join(s.root, blobDir, prefix), prefix)
	if err != nil {
		return err
	}
	recipes, err := listShard(filepath.Join(s.root, recipeDir, prefix), prefix)
	if err != nil {
		return err
	}
	for len(blobs) > 0 || len(recipes) > 0 {
		var info registry.BlobInfo
		var ok bool
		switch {
		case len(recipes) == 0 || (len(blobs) > 0 && blobs[0].Name() <= recipes[0].Name()):
			if len(recipes) > 0 && blobs[0].Name() == recipes[0].Name() {
				recipes = recipes[1:]
			}
			info, ok, err = blobInfo(blobs[0])
			blobs = blobs[1:]
		default:
			info, ok, err = s.recipeInfo(recipes[0])
			recipes = recipes[1:]
		}
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := fn(info); err != nil {
			return err
		}
	}
	return nil
}

// listShard returns the entries of a shard folder named like digests.
func listShard(dir, prefix string) ([]os.DirEntry, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, registry.Wrap(registry.KindInternal, err, "listing blobs")
	}
	return slices.DeleteFunc(entries, func(e os.DirEntry) bool {
		return !e.Type().IsRegular() || registry.ValidateDigest("sha256:"+e.Name()) != nil || e.Name()[:2] != prefix
	}), nil
}

// blobInfo describes a blob file; ok is false when it was deleted since
// the folder was listed.
func blobInfo(e os.DirEntry) (registry.BlobInfo, bool, error) {
	fi, err := e.Info()
	if errors.Is(err, fs.ErrNotExist) {
		return registry.BlobInfo{}, false, nil
	}
	if err != nil {
		return registry.BlobInfo{}, false, registry.Wrap(registry.KindInternal, err, "listing blobs")
	}
	return registry.BlobInfo{Digest: "sha256:" + e.Name(), Size: fi.Size(), ModTime: fi.ModTime()}, true, nil
}

func (s *Store) recipeInfo(e os.DirEntry) (registry.BlobInfo, bool, error) {
	info, ok, err := blobInfo(e)
	if !ok || err != nil {
		return info, ok, err
	}
	r, err := s.readRecipe(info.Digest)
	if errors.Is(err, fs.ErrNotExist) {
		return info, false, nil
	}
	if err != nil {
		return info, false, registry.Wrap(registry.KindInternal, err, "listing blobs")
	}
	info.Size, info.Parts = r.Size, partBlobs(r)
	return info, true, nil
}
