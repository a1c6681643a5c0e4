package registry

import (
	"context"
	"time"
)

// AliasOptions qualify an alias move.
type AliasOptions struct {
	// Expect, when set, is the version the caller believes the alias points
	// at now (0: not set). If it points elsewhere the move fails with
	// KindPrecondition, so two concurrent movers cannot overwrite each other.
	Expect *int64
	Reason string
}

// MaxReasonLen bounds the free-text reason of an alias move.
const MaxReasonLen = 1000

func (o AliasOptions) validate() error {
	if o.Expect != nil && *o.Expect < 0 {
		return E(KindInvalid, "expected version %d is negative; use 0 for 'not set'", *o.Expect)
	}
	if len(o.Reason) > MaxReasonLen {
		return E(KindInvalid, "reason is %d bytes long; the limit is %d", len(o.Reason), MaxReasonLen)
	}
	return ValidateDescription(o.Reason)
}

// SetAlias points an alias at a live version and records the move. Setting
// an alias to the version it already points at records nothing and returns a
// move with Seq 0.
func (s *Service) SetAlias(ctx context.Context, model, alias string, number int64, opt AliasOptions) (mv AliasMove, err error) {
	if err := validateAliasCall(model, alias, opt); err != nil {
		return AliasMove{}, err
	}
	if number <= 0 {
		return AliasMove{}, E(KindInvalid, "version must be a positive number, not %d", number)
	}
	err = s.update(ctx, RoleWriter, func(tx WriteTx, p Principal) error {
		mv, err = s.moveAlias(ctx, tx, p, model, alias, number, opt)
		return err
	})
	return mv, err
}

// RemoveAlias unsets an alias and records the move (To is 0).
func (s *Service) RemoveAlias(ctx context.Context, model, alias string, opt AliasOptions) (mv AliasMove, err error) {
	if err := validateAliasCall(model, alias, opt); err != nil {
		return AliasMove{}, err
	}
	err = s.update(ctx, RoleWriter, func(tx WriteTx, p Principal) error {
		if _, err := tx.GetAlias(ctx, model, alias); Is(err, KindNotFound) {
			return E(KindNotFound, "model %q has no alias %q", model, alias)
		}
		mv, err = s.moveAlias(ctx, tx, p, model, alias, 0, opt)
		return err
	})
	return mv, err
}

// Rollback moves an alias back to the version it pointed at before its last
// move (undoing a removal too). Rolling back twice returns to where it
// started, like `cd -`.
func (s *Service) Rollback(ctx context.Context, model, alias, reason string) (mv AliasMove, err error) {
	opt := AliasOptions{Reason: reason}
	if err := validateAliasCall(model, alias, opt); err != nil {
		return AliasMove{}, err
	}
	err = s.update(ctx, RoleWriter, func(tx WriteTx, p Principal) error {
		last, _, err := tx.AliasHistory(ctx, model, alias, HistoryQuery{Page: Page{Size: 1}})
		if err != nil {
			return err
		}
		if len(last) == 0 {
			return E(KindNotFound, "alias %q of model %q has never been set", alias, model)
		}
		prev := last[0].From
		if prev == 0 {
			return E(KindPrecondition, "alias %q of model %q has no earlier target to roll back to: its last move set it for the first time", alias, model)
		}
		if opt.Reason == "" {
			opt.Reason = "rollback"
		}
		cur := last[0].To
		opt.Expect = &cur
		mv, err = s.moveAlias(ctx, tx, p, model, alias, prev, opt)
		return err
	})
	return mv, err
}

