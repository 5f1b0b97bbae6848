-- Drift monitoring, shadow scoring and estimated accuracy (worker/src/monitor/, run hourly by the
-- Cron Trigger in wrangler.toml). See registry/src/drift.ts for the statistics.

-- What drift needs from each prediction, kept even when the text is not (STORE_TEXT off): the word
-- pieces the model saw (special tokens left out) and the share of them that were the unknown token.
-- NULL on rows written before this migration and on rows from clients that do not send them.
ALTER TABLE predictions ADD COLUMN token_count INTEGER CHECK (token_count IS NULL OR token_count >= 0);
ALTER TABLE predictions ADD COLUMN unknown_share REAL CHECK (unknown_share IS NULL OR (unknown_share >= 0 AND unknown_share <= 1));

-- Shadow scoring: a sample (SHADOW_RATE) of edge /predict texts answered by a model's champion is
-- also scored by its challenger after the answer. One row per shadow-scored text, no text stored;
-- `id` is the champion's history row id. Pruned with the history (HISTORY_DAYS).
CREATE TABLE shadow_predictions (
  id                 TEXT    PRIMARY KEY,
  created_at         TEXT    NOT NULL,
  model_name         TEXT    NOT NULL,
  champion_version   INTEGER NOT NULL,
  challenger_version INTEGER NOT NULL,
  champion_label     TEXT    NOT NULL,
  challenger_label   TEXT    NOT NULL,
  challenger_score   REAL    NOT NULL CHECK (challenger_score >= 0 AND challenger_score <= 1)
) WITHOUT ROWID;
CREATE INDEX shadow_by_model ON shadow_predictions (model_name, champion_version, created_at);
CREATE INDEX shadow_by_time ON shadow_predictions (created_at);

-- One report per aliased version per scheduled run: the window compared with the version's reference
-- profile, every feature's check, the estimated accuracy (CBPE) and the shadow comparison. The
-- columns repeat the report's headline figures so that lists and /metrics need not parse JSON.
CREATE TABLE drift_reports (
  id                       INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at               TEXT    NOT NULL,
  model_name               TEXT    NOT NULL,
  model_version            INTEGER NOT NULL,
  window_start             TEXT    NOT NULL,
  window_end               TEXT    NOT NULL,
  rows                     INTEGER NOT NULL CHECK (rows >= 0),
  status                   TEXT    NOT NULL CHECK (status IN ('ok', 'drift', 'insufficient_data', 'no_reference')),
  drifted_features         TEXT    NOT NULL CHECK (json_valid(drifted_features)), -- ["tokens", …]
  estimated_accuracy       REAL,
  estimated_accuracy_low   REAL,
  estimated_accuracy_high  REAL,
  shadow_agreement         REAL,
  report                   TEXT    NOT NULL CHECK (json_valid(report))
);
CREATE INDEX drift_reports_by_model ON drift_reports (model_name, created_at);

-- Alert state: at most one open alert per (model, version, feature) (the partial unique index). A
-- feature that drifts opens one; it stays open while the feature keeps drifting and is resolved by
-- the first report in which it does not.
CREATE TABLE drift_alerts (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  model_name       TEXT    NOT NULL,
  model_version    INTEGER NOT NULL,
  feature          TEXT    NOT NULL,
  state            TEXT    NOT NULL CHECK (state IN ('open', 'resolved')),
  opened_at        TEXT    NOT NULL,
  resolved_at      TEXT,
  opened_report_id INTEGER NOT NULL REFERENCES drift_reports (id),
  last_report_id   INTEGER NOT NULL REFERENCES drift_reports (id),
  psi              REAL    NOT NULL,
  p_value          REAL    NOT NULL
);
CREATE UNIQUE INDEX drift_alerts_one_open ON drift_alerts (model_name, model_version, feature) WHERE state = 'open';

-- Webhook deliveries (ALERT_WEBHOOK_URL): one row per alert, inserted before the first attempt, so
-- an alert is never delivered twice (a second run finds the row and skips it).
CREATE TABLE alert_deliveries (
  alert_id    INTEGER PRIMARY KEY REFERENCES drift_alerts (id),
  url         TEXT    NOT NULL,
  status      TEXT    NOT NULL CHECK (status IN ('sending', 'delivered', 'failed')),
  attempts    INTEGER NOT NULL CHECK (attempts >= 0),
  last_status INTEGER,
  last_error  TEXT,
  created_at  TEXT    NOT NULL,
  updated_at  TEXT    NOT NULL
);
