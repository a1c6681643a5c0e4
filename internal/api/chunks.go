package api

import (
	"net/http"

	"github.com/modelry/modelry/internal/registry"
)

type chunkDigests struct {
	Digests []string `json:"digests"`
}

type chunkLocations struct {
	Locations map[string]registry.BlobRange `json:"locations"`
}

// locateChunks answers where the server holds the chunks it knows, so a
// client uploads only the others (chunk-level dedup).
func (h *Handler) locateChunks(w http.ResponseWriter, r *http.Request) error {
	var req chunkDigests
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	locs, err := h.svc.LocateChunks(r.Context(), req.Digests)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, chunkLocations{Locations: locs})
}

// putRecipe stores a file as ranges of stored blobs; the store hashes the
// bytes they make before it answers.
func (h *Handler) putRecipe(w http.ResponseWriter, r *http.Request) error {
	digest := r.PathValue("digest")
	if err := registry.ValidateDigest(digest); err != nil {
		return err
	}
	var req registry.Recipe
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	created, err := h.svc.PutRecipe(r.Context(), digest, req)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(w, status, blobInfo{Digest: digest, Size: req.Size})
}
