-- 0004_datasets_lineage: datasets and lineage (issue 5).
--
-- A name is a model or a dataset (models.kind); rows from before this
-- migration are models. A version's resolved lineage is stored whole as
-- JSON (versions.lineage, registry.Lineage), and once more as one row per
-- input in version_inputs, so that "which versions used sales/3?" is an
-- index lookup. Inputs cascade with the version that declares them; the
-- upstream columns are plain values (no foreign key), so a version's record
-- of what made it outlives the deletion of its inputs.

ALTER TABLE models ADD COLUMN kind TEXT NOT NULL DEFAULT 'model';

-- Model listings filtered by kind.
CREATE INDEX models_by_kind ON models (kind, name);

ALTER TABLE versions ADD COLUMN lineage TEXT NOT NULL DEFAULT '{}';

CREATE TABLE version_inputs (
	model           TEXT    NOT NULL,
	number          INTEGER NOT NULL,
	seq             INTEGER NOT NULL, -- position in the lineage: datasets in order, then the parent
	role            TEXT    NOT NULL, -- "train", "eval", ... or "parent"
	upstream        TEXT    NOT NULL,
	upstream_number INTEGER NOT NULL,
	upstream_digest TEXT    NOT NULL,
	PRIMARY KEY (model, number, seq),
	FOREIGN KEY (model, number) REFERENCES versions (model, number) ON DELETE CASCADE
) WITHOUT ROWID;

-- Downstream ("used-by") queries: every input naming one upstream version,
-- or any version of one upstream name.
CREATE INDEX version_inputs_by_upstream ON version_inputs (upstream, upstream_number, model, number, seq);
