package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

const selectTokens = `SELECT id, name, role, hash, created_by, created_at, revoked_at FROM tokens`

func scanToken(row scanner) (registry.Token, error) {
	var t registry.Token
	var created int64
	var revoked sql.NullInt64
	if err := row.Scan(&t.ID, &t.Name, &t.Role, &t.Hash, &t.CreatedBy, &created, &revoked); err != nil {
		return t, err
	}
	t.CreatedAt, t.RevokedAt = fromNanos(created), fromNullNanos(revoked)
	return t, nil
}

func (tx *readTx) TokenByHash(ctx context.Context, hash string) (registry.Token, error) {
	t, err := scanToken(tx.c.queryRow(ctx, selectTokens+` WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return registry.Token{}, registry.E(registry.KindNotFound, "no token has that secret")
	}
	if err != nil {
		return registry.Token{}, storeError(ctx, err, "look up token")
	}
	return t, nil
}

// ListTokens returns every token, revoked ones too, ordered by name.
func (tx *readTx) ListTokens(ctx context.Context) ([]registry.Token, error) {
	tokens, err := collect(ctx, tx.c, scanToken, selectTokens+` ORDER BY name`)
	if err != nil {
		return nil, storeError(ctx, err, "list tokens")
	}
	return tokens, nil
}

func (tx *writeTx) CreateToken(ctx context.Context, t registry.Token) error {
	_, err := tx.c.exec(ctx, `INSERT INTO tokens (id, name, role, hash, created_by, created_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Name, t.Role, t.Hash, t.CreatedBy, nanos(t.CreatedAt), nullNanos(t.RevokedAt))
	if isUnique(err) {
		return tx.tokenConflict(ctx, t)
	}
	if err != nil {
		return storeError(ctx, err, "create token %q", t.Name)
	}
	return nil
}

// tokenConflict says which of t's unique fields is already taken.
func (tx *writeTx) tokenConflict(ctx context.Context, t registry.Token) error {
	var id, name string
	err := tx.c.queryRow(ctx, `SELECT id, name FROM tokens WHERE id = ? OR name = ? OR hash = ? LIMIT 1`,
		t.ID, t.Name, t.Hash).Scan(&id, &name)
	switch {
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return storeError(ctx, err, "look up token %q", t.Name)
	case name == t.Name:
		return registry.E(registry.KindAlreadyExists, "a token named %q already exists", t.Name)
	case id == t.ID:
		return registry.E(registry.KindAlreadyExists, "a token with id %q already exists", t.ID)
	}
	return registry.E(registry.KindAlreadyExists, "token %q: a token with the same secret already exists", t.Name)
}

func (tx *writeTx) RevokeToken(ctx context.Context, id string, at time.Time) error {
	found, err := changedRow(tx.c.exec(ctx, `UPDATE tokens SET revoked_at = ? WHERE id = ?`, nanos(at), id))
	if err != nil {
		return storeError(ctx, err, "revoke token %q", id)
	}
	if !found {
		return registry.E(registry.KindNotFound, "token %q not found", id)
	}
	return nil
}
