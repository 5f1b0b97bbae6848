-- Per-minute metric rollups, true across isolates, read by GET /metrics (serving/rollups.ts).
-- `minute` is the UTC minute the rows were written ('YYYY-MM-DDTHH:MMZ'): browser rows count when
-- they are synced (only newly inserted ones, not duplicates), edge rows when their batch is written.
-- They are written in the same D1 batch (one transaction) as the prediction rows they count.

-- Predictions by model, version, label and source.
CREATE TABLE metric_predictions (
  minute        TEXT    NOT NULL,
  model_name    TEXT    NOT NULL,
  model_version INTEGER NOT NULL,
  label         TEXT    NOT NULL,
  source        TEXT    NOT NULL CHECK (source IN ('edge', 'browser')),
  count         INTEGER NOT NULL CHECK (count >= 0),
  PRIMARY KEY (minute, model_name, model_version, label, source)
) WITHOUT ROWID;

-- Histograms: `metric` is 'latency_seconds' (the prediction's latency) or 'confidence' (its score).
-- One row per (non-cumulative) bucket: `le` is the bucket's upper bound as text ('+Inf' last);
-- `count` observations fell in it and `sum` is their total, so a histogram's _count and _sum are the
-- sums over its buckets.
CREATE TABLE metric_histograms (
  minute        TEXT    NOT NULL,
  metric        TEXT    NOT NULL CHECK (metric IN ('latency_seconds', 'confidence')),
  model_name    TEXT    NOT NULL,
  model_version INTEGER NOT NULL,
  source        TEXT    NOT NULL CHECK (source IN ('edge', 'browser')),
  le            TEXT    NOT NULL,
  count         INTEGER NOT NULL CHECK (count >= 0),
  sum           REAL    NOT NULL,
  PRIMARY KEY (minute, metric, model_name, model_version, source, le)
) WITHOUT ROWID;

-- Error responses of the serving routes by route pattern and HTTP status.
CREATE TABLE metric_errors (
  minute TEXT    NOT NULL,
  route  TEXT    NOT NULL,
  status INTEGER NOT NULL,
  count  INTEGER NOT NULL CHECK (count >= 0),
  PRIMARY KEY (minute, route, status)
) WITHOUT ROWID;
