package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/modelry/modelry/internal/registry"
	"modernc.org/sqlite" // also registers the "sqlite" database/sql driver
)

// Store is the SQLite metadata store. It is safe for concurrent use.
type Store struct {
	writeDB *sql.DB
	readDB  *sql.DB
	writer  chan *conn // holds the write connection while no write runs
	// batch is the open write transaction (nil when none is open) and
	// batches counts the ones that ended; only the holder of the write
	// connection touches them (commit.go).
	batch   *batch
	batches int64
	readers chan *conn // holds the idle read connections
	nread   int

	closed    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

var _ registry.Store = (*Store)(nil)

const (
	// readConns is the size of the read pool: enough for the 2–4 cores the
	// server is sized for; a View holds one only for its few queries.
	readConns = 4
	// busyTimeout is how long a statement waits for a lock another process
	// holds (a second server on the same file, a backup tool).
	busyTimeout  = 5 * time.Second
	mmapSize     = 1 << 30
	walSizeLimit = 64 << 20
)

// useFdatasync makes the driver commit with fdatasync(2), as upstream SQLite
// does on Linux (the modernc build keeps fsync unless told): just as
// durable, minus a journal flush of the file's timestamps on every commit.
// The switch is process-wide; where fdatasync does not exist it stays off.
var useFdatasync = sync.OnceFunc(func() { sqlite.Fdatasync(true) })

// Open opens (creating it if needed) the database file at path, applies
// pending migrations and returns the store. The folder must exist.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, registry.E(registry.KindInvalid, "sqlite: the database path is empty")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, registry.Wrap(registry.KindInvalid, err, "sqlite: database path %q", path)
	}
	useFdatasync()
	if err := registerLike(); err != nil {
		return nil, registry.Wrap(registry.KindInternal, err, "sqlite: register modelry_like")
	}
	s := &Store{closed: make(chan struct{})}
	if err := s.open(ctx, abs); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) open(ctx context.Context, path string) error {
	s.writeDB = openDB(dsn(path, false), 1)
	w, err := newConn(ctx, s.writeDB)
	if err != nil {
		return registry.Wrap(registry.KindUnavailable, err, "sqlite: open %s", path)
	}
	w.detached = true // see commit.go
	s.writer = make(chan *conn, 1)
	s.writer <- w
	if err := checkWAL(ctx, w); err != nil {
		return err
	}
	if err := migrate(ctx, w); err != nil {
		return err
	}
	s.readDB = openDB(dsn(path, true), readConns)
	s.readers = make(chan *conn, readConns)
	for range readConns {
		r, err := newConn(ctx, s.readDB)
		if err != nil {
			return registry.Wrap(registry.KindUnavailable, err, "sqlite: open %s for reading", path)
		}
		s.readers <- r
		s.nread++
	}
	return nil
}

// dsn builds the driver's data source name: a file: URI (so any character in
// the path is escaped) with the pragmas every connection must run.
func dsn(path string, readOnly bool) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path)}
	pragmas := []string{
		fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
		"journal_mode(WAL)",
		"synchronous(FULL)",
		"foreign_keys(1)",
		// Reads map the file instead of copying pages in with pread: the
		// resolve path touches a handful of pages spread over a large file.
		fmt.Sprintf("mmap_size(%d)", mmapSize),
		// After a checkpoint, a WAL grown by one huge transaction shrinks
		// back to this.
		fmt.Sprintf("journal_size_limit(%d)", walSizeLimit),
	}
	if readOnly {
		pragmas = append(pragmas, "query_only(1)")
	}
	q := make([]string, len(pragmas))
	for i, p := range pragmas {
		q[i] = "_pragma=" + url.QueryEscape(p)
	}
	if !strings.HasPrefix(u.Path, "/") { // a Windows path such as C:/x
		u.Path = "/" + u.Path
	}
	return u.String() + "?" + strings.Join(q, "&")
}

func openDB(dsn string, conns int) *sql.DB {
	db, _ := sql.Open("sqlite", dsn) // only fails for an unknown driver name
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db
}

// checkWAL fails when the file system refused WAL mode (SQLite then keeps
// the old mode silently), because readers would block the writer.
func checkWAL(ctx context.Context, c *conn) error {
	var mode string
	if err := c.queryRow(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return registry.Wrap(registry.KindInternal, err, "sqlite: read journal mode")
	}
	if !strings.EqualFold(mode, "wal") {
		return registry.E(registry.KindUnavailable, "sqlite: the database is in %s journal mode and cannot switch to WAL; is it on a network file system?", mode)
	}
	return nil
}

var errClosed = registry.E(registry.KindUnavailable, "the metadata store is closed")

// acquire takes a connection from pool, waiting for one to be free.
func (s *Store) acquire(ctx context.Context, pool chan *conn) (*conn, error) {
	select {
	case <-s.closed:
		return nil, errClosed
	default:
	}
	select {
	case c := <-pool:
		return c, nil
	case <-ctx.Done():
		return nil, contextError(ctx.Err(), nil)
	case <-s.closed:
		return nil, errClosed
	}
}

// Close waits for running transactions to end (committing the open batch of
// writes), then closes the database.
// Later calls to View and Update fail with KindUnavailable.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		var errs []error
		if s.writer != nil {
			w := <-s.writer
			if b := s.batch; b != nil { // its writers are waiting for it
				s.commit(w, b)
				errs = append(errs, b.err)
			}
			errs = append(errs, w.close())
		}
		for range s.nread {
			errs = append(errs, (<-s.readers).close())
		}
		for _, db := range []*sql.DB{s.readDB, s.writeDB} {
			if db != nil {
				errs = append(errs, db.Close())
			}
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = registry.Wrap(registry.KindInternal, err, "sqlite: close")
		}
	})
	return s.closeErr
}
