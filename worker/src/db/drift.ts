/**
 * The drift tables (migrations/0006_drift_shadow.sql): `drift_reports`, `drift_alerts` and
 * `alert_deliveries`. Writes for the hourly job (store a report, open / keep / resolve alerts, claim and
 * record a webhook delivery) and reads for GET /api/v1/drift and the /metrics gauges.
 */
import type { DriftAlert, DriftFeature, DriftReport } from '@sentiment-edge/registry';

interface AlertRow {
  id: number;
  model_name: string;
  model_version: number;
  feature: string;
  state: 'open' | 'resolved';
  opened_at: string;
  resolved_at: string | null;
  opened_report_id: number;
  last_report_id: number;
  psi: number;
  p_value: number;
  d_status: 'sending' | 'delivered' | 'failed' | null;
  d_attempts: number | null;
  d_last_status: number | null;
  d_last_error: string | null;
  d_updated_at: string | null;
}

export interface DriftListing {
  model: string;
  reports: DriftReport[];
  alerts: DriftAlert[];
}

/** The newest `n` reports of a model (optionally one version), and its open alerts plus the 50 most recent others. */
export async function listDrift(db: D1Database, model: string, opts: { version?: number; n: number }): Promise<DriftListing> {
  const v = opts.version ?? null;
  const [reports, alerts] = await db.batch<Record<string, unknown>>([
    db
      .prepare(`SELECT report FROM drift_reports WHERE model_name = ?1 AND (?2 IS NULL OR model_version = ?2) ORDER BY created_at DESC, id DESC LIMIT ?3`)
      .bind(model, v, opts.n),
    db
      .prepare(
        `SELECT a.*, d.status AS d_status, d.attempts AS d_attempts, d.last_status AS d_last_status, d.last_error AS d_last_error, d.updated_at AS d_updated_at
         FROM drift_alerts a LEFT JOIN alert_deliveries d ON d.alert_id = a.id
         WHERE a.model_name = ?1 AND (?2 IS NULL OR a.model_version = ?2)
         ORDER BY a.state = 'open' DESC, a.id DESC LIMIT 50`,
      )
      .bind(model, v),
  ]);
  return {
    model,
    reports: reports!.results.map((r) => JSON.parse(String(r.report)) as DriftReport),
    alerts: (alerts!.results as unknown as AlertRow[]).map((a) => ({
      id: a.id,
      model: { name: a.model_name, version: a.model_version },
      feature: a.feature,
      state: a.state,
      openedAt: a.opened_at,
      resolvedAt: a.resolved_at,
      openedReportId: a.opened_report_id,
      lastReportId: a.last_report_id,
      psi: a.psi,
      pValue: a.p_value,
      delivery: a.d_status === null ? null : { status: a.d_status, attempts: a.d_attempts ?? 0, lastStatus: a.d_last_status, lastError: a.d_last_error, updatedAt: a.d_updated_at ?? '' },
    })),
  };
}

/** The latest report's figures of each version an alias points at now (for /metrics). */
export interface MonitorGauges {
  versions: {
    model: string;
    version: number;
    rows: number;
    psi: { feature: string; value: number }[];
    estimatedAccuracy: { estimate: number; low: number; high: number } | null;
    realisedAccuracy: number | null;
    shadow: { challenger: number; agreement: number; labelMixDifference: number | null; challengerMeanConfidence: number | null } | null;
    createdAt: string;
  }[];
  openAlerts: { model: string; version: number; feature: string }[];
}

export async function readMonitorGauges(db: D1Database): Promise<MonitorGauges> {
  const [latest, open] = await db.batch<Record<string, unknown>>([
    db.prepare(
      `SELECT r.report FROM drift_reports r
       JOIN (SELECT model_name, model_version, MAX(id) AS id FROM drift_reports GROUP BY model_name, model_version) m ON m.id = r.id
       WHERE EXISTS (SELECT 1 FROM aliases a WHERE a.name = r.model_name AND a.version = r.model_version)
       ORDER BY r.model_name, r.model_version`,
    ),
    db.prepare(`SELECT model_name, model_version, feature FROM drift_alerts WHERE state = 'open' ORDER BY model_name, model_version, feature`),
  ]);
  return {
    versions: latest!.results.map((row) => {
      const r = JSON.parse(String(row.report)) as DriftReport;
      return {
        model: r.model.name,
        version: r.model.version,
        rows: r.rows,
        psi: r.features.flatMap((c) => ('psi' in c && Number.isFinite(c.psi) ? [{ feature: c.feature, value: c.psi }] : [])),
        estimatedAccuracy: r.estimatedAccuracy && { estimate: r.estimatedAccuracy.estimate, low: r.estimatedAccuracy.low, high: r.estimatedAccuracy.high },
        realisedAccuracy: r.realisedAccuracy?.accuracy ?? null,
        shadow: r.shadow && r.shadow.agreement !== null ? { challenger: r.shadow.challenger.version, agreement: r.shadow.agreement, labelMixDifference: r.shadow.labelMixDifference, challengerMeanConfidence: r.shadow.challengerMeanConfidence } : null,
        createdAt: r.createdAt,
      };
    }),
    openAlerts: open!.results.map((a) => ({ model: String(a.model_name), version: Number(a.model_version), feature: String(a.feature) })),
  };
}

