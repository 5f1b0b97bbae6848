-- Evaluation runs (POST /api/v1/evaluations, and the gate evaluations `pnpm publish-model` records) and
-- user feedback on predictions (POST /api/v1/feedback). Times are fixed-width ISO-8601 UTC strings.

-- One scored (or recorded) evaluation of a model version on a labelled dataset. Rows with the same
-- dataset_sha256 were scored on byte-identical files and can be compared side by side. `status` lets
-- a run be created before it is scored (a queue consumer in production fills in the numbers later);
-- inline runs go from 'running' to 'succeeded' (or 'failed' with `error`) within the request.
CREATE TABLE evaluations (
  id             TEXT    PRIMARY KEY,
  model_name     TEXT    NOT NULL,
  model_version  INTEGER NOT NULL CHECK (model_version > 0),
  precision      TEXT    NOT NULL CHECK (precision IN ('int8', 'fp32')),
  -- 'upload': a CSV sent with the request; 'r2': a dataset stored in R2; 'client': numbers computed elsewhere (publish-model)
  source         TEXT    NOT NULL CHECK (source IN ('upload', 'r2', 'client')),
  dataset_name   TEXT    NOT NULL,
  dataset_sha256 TEXT    NOT NULL,
  rows           INTEGER NOT NULL CHECK (rows >= 0),
  labels         TEXT    NOT NULL CHECK (json_valid(labels)),   -- the model's labels, confusion order
  status         TEXT    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  accuracy       REAL,
  macro_f1       REAL,
  macro_recall   REAL,
  ece            REAL,
  per_class      TEXT    CHECK (per_class IS NULL OR json_valid(per_class)),  -- {label: {precision, recall, f1, support}}
  confusion      TEXT    CHECK (confusion IS NULL OR json_valid(confusion)),  -- confusion[true][predicted]
  error          TEXT,
  duration_ms    REAL,
  note           TEXT,
  created_at     TEXT    NOT NULL,
  finished_at    TEXT
) WITHOUT ROWID;
CREATE INDEX evaluations_by_model   ON evaluations (model_name, model_version, created_at);
CREATE INDEX evaluations_by_dataset ON evaluations (dataset_sha256, created_at);

-- A user's correction of one prediction (edge or synced browser row): the label they say is right.
-- One row per prediction: a later correction replaces the earlier one (updated_at moves, created_at stays).
-- model/version/predicted label are copied from the prediction so realised accuracy needs no join.
CREATE TABLE feedback (
  prediction_id   TEXT    PRIMARY KEY,
  model_name      TEXT    NOT NULL,
  model_version   INTEGER NOT NULL CHECK (model_version > 0),
  predicted_label TEXT    NOT NULL,
  label           TEXT    NOT NULL,
  predicted_at    TEXT    NOT NULL,   -- the prediction's created_at (realised accuracy is per day of prediction)
  created_at      TEXT    NOT NULL,
  updated_at      TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX feedback_by_model   ON feedback (model_name, model_version, predicted_at);
CREATE INDEX feedback_by_updated ON feedback (model_name, updated_at);
