package mlflow

import (
	"context"
	"net/http"
	"strings"

	"github.com/modelry/modelry/internal/registry"
)

func (h *Handler) registryRoutes() {
	h.handle("POST", "/registered-models/create", h.createModel)
	h.handle("GET", "/registered-models/get", h.getModel)
	h.handle("POST", "/registered-models/rename", h.renameModel)
	h.handle("PATCH", "/registered-models/update", h.updateModel)
	h.handle("DELETE", "/registered-models/delete", h.deleteModel)
	h.handle("GET", "/registered-models/search", h.searchModels)
	h.handle("POST", "/registered-models/get-latest-versions", h.latestVersions)
	h.handle("GET", "/registered-models/get-latest-versions", h.latestVersions)
	h.handle("POST", "/registered-models/set-tag", h.setModelTag)
	h.handle("DELETE", "/registered-models/delete-tag", h.deleteModelTag)
	h.handle("POST", "/registered-models/alias", h.setAlias)
	h.handle("DELETE", "/registered-models/alias", h.deleteAlias)
	h.handle("GET", "/registered-models/alias", h.getAlias)

	h.handle("POST", "/model-versions/create", h.createVersion)
	h.handle("GET", "/model-versions/get", h.getVersion)
	h.handle("PATCH", "/model-versions/update", h.updateVersion)
	h.handle("DELETE", "/model-versions/delete", h.deleteVersion)
	h.handle("GET", "/model-versions/search", h.searchVersions)
	h.handle("GET", "/model-versions/get-download-uri", h.downloadURI)
	h.handle("POST", "/model-versions/transition-stage", h.transitionStage)
	h.handle("POST", "/model-versions/set-tag", h.setVersionTag)
	h.handle("DELETE", "/model-versions/delete-tag", h.deleteVersionTag)
}

type modelRequest struct {
	Name        string     `json:"name"`
	NewName     string     `json:"new_name"`
	Description *string    `json:"description"`
	Tags        []keyValue `json:"tags"`
	Key         string     `json:"key"`
	Value       string     `json:"value"`
	Alias       string     `json:"alias"`
	Version     string     `json:"version"`
	Stages      []string   `json:"stages"`
}

// modelErr rewrites the registry's not-found and exists errors for a model
// into MLflow's messages, which clients and tests match on.
func modelErr(name string, err error) error {
	switch registry.KindOf(err) {
	case registry.KindNotFound:
		return notFound("Registered Model with name=%s not found", name)
	case registry.KindAlreadyExists:
		return registry.E(registry.KindAlreadyExists, "Registered Model (name=%s) already exists.", name)
	}
	return err
}

func (h *Handler) createModel(w http.ResponseWriter, r *http.Request) error {
	var req modelRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Name) == "" {
		return missing("name")
	}
	in := registry.NewModel{Name: req.Name, Tags: tagMap(req.Tags)}
	if req.Description != nil {
		in.Description = *req.Description
	}
	m, err := h.reg.CreateModel(r.Context(), in)
	if err != nil {
		return modelErr(req.Name, err)
	}
	return reply(w, map[string]any{"registered_model": toRegisteredModel(m, nil)})
}

func (h *Handler) getModel(w http.ResponseWriter, r *http.Request) error {
	var req modelRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == "" {
		return missing("name")
	}
	rm, err := h.registeredModel(r.Context(), req.Name)
	if err != nil {
		return err
	}
	return reply(w, map[string]any{"registered_model": rm})
}

// registeredModel reads a model with its latest version per stage.
// model reads the registered model name. A dataset is not a registered
// model to MLflow clients: they get MLflow's not-found answer, as listings
// and searches leave datasets out.
func (h *Handler) model(ctx context.Context, name string) (registry.Model, error) {
	m, err := h.reg.GetModel(ctx, name)
	if err == nil && m.Kind == registry.KindDataset {
		err = registry.E(registry.KindNotFound, "%q is a dataset", name)
	}
	if err != nil {
		return registry.Model{}, modelErr(name, err)
	}
	return m, nil
}

func (h *Handler) registeredModel(ctx context.Context, name string) (registeredModelJSON, error) {
	m, err := h.model(ctx, name)
	if err != nil {
		return registeredModelJSON{}, err
	}
	latest, err := h.latestInStages(ctx, m, nil)
	if err != nil {
		return registeredModelJSON{}, modelErr(name, err)
	}
	return toRegisteredModel(m, latest), nil
}

// latestReadAll is the most live versions a model may have for
// latestInStages to read them all rather than search once per stage (four
// small statements, which cost more than reading a few versions).
const latestReadAll = 100

