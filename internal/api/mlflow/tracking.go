package mlflow

import (
	"net/http"
	"sort"

	"github.com/modelry/modelry/internal/tracking"
)

func (h *Handler) trackingRoutes() {
	h.handle("POST", "/experiments/create", h.createExperiment)
	h.handle("GET", "/experiments/get", h.getExperiment)
	h.handle("GET", "/experiments/get-by-name", h.getExperimentByName)
	h.handle("POST", "/experiments/search", h.searchExperiments)
	h.handle("GET", "/experiments/search", h.searchExperiments)
	h.handle("POST", "/runs/create", h.createRun)
	h.handle("GET", "/runs/get", h.getRun)
	h.handle("POST", "/runs/update", h.updateRun)
	h.handle("POST", "/runs/search", h.searchRuns)
	h.handle("POST", "/runs/log-parameter", h.logParam)
	h.handle("POST", "/runs/log-metric", h.logMetric)
	h.handle("POST", "/runs/set-tag", h.setTag)
	h.handle("POST", "/runs/delete-tag", h.deleteTag)
	h.handle("POST", "/runs/log-batch", h.logBatch)
	h.handle("POST", "/runs/log-model", h.logModelJSON)
	h.handle("POST", "/runs/log-inputs", h.logInputs)
	h.handle("POST", "/runs/outputs", h.logOutputs)
	h.handle("GET", "/metrics/get-history", h.metricHistory)
	h.loggedModelRoutes()
	h.lifecycleRoutes()
}

type experimentJSON struct {
	ExperimentID     string     `json:"experiment_id"`
	Name             string     `json:"name"`
	ArtifactLocation string     `json:"artifact_location"`
	LifecycleStage   string     `json:"lifecycle_stage"`
	LastUpdateTime   int64      `json:"last_update_time"`
	CreationTime     int64      `json:"creation_time"`
	Tags             []keyValue `json:"tags,omitempty"`
}

func toExperiment(e tracking.Experiment) experimentJSON {
	return experimentJSON{ExperimentID: e.ID, Name: e.Name, ArtifactLocation: e.ArtifactLocation,
		LifecycleStage: e.Lifecycle, LastUpdateTime: e.UpdatedAt, CreationTime: e.CreatedAt, Tags: sortedKV(e.Tags)}
}

func sortedKV(m map[string]string) []keyValue {
	var kvs []keyValue
	for k, v := range m {
		kvs = append(kvs, keyValue{Key: k, Value: v})
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].Key < kvs[j].Key })
	return kvs
}

type experimentRequest struct {
	ExperimentID     string     `json:"experiment_id"`
	ExperimentName   string     `json:"experiment_name"`
	Name             string     `json:"name"`
	ArtifactLocation string     `json:"artifact_location"`
	Tags             []keyValue `json:"tags"`
}

func (h *Handler) createExperiment(w http.ResponseWriter, r *http.Request) error {
	var req experimentRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == "" {
		return missing("name")
	}
	id, err := h.trk.CreateExperiment(r.Context(), req.Name, req.ArtifactLocation, tagMap(req.Tags))
	if err != nil {
		return err
	}
	return reply(w, map[string]string{"experiment_id": id})
}

func (h *Handler) getExperiment(w http.ResponseWriter, r *http.Request) error {
	var req experimentRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.ExperimentID == "" {
		return missing("experiment_id")
	}
	e, err := h.trk.GetExperiment(r.Context(), req.ExperimentID)
	if err != nil {
		return err
	}
	return reply(w, map[string]any{"experiment": toExperiment(e)})
}

func (h *Handler) getExperimentByName(w http.ResponseWriter, r *http.Request) error {
	var req experimentRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.ExperimentName == "" {
		return missing("experiment_name")
	}
	e, err := h.trk.GetExperimentByName(r.Context(), req.ExperimentName)
	if err != nil {
		return err
	}
	return reply(w, map[string]any{"experiment": toExperiment(e)})
}
