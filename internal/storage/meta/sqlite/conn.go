package sqlite

import (
	"context"
	"database/sql"
	"errors"
)

// conn is one pinned database connection and its prepared statements. It is
// owned by one transaction at a time (see Store.acquire), so its statement
// cache needs no lock, and preparing never waits for a free connection.
type conn struct {
	c     *sql.Conn
	stmts map[string]*sql.Stmt
	// detached: statements run to the end even when their context is
	// cancelled. The write connection is; see commit.go.
	detached bool
}

// ctx is the context a statement runs under.
func (c *conn) ctx(ctx context.Context) context.Context {
	if c.detached {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

func newConn(ctx context.Context, db *sql.DB) (*conn, error) {
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.PingContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return &conn{c: c, stmts: make(map[string]*sql.Stmt)}, nil
}

// stmt returns query prepared on this connection, preparing it the first
// time. Queries are constants or built from a fixed set of fragments, so the
// cache stays small.
func (c *conn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := c.stmts[query]; ok {
		return s, nil
	}
	s, err := c.c.PrepareContext(c.ctx(ctx), query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = s
	return s, nil
}

func (c *conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(c.ctx(ctx), args...)
}

// queryRow is QueryRowContext on the prepared statement. If preparing fails,
// the query runs unprepared so that the *sql.Row reports the error.
func (c *conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return c.c.QueryRowContext(c.ctx(ctx), query, args...)
	}
	return s.QueryRowContext(c.ctx(ctx), args...)
}

func (c *conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(c.ctx(ctx), args...)
}

func (c *conn) close() error {
	errs := make([]error, 0, len(c.stmts)+1)
	for _, s := range c.stmts {
		errs = append(errs, s.Close())
	}
	errs = append(errs, c.c.Close())
	return errors.Join(errs...)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// collect runs query and scans each row with scan. The slice is never nil,
// so an empty listing encodes as [].
func collect[T any](ctx context.Context, c *conn, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
