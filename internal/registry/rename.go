package registry

import "context"

// RenameModel gives a model a new name; its versions, tags, aliases and
// alias history move with it. References under the old name stop resolving.
func (s *Service) RenameModel(ctx context.Context, from, to string) (m Model, err error) {
	if err := ValidateModelName(from); err != nil {
		return Model{}, err
	}
	if err := ValidateModelName(to); err != nil {
		return Model{}, err
	}
	err = s.update(ctx, RoleWriter, func(tx WriteTx, p Principal) error {
		if _, err := tx.GetModel(ctx, from); err != nil {
			return err
		}
		if from == to {
			m, err = tx.GetModel(ctx, to)
			return err
		}
		if err := tx.RenameModel(ctx, from, to); err != nil {
			if Is(err, KindAlreadyExists) {
				return E(KindAlreadyExists, "model %q already exists", to)
			}
			return err
		}
		if m, err = tx.GetModel(ctx, to); err != nil {
			return err
		}
		m.UpdatedAt = s.clock()
		if err := tx.UpdateModel(ctx, m); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, p, EventModelRenamed, to, 0, map[string]any{"from": from})
	})
	return m, err
}