// latestInStages returns the newest live version of m in each stage of want
// (every stage when want is empty), in want's order: latestPerStage's answer,
// for a model of many versions from one store search per stage instead of
// reading every version. m is a model, never a dataset (see model):
// searches do not see datasets.
func (h *Handler) latestInStages(ctx context.Context, m registry.Model, want []string) ([]registry.Version, error) {
	if m.VersionCount <= latestReadAll {
		vs, err := h.liveVersions(ctx, m.Name)
		return latestPerStage(vs, want), err
	}
	if len(want) == 0 {
		want = stages
	}
	var out []registry.Version
	for _, st := range want {
		vs, _, err := h.reg.SearchVersions(ctx, latestInStage(m.Name, st))
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
	}
	return out, nil
}

// latestInStage is the search for the newest live version of model in
// stage; stage None holds versions without a stage tag, or with an empty one.
func latestInStage(model, stage string) registry.VersionSearch {
	cond := registry.VersionCond{Field: registry.FieldTag, Key: stageTag, Op: registry.OpEq, Values: []string{stage}}
	if stage == "None" {
		cond.Op, cond.Values, cond.IfMissing = registry.OpIn, []string{"", "None"}, true
	}
	return registry.VersionSearch{
		Where: []registry.VersionCond{{Field: registry.FieldModel, Op: registry.OpEq, Values: []string{model}}, cond},
		Order: []registry.VersionOrder{{Field: registry.FieldNumber, Desc: true}},
		Limit: 1,
	}
}

// liveVersions reads every live version of a model.
func (h *Handler) liveVersions(ctx context.Context, name string) ([]registry.Version, error) {
	var all []registry.Version
	q := registry.VersionQuery{Page: registry.Page{Size: registry.MaxPageSize}}
	for {
		vs, next, err := h.reg.ListVersions(ctx, name, q)
		if err != nil {
			return nil, err
		}
		all = append(all, vs...)
		if next == "" {
			return all, nil
		}
		q.Page.Token = next
	}
}

func (h *Handler) renameModel(w http.ResponseWriter, r *http.Request) error {
	var req modelRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == "" {
		return missing("name")
	}
	if req.NewName == "" {
		return missing("new_name")
	}
	if _, err := h.reg.RenameModel(r.Context(), req.Name, req.NewName); err != nil {
		if registry.Is(err, registry.KindAlreadyExists) {
			return modelErr(req.NewName, err)
		}
		return modelErr(req.Name, err)
	}
	rm, err := h.registeredModel(r.Context(), req.NewName)
	if err != nil {
		return err
	}
	return reply(w, map[string]any{"registered_model": rm})
}

func (h *Handler) updateModel(w http.ResponseWriter, r *http.Request) error {
	var req modelRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == "" {
		return missing("name")
	}
	desc := "" // MLflow clears the description when the field is absent
	if req.Description != nil {
		desc = *req.Description
	}
	if _, err := h.reg.UpdateModel(r.Context(), req.Name, registry.Patch{Description: &desc}); err != nil {
		return modelErr(req.Name, err)
	}
	rm, err := h.registeredModel(r.Context(), req.Name)
	if err != nil {
		return err
	}
	return reply(w, map[string]any{"registered_model": rm})
}

func (h *Handler) deleteModel(w http.ResponseWriter, r *http.Request) error {
	var req modelRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == "" {
		return missing("name")
	}
	if err := h.reg.DeleteModel(r.Context(), req.Name); err != nil {
		return modelErr(req.Name, err)
	}
	return ok(w)
}

func (h *Handler) latestVersions(w http.ResponseWriter, r *http.Request) error {
	var req modelRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == "" {
		return missing("name")
	}
	want := make([]string, 0, len(req.Stages))
	for _, s := range req.Stages {
		st, err := canonicalStage(s)
		if err != nil {
			return err
		}
		want = append(want, st)
	}
	m, err := h.model(r.Context(), req.Name)
	if err != nil {
		return err
	}
	latest, err := h.latestInStages(r.Context(), m, want)
	if err != nil {
		return modelErr(req.Name, err)
	}
	out := []modelVersionJSON{}
	for _, v := range latest {
		out = append(out, toModelVersion(v))
	}
	return reply(w, map[string]any{"model_versions": out})
}

func (h *Handler) setModelTag(w http.ResponseWriter, r *http.Request) error {
	var req modelRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == "" {
		return missing("name")
	}
	if req.Key == "" {
		return missing("key")
	}
	patch := registry.Patch{SetTags: map[string]string{req.Key: req.Value}}
	if _, err := h.reg.UpdateModel(r.Context(), req.Name, patch); err != nil {
		return modelErr(req.Name, err)
	}
	return ok(w)
}

func (h *Handler) deleteModelTag(w http.ResponseWriter, r *http.Request) error {
	var req modelRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == "" {
		return missing("name")
	}
	if req.Key == "" {
		return missing("key")
	}
	if _, err := h.reg.UpdateModel(r.Context(), req.Name, registry.Patch{RemoveTags: []string{req.Key}}); err != nil {
		return modelErr(req.Name, err)
	}
	return ok(w)
}
