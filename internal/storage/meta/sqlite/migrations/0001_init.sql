-- 0001_init: the initial schema. See the package documentation for the
-- conventions: times are integer unix nanoseconds (UTC), JSON columns hold
-- encoding/json output, and deleting a model cascades to everything under it
-- except events.

CREATE TABLE models (
	name          TEXT    NOT NULL PRIMARY KEY,
	description   TEXT    NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	created_by    TEXT    NOT NULL DEFAULT '',
	last_number   INTEGER NOT NULL DEFAULT 0,
	version_count INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE model_tags (
	model TEXT NOT NULL REFERENCES models (name) ON DELETE CASCADE,
	key   TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (model, key)
) WITHOUT ROWID;

-- Model listings filtered by tag.
CREATE INDEX model_tags_by_key ON model_tags (key, value);

-- A rowid table: rows carry the file list and can be large.
CREATE TABLE versions (
	model       TEXT    NOT NULL REFERENCES models (name) ON DELETE CASCADE,
	number      INTEGER NOT NULL,
	label       TEXT    NOT NULL DEFAULT '',
	digest      TEXT    NOT NULL DEFAULT '',
	description TEXT    NOT NULL DEFAULT '',
	metrics     TEXT    NOT NULL DEFAULT '{}',
	params      TEXT    NOT NULL DEFAULT '{}',
	source      TEXT    NOT NULL DEFAULT '{}',
	files       TEXT    NOT NULL DEFAULT '[]',
	size        INTEGER NOT NULL DEFAULT 0,
	created_by  TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	deleted_at  INTEGER,
	PRIMARY KEY (model, number)
);

-- A label belongs to at most one live version; a deleted version frees it.
-- Also the index behind resolving name:label.
CREATE UNIQUE INDEX versions_live_label ON versions (model, label)
	WHERE deleted_at IS NULL AND label <> '';

-- name@sha256:... resolves to the newest live version with that digest.
CREATE INDEX versions_by_digest ON versions (model, digest, number);

-- The latest live version, and listings of live versions, newest first.
CREATE INDEX versions_live ON versions (model, number) WHERE deleted_at IS NULL;

CREATE TABLE version_tags (
	model  TEXT    NOT NULL,
	number INTEGER NOT NULL,
	key    TEXT    NOT NULL,
	value  TEXT    NOT NULL,
	PRIMARY KEY (model, number, key),
	FOREIGN KEY (model, number) REFERENCES versions (model, number) ON DELETE CASCADE
) WITHOUT ROWID;

-- Version listings filtered by tag.
CREATE INDEX version_tags_by_key ON version_tags (model, key, value);

CREATE TABLE aliases (
	model      TEXT    NOT NULL,
	alias      TEXT    NOT NULL,
	version    INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	updated_by TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (model, alias),
	FOREIGN KEY (model, version) REFERENCES versions (model, number) ON DELETE CASCADE
) WITHOUT ROWID;

-- The aliases pointing at one version, and model listings by alias.
CREATE INDEX aliases_by_version ON aliases (model, version);
CREATE INDEX aliases_by_name ON aliases (alias);

CREATE TABLE alias_moves (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT,
	model        TEXT    NOT NULL REFERENCES models (name) ON DELETE CASCADE,
	alias        TEXT    NOT NULL,
	from_version INTEGER NOT NULL DEFAULT 0,
	to_version   INTEGER NOT NULL DEFAULT 0,
	actor        TEXT    NOT NULL DEFAULT '',
	reason       TEXT    NOT NULL DEFAULT '',
	at           INTEGER NOT NULL
);

CREATE INDEX alias_moves_by_alias ON alias_moves (model, alias, seq);

-- The audit log; no foreign keys, so it outlives what it describes.
CREATE TABLE events (
	seq     INTEGER PRIMARY KEY AUTOINCREMENT,
	type    TEXT    NOT NULL,
	actor   TEXT    NOT NULL DEFAULT '',
	model   TEXT    NOT NULL DEFAULT '',
	version INTEGER NOT NULL DEFAULT 0,
	data    TEXT    NOT NULL DEFAULT '{}',
	at      INTEGER NOT NULL
);

CREATE INDEX events_by_model ON events (model, seq);
CREATE INDEX events_by_type ON events (type, seq);

CREATE TABLE tokens (
	id         TEXT    NOT NULL PRIMARY KEY,
	name       TEXT    NOT NULL UNIQUE,
	role       INTEGER NOT NULL,
	hash       TEXT    NOT NULL UNIQUE,
	created_by TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	revoked_at INTEGER
) WITHOUT ROWID;
