package tracking

// Lifecycle stages and statuses, spelled as on MLflow's wire.
const (
	LifecycleActive  = "active"
	LifecycleDeleted = "deleted"

	RunRunning  = "RUNNING"
	RunFinished = "FINISHED"

	ModelPending = "LOGGED_MODEL_PENDING"
	ModelReady   = "LOGGED_MODEL_READY"
)

// Experiment groups runs. Times are unix milliseconds.
type Experiment struct {
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	ArtifactLocation string            `json:"artifact_location"`
	Lifecycle        string            `json:"lifecycle"`
	CreatedAt        int64             `json:"created_at"`
	UpdatedAt        int64             `json:"updated_at"`
	Tags             map[string]string `json:"tags"`
}

// Metric is one point of a metric.
type Metric struct {
	Key       string  `json:"key"`
	Value     float64 `json:"value"`
	Timestamp int64   `json:"timestamp"`
	Step      int64   `json:"step"`
	ModelID   string  `json:"model_id,omitempty"`
}

// ModelOutput links a run to a logged model it produced.
type ModelOutput struct {
	ModelID string `json:"model_id"`
	Step    int64  `json:"step"`
}

// Run is one training run. Metrics holds the latest point of each key.
type Run struct {
	ID           string            `json:"id"`
	ExperimentID string            `json:"experiment_id"`
	Name         string            `json:"name"`
	UserID       string            `json:"user_id"`
	Status       string            `json:"status"`
	StartTime    int64             `json:"start_time"`
	EndTime      int64             `json:"end_time,omitempty"`
	ArtifactURI  string            `json:"artifact_uri"`
	Lifecycle    string            `json:"lifecycle"`
	Params       map[string]string `json:"params"`
	Tags         map[string]string `json:"tags"`
	Metrics      map[string]Metric `json:"metrics"`
	Outputs      []ModelOutput     `json:"outputs,omitempty"`
	InputModels  []string          `json:"input_models,omitempty"`
}

// Registration names a model version made from a logged model.
type Registration struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// LoggedModel is an MLflow 3 model logged from a run.
type LoggedModel struct {
	ID            string            `json:"id"`
	ExperimentID  string            `json:"experiment_id"`
	Name          string            `json:"name"`
	ArtifactURI   string            `json:"artifact_uri"`
	Status        string            `json:"status"`
	ModelType     string            `json:"model_type,omitempty"`
	SourceRunID   string            `json:"source_run_id,omitempty"`
	CreatedAt     int64             `json:"created_at"`
	UpdatedAt     int64             `json:"updated_at"`
	Tags          map[string]string `json:"tags"`
	Params        map[string]string `json:"params"`
	Metrics       []Metric          `json:"metrics,omitempty"`
	Registrations []Registration    `json:"registrations,omitempty"`
	Deleted       bool              `json:"deleted,omitempty"`
}

// Artifact is one file stored through the artifact proxy.
type Artifact struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}
