-- 0002_tracking: MLflow experiment tracking (internal/tracking) and the
-- index of proxied artifacts. Experiments, runs and logged models are JSON
-- documents (encoding/json of the tracking types) keyed by id; metric points
-- are rows so a history reads in order. Artifact bytes live in the blob
-- store; this table maps each artifact path to its blob.

CREATE TABLE tracking_experiments (
	id   INTEGER PRIMARY KEY,
	name TEXT    NOT NULL UNIQUE,
	doc  TEXT    NOT NULL
);

INSERT INTO tracking_experiments (id, name, doc) VALUES (0, 'Default',
	'{"id":"0","name":"Default","artifact_location":"mlflow-artifacts:/0","lifecycle":"active","created_at":0,"updated_at":0,"tags":{}}');

CREATE TABLE tracking_runs (
	id            TEXT    NOT NULL PRIMARY KEY,
	experiment_id TEXT    NOT NULL,
	start_time    INTEGER NOT NULL,
	doc           TEXT    NOT NULL
);

CREATE INDEX tracking_runs_by_experiment ON tracking_runs (experiment_id, start_time);

CREATE TABLE tracking_metrics (
	seq    INTEGER PRIMARY KEY AUTOINCREMENT,
	run_id TEXT    NOT NULL,
	key    TEXT    NOT NULL,
	doc    TEXT    NOT NULL
);

CREATE INDEX tracking_metrics_by_key ON tracking_metrics (run_id, key, seq);

CREATE TABLE tracking_logged_models (
	id            TEXT NOT NULL PRIMARY KEY,
	experiment_id TEXT NOT NULL,
	doc           TEXT NOT NULL
);

CREATE TABLE artifacts (
	path   TEXT    NOT NULL PRIMARY KEY,
	digest TEXT    NOT NULL,
	size   INTEGER NOT NULL
) WITHOUT ROWID;
