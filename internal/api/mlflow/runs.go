package mlflow

import (
	"net/http"
	"sort"

	"github.com/modelry/modelry/internal/tracking"
)

type runRequest struct {
	RunID        string     `json:"run_id"`
	RunUUID      string     `json:"run_uuid"`
	ExperimentID string     `json:"experiment_id"`
	UserID       string     `json:"user_id"`
	RunName      string     `json:"run_name"`
	StartTime    flexInt    `json:"start_time"`
	EndTime      flexInt    `json:"end_time"`
	Status       string     `json:"status"`
	Tags         []keyValue `json:"tags"`
	Params       []keyValue `json:"params"`
	Metrics      []metricIn `json:"metrics"`
	Key          string     `json:"key"`
	Value        string     `json:"value"`
	MetricKey    string     `json:"metric_key"`
	Models       []struct {
		ModelID string  `json:"model_id"`
		Step    flexInt `json:"step"`
	} `json:"models"`
	ExperimentIDs []string `json:"experiment_ids"`
}

type metricIn struct {
	Key       string  `json:"key"`
	Value     any     `json:"value"`
	Timestamp flexInt `json:"timestamp"`
	Step      flexInt `json:"step"`
	ModelID   string  `json:"model_id"`
}

// id returns run_id, or the legacy run_uuid.
func (q runRequest) id() (string, error) {
	if q.RunID != "" {
		return q.RunID, nil
	}
	if q.RunUUID != "" {
		return q.RunUUID, nil
	}
	return "", missing("run_id")
}

func decodeRun(w http.ResponseWriter, r *http.Request) (runRequest, string, error) {
	var req runRequest
	if err := decode(w, r, &req); err != nil {
		return req, "", err
	}
	id, err := req.id()
	return req, id, err
}

type runJSON struct {
	Info    runInfoJSON `json:"info"`
	Data    runDataJSON `json:"data"`
	Inputs  any         `json:"inputs,omitempty"`
	Outputs any         `json:"outputs,omitempty"`
}

type runInfoJSON struct {
	RunID          string `json:"run_id"`
	RunUUID        string `json:"run_uuid"`
	RunName        string `json:"run_name"`
	ExperimentID   string `json:"experiment_id"`
	UserID         string `json:"user_id,omitempty"`
	Status         string `json:"status"`
	StartTime      int64  `json:"start_time"`
	EndTime        int64  `json:"end_time,omitempty"`
	ArtifactURI    string `json:"artifact_uri"`
	LifecycleStage string `json:"lifecycle_stage"`
}

type runDataJSON struct {
	Metrics []tracking.Metric `json:"metrics,omitempty"`
	Params  []keyValue        `json:"params,omitempty"`
	Tags    []keyValue        `json:"tags,omitempty"`
}

func toRunInfo(r tracking.Run) runInfoJSON {
	return runInfoJSON{RunID: r.ID, RunUUID: r.ID, RunName: r.Name, ExperimentID: r.ExperimentID, UserID: r.UserID,
		Status: r.Status, StartTime: r.StartTime, EndTime: r.EndTime, ArtifactURI: r.ArtifactURI, LifecycleStage: r.Lifecycle}
}

func toRun(r tracking.Run) runJSON {
	out := runJSON{Info: toRunInfo(r), Data: runDataJSON{Params: sortedKV(r.Params), Tags: sortedKV(r.Tags)}}
	for _, m := range r.Metrics {
		out.Data.Metrics = append(out.Data.Metrics, m)
	}
	sort.Slice(out.Data.Metrics, func(i, j int) bool { return out.Data.Metrics[i].Key < out.Data.Metrics[j].Key })
	if len(r.Outputs) > 0 {
		out.Outputs = map[string]any{"model_outputs": r.Outputs}
	}
	if len(r.InputModels) > 0 {
		var ms []map[string]string
		for _, id := range r.InputModels {
			ms = append(ms, map[string]string{"model_id": id})
		}
		out.Inputs = map[string]any{"model_inputs": ms}
	}
	return out
}

func (h *Handler) createRun(w http.ResponseWriter, r *http.Request) error {
	var req runRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	run, err := h.trk.CreateRun(r.Context(), tracking.NewRun{ExperimentID: req.ExperimentID, Name: req.RunName,
		UserID: req.UserID, StartTime: int64(req.StartTime), Tags: tagMap(req.Tags)})
	if err != nil {
		return err
	}
	return reply(w, map[string]any{"run": toRun(run)})
}

func (h *Handler) getRun(w http.ResponseWriter, r *http.Request) error {
	_, id, err := decodeRun(w, r)
	if err != nil {
		return err
	}
	run, err := h.trk.GetRun(r.Context(), id)
	if err != nil {
		return err
	}
	return reply(w, map[string]any{"run": toRun(run)})
}

func (h *Handler) updateRun(w http.ResponseWriter, r *http.Request) error {
	req, id, err := decodeRun(w, r)
	if err != nil {
		return err
	}
	run, err := h.trk.UpdateRun(r.Context(), id, req.Status, int64(req.EndTime), req.RunName)
	if err != nil {
		return err
	}
	return reply(w, map[string]any{"run_info": toRunInfo(run)})
}

func (h *Handler) logParam(w http.ResponseWriter, r *http.Request) error {
	req, id, err := decodeRun(w, r)
	if err != nil {
		return err
	}
	if req.Key == "" {
		return missing("key")
	}
	if err := h.trk.LogBatch(r.Context(), id, nil, map[string]string{req.Key: req.Value}, nil); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handler) setTag(w http.ResponseWriter, r *http.Request) error {
	req, id, err := decodeRun(w, r)
	if err != nil {
		return err
	}
	if req.Key == "" {
		return missing("key")
	}
	if err := h.trk.LogBatch(r.Context(), id, nil, nil, map[string]string{req.Key: req.Value}); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handler) deleteTag(w http.ResponseWriter, r *http.Request) error {
	req, id, err := decodeRun(w, r)
	if err != nil {
		return err
	}
	if err := h.trk.DeleteTag(r.Context(), id, req.Key); err != nil {
		return err
	}
	return ok(w)
}
