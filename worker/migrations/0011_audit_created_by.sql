-- Who did it (issue 26, item 3), for the writes 0010_api_keys.sql left out: the caller's name (an API key's
-- name, or 'REGISTRY_TOKEN' / 'READ_TOKEN'; 'policy' for the hourly job) on policy changes, evaluation runs
-- and feedback exports. NULL on rows written before this migration.
ALTER TABLE promotion_policies ADD COLUMN updated_by TEXT;
ALTER TABLE evaluations ADD COLUMN created_by TEXT;

-- One row per feedback export (GET /api/v1/feedback/export): who took which corrections, and how many.
CREATE TABLE feedback_exports (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  model_name    TEXT    NOT NULL,
  model_version INTEGER,
  since         TEXT,
  rows          INTEGER NOT NULL CHECK (rows >= 0),
  truncated     INTEGER NOT NULL CHECK (truncated IN (0, 1)),
  created_at    TEXT    NOT NULL,
  created_by    TEXT
);
CREATE INDEX feedback_exports_by_model ON feedback_exports (model_name, created_at);
