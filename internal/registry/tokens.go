package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
	"time"
)

// TokenPrefix starts every secret Modelry issues, so leaked tokens are easy
// to spot in logs and by secret scanners.
const TokenPrefix = "mdl_"

// tokenCacheTTL bounds how long a verified token is trusted without asking
// the store again. Revocation through this server takes effect at once.
const tokenCacheTTL = 10 * time.Second

type cachedPrincipal struct {
	p       Principal
	expires time.Time
}

// HashToken returns the hex SHA-256 under which a secret is stored.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func newSecret() string {
	b := make([]byte, 30)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return TokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Authenticate maps a secret to the principal it stands for.
func (s *Service) Authenticate(ctx context.Context, secret string) (Principal, error) {
	hash := HashToken(secret)
	if c, ok := s.tokenCache.Load(hash); ok {
		if c := c.(cachedPrincipal); s.now().Before(c.expires) {
			return c.p, nil
		}
	}
	var t Token
	err := s.store.View(ctx, func(tx ReadTx) (err error) {
		t, err = tx.TokenByHash(ctx, hash)
		return err
	})
	if Is(err, KindNotFound) {
		return Principal{}, E(KindUnauthenticated, "the token is not valid; create one with 'modelry token create' or check MODELRY_TOKEN")
	}
	if err != nil {
		return Principal{}, err
	}
	if t.RevokedAt != nil {
		return Principal{}, E(KindUnauthenticated, "token %q was revoked at %s", t.Name, t.RevokedAt.Format(time.RFC3339))
	}
	p := Principal{Name: t.Name, Role: t.Role}
	s.tokenCache.Store(hash, cachedPrincipal{p: p, expires: s.now().Add(tokenCacheTTL)})
	return p, nil
}

// CreateToken issues a token. The secret is returned once and never stored.
func (s *Service) CreateToken(ctx context.Context, name string, role Role) (secret string, t Token, err error) {
	if err := ValidateModelName(name); err != nil {
		return "", Token{}, E(KindInvalid, "token name: %s", strings.ReplaceAll(Message(err), "model name", "name"))
	}
	if role < RoleReader || role > RoleAdmin {
		return "", Token{}, E(KindInvalid, "role must be reader, writer or admin")
	}
	secret = newSecret()
	err = s.update(ctx, RoleAdmin, func(tx WriteTx, p Principal) error {
		t, err = s.insertToken(ctx, tx, p.Name, name, role, secret)
		return err
	})
	return secret, t, err
}

func (s *Service) insertToken(ctx context.Context, tx WriteTx, actor, name string, role Role, secret string) (Token, error) {
	t := Token{ID: newID(), Name: name, Role: role, Hash: HashToken(secret), CreatedBy: actor, CreatedAt: s.clock()}
	if err := tx.CreateToken(ctx, t); err != nil {
		if Is(err, KindAlreadyExists) {
			return Token{}, E(KindAlreadyExists, "a token named %q already exists", name)
		}
		return Token{}, err
	}
	_, err := tx.AppendEvent(ctx, Event{Type: EventTokenCreated, Actor: actor, At: t.CreatedAt,
		Data: map[string]any{"id": t.ID, "name": name, "role": role.String()}})
	return t, err
}

// ListTokens lists tokens (never their secrets).
func (s *Service) ListTokens(ctx context.Context) (ts []Token, err error) {
	err = s.view(ctx, RoleAdmin, func(tx ReadTx) error {
		ts, err = tx.ListTokens(ctx)
		return err
	})
	return ts, err
}

// RevokeToken revokes a token by ID; it stops working at once on this server.
func (s *Service) RevokeToken(ctx context.Context, id string) error {
	err := s.update(ctx, RoleAdmin, func(tx WriteTx, p Principal) error {
		now := s.clock()
		if err := tx.RevokeToken(ctx, id, now); err != nil {
			return err
		}
		_, err := tx.AppendEvent(ctx, Event{Type: EventTokenRevoked, Actor: p.Name, At: now, Data: map[string]any{"id": id}})
		return err
	})
	if err == nil {
		s.tokenCache.Clear()
	}
	return err
}

// MinSecretLen is the shortest admin secret accepted from the environment.
const MinSecretLen = 16

// Bootstrap makes sure an admin can log in. With an empty token table it
// creates an admin token: from fromEnv when set, otherwise a fresh secret,
// which it returns so the server can print it once. When fromEnv is set and
// unknown to a non-empty table, it is added as an admin token too, so an
// operator can always regain access through the environment.
func (s *Service) Bootstrap(ctx context.Context, fromEnv string) (created string, err error) {
	if fromEnv != "" && len(fromEnv) < MinSecretLen {
		return "", E(KindInvalid, "MODELRY_ADMIN_TOKEN is %d characters long; use at least %d", len(fromEnv), MinSecretLen)
	}
	err = s.store.Update(ctx, func(tx WriteTx) error {
		ts, err := tx.ListTokens(ctx)
		if err != nil {
			return err
		}
		switch {
		case fromEnv != "":
			if _, err := tx.TokenByHash(ctx, HashToken(fromEnv)); !Is(err, KindNotFound) {
				return err
			}
			name := "admin"
			if len(ts) > 0 { // "admin" may be taken; keep the first start's name
				name = "admin-env-" + newID()[:6]
			}
			_, err = s.insertToken(ctx, tx, "bootstrap", name, RoleAdmin, fromEnv)
			return err
		case len(ts) == 0:
			created = newSecret()
			_, err = s.insertToken(ctx, tx, "bootstrap", "admin", RoleAdmin, created)
			return err
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return created, nil
}
