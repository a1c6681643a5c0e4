package api

import (
	"net/http"

	"github.com/modelry/modelry/internal/registry"
)

type newVersionRequest struct {
	Label       string             `json:"label"`
	Description string             `json:"description"`
	Metrics     map[string]float64 `json:"metrics"`
	Params      map[string]string  `json:"params"`
	Tags        map[string]string  `json:"tags"`
	Source      registry.Source    `json:"source"`
	Files       []registry.File    `json:"files"`
	Aliases     []string           `json:"aliases"`
	Kind        string             `json:"kind"`
	Lineage     lineageRequest     `json:"lineage"`
}

// lineageRequest is the lineage a push declares, as references.
type lineageRequest struct {
	Datasets []struct {
		Role string `json:"role"`
		Ref  string `json:"ref"`
	} `json:"datasets"`
	Parent string `json:"parent"`
}

func (req newVersionRequest) newVersion() registry.NewVersion {
	nv := registry.NewVersion{
		Label: req.Label, Description: req.Description, Metrics: req.Metrics, Params: req.Params,
		Tags: req.Tags, Source: req.Source, Files: req.Files, Aliases: req.Aliases,
		Kind: req.Kind, Lineage: registry.LineageInput{Parent: req.Lineage.Parent},
	}
	for _, d := range req.Lineage.Datasets {
		nv.Lineage.Datasets = append(nv.Lineage.Datasets, registry.DatasetInput{Role: d.Role, Ref: d.Ref})
	}
	return nv
}

type versionList struct {
	Versions      []registry.Version `json:"versions"`
	NextPageToken string             `json:"next_page_token"`
}

func (h *Handler) listVersions(w http.ResponseWriter, r *http.Request) error {
	page, err := queryPage(r)
	if err != nil {
		return err
	}
	deleted, err := queryBool(r, "include_deleted")
	if err != nil {
		return err
	}
	vs, next, err := h.svc.ListVersions(r.Context(), r.PathValue("model"), registry.VersionQuery{
		Tag: queryTag(r), Alias: r.URL.Query().Get("alias"), IncludeDeleted: deleted, Page: page,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, versionList{Versions: vs, NextPageToken: next})
}

func (h *Handler) createVersion(w http.ResponseWriter, r *http.Request) error {
	var req newVersionRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	v, err := h.svc.CreateVersion(r.Context(), r.PathValue("model"), req.newVersion())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, v)
}

// versionRef builds the reference of a /models/{model}/versions/{version} path.
func versionRef(r *http.Request) (registry.Ref, error) {
	n, err := pathNumber(r)
	if err != nil {
		return registry.Ref{}, err
	}
	return registry.Ref{Model: r.PathValue("model"), Number: n}, nil
}

func (h *Handler) getVersion(w http.ResponseWriter, r *http.Request) error {
	ref, err := versionRef(r)
	if err != nil {
		return err
	}
	v, err := h.svc.Resolve(r.Context(), ref)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (h *Handler) resolve(w http.ResponseWriter, r *http.Request) error {
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		return registry.E(registry.KindInvalid, "query parameter ref is required, e.g. ?ref=iris@production")
	}
	v, err := h.svc.ResolveString(r.Context(), ref)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (h *Handler) updateVersion(w http.ResponseWriter, r *http.Request) error {
	ref, err := versionRef(r)
	if err != nil {
		return err
	}
	var req patchRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	v, err := h.svc.UpdateVersion(r.Context(), ref, req.patch())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (h *Handler) deleteVersion(w http.ResponseWriter, r *http.Request) error {
	ref, err := versionRef(r)
	if err != nil {
		return err
	}
	v, err := h.svc.DeleteVersion(r.Context(), ref)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// getFile serves one file of a version by its path.
func (h *Handler) getFile(w http.ResponseWriter, r *http.Request) error {
	ref, err := versionRef(r)
	if err != nil {
		return err
	}
	v, err := h.svc.Resolve(r.Context(), ref)
	if err != nil {
		return err
	}
	p := r.PathValue("path")
	for _, f := range v.Files {
		if f.Path != p {
			continue
		}
		if f.IsLink() {
			return registry.E(registry.KindInvalid, "%q in %s is a link to %q; fetch its target instead", p, v, f.Target)
		}
		return h.serveBlob(w, r, f.Digest)
	}
	return registry.E(registry.KindNotFound, "%s has no file %q", v, p)
}
