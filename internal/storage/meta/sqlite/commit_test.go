package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/meta/metatest"
)

func TestConformanceReopen(t *testing.T) {
	metatest.RunReopen(t, func(t *testing.T) func() (registry.Store, error) {
		path := filepath.Join(t.TempDir(), "meta.db")
		return func() (registry.Store, error) { return Open(t.Context(), path) }
	})
}

// endedBatches is how many write transactions have ended so far.
func (s *Store) endedBatches() int64 {
	c := <-s.writer
	defer func() { s.writer <- c }()
	return s.batches
}

// TestUpdatesQueuedDuringACommitShareOne: Updates that wait while another
// holds the write connection commit together, in far fewer transactions
// than Updates, and each one's writes are there afterwards.
func TestUpdatesQueuedDuringACommitShareOne(t *testing.T) {
	ctx := t.Context()
	s := openTemp(t)
	before := s.endedBatches()
	started, hold := make(chan struct{}), make(chan struct{})
	firstErr := make(chan error, 1)
	go func() {
		firstErr <- s.Update(ctx, func(tx registry.WriteTx) error {
			close(started)
			<-hold
			return nil
		})
	}()
	<-started
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := s.Update(ctx, func(tx registry.WriteTx) error {
				return tx.CreateModel(ctx, registry.Model{Name: fmt.Sprintf("m%02d", i), CreatedAt: time.Now()})
			})
			if err != nil {
				t.Errorf("Update %d: %v", i, err)
			}
		})
	}
	time.Sleep(100 * time.Millisecond) // let them all queue
	close(hold)
	wg.Wait()
	if err := <-firstErr; err != nil {
		t.Fatal(err)
	}
	if got := s.endedBatches() - before; got > 3 {
		t.Errorf("%d Updates queued together took %d transactions; want them batched into a few", n+1, got)
	}
	err := s.View(ctx, func(tx registry.ReadTx) error {
		ms, _, err := tx.ListModels(ctx, registry.ModelQuery{})
		if err == nil && len(ms) != n {
			t.Errorf("%d models; want %d", len(ms), n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCancelDuringBatchFailsNoOtherUpdate: a caller whose context ends while
// its function runs (a client that went away) cannot roll back the others'
// writes: statements on the write connection finish regardless.
func TestCancelDuringBatchFailsNoOtherUpdate(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	started, hold := make(chan struct{}), make(chan struct{})
	firstErr := make(chan error, 1)
	go func() {
		firstErr <- s.Update(ctx, func(tx registry.WriteTx) error {
			close(started)
			<-hold
			return tx.CreateModel(ctx, registry.Model{Name: "first", CreatedAt: time.Now()})
		})
	}()
	<-started
	cctx, cancel := context.WithCancel(ctx)
	cancelledErr := make(chan error, 1)
	go func() {
		cancelledErr <- s.Update(cctx, func(tx registry.WriteTx) error {
			cancel()
			return tx.CreateModel(cctx, registry.Model{Name: "second", CreatedAt: time.Now()})
		})
	}()
	time.Sleep(50 * time.Millisecond)
	close(hold)
	if err := <-firstErr; err != nil {
		t.Fatalf("the first Update failed because another caller's context ended: %v", err)
	}
	if err := <-cancelledErr; err != nil {
		t.Fatalf("a write that started before its context ended: %v; want it to run to the end", err)
	}
	for _, name := range []string{"first", "second"} {
		err := s.View(ctx, func(tx registry.ReadTx) error {
			_, err := tx.GetModel(ctx, name)
			return err
		})
		if err != nil {
			t.Errorf("model %s: %v", name, err)
		}
	}
}

// TestCloseCommitsTheOpenBatch: Close while Updates are queued lets every
// one of them finish, committed.
func TestCloseCommitsTheOpenBatch(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			errs <- s.Update(ctx, func(tx registry.WriteTx) error {
				return tx.CreateModel(ctx, registry.Model{Name: fmt.Sprintf("m%02d", i), CreatedAt: time.Now()})
			})
		})
	}
	time.Sleep(5 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	close(errs)
	committed := 0
	for err := range errs {
		switch {
		case err == nil:
			committed++
		case !registry.Is(err, registry.KindUnavailable):
			t.Errorf("Update racing Close: %v; want success or KindUnavailable", err)
		}
	}
	s = openAt(t, path)
	err = s.View(ctx, func(tx registry.ReadTx) error {
		ms, _, err := tx.ListModels(ctx, registry.ModelQuery{})
		if err == nil && len(ms) != committed {
			t.Errorf("%d models after reopening; %d Updates reported success", len(ms), committed)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
