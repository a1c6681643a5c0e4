package sqlite

import (
	"context"
	"errors"
)

// referencedDigests lists the distinct file digests of live versions. Files
// are a JSON array per version; links carry no digest.
const referencedDigests = `SELECT DISTINCT f.value ->> 'digest'
	FROM versions v, json_each(v.files) f
	WHERE v.deleted_at IS NULL AND (f.value ->> 'digest') <> ''`

// referencedArtifacts lists the distinct digests of the artifact index.
const referencedArtifacts = `SELECT DISTINCT digest FROM artifacts`

// ReferencedDigests calls fn for every distinct file digest of every live
// version, for garbage collection (see registry.BlobReferrer).
func (tx *readTx) ReferencedDigests(ctx context.Context, fn func(digest string) error) error {
	return eachString(ctx, tx.c, "list referenced digests", referencedDigests, fn)
}

// ReferencedDigests calls fn for every distinct blob digest the MLflow
// artifact index points at, so garbage collection keeps run artifacts
// (registry.BlobReferrer).
func (t Tracking) ReferencedDigests(ctx context.Context, fn func(digest string) error) error {
	return t.read(ctx, func(c *conn) error {
		return eachString(ctx, c, "list artifact digests", referencedArtifacts, fn)
	})
}

// fnError marks an error returned by the caller's function, which goes back
// as is rather than as a store error.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// eachString streams a one-column query's rows into fn without holding
// them all in memory.
func eachString(ctx context.Context, c *conn, what, query string, fn func(string) error) error {
	err := func() error {
		rows, err := c.query(ctx, query)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return err
			}
			if err := fn(s); err != nil {
				return fnError{err}
			}
		}
		return rows.Err()
	}()
	var fe fnError
	if errors.As(err, &fe) {
		return fe.err
	}
	if err != nil {
		return storeError(ctx, err, "%s", what)
	}
	return nil
}
