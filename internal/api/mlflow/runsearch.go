package mlflow

import (
	"net/http"
	"strconv"

	"github.com/modelry/modelry/internal/tracking"
)

// Run search limits, as MLflow's server enforces them.
const (
	defaultRunResults = 1000
	maxRunResults     = 50000
)

var runGrammar = Grammar{
	Attrs:   []string{"run_id", "run_name", "status", "start_time", "end_time", "user_id", "artifact_uri", "lifecycle_stage"},
	Numeric: []string{"start_time", "end_time"},
	Params:  true, Metrics: true,
}

type runSearchRequest struct {
	ExperimentIDs []string `json:"experiment_ids"`
	Filter        string   `json:"filter"`
	RunViewType   string   `json:"run_view_type"`
	MaxResults    flexInt  `json:"max_results"`
	OrderBy       []string `json:"order_by"`
	PageToken     string   `json:"page_token"`
}

// runValue is the left-hand side of a run filter clause.
func runValue(r tracking.Run) func(Clause) (string, bool) {
	return func(c Clause) (string, bool) {
		switch c.Kind {
		case "tag":
			v, ok := r.Tags[c.Key]
			return v, ok
		case "param":
			v, ok := r.Params[c.Key]
			return v, ok
		case "metric":
			m, ok := r.Metrics[c.Key]
			return strconv.FormatFloat(m.Value, 'g', -1, 64), ok
		}
		info := toRunInfo(r)
		return map[string]string{
			"run_id": r.ID, "run_name": r.Name, "status": r.Status, "user_id": r.UserID,
			"start_time": strconv.FormatInt(r.StartTime, 10), "end_time": strconv.FormatInt(r.EndTime, 10),
			"artifact_uri": info.ArtifactURI, "lifecycle_stage": r.Lifecycle,
		}[c.Key], true
	}
}

var runOrderFields = map[string]string{
	"start_time": "start_time", "attributes.start_time": "start_time", "attribute.start_time": "start_time",
	"end_time": "end_time", "attributes.end_time": "end_time", "run_name": "run_name", "attributes.run_name": "run_name",
}

// searchRuns filters the runs of the experiments asked for (params.,
// metrics., tags. and attributes), newest first unless order_by says
// otherwise, in pages.
func (h *Handler) searchRuns(w http.ResponseWriter, r *http.Request) error {
	var req runSearchRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	size, err := maxResults(req.MaxResults, defaultRunResults, maxRunResults)
	if err != nil {
		return err
	}
	f, err := ParseFilterWith(req.Filter, runGrammar)
	if err != nil {
		return err
	}
	keys, err := parseOrderBy(req.OrderBy, runOrderFields)
	if err != nil {
		return err
	}
	offset, err := pageOffset(req.PageToken)
	if err != nil {
		return err
	}
	runs, err := h.trk.SearchRuns(r.Context(), req.ExperimentIDs)
	if err != nil {
		return err
	}
	var hits []tracking.Run
	for _, run := range runs {
		if inView(req.RunViewType, run.Lifecycle) && f.MatchWith(runValue(run)) {
			hits = append(hits, run)
		}
	}
	keys = append(keys, orderKey{field: "start_time", desc: true})
	sortBy(hits, keys, func(field string, a, b tracking.Run) int {
		switch field {
		case "end_time":
			return cmp3(a.EndTime, b.EndTime)
		case "run_name":
			return cmp3(a.Name, b.Name)
		}
		return cmp3(a.StartTime, b.StartTime)
	})
	lo, hi, next := window(len(hits), offset, size)
	out := []runJSON{}
	for _, run := range hits[lo:hi] {
		out = append(out, toRun(run))
	}
	return reply(w, runsPage{Runs: out, Next: next})
}

// inView applies MLflow's ViewType: ACTIVE_ONLY (the default),
// DELETED_ONLY or ALL.
func inView(view, lifecycle string) bool {
	switch view {
	case "ALL", "3":
		return true
	case "DELETED_ONLY", "2":
		return lifecycle == tracking.LifecycleDeleted
	}
	return lifecycle != tracking.LifecycleDeleted
}

type runsPage struct {
	Runs []runJSON `json:"runs,omitempty"`
	Next string    `json:"next_page_token,omitempty"`
}

var experimentGrammar = Grammar{Attrs: []string{"name", "creation_time", "last_update_time"}, Numeric: []string{"creation_time", "last_update_time"}}

// searchExperiments filters experiments by name, times and tags, in pages,
// newest first unless order_by says otherwise.
func (h *Handler) searchExperiments(w http.ResponseWriter, r *http.Request) error {
	var req searchRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	size, err := maxResults(req.MaxResults, defaultRunResults, maxRunResults)
	if err != nil {
		return err
	}
	f, err := ParseFilterWith(req.Filter, experimentGrammar)
	if err != nil {
		return err
	}
	keys, err := parseOrderBy(req.OrderBy, experimentOrderFields)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		keys = []orderKey{{field: "creation_time", desc: true}}
	}
	offset, err := pageOffset(req.PageToken)
	if err != nil {
		return err
	}
	es, err := h.trk.ListExperiments(r.Context())
	if err != nil {
		return err
	}
	sortBy(es, append(keys, orderKey{field: "experiment_id"}), compareExperiments)
	var hits []experimentJSON
	for _, e := range es {
		if !inView(req.ViewType, e.Lifecycle) {
			continue
		}
		attrs := map[string]string{"name": e.Name, "creation_time": strconv.FormatInt(e.CreatedAt, 10),
			"last_update_time": strconv.FormatInt(e.UpdatedAt, 10)}
		if f.Match(func(k string) string { return attrs[k] }, e.Tags) {
			hits = append(hits, toExperiment(e))
		}
	}
	lo, hi, next := window(len(hits), offset, size)
	return reply(w, experimentsPage{Experiments: hits[lo:hi], Next: next})
}

var experimentOrderFields = map[string]string{
	"name": "name", "creation_time": "creation_time", "last_update_time": "last_update_time",
	"experiment_id": "experiment_id", "attributes.name": "name", "attributes.creation_time": "creation_time",
}

// compareExperiments orders as MLflow does; ids compare as numbers.
func compareExperiments(field string, a, b tracking.Experiment) int {
	switch field {
	case "name":
		return cmp3(a.Name, b.Name)
	case "creation_time":
		return cmp3(a.CreatedAt, b.CreatedAt)
	case "last_update_time":
		return cmp3(a.UpdatedAt, b.UpdatedAt)
	}
	x, _ := strconv.ParseInt(a.ID, 10, 64)
	y, _ := strconv.ParseInt(b.ID, 10, 64)
	return cmp3(x, y)
}

type experimentsPage struct {
	Experiments []experimentJSON `json:"experiments,omitempty"`
	Next        string           `json:"next_page_token,omitempty"`
}
