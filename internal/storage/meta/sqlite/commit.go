package sqlite

import (
	"context"
	"errors"

	"github.com/modelry/modelry/internal/registry"
)

// Group commit.
//
// Every write (Update, and the tracking store's writes) runs on the one
// write connection, which writers hand to each other through s.writer. A
// write does not commit alone: it joins the open transaction (beginning one
// with BEGIN IMMEDIATE when none is open), runs its function inside a
// SAVEPOINT, releases the savepoint when the function succeeds or rolls back
// to it when it fails, then puts the connection back and waits. The next
// writer that takes the connection joins the same transaction; a writer
// that takes it back while its transaction is still open commits it, for
// everyone in it. So the writes that arrive while a COMMIT (an fsync) is in
// flight queue for the connection, each runs in turn when it ends, and one
// COMMIT makes all of them durable.
//
// What each caller sees is what Update promises:
//
//   - Serialized: one function runs at a time, and each sees the writes of
//     those that ran before it (in its batch, released but not yet
//     committed; they commit with its own, or fail with it).
//   - All or nothing per call: a failing function's writes are rolled back
//     to its savepoint, so they never commit, and it gets its own error
//     (the batch's, if the batch then fails: its error may rest on writes
//     it saw that never committed). The others in the batch are untouched.
//   - Durable on return: a writer returns only once its batch has committed
//     (or failed, with the batch's error, and then none of its writes
//     happened). It waits for that even if its context ends meanwhile.
//
// When the transaction itself breaks (SQLite rolls back a whole transaction
// on some I/O errors, and then a savepoint can no longer be released), the
// batch fails: every writer in it gets the error and nothing of it commits.
// Statements on the write connection ignore their context's cancellation
// (see conn.ctx): an interrupted INSERT or UPDATE would roll back the whole
// transaction, and with it the other callers' writes. Cancellation is
// honoured before a write starts.

// maxBatch bounds how many writes one transaction holds, so a steady
// stream of writers cannot keep a batch from committing.
const maxBatch = 64

// batch is the open write transaction and the writes in it.
type batch struct {
	writes int           // functions whose writes it holds
	done   chan struct{} // closed once it has committed or failed
	err    error         // why it failed; set before done is closed
}

// write runs fn as one write of the current batch on the write connection
// and returns once that batch is durable. fn's error, if any, is returned
// unchanged unless the batch failed (then the batch's error is); a panic in fn goes on up once fn's writes are rolled back and
// its batch has ended.
func (s *Store) write(ctx context.Context, fn func(c *conn) error) error {
	c, err := s.acquire(ctx, s.writer)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		s.writer <- c
		return contextError(err, nil)
	}
	b, err := s.join(ctx, c)
	if err != nil {
		s.writer <- c
		return err
	}
	finished := false
	defer func() {
		if !finished { // fn panicked or called runtime.Goexit
			s.settle(c, b, false)
		}
	}()
	fnErr := fn(c)
	finished = true
	if fnErr == nil {
		fnErr = checkDeferredKeys(ctx, c)
	}
	batchErr := s.settle(c, b, fnErr == nil)
	if fnErr == nil || batchErr != nil {
		// When the batch failed, fn's error may rest on what it read of
		// earlier writes in the batch, which never committed: the batch's
		// error is the true one.
		return batchErr
	}
	return fnErr
}

// join returns the open batch, beginning one if none is open, and opens
// the caller's savepoint in it. The caller holds c.
func (s *Store) join(ctx context.Context, c *conn) (*batch, error) {
	if s.batch == nil {
		if _, err := c.exec(ctx, "BEGIN IMMEDIATE"); err != nil {
			return nil, storeError(ctx, err, "begin transaction")
		}
		s.batch = &batch{done: make(chan struct{})}
	}
	b := s.batch
	if _, err := c.exec(ctx, "SAVEPOINT write"); err != nil {
		err = storeError(ctx, err, "begin savepoint")
		s.end(c, b, err)
		return nil, err
	}
	return b, nil
}

// settle ends the caller's savepoint, keeping its writes or rolling them
// back, then waits for b to end and returns b's error. The caller holds c
// and gives it up.
func (s *Store) settle(c *conn, b *batch, keep bool) error {
	ctx := context.Background()
	var err error
	if keep {
		_, err = c.exec(ctx, "RELEASE write")
	} else if _, err = c.exec(ctx, "ROLLBACK TO write"); err == nil {
		_, err = c.exec(ctx, "RELEASE write")
	}
	if err == nil {
		err = undeferKeys(ctx, c)
	}
	switch {
	case err != nil: // the transaction is gone, and the batch with it
		s.end(c, b, storeError(ctx, err, "end savepoint"))
	case keep:
		b.writes++
		if b.writes >= maxBatch {
			s.commit(c, b)
		}
	}
	s.writer <- c
	select {
	case <-b.done:
	case c := <-s.writer:
		if s.batch == b { // nobody took b further: commit it
			s.commit(c, b)
		}
		s.writer <- c
		<-b.done // when b is not open any more, it has ended
	}
	return b.err
}

// commit commits b, which is open on c.
func (s *Store) commit(c *conn, b *batch) {
	var err error
	if _, cerr := c.exec(context.Background(), "COMMIT"); cerr != nil {
		err = storeError(context.Background(), cerr, "commit")
	}
	s.end(c, b, err)
}

// end closes b with err (nil once committed), rolling it back on failure,
// and lets its writers return.
func (s *Store) end(c *conn, b *batch, err error) {
	if err != nil {
		c.rollback()
	}
	s.batches++
	s.batch = nil
	b.err = err
	close(b.done)
}

// undeferKeys switches PRAGMA defer_foreign_keys off if the write that
// just ended turned it on (a rename does). The pragma lasts until the
// transaction ends, so otherwise every later write in the batch would have
// its violations found only at COMMIT, failing the whole batch instead of
// itself. Switching it off forgets pending violations, so it runs only when
// on, and checkDeferredKeys has ruled them out for a write that is kept.
func undeferKeys(ctx context.Context, c *conn) error {
	var deferred bool
	if err := c.queryRow(ctx, "PRAGMA defer_foreign_keys").Scan(&deferred); err != nil || !deferred {
		return err
	}
	_, err := c.exec(ctx, "PRAGMA defer_foreign_keys = OFF")
	return err
}

// checkDeferredKeys fails a write that deferred its foreign keys (PRAGMA
// defer_foreign_keys) and left a row pointing nowhere. Such a violation
// would otherwise fail the whole batch at COMMIT; it is the write's own, so
// only its savepoint is rolled back.
func checkDeferredKeys(ctx context.Context, c *conn) error {
	var deferred bool
	if err := c.queryRow(ctx, "PRAGMA defer_foreign_keys").Scan(&deferred); err != nil {
		return storeError(ctx, err, "read defer_foreign_keys")
	}
	if !deferred {
		return nil
	}
	rows, err := c.query(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return storeError(ctx, err, "check foreign keys")
	}
	violated := rows.Next()
	err = errors.Join(rows.Err(), rows.Close())
	if err != nil {
		return storeError(ctx, err, "check foreign keys")
	}
	if violated {
		return registry.E(registry.KindInternal, "sqlite: the write left rows whose foreign keys point nowhere; it was rolled back")
	}
	return nil
}
