package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
)

// Chunk-level dedup (docs/storage.md, "Chunks and recipes"). A client splits
// a large file into content-defined chunks (internal/cdc), asks which chunks
// the server already holds, uploads only the others as one new blob, and
// then stores the file as a recipe: the ranges of stored blobs whose bytes,
// concatenated, are the file. The file keeps its SHA-256 digest and reads
// like any blob; only the store knows it is assembled.

// Limits of one call.
const (
	// MaxLocateQuery bounds the chunk digests one LocateChunks call may ask
	// about: about 150 MiB of a file at the 64 KiB average chunk.
	MaxLocateQuery = 10_000
	// MaxRecipeParts bounds a recipe; its JSON (about 110 bytes a part)
	// stays under the API's 64 MiB body limit. Neighbouring ranges are
	// merged, so even a 100 GiB file needs far fewer unless its chunks come
	// from everywhere; such a file is uploaded whole.
	MaxRecipeParts = 500_000
)

// BlobRange is a byte range of a blob stored whole.
type BlobRange struct {
	Blob   string `json:"blob"`
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
}

// Recipe describes a file as the concatenation of ranges of blobs stored
// whole. A part never names another recipe: recipes are flat.
type Recipe struct {
	Size  int64       `json:"size"`
	Parts []BlobRange `json:"parts"`
}

// ChunkStore is implemented by blob stores that keep recipes and an index
// of the chunks of the files they hold. It is optional: a store without it
// serves no chunk locations, and clients upload whole files.
type ChunkStore interface {
	// LocateChunks returns, for the chunk digests ("sha256:<hex>" of the
	// chunk's bytes) it knows, a range of a blob stored whole that holds
	// those bytes. Unknown digests are left out. Malformed digests are
	// KindInvalid.
	LocateChunks(ctx context.Context, digests []string) (map[string]BlobRange, error)
	// PutRecipe stores the file digest as the recipe r after checking that
	// every part's blob is stored and holds the range (KindInvalid
	// otherwise) and that the concatenated bytes hash to digest
	// (KindDigestMismatch). A part that names a recipe is replaced by the
	// ranges of that recipe. created is false when the file was already
	// stored, whole or as a recipe; then nothing changes. On error nothing
	// is stored.
	PutRecipe(ctx context.Context, digest string, r Recipe) (created bool, err error)
	// RecipeParts returns the distinct blobs the recipe of a file stored as
	// one reads from; KindNotFound when digest is not stored as a recipe.
	RecipeParts(ctx context.Context, digest string) ([]string, error)
}

// RecipeVerifier is implemented by chunk stores that can hash the bytes of
// a recipe ahead of PutRecipe. That takes as long as reading the file, so
// the service does it before it takes the reference lock: a collection
// waiting on the lock would otherwise hold back every push meanwhile. A
// PutRecipe of the same recipe then need not hash it again, since stored
// blobs never change.
type RecipeVerifier interface {
	// VerifyRecipe checks r as PutRecipe does and stores nothing.
	VerifyRecipe(ctx context.Context, digest string, r Recipe) error
}

