package sqlite

import (
	"context"

	"github.com/modelry/modelry/internal/registry"
)

// readTx is the registry.ReadTx of a View, and the read half of an Update.
// Like the connection under it, it must not be used from several goroutines
// at once.
type readTx struct {
	c *conn
}

// writeTx is the registry.WriteTx of an Update.
type writeTx struct {
	readTx
}

// View runs fn in a read-only snapshot on a connection from the read pool.
func (s *Store) View(ctx context.Context, fn func(registry.ReadTx) error) error {
	c, err := s.acquire(ctx, s.readers)
	if err != nil {
		return err
	}
	defer func() { s.readers <- c }()
	return transact(ctx, c, "BEGIN", func() error { return fn(&readTx{c: c}) })
}

// Update runs fn as one write of a group commit (see commit.go): inside a
// savepoint of the one write transaction, which BEGIN IMMEDIATE opened, so
// what fn reads stays true until it commits; the COMMIT that makes it durable
// (fsync of the WAL, synchronous=FULL) is shared with the Updates that ran
// while the previous one was in flight.
func (s *Store) Update(ctx context.Context, fn func(registry.WriteTx) error) error {
	return s.write(ctx, func(c *conn) error { return fn(&writeTx{readTx{c: c}}) })
}

// transact runs fn between begin and COMMIT; View uses it. When fn fails, panics, or the
// commit fails, the transaction is rolled back and the connection is left
// clean for the next one; fn's error is returned unchanged, and a panic goes
// on up after the rollback.
func transact(ctx context.Context, c *conn, begin string, fn func() error) error {
	if _, err := c.exec(ctx, begin); err != nil {
		return storeError(ctx, err, "begin transaction")
	}
	committed := false
	defer func() {
		if !committed {
			c.rollback()
		}
	}()
	if err := fn(); err != nil {
		return err
	}
	if _, err := c.exec(ctx, "COMMIT"); err != nil {
		return storeError(ctx, err, "commit")
	}
	committed = true
	return nil
}

// rollback ends the open transaction, if any. It ignores ctx: a cancelled
// request must still leave the connection clean. Its error is dropped: the
// one case it happens is when SQLite already rolled back (an interrupted or
// failed statement), which leaves nothing to undo.
func (c *conn) rollback() {
	c.exec(context.Background(), "ROLLBACK")
}
