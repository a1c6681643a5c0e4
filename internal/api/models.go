package api

import (
	"net/http"

	"github.com/modelry/modelry/internal/registry"
)

type newModelRequest struct {
	Name        string            `json:"name"`
	Kind        string            `json:"kind"`
	Description string            `json:"description"`
	Tags        map[string]string `json:"tags"`
}

type patchRequest struct {
	Description *string           `json:"description"`
	SetTags     map[string]string `json:"set_tags"`
	RemoveTags  []string          `json:"remove_tags"`
}

func (p patchRequest) patch() registry.Patch {
	return registry.Patch{Description: p.Description, SetTags: p.SetTags, RemoveTags: p.RemoveTags}
}

type modelList struct {
	Models        []registry.Model `json:"models"`
	NextPageToken string           `json:"next_page_token"`
}

func (h *Handler) listModels(w http.ResponseWriter, r *http.Request) error {
	page, err := queryPage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	ms, next, err := h.svc.ListModels(r.Context(), registry.ModelQuery{
		Kind: q.Get("kind"), Prefix: q.Get("prefix"), Tag: queryTag(r), Alias: q.Get("alias"), Page: page,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, modelList{Models: ms, NextPageToken: next})
}

func (h *Handler) createModel(w http.ResponseWriter, r *http.Request) error {
	var req newModelRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	m, err := h.svc.CreateModel(r.Context(), registry.NewModel(req))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

func (h *Handler) getModel(w http.ResponseWriter, r *http.Request) error {
	m, err := h.svc.GetModel(r.Context(), r.PathValue("model"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (h *Handler) updateModel(w http.ResponseWriter, r *http.Request) error {
	var req patchRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	m, err := h.svc.UpdateModel(r.Context(), r.PathValue("model"), req.patch())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (h *Handler) deleteModel(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.DeleteModel(r.Context(), r.PathValue("model")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
