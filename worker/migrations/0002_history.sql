-- Prediction history: one row per prediction, made at the edge (/predict) or in the browser and
-- synced with POST /api/v1/history. `id` is the idempotency key (client-made UUID for browser rows).
-- created_at is always an ISO-8601 UTC string of fixed width (Date#toISOString), so text order is
-- time order. Listing is newest first with keyset pagination on (created_at, id).

CREATE TABLE predictions (
  id            TEXT    PRIMARY KEY,
  created_at    TEXT    NOT NULL,
  model_name    TEXT    NOT NULL,
  model_version INTEGER NOT NULL CHECK (model_version > 0),
  label         TEXT    NOT NULL,
  score         REAL    NOT NULL CHECK (score >= 0 AND score <= 1),
  probabilities TEXT    NOT NULL CHECK (json_valid(probabilities)), -- {"label": probability, …}
  text_length   INTEGER NOT NULL CHECK (text_length >= 0),
  text_sha256   TEXT    NOT NULL,                                  -- hex sha256 of the text
  text          TEXT,                                              -- only where STORE_TEXT = 'true'
  source        TEXT    NOT NULL CHECK (source IN ('edge', 'browser')),
  latency_ms    REAL    NOT NULL CHECK (latency_ms >= 0)
) WITHOUT ROWID;

-- One index per way the list is filtered, each ending in (created_at, id) so that SQLite walks it
-- backwards for ORDER BY created_at DESC, id DESC: no full scan and no temporary sort, whatever the
-- table size. A second filter (e.g. label AND source) is checked on the rows the index yields.
CREATE INDEX predictions_by_time   ON predictions (created_at, id);
CREATE INDEX predictions_by_label  ON predictions (label, created_at, id);
CREATE INDEX predictions_by_model  ON predictions (model_name, created_at, id);
CREATE INDEX predictions_by_source ON predictions (source, created_at, id);