// ---- writes of the hourly job ----------------------------------------------------------------------

/** Stores a report; returns its id. */
export async function storeReport(db: D1Database, r: DriftReport): Promise<number> {
  const row = await db
    .prepare(
      `INSERT INTO drift_reports (created_at, model_name, model_version, window_start, window_end, rows, status, drifted_features,
         estimated_accuracy, estimated_accuracy_low, estimated_accuracy_high, shadow_agreement, report)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING id`,
    )
    .bind(
      r.createdAt,
      r.model.name,
      r.model.version,
      r.window.start,
      r.window.end,
      r.rows,
      r.status,
      JSON.stringify(r.driftedFeatures),
      r.estimatedAccuracy?.estimate ?? null,
      r.estimatedAccuracy?.low ?? null,
      r.estimatedAccuracy?.high ?? null,
      r.shadow?.agreement ?? null,
      JSON.stringify(r),
    )
    .first<{ id: number }>();
  return row!.id;
}

/** The open alerts of name@version. */
export async function openAlerts(db: D1Database, name: string, version: number): Promise<{ id: number; feature: DriftFeature }[]> {
  const { results } = await db
    .prepare(`SELECT id, feature FROM drift_alerts WHERE model_name = ?1 AND model_version = ?2 AND state = 'open'`)
    .bind(name, version)
    .all<{ id: number; feature: DriftFeature }>();
  return results;
}

/** Opens an alert for a drifted feature; null when one is open already (at most one per model/version/feature). */
export async function openAlert(db: D1Database, a: { name: string; version: number; feature: DriftFeature; at: string; reportId: number; psi: number; pValue: number }): Promise<number | null> {
  const row = await db
    .prepare(
      `INSERT INTO drift_alerts (model_name, model_version, feature, state, opened_at, opened_report_id, last_report_id, psi, p_value)
       VALUES (?1, ?2, ?3, 'open', ?4, ?5, ?5, ?6, ?7) ON CONFLICT DO NOTHING RETURNING id`,
    )
    .bind(a.name, a.version, a.feature, a.at, a.reportId, a.psi, a.pValue)
    .first<{ id: number }>();
  return row?.id ?? null;
}

/** An open alert whose feature still drifts: the latest report and figures. */
export async function keepAlert(db: D1Database, id: number, reportId: number, psi: number, pValue: number): Promise<void> {
  await db.prepare(`UPDATE drift_alerts SET last_report_id = ?2, psi = ?3, p_value = ?4 WHERE id = ?1`).bind(id, reportId, psi, pValue).run();
}

/** Resolves an open alert whose feature was checked and did not drift. */
export async function resolveAlert(db: D1Database, id: number, at: string, reportId: number): Promise<void> {
  await db.prepare(`UPDATE drift_alerts SET state = 'resolved', resolved_at = ?2, last_report_id = ?3 WHERE id = ?1 AND state = 'open'`).bind(id, at, reportId).run();
}

/** Writes the alerts' outcome (and the report's id) into the stored report. */
export async function setReportAlerts(db: D1Database, reportId: number, alerts: DriftReport['alerts']): Promise<void> {
  await db.prepare(`UPDATE drift_reports SET report = json_set(report, '$.alerts', json(?2), '$.id', ?1) WHERE id = ?1`).bind(reportId, JSON.stringify(alerts)).run();
}

/** Claims an alert's webhook delivery (the row is its primary key): false when another run claimed it first. */
export async function claimDelivery(db: D1Database, alertId: number, url: string, at: string): Promise<boolean> {
  const claimed = await db
    .prepare(`INSERT INTO alert_deliveries (alert_id, url, status, attempts, created_at, updated_at) VALUES (?1, ?2, 'sending', 0, ?3, ?3) ON CONFLICT (alert_id) DO NOTHING`)
    .bind(alertId, url, at)
    .run();
  return (claimed.meta.changes ?? 0) !== 0;
}

/** Records a delivery's state after an attempt (the error cut to 500 characters). */
export async function recordDelivery(db: D1Database, alertId: number, status: string, attempts: number, lastStatus: number | null, lastError: string | null, at: string): Promise<void> {
  await db
    .prepare(`UPDATE alert_deliveries SET status = ?2, attempts = ?3, last_status = ?4, last_error = ?5, updated_at = ?6 WHERE alert_id = ?1`)
    .bind(alertId, status, attempts, lastStatus, lastError?.slice(0, 500) ?? null, at)
    .run();
}
