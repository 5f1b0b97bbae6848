/**
 * Reading the monitoring tables: drift reports and alerts for GET /api/v1/drift, and the latest
 * figures per aliased version for the /metrics gauges.
 */
import type { DriftAlert, DriftReport } from '@sentiment-edge/registry';

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
