package registry

import "context"

// NewModel is what a caller gives to create a model.
type NewModel struct {
	Name        string
	Kind        string // KindModel (when "") or KindDataset; never changes
	Description string
	Tags        map[string]string
}

func (m NewModel) validate() error {
	if err := ValidateModelName(m.Name); err != nil {
		return err
	}
	if _, err := kindOrModel(m.Kind); err != nil {
		return err
	}
	if err := ValidateDescription(m.Description); err != nil {
		return err
	}
	return ValidateTags("tag", m.Tags)
}

// CreateModel registers a new, empty model. KindAlreadyExists if the name is
// taken.
func (s *Service) CreateModel(ctx context.Context, in NewModel) (m Model, err error) {
	if err := in.validate(); err != nil {
		return Model{}, err
	}
	err = s.update(ctx, RoleWriter, func(tx WriteTx, p Principal) error {
		m, err = s.createModel(ctx, tx, p, in)
		return err
	})
	return m, err
}

func (s *Service) createModel(ctx context.Context, tx WriteTx, p Principal, in NewModel) (Model, error) {
	now := s.clock()
	kind, _ := kindOrModel(in.Kind) // checked by validate
	m := Model{
		Name: in.Name, Kind: kind, Description: in.Description, Tags: nonNil(in.Tags),
		CreatedAt: now, UpdatedAt: now, CreatedBy: p.Name, Aliases: map[string]int64{},
	}
	if err := tx.CreateModel(ctx, m); err != nil {
		if Is(err, KindAlreadyExists) {
			return Model{}, E(KindAlreadyExists, "model %q already exists", in.Name)
		}
		return Model{}, err
	}
	return m, s.appendEvent(ctx, tx, p, EventModelCreated, m.Name, 0, map[string]any{"kind": m.Kind})
}

// GetModel returns one model.
func (s *Service) GetModel(ctx context.Context, name string) (m Model, err error) {
	if err := ValidateModelName(name); err != nil {
		return Model{}, err
	}
	err = s.view(ctx, RoleReader, func(tx ReadTx) error {
		m, err = tx.GetModel(ctx, name)
		return err
	})
	return m, err
}

// ListModels returns one page of models and the next page's token.
func (s *Service) ListModels(ctx context.Context, q ModelQuery) (ms []Model, next string, err error) {
	if err := validateTagFilter(q.Tag); err != nil {
		return nil, "", err
	}
	if q.Kind != "" {
		if err := ValidateKind(q.Kind); err != nil {
			return nil, "", err
		}
	}
	err = s.view(ctx, RoleReader, func(tx ReadTx) error {
		ms, next, err = tx.ListModels(ctx, q)
		return err
	})
	return ms, next, err
}

// Patch changes a model's or version's editable fields. Nil Description
// means unchanged; SetTags are added or replaced, then RemoveTags removed.
type Patch struct {
	Description *string
	SetTags     map[string]string
	RemoveTags  []string
}

func (p Patch) validate() error {
	if p.Description != nil {
		if err := ValidateDescription(*p.Description); err != nil {
			return err
		}
	}
	return ValidateTags("tag", p.SetTags)
}

func (p Patch) empty() bool {
	return p.Description == nil && len(p.SetTags) == 0 && len(p.RemoveTags) == 0
}

// apply changes description and tags in place.
func (p Patch) apply(desc *string, tags map[string]string) {
	if p.Description != nil {
		*desc = *p.Description
	}
	for k, v := range p.SetTags {
		tags[k] = v
	}
	for _, k := range p.RemoveTags {
		delete(tags, k)
	}
}

// UpdateModel changes a model's description and tags.
func (s *Service) UpdateModel(ctx context.Context, name string, patch Patch) (m Model, err error) {
	if err := ValidateModelName(name); err != nil {
		return Model{}, err
	}
	if err := patch.validate(); err != nil {
		return Model{}, err
	}
	err = s.update(ctx, RoleWriter, func(tx WriteTx, p Principal) error {
		if m, err = tx.GetModel(ctx, name); err != nil {
			return err
		}
		if patch.empty() {
			return nil
		}
		patch.apply(&m.Description, m.Tags)
		m.UpdatedAt = s.clock()
		if err := tx.UpdateModel(ctx, m); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, p, EventModelUpdated, name, 0, patchData(patch))
	})
	return m, err
}

// DeleteModel removes a model with all its versions, aliases and history.
// Only admins may. Blobs stay until garbage collection.
func (s *Service) DeleteModel(ctx context.Context, name string) error {
	if err := ValidateModelName(name); err != nil {
		return err
	}
	return s.update(ctx, RoleAdmin, func(tx WriteTx, p Principal) error {
		m, err := tx.GetModel(ctx, name)
		if err != nil {
			return err
		}
		if err := tx.DeleteModel(ctx, name); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, p, EventModelDeleted, name, 0, map[string]any{"versions": m.VersionCount})
	})
}

func patchData(p Patch) map[string]any {
	d := map[string]any{}
	if p.Description != nil {
		d["description"] = *p.Description
	}
	if len(p.SetTags) > 0 {
		d["set_tags"] = p.SetTags
	}
	if len(p.RemoveTags) > 0 {
		d["remove_tags"] = p.RemoveTags
	}
	return d
}

func validateTagFilter(f *TagFilter) error {
	if f == nil {
		return nil
	}
	return validateKey("tag filter", f.Key)
}

func nonNil[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}
