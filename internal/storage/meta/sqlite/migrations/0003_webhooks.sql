-- 0003_webhooks: MLflow 3 webhooks (internal/tracking.Webhook as JSON).
-- The secret is stored as given: the database is as sensitive as the
-- tokens' hashes beside it.

CREATE TABLE webhooks (
	id  TEXT NOT NULL PRIMARY KEY,
	doc TEXT NOT NULL
);