// ChunkDigest returns the "sha256:<hex>" digest of a chunk's bytes.
func ChunkDigest(chunk []byte) string {
	sum := sha256.Sum256(chunk)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ValidateRecipe checks a recipe's shape: digests well formed, ranges not
// negative or empty, sizes adding up to Size, and at most MaxRecipeParts.
func ValidateRecipe(r Recipe) error {
	if r.Size < 0 {
		return E(KindInvalid, "recipe size %d is negative", r.Size)
	}
	if len(r.Parts) > MaxRecipeParts {
		return E(KindInvalid, "recipe has %d parts; the limit is %d", len(r.Parts), MaxRecipeParts)
	}
	var total int64
	for i, p := range r.Parts {
		if err := ValidateDigest(p.Blob); err != nil {
			return Wrap(KindInvalid, err, "recipe part %d", i)
		}
		if p.Offset < 0 || p.Size <= 0 {
			return E(KindInvalid, "recipe part %d: offset %d and size %d must be at least 0 and 1", i, p.Offset, p.Size)
		}
		if p.Size > r.Size-total { // not total+p.Size, which may overflow
			return E(KindInvalid, "recipe parts add up to more than the declared size %d", r.Size)
		}
		total += p.Size
	}
	if total != r.Size {
		return E(KindInvalid, "recipe parts add up to %d bytes, not the declared size %d", total, r.Size)
	}
	return nil
}

// LocateChunks returns where the server holds the chunks it knows, by
// digest (writer). Digests it does not know are left out of the map. The
// blobs holding them are touched, as MissingBlobs touches what it reports
// present.
func (s *Service) LocateChunks(ctx context.Context, digests []string) (map[string]BlobRange, error) {
	if _, err := require(ctx, RoleWriter); err != nil {
		return nil, err
	}
	if len(digests) > MaxLocateQuery {
		return nil, E(KindInvalid, "asked about %d chunks; the limit is %d per call", len(digests), MaxLocateQuery)
	}
	for _, d := range digests {
		if err := ValidateDigest(d); err != nil {
			return nil, err
		}
	}
	cs, ok := s.blobs.(ChunkStore)
	if !ok || len(digests) == 0 {
		return map[string]BlobRange{}, nil
	}
	locs, err := cs.LocateChunks(ctx, digests)
	if err != nil {
		return nil, err
	}
	// The client will not upload these chunks: renew the blobs holding
	// them, as MissingBlobs does, so a collection within the grace period
	// spares them until the recipe naming them is stored.
	gone := map[string]bool{}
	for _, r := range locs {
		if _, seen := gone[r.Blob]; seen {
			continue
		}
		_, err := s.referenceBlob(ctx, r.Blob)
		if err != nil && !Is(err, KindNotFound) {
			return nil, err
		}
		gone[r.Blob] = err != nil
	}
	for d, r := range locs {
		if gone[r.Blob] {
			delete(locs, d)
		}
	}
	return locs, nil
}

// PutRecipe stores a file as ranges of stored blobs (writer). See
// ChunkStore.PutRecipe for what is checked; created is false when the file
// was stored already.
func (s *Service) PutRecipe(ctx context.Context, digest string, r Recipe) (created bool, err error) {
	if _, err := require(ctx, RoleWriter); err != nil {
		return false, err
	}
	if err := ValidateDigest(digest); err != nil {
		return false, err
	}
	if err := ValidateRecipe(r); err != nil {
		return false, err
	}
	cs, ok := s.blobs.(ChunkStore)
	if !ok {
		return false, E(KindPrecondition, "this server's blob store does not keep recipes; upload the file %s whole", digest)
	}
	// The recipe will name the parts' blobs (and, for a part that is itself
	// a recipe, that recipe's blobs): reference them as a version creation
	// does, so a garbage collection running now cannot take them.
	refs, err := recipeReferences(ctx, s.blobs, cs, r)
	if err != nil {
		return false, err
	}
	if v, ok := cs.(RecipeVerifier); ok {
		if err := v.VerifyRecipe(ctx, digest, r); err != nil {
			return false, err
		}
	}
	err = s.ReferenceBlobs(ctx, refs, func() (err error) {
		created, err = cs.PutRecipe(ctx, digest, r)
		return err
	})
	return created, err
}

// recipeReferences lists, without repeats, the blobs a recipe's parts name
// and the blobs of those parts that are recipes themselves. A part that was
// never stored is the caller's mistake (KindInvalid); one deleted by a
// collection after this check is MISSING_BLOBS from ReferenceBlobs.
func recipeReferences(ctx context.Context, blobs BlobStatter, cs ChunkStore, r Recipe) ([]string, error) {
	seen := map[string]bool{}
	var refs []string
	add := func(d string) {
		if !seen[d] {
			seen[d] = true
			refs = append(refs, d)
		}
	}
	for _, p := range r.Parts {
		if seen[p.Blob] {
			continue
		}
		add(p.Blob)
		if _, err := blobs.Stat(ctx, p.Blob); Is(err, KindNotFound) {
			return nil, E(KindInvalid, "recipe part blob %s is not stored; upload it first", p.Blob)
		} else if err != nil {
			return nil, err
		}
		parts, err := cs.RecipeParts(ctx, p.Blob)
		if Is(err, KindNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, d := range parts {
			add(d)
		}
	}
	return refs, nil
}
