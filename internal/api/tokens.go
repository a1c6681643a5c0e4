package api

import (
	"net/http"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

type newTokenRequest struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

type tokenJSON struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

type createdToken struct {
	tokenJSON
	Token string `json:"token"`
}

type tokenList struct {
	Tokens []tokenJSON `json:"tokens"`
}

func toTokenJSON(t registry.Token) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Role: t.Role.String(), CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, RevokedAt: t.RevokedAt}
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) error {
	var req newTokenRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	role, err := registry.ParseRole(req.Role)
	if err != nil {
		return err
	}
	secret, t, err := h.svc.CreateToken(r.Context(), req.Name, role)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, createdToken{tokenJSON: toTokenJSON(t), Token: secret})
}

func (h *Handler) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := h.svc.ListTokens(r.Context())
	if err != nil {
		return err
	}
	out := tokenList{Tokens: make([]tokenJSON, len(ts))}
	for i, t := range ts {
		out.Tokens[i] = toTokenJSON(t)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.RevokeToken(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
