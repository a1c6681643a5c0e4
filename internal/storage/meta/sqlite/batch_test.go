package sqlite

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

// inOneBatch runs fns as Updates that join one batch, in order: a first
// Update holds the write connection until all of them queue behind it.
func inOneBatch(t *testing.T, s *Store, fns ...func(registry.WriteTx) error) []error {
	t.Helper()
	ctx := t.Context()
	started, hold := make(chan struct{}), make(chan struct{})
	errs := make([]chan error, len(fns)+1)
	for i := range errs {
		errs[i] = make(chan error, 1)
	}
	go func() {
		errs[0] <- s.Update(ctx, func(registry.WriteTx) error { close(started); <-hold; return nil })
	}()
	<-started
	for i, fn := range fns {
		go func() { errs[i+1] <- s.Update(ctx, fn) }()
		time.Sleep(30 * time.Millisecond) // queue in order
	}
	before := s.batches
	close(hold)
	out := make([]error, len(errs))
	for i := range errs {
		out[i] = <-errs[i]
	}
	if got := s.endedBatches() - before; got != 1 {
		t.Logf("the Updates took %d transactions; the test wants them in one", got)
	}
	return out[1:]
}

func createModelWithVersion(t *testing.T, s *Store, name string) {
	t.Helper()
	ctx := t.Context()
	err := s.Update(ctx, func(tx registry.WriteTx) error {
		if err := tx.CreateModel(ctx, registry.Model{Name: name, CreatedAt: time.Now()}); err != nil {
			return err
		}
		return tx.InsertVersion(ctx, registry.Version{Model: name, Number: 1, Digest: "sha256:" + name, Files: []registry.File{}, CreatedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRenameInABatchLeavesOthersForeignKeysImmediate: a rename defers its
// foreign keys to the commit; a later Update in the same batch that breaks
// one must still get its own error at once, not fail the whole batch at
// COMMIT, taking the rename and everyone else with it.
func TestRenameInABatchLeavesOthersForeignKeysImmediate(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	createModelWithVersion(t, s, "old")
	createModelWithVersion(t, s, "other")
	errs := inOneBatch(t, s,
		func(tx registry.WriteTx) error { return tx.RenameModel(ctx, "old", "new") },
		func(tx registry.WriteTx) error {
			return tx.PutAlias(ctx, registry.Alias{Model: "other", Name: "prod", Version: 99, UpdatedAt: time.Now()})
		},
		func(tx registry.WriteTx) error {
			return tx.CreateModel(ctx, registry.Model{Name: "third", CreatedAt: time.Now()})
		},
	)
	if errs[0] != nil {
		t.Errorf("rename: %v; another caller's mistake failed it", errs[0])
	}
	if !registry.Is(errs[1], registry.KindNotFound) {
		t.Errorf("alias to a missing version: %v; want KindNotFound", errs[1])
	}
	if errs[2] != nil {
		t.Errorf("create model: %v; another caller's mistake failed it", errs[2])
	}
}

// leaveDeferredViolation defers foreign keys and inserts a row pointing
// nowhere.
func leaveDeferredViolation(ctx context.Context) func(registry.WriteTx) error {
	return func(tx registry.WriteTx) error {
		c := tx.(*writeTx).c
		if _, err := c.exec(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
			return err
		}
		_, err := c.exec(ctx, `INSERT INTO model_tags (model, key, value) VALUES ('nobody', 'k', 'v')`)
		return err
	}
}

// TestDeferredViolationFailsOnlyItsWrite: a write that defers its foreign
// keys and breaks one fails alone; switching the pragma off for the next
// write must not forget the violation and commit it.
func TestDeferredViolationFailsOnlyItsWrite(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	errs := inOneBatch(t, s,
		func(tx registry.WriteTx) error {
			return tx.CreateModel(ctx, registry.Model{Name: "a", CreatedAt: time.Now()})
		},
		leaveDeferredViolation(ctx),
		func(tx registry.WriteTx) error {
			return tx.CreateModel(ctx, registry.Model{Name: "b", CreatedAt: time.Now()})
		},
	)
	if errs[0] != nil || errs[2] != nil {
		t.Errorf("innocent writes: %v, %v; want both committed", errs[0], errs[2])
	}
	if errs[1] == nil {
		t.Error("the write that broke a foreign key reported success")
	}
	var orphans int
	err := s.View(ctx, func(tx registry.ReadTx) error {
		return tx.(*readTx).c.queryRow(ctx, `SELECT count(*) FROM model_tags WHERE model = 'nobody'`).Scan(&orphans)
	})
	if err != nil || orphans != 0 {
		t.Errorf("%d rows pointing nowhere committed (%v)", orphans, err)
	}
}

// breakCommit inserts a row whose DEFERRABLE INITIALLY DEFERRED foreign
// key points nowhere (into a table made for the test), so that the batch's
// COMMIT fails.
func breakCommit(t *testing.T, s *Store) func(registry.WriteTx) error {
	ctx := context.Background()
	err := s.Update(ctx, func(tx registry.WriteTx) error {
		c := tx.(*writeTx).c
		if _, err := c.exec(ctx, `CREATE TABLE test_parent (id TEXT PRIMARY KEY)`); err != nil {
			return err
		}
		_, err := c.exec(ctx, `CREATE TABLE test_child (parent TEXT REFERENCES test_parent (id) DEFERRABLE INITIALLY DEFERRED)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return func(tx registry.WriteTx) error {
		_, err := tx.(*writeTx).c.exec(ctx, `INSERT INTO test_child (parent) VALUES ('nobody')`)
		return err
	}
}

// TestFailedBatchTellsNoCallerWhatNeverCommitted: a caller whose function
// failed because of another caller's write (which it sees released, not
// committed) must not report that write as fact when the batch's COMMIT
// fails and the write never happens.
func TestFailedBatchTellsNoCallerWhatNeverCommitted(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	errs := inOneBatch(t, s,
		func(tx registry.WriteTx) error {
			return tx.CreateModel(ctx, registry.Model{Name: "ghost", CreatedAt: time.Now()})
		},
		func(tx registry.WriteTx) error {
			if _, err := tx.GetModel(ctx, "ghost"); err == nil {
				return registry.E(registry.KindAlreadyExists, "model %q already exists", "ghost")
			}
			return tx.CreateModel(ctx, registry.Model{Name: "ghost", CreatedAt: time.Now()})
		},
		breakCommit(t, s),
	)
	for i, err := range errs {
		if err == nil {
			t.Errorf("Update %d: nil; its batch failed to commit", i)
		}
	}
	if registry.Is(errs[1], registry.KindAlreadyExists) {
		t.Errorf("second Update: %v; model ghost never existed", errs[1])
	}
	err := s.View(ctx, func(tx registry.ReadTx) error {
		_, err := tx.GetModel(ctx, "ghost")
		return err
	})
	if !registry.Is(err, registry.KindNotFound) {
		t.Errorf("model ghost after the failed batch: %v; want KindNotFound", err)
	}
}

// TestBatchStressEachCallerAllOrNothing: many writers at once, some of whose
// functions fail, panic or break the batch's COMMIT; afterwards exactly the
// writes of the callers told nil are there.
func TestBatchStressEachCallerAllOrNothing(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	breaker := breakCommit(t, s)
	const writers, each = 8, 30
	var mu sync.Mutex
	told := map[string]error{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				name := fmt.Sprintf("w%d-%d", w, i)
				mode := (w*each + i) % 29
				var err error
				func() {
					defer func() {
						if r := recover(); r != nil {
							err = fmt.Errorf("panicked: %v", r)
						}
					}()
					err = s.Update(ctx, func(tx registry.WriteTx) error {
						if err := tx.CreateModel(ctx, registry.Model{Name: name, CreatedAt: time.Now()}); err != nil {
							return err
						}
						switch mode {
						case 1:
							return registry.E(registry.KindInvalid, "refused after writing")
						case 2:
							panic("after writing")
						case 3:
							return breaker(tx)
						}
						return nil
					})
				}()
				mu.Lock()
				told[name] = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	committed := 0
	err := s.View(ctx, func(tx registry.ReadTx) error {
		for name, err := range told {
			_, gerr := tx.GetModel(ctx, name)
			switch {
			case err == nil && gerr != nil:
				t.Errorf("%s: told committed, but %v", name, gerr)
			case err != nil && gerr == nil:
				t.Errorf("%s: told %v, but it is there", name, err)
			case err == nil:
				committed++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if committed == 0 || committed == len(told) {
		t.Fatalf("%d of %d writes committed; the test proves nothing", committed, len(told))
	}
}
