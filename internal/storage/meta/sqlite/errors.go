package sqlite

import (
	"context"
	"errors"
	"fmt"

	"github.com/modelry/modelry/internal/registry"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// storeError classifies an error from the database. Errors that already
// carry a registry kind pass through; a cancelled or expired ctx becomes
// KindUnavailable (wrapping the context's error, so errors.Is finds it); a
// lock held too long by another process becomes KindUnavailable; anything
// else is KindInternal around the cause, with what was being done.
func storeError(ctx context.Context, err error, format string, args ...any) error {
	var re *registry.Error
	if errors.As(err, &re) {
		return err
	}
	if ctxErr := ctx.Err(); ctxErr != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return contextError(ctxErr, err)
	}
	what := fmt.Sprintf(format, args...)
	if sqliteCode(err)&0xff == sqlite3.SQLITE_BUSY {
		return registry.Wrap(registry.KindUnavailable, err, "sqlite: %s: the database is locked by another process", what)
	}
	return registry.Wrap(registry.KindInternal, err, "sqlite: %s", what)
}

// contextError reports that the caller's context ended; cause is the
// database's own error, if any.
func contextError(ctxErr, cause error) error {
	if ctxErr == nil {
		ctxErr = context.Canceled
		if errors.Is(cause, context.DeadlineExceeded) {
			ctxErr = context.DeadlineExceeded
		}
	}
	err := ctxErr
	if cause != nil && !errors.Is(cause, ctxErr) {
		err = fmt.Errorf("%w (%w)", ctxErr, cause)
	}
	return registry.Wrap(registry.KindUnavailable, err, "the request ended before the metadata store answered")
}

func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// isUnique reports a UNIQUE or PRIMARY KEY constraint violation.
func isUnique(err error) bool {
	code := sqliteCode(err)
	return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// isForeignKey reports a FOREIGN KEY constraint violation: the row refers
// to a model or version that does not exist.
func isForeignKey(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

func modelNotFound(name string) error {
	return registry.E(registry.KindNotFound, "model %q not found", name)
}

func versionNotFound(model string, number int64) error {
	return registry.E(registry.KindNotFound, "version %d of %q not found", number, model)
}

func aliasNotSet(model, alias string) error {
	return registry.E(registry.KindNotFound, "alias %q of %q is not set", alias, model)
}
