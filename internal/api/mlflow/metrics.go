package mlflow

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/modelry/modelry/internal/tracking"
)

// metricValue reads a double that may arrive as "NaN" or "Infinity".
func metricValue(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case string:
		switch x {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return f, nil
		}
	}
	return 0, invalid("Got invalid value %v for metric", v)
}

func toMetrics(in []metricIn) ([]tracking.Metric, error) {
	out := make([]tracking.Metric, 0, len(in))
	for _, m := range in {
		if m.Key == "" {
			return nil, missing("key")
		}
		v, err := metricValue(m.Value)
		if err != nil {
			return nil, err
		}
		ts := int64(m.Timestamp)
		if ts == 0 {
			ts = time.Now().UnixMilli()
		}
		out = append(out, tracking.Metric{Key: m.Key, Value: v, Timestamp: ts, Step: int64(m.Step), ModelID: m.ModelID})
	}
	return out, nil
}

func (h *Handler) logMetric(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		metricIn
		RunID   string `json:"run_id"`
		RunUUID string `json:"run_uuid"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id, err := runRequest{RunID: req.RunID, RunUUID: req.RunUUID}.id()
	if err != nil {
		return err
	}
	ms, err := toMetrics([]metricIn{req.metricIn})
	if err != nil {
		return err
	}
	if err := h.trk.LogBatch(r.Context(), id, ms, nil, nil); err != nil {
		return err
	}
	if err := h.trk.LinkMetrics(r.Context(), ms); err != nil {
		return err
	}
	return ok(w)
}

// Limits of one log-batch call, as MLflow enforces them.
const (
	maxBatchMetrics = 1000
	maxBatchParams  = 100
	maxBatchTags    = 100
)

func (h *Handler) logBatch(w http.ResponseWriter, r *http.Request) error {
	req, id, err := decodeRun(w, r)
	if err != nil {
		return err
	}
	if len(req.Metrics) > maxBatchMetrics || len(req.Params) > maxBatchParams || len(req.Tags) > maxBatchTags {
		return invalid("A batch logging request can contain at most %d metrics, %d params and %d tags", maxBatchMetrics, maxBatchParams, maxBatchTags)
	}
	ms, err := toMetrics(req.Metrics)
	if err != nil {
		return err
	}
	if err := h.trk.LogBatch(r.Context(), id, ms, tagMap(req.Params), tagMap(req.Tags)); err != nil {
		return err
	}
	if err := h.trk.LinkMetrics(r.Context(), ms); err != nil {
		return err
	}
	return ok(w)
}

// logModelJSON records a 2.x client's model metadata in the run tag
// mlflow.log-model.history, as MLflow does.
func (h *Handler) logModelJSON(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		runRequest
		ModelJSON string `json:"model_json"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id, err := req.runRequest.id()
	if err != nil {
		return err
	}
	var model map[string]any
	if err := json.Unmarshal([]byte(req.ModelJSON), &model); err != nil {
		return invalid("Malformed model info. \n %s \n is not a valid JSON.", req.ModelJSON)
	}
	run, err := h.trk.GetRun(r.Context(), id)
	if err != nil {
		return err
	}
	var history []any
	_ = json.Unmarshal([]byte(run.Tags["mlflow.log-model.history"]), &history)
	b, _ := json.Marshal(append(history, model))
	if err := h.trk.LogBatch(r.Context(), id, nil, nil, map[string]string{"mlflow.log-model.history": string(b)}); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handler) logInputs(w http.ResponseWriter, r *http.Request) error {
	req, id, err := decodeRun(w, r)
	if err != nil {
		return err
	}
	var ids []string
	for _, m := range req.Models {
		ids = append(ids, m.ModelID)
	}
	if len(ids) > 0 {
		if err := h.trk.AddInputModels(r.Context(), id, ids); err != nil {
			return err
		}
	}
	return ok(w)
}

func (h *Handler) logOutputs(w http.ResponseWriter, r *http.Request) error {
	req, id, err := decodeRun(w, r)
	if err != nil {
		return err
	}
	var outs []tracking.ModelOutput
	for _, m := range req.Models {
		outs = append(outs, tracking.ModelOutput{ModelID: m.ModelID, Step: int64(m.Step)})
	}
	if err := h.trk.AddOutputs(r.Context(), id, outs); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handler) metricHistory(w http.ResponseWriter, r *http.Request) error {
	req, id, err := decodeRun(w, r)
	if err != nil {
		return err
	}
	if req.MetricKey == "" {
		return missing("metric_key")
	}
	ms, err := h.trk.MetricHistory(r.Context(), id, req.MetricKey)
	if err != nil {
		return err
	}
	return reply(w, map[string]any{"metrics": ms})
}
