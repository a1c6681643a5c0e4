package mlflow

import (
	"net/http"
	"sort"

	"github.com/modelry/modelry/internal/tracking"
)

func (h *Handler) loggedModelRoutes() {
	h.handle("POST", "/logged-models", h.createLoggedModel)
	h.handle("GET", "/logged-models/{id}", h.getLoggedModel)
	h.handle("PATCH", "/logged-models/{id}", h.finalizeLoggedModel)
	h.handle("PATCH", "/logged-models/{id}/tags", h.setLoggedModelTags)
	h.handle("POST", "/logged-models/{id}/params", h.logLoggedModelParams)
	h.handle("POST", "/logged-models/search", h.searchLoggedModels)
	h.handle("DELETE", "/logged-models/{id}", h.deleteLoggedModel)
	h.handle("DELETE", "/logged-models/{id}/tags/{key}", h.deleteLoggedModelTag)
}

type loggedModelRequest struct {
	ExperimentID  string     `json:"experiment_id"`
	ExperimentIDs []string   `json:"experiment_ids"`
	Name          string     `json:"name"`
	ModelType     string     `json:"model_type"`
	SourceRunID   string     `json:"source_run_id"`
	Params        []keyValue `json:"params"`
	Tags          []keyValue `json:"tags"`
	Status        string     `json:"status"`
	Filter        string     `json:"filter"`
}

type loggedModelJSON struct {
	Info map[string]any `json:"info"`
	Data map[string]any `json:"data"`
}

func toLoggedModel(m tracking.LoggedModel) loggedModelJSON {
	info := map[string]any{
		"model_id": m.ID, "experiment_id": m.ExperimentID, "name": m.Name,
		"creation_timestamp_ms": m.CreatedAt, "last_updated_timestamp_ms": m.UpdatedAt,
		"artifact_uri": m.ArtifactURI, "status": m.Status,
	}
	if m.ModelType != "" {
		info["model_type"] = m.ModelType
	}
	if m.SourceRunID != "" {
		info["source_run_id"] = m.SourceRunID
	}
	if tags := sortedKV(m.Tags); len(tags) > 0 {
		info["tags"] = tags
	}
	if len(m.Registrations) > 0 {
		info["registrations"] = m.Registrations
	}
	data := map[string]any{}
	if params := sortedKV(m.Params); len(params) > 0 {
		data["params"] = params
	}
	if len(m.Metrics) > 0 {
		data["metrics"] = m.Metrics
	}
	return loggedModelJSON{Info: info, Data: data}
}

func (h *Handler) createLoggedModel(w http.ResponseWriter, r *http.Request) error {
	var req loggedModelRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.ExperimentID == "" {
		return missing("experiment_id")
	}
	m, err := h.trk.CreateLoggedModel(r.Context(), tracking.NewLoggedModel{
		ExperimentID: req.ExperimentID, Name: req.Name, ModelType: req.ModelType,
		SourceRunID: req.SourceRunID, Params: tagMap(req.Params), Tags: tagMap(req.Tags),
	})
	if err != nil {
		return err
	}
	return reply(w, map[string]any{"model": toLoggedModel(m)})
}

func (h *Handler) getLoggedModel(w http.ResponseWriter, r *http.Request) error {
	m, err := h.trk.GetLoggedModel(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return reply(w, map[string]any{"model": toLoggedModel(m)})
}

// changeLoggedModel decodes the request, applies fn and answers the model.
func (h *Handler) changeLoggedModel(w http.ResponseWriter, r *http.Request, fn func(*tracking.LoggedModel, loggedModelRequest)) error {
	var req loggedModelRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	m, err := h.trk.ChangeLoggedModel(r.Context(), r.PathValue("id"), func(m *tracking.LoggedModel) { fn(m, req) })
	if err != nil {
		return err
	}
	return reply(w, map[string]any{"model": toLoggedModel(m)})
}

func (h *Handler) finalizeLoggedModel(w http.ResponseWriter, r *http.Request) error {
	return h.changeLoggedModel(w, r, func(m *tracking.LoggedModel, req loggedModelRequest) {
		if req.Status != "" {
			m.Status = req.Status
		}
	})
}

func (h *Handler) setLoggedModelTags(w http.ResponseWriter, r *http.Request) error {
	return h.changeLoggedModel(w, r, func(m *tracking.LoggedModel, req loggedModelRequest) {
		for _, kv := range req.Tags {
			m.Tags[kv.Key] = kv.Value
		}
	})
}

func (h *Handler) logLoggedModelParams(w http.ResponseWriter, r *http.Request) error {
	return h.changeLoggedModel(w, r, func(m *tracking.LoggedModel, req loggedModelRequest) {
		for _, kv := range req.Params {
			m.Params[kv.Key] = kv.Value
		}
	})
}

// searchLoggedModels supports the filters the client sends when it
// registers runs:/ sources: name = '...' and source_run_id = '...'.
func (h *Handler) searchLoggedModels(w http.ResponseWriter, r *http.Request) error {
	var req loggedModelRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	f, err := ParseFilter(req.Filter, []string{"name", "source_run_id", "model_id", "status"})
	if err != nil {
		return err
	}
	ms, err := h.trk.SearchLoggedModels(r.Context(), req.ExperimentIDs)
	if err != nil {
		return err
	}
	out := []loggedModelJSON{}
	for _, m := range ms {
		attrs := map[string]string{"name": m.Name, "source_run_id": m.SourceRunID, "model_id": m.ID, "status": m.Status}
		if f.Match(func(k string) string { return attrs[k] }, m.Tags) {
			out = append(out, toLoggedModel(m))
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Info["creation_timestamp_ms"].(int64) > out[j].Info["creation_timestamp_ms"].(int64)
	})
	return reply(w, map[string]any{"models": out})
}

// deleteLoggedModel hides a logged model (its artifacts stay: versions made
// from it keep their files).
func (h *Handler) deleteLoggedModel(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.trk.GetLoggedModel(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	if _, err := h.trk.ChangeLoggedModel(r.Context(), r.PathValue("id"), func(m *tracking.LoggedModel) { m.Deleted = true }); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handler) deleteLoggedModelTag(w http.ResponseWriter, r *http.Request) error {
	_, err := h.trk.ChangeLoggedModel(r.Context(), r.PathValue("id"), func(m *tracking.LoggedModel) {
		delete(m.Tags, r.PathValue("key"))
	})
	if err != nil {
		return err
	}
	return ok(w)
}
