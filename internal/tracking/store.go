// Package tracking is the experiment-tracking domain behind the MLflow API:
// experiments, runs with their params, metrics and tags, MLflow 3 logged
// models, and the index of proxied artifacts (artifact path -> blob digest,
// the bytes themselves live in the registry's content-addressed blob store).
//
// Like internal/registry it knows no HTTP and no SQL: transports call the
// Service, and stores implement the small interfaces below. The conformance
// suite is internal/storage/meta/metatest.RunTracking.
package tracking

import (
	"context"

	"github.com/modelry/modelry/internal/registry"
)

// Store is what tracking persists. Each call is atomic on its own; the
// Service serializes read-modify-write sequences.
type Store interface {
	ExperimentStore
	RunStore
	LoggedModelStore
	ArtifactIndex
	WebhookStore
}

// ExperimentStore keeps experiments. Experiment "0" named "Default" always
// exists.
type ExperimentStore interface {
	// CreateExperiment assigns the next decimal id. KindAlreadyExists when
	// the name is taken.
	CreateExperiment(ctx context.Context, e Experiment) (string, error)
	// GetExperiment and GetExperimentByName return KindNotFound when absent.
	GetExperiment(ctx context.Context, id string) (Experiment, error)
	GetExperimentByName(ctx context.Context, name string) (Experiment, error)
	ListExperiments(ctx context.Context) ([]Experiment, error)
	// PutExperiment replaces an existing experiment's fields.
	PutExperiment(ctx context.Context, e Experiment) error
}

// RunStore keeps runs and the history of their metrics.
type RunStore interface {
	// PutRun inserts or replaces a run (Metrics holds the latest values).
	PutRun(ctx context.Context, r Run) error
	// GetRun returns KindNotFound when absent.
	GetRun(ctx context.Context, id string) (Run, error)
	// ListRuns lists the runs of the given experiments, newest first.
	ListRuns(ctx context.Context, experimentIDs []string) ([]Run, error)
	// AppendMetrics records metric points in order.
	AppendMetrics(ctx context.Context, runID string, ms []Metric) error
	// MetricHistory lists one metric's points in the order logged.
	MetricHistory(ctx context.Context, runID, key string) ([]Metric, error)
}

// LoggedModelStore keeps MLflow 3 logged models.
type LoggedModelStore interface {
	PutLoggedModel(ctx context.Context, m LoggedModel) error
	// GetLoggedModel returns KindNotFound when absent.
	GetLoggedModel(ctx context.Context, id string) (LoggedModel, error)
	ListLoggedModels(ctx context.Context, experimentIDs []string) ([]LoggedModel, error)
}

// ArtifactIndex maps artifact paths to blobs.
type ArtifactIndex interface {
	// PutArtifact inserts or replaces the entry at a.Path.
	PutArtifact(ctx context.Context, a Artifact) error
	// GetArtifact returns KindNotFound when absent.
	GetArtifact(ctx context.Context, path string) (Artifact, error)
	// ListArtifacts lists every entry under dir (dir "" is the root),
	// recursively, sorted by path.
	ListArtifacts(ctx context.Context, dir string) ([]Artifact, error)
	// DeleteArtifacts removes path and everything under it.
	DeleteArtifacts(ctx context.Context, path string) error
	// ReferencedDigests names every distinct digest the index points at, so
	// that garbage collection keeps those blobs.
	registry.BlobReferrer
}
