package metatest

import (
	"fmt"
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

var eventTests = []test{
	{"AppendAndList", testAppendEvents},
	{"Filters", testEventFilters},
	{"Limits", testEventLimits},
}

func appendEvents(t *testing.T, s registry.Store, es ...registry.Event) []int64 {
	t.Helper()
	var seqs []int64
	update(t, s, func(tx registry.WriteTx) error {
		for _, e := range es {
			seq, err := tx.AppendEvent(t.Context(), e)
			if err != nil {
				return err
			}
			seqs = append(seqs, seq)
		}
		return nil
	})
	return seqs
}

func listEvents(t *testing.T, s registry.Store, q registry.EventQuery) []registry.Event {
	t.Helper()
	var es []registry.Event
	view(t, s, func(tx registry.ReadTx) error {
		var err error
		es, err = tx.ListEvents(t.Context(), q)
		return err
	})
	return es
}

func testAppendEvents(t *testing.T, s registry.Store) {
	in := []registry.Event{
		{Type: registry.EventModelCreated, Actor: "alice", Model: "iris", At: at(1), Data: map[string]any{}},
		{Type: registry.EventVersionCreated, Actor: "bob", Model: "iris", Version: 1, At: at(2),
			Data: map[string]any{"digest": digestOf("x"), "size": 1234.0, "labelled": false}},
		{Type: registry.EventAliasSet, Actor: "carol", Model: "iris", Version: 1, At: at(3),
			Data: map[string]any{"alias": "production", "from": 0.0, "to": 1.0, "nested": map[string]any{"a": []any{"b"}}}},
	}
	seqs := appendEvents(t, s, in[:2]...)
	seqs = append(seqs, appendEvents(t, s, in[2])...) // a later transaction
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("AppendEvent returned seqs %v; want increasing", seqs)
		}
	}
	want := []registry.Event{}
	for i, e := range in {
		e.Seq = seqs[i]
		want = append(want, e)
	}
	same(t, "ListEvents", listEvents(t, s, registry.EventQuery{}), want)
}

func testEventFilters(t *testing.T, s registry.Store) {
	var in []registry.Event
	for i := range 12 {
		in = append(in, registry.Event{
			Type:  []string{registry.EventVersionCreated, registry.EventAliasSet}[i%2],
			Model: []string{"iris", "rose", "tulip"}[i%3],
			At:    at(i), Data: map[string]any{"i": float64(i)},
		})
	}
	seqs := appendEvents(t, s, in...)
	pick := func(keep func(i int) bool) []int64 {
		out := []int64{}
		for i, seq := range seqs {
			if keep(i) {
				out = append(out, seq)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		q    registry.EventQuery
		want []int64
	}{
		{"all", registry.EventQuery{}, seqs},
		{"after", registry.EventQuery{AfterSeq: seqs[8]}, seqs[9:]},
		{"after the last", registry.EventQuery{AfterSeq: seqs[11]}, []int64{}},
		{"model", registry.EventQuery{Model: "rose"}, pick(func(i int) bool { return i%3 == 1 })},
		{"type", registry.EventQuery{Type: registry.EventAliasSet}, pick(func(i int) bool { return i%2 == 1 })},
		{"model and type after", registry.EventQuery{Model: "iris", Type: registry.EventVersionCreated, AfterSeq: seqs[0]},
			pick(func(i int) bool { return i > 0 && i%6 == 0 })},
		{"limit", registry.EventQuery{Limit: 4}, seqs[:4]},
		{"limit after", registry.EventQuery{Limit: 2, AfterSeq: seqs[5]}, seqs[6:8]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := []int64{}
			for _, e := range listEvents(t, s, tc.q) {
				got = append(got, e.Seq)
			}
			same(t, "event seqs", got, tc.want)
		})
	}
}

func testEventLimits(t *testing.T, s registry.Store) {
	var in []registry.Event
	for i := range registry.MaxPageSize + 5 {
		in = append(in, registry.Event{Type: registry.EventModelUpdated, Model: fmt.Sprint("m", i%7), At: at(i)})
	}
	appendEvents(t, s, in...)
	for _, tc := range []struct{ limit, want int }{
		{0, registry.DefaultPageSize},
		{-1, registry.DefaultPageSize},
		{registry.MaxPageSize + 1, registry.MaxPageSize},
		{3, 3},
	} {
		if got := len(listEvents(t, s, registry.EventQuery{Limit: tc.limit})); got != tc.want {
			t.Errorf("Limit %d: got %d events, want %d", tc.limit, got, tc.want)
		}
	}
}
