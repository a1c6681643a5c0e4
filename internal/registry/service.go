package registry

import (
	"context"
	"sync"
	"time"
)

// Service is the registry: every use case the transports (REST, MLflow, CLI)
// offer goes through it. It checks names, references and roles, and composes
// store calls into single transactions.
type Service struct {
	store Store
	blobs BlobStore
	now   func() time.Time

	tokenCache sync.Map // hash -> cachedPrincipal
	gc         gcState  // garbage collection (gc.go)
}

// Option configures a Service.
type Option func(*Service)

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New returns a Service over a metadata store and a blob store.
func New(store Store, blobs BlobStore, opts ...Option) *Service {
	s := &Service{store: store, blobs: blobs, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Blobs returns the blob store, for transports that serve bytes directly.
func (s *Service) Blobs() BlobStore { return s.blobs }

func (s *Service) clock() time.Time { return s.now().UTC() }

type principalKey struct{}

// WithPrincipal returns a context carrying who makes the call.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller carried by ctx, or the zero Principal.
func PrincipalFrom(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}

// require checks that the caller holds at least role, and returns them.
func require(ctx context.Context, role Role) (Principal, error) {
	p := PrincipalFrom(ctx)
	if p.Role == RoleNone {
		return p, E(KindUnauthenticated, "this call needs a token; pass one as 'Authorization: Bearer <token>'")
	}
	if p.Role < role {
		return p, E(KindPermission, "token %q has role %s; this call needs %s", p.Name, p.Role, role)
	}
	return p, nil
}

// view runs fn in a read transaction after checking the caller's role.
func (s *Service) view(ctx context.Context, role Role, fn func(ReadTx) error) error {
	if _, err := require(ctx, role); err != nil {
		return err
	}
	return s.store.View(ctx, fn)
}

// update runs fn in a write transaction after checking the caller's role.
func (s *Service) update(ctx context.Context, role Role, fn func(tx WriteTx, p Principal) error) error {
	p, err := require(ctx, role)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx WriteTx) error { return fn(tx, p) })
}

// appendEvent records one change in the audit log.
func (s *Service) appendEvent(ctx context.Context, tx WriteTx, p Principal, typ, model string, version int64, data map[string]any) error {
	_, err := tx.AppendEvent(ctx, Event{Type: typ, Actor: p.Name, Model: model, Version: version, Data: data, At: s.clock()})
	return err
}

// ListEvents reads the audit log.
func (s *Service) ListEvents(ctx context.Context, q EventQuery) (events []Event, err error) {
	err = s.view(ctx, RoleReader, func(tx ReadTx) error {
		events, err = tx.ListEvents(ctx, q)
		return err
	})
	return events, err
}

// Stats are counts for the server's own metrics.
type Stats struct {
	Versions int64
}

// Stats counts what is stored. It needs no role: only the server calls it.
func (s *Service) Stats(ctx context.Context) (st Stats, err error) {
	err = s.store.View(ctx, func(tx ReadTx) error {
		st.Versions, err = tx.CountVersions(ctx)
		return err
	})
	return st, err
}

// Ready reports whether the stores answer.
func (s *Service) Ready(ctx context.Context) error {
	_, err := s.Stats(ctx)
	return err
}
