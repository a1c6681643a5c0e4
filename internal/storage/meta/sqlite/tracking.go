package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/tracking"
)

// Tracking is the tracking.Store of this database (migration 0002).
type Tracking struct{ s *Store }

var _ tracking.Store = Tracking{}

// Tracking returns the tracking store sharing this database.
func (s *Store) Tracking() tracking.Store { return Tracking{s: s} }

// write runs fn as one write of a group commit, as Update does; read
// runs it in a read-only transaction.
func (t Tracking) write(ctx context.Context, fn func(c *conn) error) error {
	return t.s.write(ctx, fn)
}

func (t Tracking) read(ctx context.Context, fn func(c *conn) error) error {
	c, err := t.s.acquire(ctx, t.s.readers)
	if err != nil {
		return err
	}
	defer func() { t.s.readers <- c }()
	return transact(ctx, c, "BEGIN", func() error { return fn(c) })
}

// getDoc reads one JSON document into v; KindNotFound with msg when absent.
func (t Tracking) getDoc(ctx context.Context, v any, msg, query string, args ...any) error {
	return t.read(ctx, func(c *conn) error {
		var doc string
		err := c.queryRow(ctx, query, args...).Scan(&doc)
		if errors.Is(err, sql.ErrNoRows) {
			return registry.E(registry.KindNotFound, "%s", msg)
		}
		if err != nil {
			return maybeStoreError(ctx, err, "read tracking document")
		}
		return json.Unmarshal([]byte(doc), v)
	})
}

func listDocs[T any](ctx context.Context, t Tracking, query string, args ...any) ([]T, error) {
	var out []T
	err := t.read(ctx, func(c *conn) error {
		docs, err := collect(ctx, c, func(s scanner) (string, error) {
			var d string
			return d, s.Scan(&d)
		}, query, args...)
		if err != nil {
			return maybeStoreError(ctx, err, "list tracking documents")
		}
		out = make([]T, len(docs))
		for i, d := range docs {
			if err := json.Unmarshal([]byte(d), &out[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// maybeStoreError is storeError that lets nil through.
func maybeStoreError(ctx context.Context, err error, what string) error {
	if err == nil {
		return nil
	}
	return storeError(ctx, err, "%s", what)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// inList renders "(?, ?, ...)" and its args.
func inList(ids []string) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")", args
}

func (t Tracking) CreateExperiment(ctx context.Context, e tracking.Experiment) (id string, err error) {
	err = t.write(ctx, func(c *conn) error {
		var n int64
		if err := c.queryRow(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM tracking_experiments`).Scan(&n); err != nil {
			return maybeStoreError(ctx, err, "next experiment id")
		}
		id = strconv.FormatInt(n, 10)
		e.ID = id
		if e.ArtifactLocation == "" {
			e.ArtifactLocation = "mlflow-artifacts:/" + id
		}
		_, err := c.exec(ctx, `INSERT INTO tracking_experiments (id, name, doc) VALUES (?, ?, ?)`, n, e.Name, mustJSON(e))
		if err != nil && strings.Contains(err.Error(), "UNIQUE") {
			return registry.E(registry.KindAlreadyExists, "Experiment(name=%s) already exists.", e.Name)
		}
		return maybeStoreError(ctx, err, "create experiment")
	})
	return id, err
}

func (t Tracking) GetExperiment(ctx context.Context, id string) (e tracking.Experiment, err error) {
	err = t.getDoc(ctx, &e, "No Experiment with id="+id+" exists", `SELECT doc FROM tracking_experiments WHERE id = ?`, id)
	return e, err
}

func (t Tracking) GetExperimentByName(ctx context.Context, name string) (e tracking.Experiment, err error) {
	err = t.getDoc(ctx, &e, "Could not find experiment with name '"+name+"'", `SELECT doc FROM tracking_experiments WHERE name = ?`, name)
	return e, err
}

func (t Tracking) ListExperiments(ctx context.Context) ([]tracking.Experiment, error) {
	return listDocs[tracking.Experiment](ctx, t, `SELECT doc FROM tracking_experiments ORDER BY id`)
}

func (t Tracking) PutExperiment(ctx context.Context, e tracking.Experiment) error {
	return t.write(ctx, func(c *conn) error {
		_, err := c.exec(ctx, `UPDATE tracking_experiments SET name = ?, doc = ? WHERE id = ?`, e.Name, mustJSON(e), e.ID)
		return maybeStoreError(ctx, err, "update experiment")
	})
}

func (t Tracking) PutRun(ctx context.Context, r tracking.Run) error {
	return t.write(ctx, func(c *conn) error {
		_, err := c.exec(ctx, `INSERT OR REPLACE INTO tracking_runs (id, experiment_id, start_time, doc) VALUES (?, ?, ?, ?)`,
			r.ID, r.ExperimentID, r.StartTime, mustJSON(r))
		return maybeStoreError(ctx, err, "put run")
	})
}

func (t Tracking) GetRun(ctx context.Context, id string) (r tracking.Run, err error) {
	err = t.getDoc(ctx, &r, "Run with id="+id+" not found", `SELECT doc FROM tracking_runs WHERE id = ?`, id)
	return r, err
}

func (t Tracking) ListRuns(ctx context.Context, experimentIDs []string) ([]tracking.Run, error) {
	if len(experimentIDs) == 0 {
		return []tracking.Run{}, nil
	}
	in, args := inList(experimentIDs)
	return listDocs[tracking.Run](ctx, t, `SELECT doc FROM tracking_runs WHERE experiment_id IN `+in+` ORDER BY start_time DESC, id`, args...)
}

func (t Tracking) AppendMetrics(ctx context.Context, runID string, ms []tracking.Metric) error {
	return t.write(ctx, func(c *conn) error {
		for _, m := range ms {
			if _, err := c.exec(ctx, `INSERT INTO tracking_metrics (run_id, key, doc) VALUES (?, ?, ?)`, runID, m.Key, mustJSON(m)); err != nil {
				return maybeStoreError(ctx, err, "append metric")
			}
		}
		return nil
	})
}

func (t Tracking) MetricHistory(ctx context.Context, runID, key string) ([]tracking.Metric, error) {
	return listDocs[tracking.Metric](ctx, t, `SELECT doc FROM tracking_metrics WHERE run_id = ? AND key = ? ORDER BY seq`, runID, key)
}

func (t Tracking) PutLoggedModel(ctx context.Context, m tracking.LoggedModel) error {
	return t.write(ctx, func(c *conn) error {
		_, err := c.exec(ctx, `INSERT OR REPLACE INTO tracking_logged_models (id, experiment_id, doc) VALUES (?, ?, ?)`,
			m.ID, m.ExperimentID, mustJSON(m))
		return maybeStoreError(ctx, err, "put logged model")
	})
}

func (t Tracking) GetLoggedModel(ctx context.Context, id string) (m tracking.LoggedModel, err error) {
	err = t.getDoc(ctx, &m, "Logged model with ID '"+id+"' not found.", `SELECT doc FROM tracking_logged_models WHERE id = ?`, id)
	return m, err
}

func (t Tracking) ListLoggedModels(ctx context.Context, experimentIDs []string) ([]tracking.LoggedModel, error) {
	if len(experimentIDs) == 0 {
		return []tracking.LoggedModel{}, nil
	}
	in, args := inList(experimentIDs)
	return listDocs[tracking.LoggedModel](ctx, t, `SELECT doc FROM tracking_logged_models WHERE experiment_id IN `+in+` ORDER BY json_extract(doc, '$.created_at'), id`, args...)
}
