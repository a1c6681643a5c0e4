package metatest

import (
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

var tokenTests = []test{
	{"CreateFindList", testCreateTokens},
	{"Taken", testTokenTaken},
	{"Revoke", testRevokeToken},
	{"Missing", testMissingToken},
}

func newToken(id, name string, role registry.Role) registry.Token {
	return registry.Token{ID: id, Name: name, Role: role, Hash: digestOf(id)[7:], CreatedBy: "admin", CreatedAt: at(1)}
}

func createTokens(t *testing.T, s registry.Store, ts ...registry.Token) {
	t.Helper()
	update(t, s, func(tx registry.WriteTx) error {
		for _, tok := range ts {
			if err := tx.CreateToken(t.Context(), tok); err != nil {
				return err
			}
		}
		return nil
	})
}

func testCreateTokens(t *testing.T, s registry.Store) {
	ci := newToken("t9", "ci", registry.RoleWriter)
	admin := newToken("t1", "admin", registry.RoleAdmin)
	reader := newToken("t0", "dashboard", registry.RoleReader)
	createTokens(t, s, ci, admin, reader)
	view(t, s, func(tx registry.ReadTx) error {
		for _, want := range []registry.Token{ci, admin, reader} {
			got, err := tx.TokenByHash(t.Context(), want.Hash)
			noErr(t, err)
			same(t, "TokenByHash", got, want)
		}
		all, err := tx.ListTokens(t.Context())
		noErr(t, err)
		same(t, "ListTokens, by name", all, []registry.Token{admin, ci, reader})
		return nil
	})
}

func testTokenTaken(t *testing.T, s registry.Store) {
	createTokens(t, s, newToken("t1", "ci", registry.RoleWriter))
	for _, tc := range []struct {
		name string
		tok  registry.Token
		want string
	}{
		{"name", newToken("t2", "ci", registry.RoleReader), `"ci"`},
		{"id", newToken("t1", "other", registry.RoleReader), `"t1"`},
		{"hash", registry.Token{ID: "t3", Name: "third", Hash: newToken("t1", "", 0).Hash, CreatedAt: t0}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Update(t.Context(), func(tx registry.WriteTx) error { return tx.CreateToken(t.Context(), tc.tok) })
			wantErr(t, err, registry.KindAlreadyExists, tc.want)
		})
	}
	view(t, s, func(tx registry.ReadTx) error {
		all, err := tx.ListTokens(t.Context())
		noErr(t, err)
		if len(all) != 1 {
			t.Errorf("%d tokens stored, want 1", len(all))
		}
		return nil
	})
}

func testRevokeToken(t *testing.T, s registry.Store) {
	tok := newToken("t1", "ci", registry.RoleWriter)
	other := newToken("t2", "other", registry.RoleReader)
	createTokens(t, s, tok, other)
	update(t, s, func(tx registry.WriteTx) error { return tx.RevokeToken(t.Context(), "t1", at(20)) })
	tok.RevokedAt = ptr(at(20))
	view(t, s, func(tx registry.ReadTx) error {
		got, err := tx.TokenByHash(t.Context(), tok.Hash) // revoked tokens are still found
		noErr(t, err)
		same(t, "revoked token", got, tok)
		all, err := tx.ListTokens(t.Context())
		noErr(t, err)
		same(t, "ListTokens after revoke", all, []registry.Token{tok, other})
		return nil
	})
}

func testMissingToken(t *testing.T, s registry.Store) {
	createTokens(t, s, newToken("t1", "ci", registry.RoleWriter))
	view(t, s, func(tx registry.ReadTx) error {
		_, err := tx.TokenByHash(t.Context(), digestOf("nope")[7:])
		wantErr(t, err, registry.KindNotFound)
		return nil
	})
	err := s.Update(t.Context(), func(tx registry.WriteTx) error { return tx.RevokeToken(t.Context(), "t9", at(2)) })
	wantErr(t, err, registry.KindNotFound, `"t9"`)
}
