package api

import (
	"context"
	"net/http"

	"github.com/modelry/modelry/internal/registry"
)

// lineage answers GET /api/v1/lineage?ref=REF&depth=N: what made a version.
func (h *Handler) lineage(w http.ResponseWriter, r *http.Request) error {
	return h.graph(w, r, h.svc.Lineage)
}

// usedBy answers GET /api/v1/used-by?ref=REF&depth=N: what a version (or,
// for a bare name, any version of it) went into.
func (h *Handler) usedBy(w http.ResponseWriter, r *http.Request) error {
	return h.graph(w, r, h.svc.UsedBy)
}

func (h *Handler) graph(w http.ResponseWriter, r *http.Request, walk func(ctx context.Context, ref string, depth int) (registry.Graph, error)) error {
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		return registry.E(registry.KindInvalid, "query parameter ref is required, e.g. ?ref=churn/3")
	}
	depth, err := queryInt(r, "depth", 0)
	if err != nil {
		return err
	}
	// 0 means "the default" to the registry, so an explicit depth=0 is
	// refused here; other depths out of range the registry refuses.
	if depth == 0 && r.URL.Query().Get("depth") != "" {
		return registry.E(registry.KindInvalid, "query parameter depth=0 is out of range; use 1 to %d (default %d)",
			registry.MaxGraphDepth, registry.DefaultGraphDepth)
	}
	g, err := walk(r.Context(), ref, int(depth))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, g)
}