// moveAlias points alias at version number (0 removes it) inside tx, checks
// the expected current target, and records the move and an event.
func (s *Service) moveAlias(ctx context.Context, tx WriteTx, p Principal, model, alias string, number int64, opt AliasOptions) (AliasMove, error) {
	if _, err := tx.GetModel(ctx, model); err != nil {
		return AliasMove{}, err
	}
	var from int64
	switch cur, err := tx.GetAlias(ctx, model, alias); {
	case err == nil:
		from = cur.Version
	case !Is(err, KindNotFound):
		return AliasMove{}, err
	}
	if opt.Expect != nil && *opt.Expect != from {
		return AliasMove{}, E(KindPrecondition, "alias %q of %q points at %s, not %s as expected; someone moved it, re-read and retry",
			alias, model, versionOrNone(from), versionOrNone(*opt.Expect))
	}
	now := s.clock()
	mv := AliasMove{Model: model, Alias: alias, From: from, To: number, Actor: p.Name, Reason: opt.Reason, At: now}
	if from == number {
		return mv, nil
	}
	if number == 0 {
		if err := tx.DeleteAlias(ctx, model, alias); err != nil {
			return AliasMove{}, err
		}
	} else {
		if err := s.requireLive(ctx, tx, model, number); err != nil {
			return AliasMove{}, err
		}
		if err := tx.PutAlias(ctx, Alias{Model: model, Name: alias, Version: number, UpdatedAt: now, UpdatedBy: p.Name}); err != nil {
			return AliasMove{}, err
		}
	}
	if err := tx.AppendAliasMove(ctx, mv); err != nil {
		return AliasMove{}, err
	}
	typ := EventAliasSet
	if number == 0 {
		typ = EventAliasRemoved
	}
	data := map[string]any{"alias": alias, "from": from, "to": number, "reason": opt.Reason}
	seq, err := tx.AppendEvent(ctx, Event{Type: typ, Actor: p.Name, Model: model, Version: number, Data: data, At: now})
	mv.Seq = seq
	return mv, err
}

func (s *Service) requireLive(ctx context.Context, tx ReadTx, model string, number int64) error {
	v, err := tx.GetVersion(ctx, model, number)
	if Is(err, KindNotFound) {
		return E(KindNotFound, "model %q has no version %d", model, number)
	}
	if err != nil {
		return err
	}
	if v.Deleted() {
		return E(KindPrecondition, "version %d of %q is deleted; an alias cannot point at it", number, model)
	}
	return nil
}

// ListAliases returns the aliases of a model.
func (s *Service) ListAliases(ctx context.Context, model string) (as []Alias, err error) {
	if err := ValidateModelName(model); err != nil {
		return nil, err
	}
	err = s.view(ctx, RoleReader, func(tx ReadTx) error {
		if _, err := tx.GetModel(ctx, model); err != nil {
			return err
		}
		as, err = tx.ListAliases(ctx, model)
		return err
	})
	return as, err
}

// AliasHistory lists the recorded moves of an alias, newest first.
func (s *Service) AliasHistory(ctx context.Context, model, alias string, q HistoryQuery) (ms []AliasMove, next string, err error) {
	if err := validateAliasCall(model, alias, AliasOptions{}); err != nil {
		return nil, "", err
	}
	err = s.view(ctx, RoleReader, func(tx ReadTx) error {
		if _, err := tx.GetModel(ctx, model); err != nil {
			return err
		}
		ms, next, err = tx.AliasHistory(ctx, model, alias, q)
		return err
	})
	return ms, next, err
}

// AliasAt answers "what did this alias point at, at time t?": the version
// number (0 if it was not set) and the move that put it there (nil if none).
func (s *Service) AliasAt(ctx context.Context, model, alias string, t time.Time) (int64, *AliasMove, error) {
	ms, _, err := s.AliasHistory(ctx, model, alias, HistoryQuery{Until: t, Page: Page{Size: 1}})
	if err != nil || len(ms) == 0 {
		return 0, nil, err
	}
	return ms[0].To, &ms[0], nil
}

func validateAliasCall(model, alias string, opt AliasOptions) error {
	if err := ValidateModelName(model); err != nil {
		return err
	}
	if err := ValidateAlias(alias); err != nil {
		return err
	}
	return opt.validate()
}

func versionOrNone(n int64) string {
	if n == 0 {
		return "nothing"
	}
	return "version " + itoa(n)
}
