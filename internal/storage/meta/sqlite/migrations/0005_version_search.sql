-- 0005_version_search: what version searches (MLflow's
-- search_model_versions, registry.VersionSearch) read and filter on.
--
-- A version's run id and URI are copied out of its source JSON into
-- columns, so that a search reads them without parsing JSON and a run id
-- is an index lookup. They are written once, with the version: a source
-- never changes.

ALTER TABLE versions ADD COLUMN run_id  TEXT NOT NULL DEFAULT '';
ALTER TABLE versions ADD COLUMN run_uri TEXT NOT NULL DEFAULT '';

UPDATE versions SET
	run_id  = COALESCE(json_extract(source, '$.run.id'), ''),
	run_uri = COALESCE(json_extract(source, '$.run.uri'), '');

-- Versions of a run, across models (search_model_versions("run_id = '...'")).
CREATE INDEX versions_live_by_run ON versions (run_id) WHERE deleted_at IS NULL;

-- One model's live versions oldest or newest first (MLflow's default
-- order), read in index order instead of sorted. The index also holds every
-- other column a search shows, so such a search never reads the table
-- rows (with their file lists): it costs a copy of those columns. (It
-- names deleted_at too, always NULL in it, because SQLite reads an index
-- as covering only when it holds every column the query names.)
CREATE INDEX versions_live_created
	ON versions (model, created_at, number, run_id, run_uri, created_by, description, deleted_at)
	WHERE deleted_at IS NULL;

-- Tag conditions: the versions that have a tag key, or a key and value.
CREATE INDEX version_tags_by_key_value ON version_tags (key, value);
