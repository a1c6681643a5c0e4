package mlflow

import (
	"net/http"
	"strconv"

	"github.com/modelry/modelry/internal/registry"
)

type versionRequest struct {
	Name                    string     `json:"name"`
	Version                 string     `json:"version"`
	Source                  string     `json:"source"`
	RunID                   string     `json:"run_id"`
	RunLink                 string     `json:"run_link"`
	ModelID                 string     `json:"model_id"`
	Description             *string    `json:"description"`
	Tags                    []keyValue `json:"tags"`
	Key                     string     `json:"key"`
	Value                   string     `json:"value"`
	Stage                   string     `json:"stage"`
	ArchiveExistingVersions flexBool   `json:"archive_existing_versions"`
}

// decodeVersion decodes a request naming one version.
func decodeVersion(w http.ResponseWriter, r *http.Request) (versionRequest, int64, error) {
	var req versionRequest
	if err := decode(w, r, &req); err != nil {
		return req, 0, err
	}
	if req.Name == "" {
		return req, 0, missing("name")
	}
	n, err := parseVersion(req.Version)
	return req, n, err
}

// version reads a live version, with MLflow's not-found message.
func (h *Handler) version(r *http.Request, name string, n int64) (registry.Version, error) {
	v, err := h.reg.Resolve(r.Context(), registry.Ref{Model: name, Number: n})
	return v, versionErr(name, n, err)
}

func versionErr(name string, n int64, err error) error {
	if registry.Is(err, registry.KindNotFound) {
		return notFound("Model Version (name=%s, version=%d) not found", name, n)
	}
	return err
}

func (h *Handler) createVersion(w http.ResponseWriter, r *http.Request) error {
	var req versionRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == "" {
		return missing("name")
	}
	if req.Source == "" {
		return missing("source")
	}
	src, err := h.resolveSource(r.Context(), req.Source, req.RunID, req.ModelID)
	if err != nil {
		return err
	}
	tags := tagMap(req.Tags)
	if req.RunLink != "" {
		tags[runLinkTag] = req.RunLink
	}
	in := registry.NewVersion{
		Tags: tags, Files: src.files, Existing: true,
		Source: registry.Source{Run: &registry.RunSource{System: "mlflow", ID: src.runID, URI: req.Source}},
	}
	if req.Description != nil {
		in.Description = *req.Description
	}
	v, err := h.reg.CreateVersion(r.Context(), req.Name, in)
	if err != nil {
		return modelErr(req.Name, err)
	}
	if req.ModelID != "" && h.trk != nil {
		h.trk.NoteRegistration(r.Context(), req.ModelID, v.Model, strconv.FormatInt(v.Number, 10))
	}
	return reply(w, map[string]any{"model_version": toModelVersion(v)})
}

func (h *Handler) getVersion(w http.ResponseWriter, r *http.Request) error {
	req, n, err := decodeVersion(w, r)
	if err != nil {
		return err
	}
	v, err := h.version(r, req.Name, n)
	if err != nil {
		return err
	}
	return reply(w, map[string]any{"model_version": toModelVersion(v)})
}

// patchVersion applies patch to a live version and answers with it.
func (h *Handler) patchVersion(w http.ResponseWriter, r *http.Request, name string, n int64, patch registry.Patch, answer bool) error {
	v, err := h.reg.UpdateVersion(r.Context(), registry.Ref{Model: name, Number: n}, patch)
	if err != nil {
		return versionErr(name, n, err)
	}
	if !answer {
		return ok(w)
	}
	return reply(w, map[string]any{"model_version": toModelVersion(v)})
}

func (h *Handler) updateVersion(w http.ResponseWriter, r *http.Request) error {
	req, n, err := decodeVersion(w, r)
	if err != nil {
		return err
	}
	return h.patchVersion(w, r, req.Name, n, registry.Patch{Description: req.Description}, true)
}

func (h *Handler) setVersionTag(w http.ResponseWriter, r *http.Request) error {
	req, n, err := decodeVersion(w, r)
	if err != nil {
		return err
	}
	if req.Key == "" {
		return missing("key")
	}
	return h.patchVersion(w, r, req.Name, n, registry.Patch{SetTags: map[string]string{req.Key: req.Value}}, false)
}

func (h *Handler) deleteVersionTag(w http.ResponseWriter, r *http.Request) error {
	req, n, err := decodeVersion(w, r)
	if err != nil {
		return err
	}
	if req.Key == "" {
		return missing("key")
	}
	return h.patchVersion(w, r, req.Name, n, registry.Patch{RemoveTags: []string{req.Key}}, false)
}

// deleteVersion soft-deletes a version. MLflow drops the aliases pointing at
// it; Modelry refuses to delete an aliased version, so they are removed
// first (each removal is recorded in the alias history).
func (h *Handler) deleteVersion(w http.ResponseWriter, r *http.Request) error {
	req, n, err := decodeVersion(w, r)
	if err != nil {
		return err
	}
	v, err := h.version(r, req.Name, n)
	if err != nil {
		return err
	}
	for _, a := range v.Aliases {
		if _, err := h.reg.RemoveAlias(r.Context(), req.Name, a, registry.AliasOptions{Reason: "mlflow: version deleted"}); err != nil {
			return err
		}
	}
	if _, err := h.reg.DeleteVersion(r.Context(), registry.Ref{Model: req.Name, Number: n}); err != nil {
		return versionErr(req.Name, n, err)
	}
	return ok(w)
}

func (h *Handler) transitionStage(w http.ResponseWriter, r *http.Request) error {
	req, n, err := decodeVersion(w, r)
	if err != nil {
		return err
	}
	if req.Stage == "" {
		return missing("stage")
	}
	stage, err := canonicalStage(req.Stage)
	if err != nil {
		return err
	}
	if req.ArchiveExistingVersions && stage != "Staging" && stage != "Production" {
		return invalid("Model version transition cannot archive existing model versions because '%s' is not an Active stage. Valid stages are Staging, Production.", stage)
	}
	if _, err := h.version(r, req.Name, n); err != nil {
		return err
	}
	if req.ArchiveExistingVersions {
		if err := h.archiveStage(r, req.Name, stage, n); err != nil {
			return err
		}
	}
	return h.patchVersion(w, r, req.Name, n, registry.Patch{SetTags: map[string]string{stageTag: stage}}, true)
}

// archiveStage moves every other live version in stage to Archived.
func (h *Handler) archiveStage(r *http.Request, name, stage string, keep int64) error {
	vs, err := h.liveVersions(r.Context(), name)
	if err != nil {
		return modelErr(name, err)
	}
	for _, v := range vs {
		if v.Number == keep || stageOf(v) != stage {
			continue
		}
		patch := registry.Patch{SetTags: map[string]string{stageTag: "Archived"}}
		if _, err := h.reg.UpdateVersion(r.Context(), registry.Ref{Model: name, Number: v.Number}, patch); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) downloadURI(w http.ResponseWriter, r *http.Request) error {
	req, n, err := decodeVersion(w, r)
	if err != nil {
		return err
	}
	v, err := h.version(r, req.Name, n)
	if err != nil {
		return err
	}
	return reply(w, map[string]any{"artifact_uri": downloadURI(v)})
}
