package tracking

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

// Service is experiment tracking. Roles are the registry's: reading needs a
// reader token, changing needs a writer.
type Service struct {
	store   Store
	blobs   registry.BlobStore
	deliver Deliverer
	guard   BlobGuard
	now     func() time.Time
	mu      sync.Mutex // serializes read-modify-write of one run or model
}

// Option configures a Service.
type Option func(*Service)

// WithDeliverer sets how webhook events are sent; without one, webhooks are
// stored but never delivered.
func WithDeliverer(d Deliverer) Option { return func(s *Service) { s.deliver = d } }

// BlobGuard makes a new reference to stored blobs safe against a garbage
// collection running at the same time: it checks and touches the blobs, then
// runs commit, which records the reference. registry.Service is one.
type BlobGuard interface {
	ReferenceBlobs(ctx context.Context, digests []string, commit func() error) error
}

// WithBlobGuard sets the guard artifact uploads commit through; without
// one, they commit directly (fine when nothing collects garbage).
func WithBlobGuard(g BlobGuard) Option { return func(s *Service) { s.guard = g } }

// unguarded commits without coordination.
type unguarded struct{}

func (unguarded) ReferenceBlobs(_ context.Context, _ []string, commit func() error) error {
	return commit()
}

// New returns a Service over a tracking store and the registry's blobs.
func New(store Store, blobs registry.BlobStore, opts ...Option) *Service {
	s := &Service{store: store, blobs: blobs, deliver: noDeliverer{}, guard: unguarded{}, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *Service) nowMS() int64 { return s.now().UnixMilli() }

// need checks the caller's role, as the registry does.
func need(ctx context.Context, role registry.Role) (registry.Principal, error) {
	p := registry.PrincipalFrom(ctx)
	if p.Role == registry.RoleNone {
		return p, registry.E(registry.KindUnauthenticated, "this call needs a token; pass one as 'Authorization: Bearer <token>'")
	}
	if p.Role < role {
		return p, registry.E(registry.KindPermission, "token %q has role %s; this call needs %s", p.Name, p.Role, role)
	}
	return p, nil
}

// newHexID returns 32 lower-case hex digits, like uuid4().hex.
func newHexID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// CreateExperiment creates an experiment and returns its id.
func (s *Service) CreateExperiment(ctx context.Context, name, artifactLocation string, tags map[string]string) (string, error) {
	if _, err := need(ctx, registry.RoleWriter); err != nil {
		return "", err
	}
	if name == "" {
		return "", registry.E(registry.KindInvalid, "experiment name is empty")
	}
	now := s.nowMS()
	e := Experiment{Name: name, ArtifactLocation: artifactLocation, Lifecycle: LifecycleActive,
		CreatedAt: now, UpdatedAt: now, Tags: nonNil(tags)}
	return s.store.CreateExperiment(ctx, e)
}

// GetExperiment reads an experiment by id.
func (s *Service) GetExperiment(ctx context.Context, id string) (Experiment, error) {
	if _, err := need(ctx, registry.RoleReader); err != nil {
		return Experiment{}, err
	}
	return s.store.GetExperiment(ctx, id)
}

// GetExperimentByName reads an experiment by name.
func (s *Service) GetExperimentByName(ctx context.Context, name string) (Experiment, error) {
	if _, err := need(ctx, registry.RoleReader); err != nil {
		return Experiment{}, err
	}
	return s.store.GetExperimentByName(ctx, name)
}

// ListExperiments reads every experiment.
func (s *Service) ListExperiments(ctx context.Context) ([]Experiment, error) {
	if _, err := need(ctx, registry.RoleReader); err != nil {
		return nil, err
	}
	return s.store.ListExperiments(ctx)
}

// NewRun is what a caller gives to start a run.
type NewRun struct {
	ExperimentID string
	Name         string
	UserID       string
	StartTime    int64
	Tags         map[string]string
}

// CreateRun starts a run in an experiment.
func (s *Service) CreateRun(ctx context.Context, in NewRun) (Run, error) {
	if _, err := need(ctx, registry.RoleWriter); err != nil {
		return Run{}, err
	}
	if in.ExperimentID == "" {
		in.ExperimentID = "0"
	}
	exp, err := s.store.GetExperiment(ctx, in.ExperimentID)
	if err != nil {
		return Run{}, err
	}
	id := newHexID()
	r := Run{
		ID: id, ExperimentID: exp.ID, Name: in.Name, UserID: in.UserID, Status: RunRunning,
		StartTime: in.StartTime, ArtifactURI: exp.ArtifactLocation + "/" + id + "/artifacts",
		Lifecycle: LifecycleActive, Params: map[string]string{}, Tags: nonNil(in.Tags), Metrics: map[string]Metric{},
	}
	if r.StartTime == 0 {
		r.StartTime = s.nowMS()
	}
	if r.Name == "" {
		r.Name = r.Tags["mlflow.runName"]
	}
	if r.Name == "" {
		r.Name = "run-" + id[:8]
	}
	r.Tags["mlflow.runName"] = r.Name
	return r, s.store.PutRun(ctx, r)
}

// GetRun reads a run.
func (s *Service) GetRun(ctx context.Context, id string) (Run, error) {
	if _, err := need(ctx, registry.RoleReader); err != nil {
		return Run{}, err
	}
	return s.store.GetRun(ctx, id)
}

// SearchRuns lists the runs of some experiments, newest first.
func (s *Service) SearchRuns(ctx context.Context, experimentIDs []string) ([]Run, error) {
	if _, err := need(ctx, registry.RoleReader); err != nil {
		return nil, err
	}
	return s.store.ListRuns(ctx, experimentIDs)
}

// changeRun applies fn to a run and stores it, serialized with other changes.
func (s *Service) changeRun(ctx context.Context, id string, fn func(*Run) error) (Run, error) {
	if _, err := need(ctx, registry.RoleWriter); err != nil {
		return Run{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.store.GetRun(ctx, id)
	if err != nil {
		return Run{}, err
	}
	if err := fn(&r); err != nil {
		return Run{}, err
	}
	return r, s.store.PutRun(ctx, r)
}

// UpdateRun sets a run's status, end time and name (empty: unchanged).
func (s *Service) UpdateRun(ctx context.Context, id, status string, endTime int64, name string) (Run, error) {
	return s.changeRun(ctx, id, func(r *Run) error {
		if status != "" {
			r.Status = status
		}
		if endTime != 0 {
			r.EndTime = endTime
		}
		if name != "" {
			r.Name, r.Tags["mlflow.runName"] = name, name
		}
		return nil
	})
}

// LogBatch records metrics, params and tags on a run. A param, once logged,
// keeps its value.
func (s *Service) LogBatch(ctx context.Context, id string, metrics []Metric, params, tags map[string]string) error {
	_, err := s.changeRun(ctx, id, func(r *Run) error {
		for k, v := range params {
			if old, ok := r.Params[k]; ok && old != v {
				return registry.E(registry.KindInvalid, "Changing param values is not allowed. Param with key='%s' was already logged with value='%s' for run ID='%s'. Attempted logging new value '%s'.", k, old, id, v)
			}
			r.Params[k] = v
		}
		for k, v := range tags {
			r.Tags[k] = v
			if k == "mlflow.runName" {
				r.Name = v
			}
		}
		for _, m := range metrics {
			if cur, ok := r.Metrics[m.Key]; !ok || m.Step > cur.Step || m.Step == cur.Step && m.Timestamp >= cur.Timestamp {
				r.Metrics[m.Key] = m
			}
		}
		fresh, err := s.newPoints(ctx, id, metrics)
		if err != nil || len(fresh) == 0 {
			return err
		}
		return s.store.AppendMetrics(ctx, id, fresh)
	})
	return err
}

// newPoints drops metric points already recorded with the same key, value,
// timestamp and step: MLflow keys its metric rows on those, so re-logging a
// point (as log_model does, adding a model id) leaves the history unchanged.
func (s *Service) newPoints(ctx context.Context, runID string, ms []Metric) ([]Metric, error) {
	type point struct {
		key      string
		value    float64
		ts, step int64
	}
	seen := map[point]bool{}
	loaded := map[string]bool{}
	var fresh []Metric
	for _, m := range ms {
		if !loaded[m.Key] {
			loaded[m.Key] = true
			old, err := s.store.MetricHistory(ctx, runID, m.Key)
			if err != nil {
				return nil, err
			}
			for _, o := range old {
				seen[point{o.Key, o.Value, o.Timestamp, o.Step}] = true
			}
		}
		p := point{m.Key, m.Value, m.Timestamp, m.Step}
		if !seen[p] {
			seen[p] = true
			fresh = append(fresh, m)
		}
	}
	return fresh, nil
}

// DeleteTag removes a run tag.
func (s *Service) DeleteTag(ctx context.Context, id, key string) error {
	_, err := s.changeRun(ctx, id, func(r *Run) error {
		if _, ok := r.Tags[key]; !ok {
			return registry.E(registry.KindNotFound, "No tag with name: %s in run with id %s", key, id)
		}
		delete(r.Tags, key)
		return nil
	})
	return err
}

// AddOutputs links logged models to the run that produced them.
func (s *Service) AddOutputs(ctx context.Context, id string, outs []ModelOutput) error {
	_, err := s.changeRun(ctx, id, func(r *Run) error {
		r.Outputs = append(r.Outputs, outs...)
		return nil
	})
	return err
}

// AddInputModels records logged models a run used.
func (s *Service) AddInputModels(ctx context.Context, id string, modelIDs []string) error {
	_, err := s.changeRun(ctx, id, func(r *Run) error {
		r.InputModels = append(r.InputModels, modelIDs...)
		return nil
	})
	return err
}

// MetricHistory lists every point of one metric of a run.
func (s *Service) MetricHistory(ctx context.Context, runID, key string) ([]Metric, error) {
	if _, err := need(ctx, registry.RoleReader); err != nil {
		return nil, err
	}
	if _, err := s.store.GetRun(ctx, runID); err != nil {
		return nil, err
	}
	return s.store.MetricHistory(ctx, runID, key)
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// ChangeExperiment applies fn to an experiment and stores it.
func (s *Service) ChangeExperiment(ctx context.Context, id string, fn func(*Experiment) error) (Experiment, error) {
	if _, err := need(ctx, registry.RoleWriter); err != nil {
		return Experiment{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.store.GetExperiment(ctx, id)
	if err != nil {
		return Experiment{}, err
	}
	if err := fn(&e); err != nil {
		return Experiment{}, err
	}
	e.UpdatedAt = s.nowMS()
	return e, s.store.PutExperiment(ctx, e)
}

// SetRunLifecycle marks a run deleted or active again.
func (s *Service) SetRunLifecycle(ctx context.Context, id, lifecycle string) error {
	_, err := s.changeRun(ctx, id, func(r *Run) error {
		r.Lifecycle = lifecycle
		return nil
	})
	return err
}
