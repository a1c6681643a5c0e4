package tracking

import (
	"context"

	"github.com/modelry/modelry/internal/registry"
)

// NewLoggedModel is what a caller gives to log an MLflow 3 model.
type NewLoggedModel struct {
	ExperimentID string
	Name         string
	ModelType    string
	SourceRunID  string
	Params       map[string]string
	Tags         map[string]string
}

// CreateLoggedModel creates a pending logged model whose artifacts go under
// <experiment artifact location>/models/<id>/artifacts.
func (s *Service) CreateLoggedModel(ctx context.Context, in NewLoggedModel) (LoggedModel, error) {
	if _, err := need(ctx, registry.RoleWriter); err != nil {
		return LoggedModel{}, err
	}
	exp, err := s.store.GetExperiment(ctx, in.ExperimentID)
	if err != nil {
		return LoggedModel{}, err
	}
	id := "m-" + newHexID()
	if in.Name == "" {
		in.Name = "model-" + id[2:10]
	}
	now := s.nowMS()
	m := LoggedModel{
		ID: id, ExperimentID: exp.ID, Name: in.Name, ModelType: in.ModelType, SourceRunID: in.SourceRunID,
		ArtifactURI: exp.ArtifactLocation + "/models/" + id + "/artifacts", Status: ModelPending,
		CreatedAt: now, UpdatedAt: now, Tags: nonNil(in.Tags), Params: nonNil(in.Params),
	}
	return m, s.store.PutLoggedModel(ctx, m)
}

// GetLoggedModel reads a logged model; a deleted one is not found.
func (s *Service) GetLoggedModel(ctx context.Context, id string) (LoggedModel, error) {
	if _, err := need(ctx, registry.RoleReader); err != nil {
		return LoggedModel{}, err
	}
	m, err := s.store.GetLoggedModel(ctx, id)
	if err == nil && m.Deleted {
		return LoggedModel{}, registry.E(registry.KindNotFound, "Logged model with ID '%s' not found.", id)
	}
	return m, err
}

// SearchLoggedModels lists the logged models of some experiments.
func (s *Service) SearchLoggedModels(ctx context.Context, experimentIDs []string) ([]LoggedModel, error) {
	if _, err := need(ctx, registry.RoleReader); err != nil {
		return nil, err
	}
	all, err := s.store.ListLoggedModels(ctx, experimentIDs)
	live := all[:0]
	for _, m := range all {
		if !m.Deleted {
			live = append(live, m)
		}
	}
	return live, err
}

// ChangeLoggedModel applies fn to a logged model and stores it.
func (s *Service) ChangeLoggedModel(ctx context.Context, id string, fn func(*LoggedModel)) (LoggedModel, error) {
	if _, err := need(ctx, registry.RoleWriter); err != nil {
		return LoggedModel{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.store.GetLoggedModel(ctx, id)
	if err != nil {
		return LoggedModel{}, err
	}
	fn(&m)
	m.UpdatedAt = s.nowMS()
	return m, s.store.PutLoggedModel(ctx, m)
}

// NoteRegistration records that a model version was made from a logged
// model. It is best effort: the version exists whatever happens here.
func (s *Service) NoteRegistration(ctx context.Context, modelID, name, version string) {
	_, _ = s.ChangeLoggedModel(ctx, modelID, func(m *LoggedModel) {
		m.Registrations = append(m.Registrations, Registration{Name: name, Version: version})
	})
}

// LinkMetrics records metric points logged with a model id on that logged
// model too, as MLflow 3 does (mlflow.get_logged_model(id).metrics).
func (s *Service) LinkMetrics(ctx context.Context, ms []Metric) error {
	byModel := map[string][]Metric{}
	for _, m := range ms {
		if m.ModelID != "" {
			byModel[m.ModelID] = append(byModel[m.ModelID], m)
		}
	}
	for id, points := range byModel {
		_, err := s.ChangeLoggedModel(ctx, id, func(m *LoggedModel) { m.Metrics = append(m.Metrics, points...) })
		if err != nil && !registry.Is(err, registry.KindNotFound) {
			return err
		}
	}
	return nil
}
