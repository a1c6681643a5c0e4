package api

import (
	"context"
	"net/http"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

type status struct {
	Status string `json:"status"`
}

func (h *Handler) healthz(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, status{"ok"})
}

func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := h.svc.Ready(ctx); err != nil {
		return registry.Wrap(registry.KindUnavailable, err, "metadata store is not answering")
	}
	return writeJSON(w, http.StatusOK, status{"ready"})
}

type whoami struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

func (h *Handler) whoami(w http.ResponseWriter, r *http.Request) error {
	p := registry.PrincipalFrom(r.Context())
	if p.Role == registry.RoleNone {
		return registry.E(registry.KindUnauthenticated, "no token given; pass one as 'Authorization: Bearer <token>'")
	}
	return writeJSON(w, http.StatusOK, whoami{Name: p.Name, Role: p.Role.String()})
}
