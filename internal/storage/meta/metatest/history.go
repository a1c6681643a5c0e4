package metatest

import (
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

var historyTests = []test{
	{"NewestFirst", testHistoryOrder},
	{"Until", testHistoryUntil},
	{"Pages", testHistoryPages},
	{"InvalidToken", testHistoryBadToken},
	{"MissingModel", testHistoryMissingModel},
}

// recordMoves records n moves of iris@production (1→2→...), one minute
// apart from at(1), interleaved with moves of another alias and model, and
// returns the production moves oldest first (Seq left 0).
func recordMoves(t *testing.T, s registry.Store, n int) []registry.AliasMove {
	t.Helper()
	seed(t, s, "iris", 1, nil)
	seed(t, s, "rose", 1, nil)
	var moves []registry.AliasMove
	update(t, s, func(tx registry.WriteTx) error {
		for i := 1; i <= n; i++ {
			m := registry.AliasMove{Model: "iris", Alias: "production", From: int64(i - 1), To: int64(i),
				Actor: "alice", Reason: "rollout", At: at(i)}
			moves = append(moves, m)
			noErr(t, tx.AppendAliasMove(t.Context(), m))
			noErr(t, tx.AppendAliasMove(t.Context(), registry.AliasMove{Model: "iris", Alias: "staging", To: 1, At: at(i)}))
			noErr(t, tx.AppendAliasMove(t.Context(), registry.AliasMove{Model: "rose", Alias: "production", To: 1, At: at(i)}))
		}
		return nil
	})
	return moves
}

func history(t *testing.T, s registry.Store, q registry.HistoryQuery) ([]registry.AliasMove, string) {
	t.Helper()
	var moves []registry.AliasMove
	var next string
	view(t, s, func(tx registry.ReadTx) error {
		var err error
		moves, next, err = tx.AliasHistory(t.Context(), "iris", "production", q)
		return err
	})
	return moves, next
}

// withoutSeq checks that Seq decreases and clears it for comparison.
func withoutSeq(t *testing.T, moves []registry.AliasMove) []registry.AliasMove {
	t.Helper()
	out := []registry.AliasMove{}
	for i, m := range moves {
		if m.Seq <= 0 || i > 0 && m.Seq >= moves[i-1].Seq {
			t.Errorf("move %d has Seq %d; want positive and decreasing", i, m.Seq)
		}
		m.Seq = 0
		out = append(out, m)
	}
	return out
}

func reversed(moves []registry.AliasMove) []registry.AliasMove {
	out := []registry.AliasMove{}
	for i := len(moves) - 1; i >= 0; i-- {
		out = append(out, moves[i])
	}
	return out
}

func testHistoryOrder(t *testing.T, s registry.Store) {
	moves := recordMoves(t, s, 4)
	got, next := history(t, s, registry.HistoryQuery{})
	same(t, "history", withoutSeq(t, got), reversed(moves))
	if next != "" {
		t.Errorf("next page token = %q, want none", next)
	}
}

func testHistoryUntil(t *testing.T, s registry.Store) {
	moves := recordMoves(t, s, 5)
	for _, tc := range []struct {
		name  string
		until time.Time
		want  []registry.AliasMove
	}{
		{"at a move, inclusive", at(3), reversed(moves[:3])},
		{"between moves", at(3).Add(30 * time.Second), reversed(moves[:3])},
		{"before the first", at(0), []registry.AliasMove{}},
		{"after the last", at(99), reversed(moves)},
		{"in another zone", at(2).In(time.FixedZone("PST", -8*3600)), reversed(moves[:2])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := history(t, s, registry.HistoryQuery{Until: tc.until})
			same(t, "history until "+tc.until.String(), withoutSeq(t, got), tc.want)
		})
	}
}

func testHistoryPages(t *testing.T, s registry.Store) {
	moves := recordMoves(t, s, 11)
	q := registry.HistoryQuery{Until: at(10), Page: registry.Page{Size: 3}}
	var got []registry.AliasMove
	for pages := 1; ; pages++ {
		page, next := history(t, s, q)
		if len(page) > 3 {
			t.Fatalf("page of %d moves, more than the size 3", len(page))
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("page tokens never end")
		}
		q.Page.Token = next
	}
	same(t, "history across pages (no duplicates, no gaps)", withoutSeq(t, got), reversed(moves[:10]))
}

func testHistoryBadToken(t *testing.T, s registry.Store) {
	recordMoves(t, s, 1)
	view(t, s, func(tx registry.ReadTx) error {
		_, _, err := tx.AliasHistory(t.Context(), "iris", "production", registry.HistoryQuery{Page: registry.Page{Token: "%%%"}})
		wantErr(t, err, registry.KindInvalid, "page token is not valid")
		return nil
	})
}

func testHistoryMissingModel(t *testing.T, s registry.Store) {
	view(t, s, func(tx registry.ReadTx) error {
		_, _, err := tx.AliasHistory(t.Context(), "iris", "production", registry.HistoryQuery{})
		wantErr(t, err, registry.KindNotFound, `model "iris" not found`)
		return nil
	})
	err := s.Update(t.Context(), func(tx registry.WriteTx) error {
		return tx.AppendAliasMove(t.Context(), registry.AliasMove{Model: "iris", Alias: "production", To: 1, At: t0})
	})
	wantErr(t, err, registry.KindNotFound, `model "iris" not found`)
}
