// Package sqlite is the default metadata store: registry.Store on one SQLite
// file, through the pure-Go driver modernc.org/sqlite (no cgo).
//
// # Connections
//
// The file runs in WAL mode with synchronous=FULL, so a commit is on disk
// (fdatasync, as upstream SQLite does on Linux) before Update returns, and
// readers never wait for the writer. One connection writes, so Updates are
// serialized in the process, and BEGIN IMMEDIATE locks them against other
// processes. Writes commit in groups (commit.go): each Update runs in a
// SAVEPOINT of the open transaction, and the Updates that queued while a
// COMMIT was in flight share the next COMMIT, and its fsync; each still
// commits or rolls back on its own, and returns once durable. A pool of
// query_only connections serves
// View, each View in its own BEGIN ... COMMIT snapshot. Every connection gets
// its pragmas (busy_timeout, journal_mode, synchronous, foreign_keys,
// mmap_size, journal_size_limit, and query_only for readers) from the DSN,
// and keeps its own cache of prepared statements: a connection is owned by
// one transaction at a time, so statements are parsed once per connection
// and never again.
//
// # Schema
//
// Migrations are embedded SQL files (migrations/NNNN_name.sql) applied in
// order at Open inside one transaction; schema_version records each applied
// one. The tables:
//
//	models        name PK, kind ('model' or 'dataset'), description,
//	              created_at, updated_at, created_by, last_number,
//	              version_count; index (kind, name)
//	model_tags    (model, key) PK -> value; index (key, value)
//	versions      (model, number) PK, label, digest, description, metrics,
//	              params, source, lineage and files as JSON, size, created_by,
//	              created_at, deleted_at (NULL while live), run_id and
//	              run_uri (copied from source.run, for searches).
//	              Indexes: unique (model, label) over live labelled rows;
//	              (model, digest, number); over live rows (model, number),
//	              (model, created_at, number, run_id, run_uri, created_by,
//	              description) (covers searches) and (run_id)
//	version_tags  (model, number, key) PK -> value; indexes (model, key,
//	              value) and (key, value)
//	version_inputs (model, number, seq) PK -> role, upstream,
//	              upstream_number, upstream_digest: the lineage JSON once
//	              more, one row per input; index (upstream, upstream_number, model,
//	              number, seq)
//	              for used-by queries; no foreign key on the upstream side
//	aliases       (model, alias) PK -> version, updated_at, updated_by;
//	              indexes (model, version) and (alias)
//	alias_moves   seq AUTOINCREMENT, model, alias, from_version, to_version,
//	              actor, reason, at; index (model, alias, seq)
//	events        seq AUTOINCREMENT, type, actor, model, version, data JSON,
//	              at; indexes (model, seq) and (type, seq)
//	tokens        id PK, name UNIQUE, role, hash UNIQUE, created_by,
//	              created_at, revoked_at
//
// Times are integer unix nanoseconds, read back as UTC; the zero time is
// stored as 0 and read back as the zero time. Foreign keys cascade from a
// model to its tags, versions (and their tags and aliases) and alias history;
// events have no foreign keys and outlive what they describe.
//
// Reads fetch a model or version together with its tags and aliases in one
// statement (correlated json_group_object subqueries), so listings cost one
// query per page, not one per row.
package sqlite
