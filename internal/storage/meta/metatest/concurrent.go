package metatest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

// Concurrent Updates. A store may commit Updates that run while another is
// committing together (group commit); each call must still be all or
// nothing on its own, get its own error, and be durable when it returns.

var concurrentTests = []test{
	{"EachGetsItsOwnOutcome", testQueuedUpdatesOwnOutcome},
	{"EachSeesTheOnesBefore", testQueuedUpdatesSerialized},
}

// queueBehind runs first in an Update that holds the store until n more
// Updates, each running fn(i), have been started, so that they queue behind
// it (a store that batches commits batches them). It returns what each of
// the n returned, and what each recovered if it panicked.
func queueBehind(t *testing.T, s registry.Store, n int, first func(tx registry.WriteTx) error, fn func(i int, tx registry.WriteTx) error) ([]error, []any) {
	t.Helper()
	ctx := t.Context()
	started, hold := make(chan struct{}), make(chan struct{})
	firstErr := make(chan error, 1)
	go func() {
		firstErr <- s.Update(ctx, func(tx registry.WriteTx) error {
			close(started)
			<-hold
			return first(tx)
		})
	}()
	<-started
	errs, panics := make([]error, n), make([]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = s.Update(ctx, func(tx registry.WriteTx) error { return fn(i, tx) })
		})
	}
	time.Sleep(100 * time.Millisecond) // let them all wait for the store
	close(hold)
	wg.Wait()
	noErr(t, <-firstErr)
	return errs, panics
}

// testQueuedUpdatesOwnOutcome: of Updates queued together, the ones that
// fail (by returning an error after writing, by a failed write, by a
// panic) leave nothing, each gets its own error, and the others commit.
func testQueuedUpdatesOwnOutcome(t *testing.T, s registry.Store) {
	ctx := t.Context()
	const n = 24
	failures := make([]error, n)
	for i := range failures {
		failures[i] = registry.E(registry.KindPrecondition, "update %d refuses", i)
	}
	write := func(tx registry.WriteTx, name string) error {
		if err := tx.CreateModel(ctx, newModel(name)); err != nil {
			return err
		}
		_, err := tx.AppendEvent(ctx, registry.Event{Type: registry.EventModelCreated, Model: name, At: t0})
		return err
	}
	errs, panics := queueBehind(t, s, n,
		func(tx registry.WriteTx) error { return write(tx, "first") },
		func(i int, tx registry.WriteTx) error {
			name := fmt.Sprintf("m%02d", i)
			if err := write(tx, name); err != nil {
				return err
			}
			switch i % 4 {
			case 1:
				return failures[i]
			case 2:
				panic(name)
			case 3:
				return tx.CreateModel(ctx, newModel("first")) // taken: the write fails
			}
			return nil
		})
	for i := range n {
		name := fmt.Sprintf("m%02d", i)
		switch i % 4 {
		case 0:
			noErr(t, errs[i])
		case 1:
			if errs[i] != failures[i] {
				t.Errorf("update %d returned %v; want its own error unchanged", i, errs[i])
			}
		case 2:
			if panics[i] != name {
				t.Errorf("update %d: recovered %v; want its own panic %q", i, panics[i], name)
			}
		case 3:
			wantErr(t, errs[i], registry.KindAlreadyExists)
		}
		_, err := getModel(t, s, name)
		if i%4 == 0 {
			noErr(t, err)
		} else if !registry.Is(err, registry.KindNotFound) {
			t.Errorf("update %d failed, yet its model is there (err %v)", i, err)
		}
	}
	view(t, s, func(tx registry.ReadTx) error {
		es, err := tx.ListEvents(ctx, registry.EventQuery{})
		noErr(t, err)
		if want := 1 + n/4; len(es) != want {
			t.Errorf("%d events; want %d (the first update and the ones that succeeded)", len(es), want)
		}
		return nil
	})
}

// testQueuedUpdatesSerialized: Updates queued together each read what the
// ones before them wrote, so read-modify-write loses nothing.
func testQueuedUpdatesSerialized(t *testing.T, s registry.Store) {
	ctx := t.Context()
	createModels(t, s, newModel("iris"))
	bump := func(tx registry.WriteTx) error {
		m, err := tx.GetModel(ctx, "iris")
		if err != nil {
			return err
		}
		m.LastNumber++
		return tx.UpdateModel(ctx, m)
	}
	const n = 30
	errs, _ := queueBehind(t, s, n, bump, func(i int, tx registry.WriteTx) error {
		if err := bump(tx); err != nil {
			return err
		}
		if i%3 == 0 {
			return registry.E(registry.KindPrecondition, "no") // its bump is undone
		}
		return nil
	})
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		}
	}
	m, err := getModel(t, s, "iris")
	noErr(t, err)
	if m.LastNumber != int64(1+ok) {
		t.Errorf("LastNumber = %d after %d committed increments", m.LastNumber, 1+ok)
	}
}

// RunReopen runs the tests that open one store twice. newPlace makes a new,
// empty place for a store's data and returns a function that opens a Store
// on it; each call opens a new Store on the same data, and the tests close
// the stores they open.
func RunReopen(t *testing.T, newPlace func(t *testing.T) func() (registry.Store, error)) {
	t.Run("ConcurrentUpdatesDurableOnReturn", func(t *testing.T) { testDurableOnReturn(t, newPlace(t)) })
}

// testDurableOnReturn: while many Updates run at once, each one's writes are
// visible to a second store on the same data as soon as it returns, and
// all of them after closing and reopening.
func testDurableOnReturn(t *testing.T, open func() (registry.Store, error)) {
	ctx := t.Context()
	mustOpen := func() registry.Store {
		t.Helper()
		s, err := open()
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		return s
	}
	a, b := mustOpen(), mustOpen()
	const workers, each = 8, 15
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				name := fmt.Sprintf("w%d-%02d", w, i)
				if err := a.Update(ctx, func(tx registry.WriteTx) error { return tx.CreateModel(ctx, newModel(name)) }); err != nil {
					t.Errorf("Update: %v", err)
					return
				}
				err := b.View(ctx, func(tx registry.ReadTx) error {
					_, err := tx.GetModel(ctx, name)
					return err
				})
				if err != nil {
					t.Errorf("model %s: Update returned, but another store does not see it: %v", name, err)
				}
			}
		})
	}
	wg.Wait()
	for _, s := range []registry.Store{a, b} {
		noErr(t, s.Close())
	}
	c := mustOpen()
	defer c.Close()
	view(t, c, func(tx registry.ReadTx) error {
		ms, _, err := tx.ListModels(context.Background(), registry.ModelQuery{Page: registry.Page{Size: registry.MaxPageSize}})
		noErr(t, err)
		if len(ms) != workers*each {
			t.Errorf("after reopening: %d models; want %d", len(ms), workers*each)
		}
		return nil
	})
}
