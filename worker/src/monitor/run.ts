/**
 * The scheduled monitoring job (Cron Trigger, hourly; index.ts `scheduled`). For every version an
 * alias points at, it compares the last DRIFT_WINDOW_HOURS of history with the version's reference
 * profile (registry drift.ts: PSI + KS per continuous feature, PSI + chi-squared for the label mix),
 * estimates its accuracy from its confidences (CBPE), summarises shadow scoring against the
 * challenger, stores one report per version (drift_reports), opens and resolves alerts
 * (drift_alerts), sends each new alert to ALERT_WEBHOOK_URL once (webhook.ts), and finally prunes
 * history older than HISTORY_DAYS (db/retention.ts) and fails evaluation runs still 'running' after
 * EVALUATION_TIMEOUT_MINUTES (a queue consumer or isolate that died: jobs/evaluations.ts).
 */
import {
  checkDrift,
  estimateAccuracyFromSums,
  isSkipped,
  PROFILE_BOUNDS,
  ReferenceProfile,
  type DriftFeature,
  type DriftReport,
  type DriftReportStatus,
  type FeatureCheck,
} from '@sentiment-edge/registry';
import type { Env } from '../env.ts';
import { monitorConfig, type MonitorConfig } from './config.ts';
import { listAliasedVersions, type AliasedVersion } from '../db/aliases.ts';
import { keepAlert, openAlert, openAlerts, resolveAlert, setReportAlerts, storeReport } from '../db/drift.ts';
import { readWindow } from '../db/history-aggregates.ts';
import { readShadow } from '../db/shadow.ts';
import { windowRealisedAccuracy, type RealisedAccuracySource } from '../db/feedback.ts';
import { pruneHistory, type PruneResult } from '../db/retention.ts';
import { failStuckEvaluations } from '../db/evaluations.ts';
import { deliverAlert, type DeliverOptions, type DeliveryOutcome } from './webhook.ts';

/** The report's shape is the API's (registry drift-api.ts), so the Worker and its clients cannot disagree. */
export type { DriftReport } from '@sentiment-edge/registry';

export interface MonitorRun {
  reports: DriftReport[];
  deliveries: DeliveryOutcome[];
  pruned: PruneResult;
  /** Ids of the evaluation runs failed for running past EVALUATION_TIMEOUT_MINUTES. */
  timedOut: string[];
}

export interface MonitorOptions extends Omit<DeliverOptions, 'now'> {
  /** The run's time (ms), e.g. the Cron Trigger's scheduledTime. */
  now?: number;
  /** Where realised accuracy comes from (default: the feedback table, db/feedback.ts). */
  realised?: RealisedAccuracySource;
}

export async function runMonitor(env: Env, opts: MonitorOptions = {}): Promise<MonitorRun> {
  const config = monitorConfig(env);
  const now = opts.now ?? Date.now();
  const end = new Date(now).toISOString();
  const start = new Date(now - config.windowHours * 3_600_000).toISOString();
  const versions = await listAliasedVersions(env.DB);

  const reports: DriftReport[] = [];
  const deliveries: DeliveryOutcome[] = [];
  for (const v of versions) {
    // One version's failure (a bad profile, a D1 hiccup) must not cost the others their report.
    try {
      const report = await buildReport(env.DB, v, config, start, end, opts.realised ?? windowRealisedAccuracy);
      const id = await storeReport(env.DB, report);
      report.id = id;
      const opened = await updateAlerts(env.DB, report, id, end);
      if (config.webhook) {
        for (const alert of opened) deliveries.push(await deliverAlert(env.DB, config.webhook, alert.id, alertPayload(report, alert), { ...(opts.fetch ? { fetch: opts.fetch } : {}), ...(opts.sleep ? { sleep: opts.sleep } : {}) }));
      }
      reports.push(report);
    } catch (e) {
      console.error(`monitor: ${v.name}@${v.version} failed`, e);
    }
  }
  const pruned = await pruneHistory(env.DB, new Date(now - config.historyDays * 86_400_000).toISOString());
  const timedOut = await failStuckEvaluations(
    env.DB,
    new Date(now - config.evaluationTimeoutMinutes * 60_000).toISOString(),
    `still running after ${config.evaluationTimeoutMinutes} minutes (EVALUATION_TIMEOUT_MINUTES): its queue consumer or isolate died, or its message went to the dead-letter queue. Start the evaluation again`,
    new Date(now).toISOString(),
  );
  return { reports, deliveries, pruned, timedOut };
}

async function buildReport(db: D1Database, v: AliasedVersion, config: MonitorConfig, start: string, end: string, realised: RealisedAccuracySource): Promise<DriftReport> {
  const parsed = v.profile === null ? null : ReferenceProfile.safeParse(JSON.parse(v.profile));
  if (parsed && !parsed.success) console.warn(`${v.name}@${v.version}: the manifest's profile is not valid; reporting without a reference`);
  const profile = parsed?.success ? parsed.data : null;
  const aliases = (JSON.parse(v.aliases) as string[]).sort();
  const window = await readWindow(db, v.name, v.version, start, end, profile ?? { tokens: { bounds: [...PROFILE_BOUNDS.tokens], counts: [] }, unknownShare: { bounds: [...PROFILE_BOUNDS.unknownShare], counts: [] }, confidence: { bounds: [...PROFILE_BOUNDS.confidence], counts: [] } });
  const thresholds = { psi: config.psiThreshold, pValue: config.pValue };
  const features = profile ? checkDrift(profile, window.counts, thresholds, config.minRows) : [];
  const driftedFeatures = features.flatMap((c) => (!isSkipped(c) && c.drifted ? [c.feature] : []));
  const status: DriftReportStatus = !profile ? 'no_reference' : window.rows < config.minRows ? 'insufficient_data' : driftedFeatures.length ? 'drift' : 'ok';
  const cbpe = estimateAccuracyFromSums(window.rows, window.sumScore, window.sumScoreVariance);
  return {
    createdAt: end,
    model: { name: v.name, version: v.version },
    aliases,
    window: { start, end, hours: config.windowHours },
    rows: window.rows,
    status,
    thresholds: { ...thresholds, minRows: config.minRows },
    features,
    driftedFeatures,
    estimatedAccuracy: cbpe && {
      method: 'cbpe',
      ...cbpe,
      calibrationEce: v.ece === null ? null : Number(v.ece),
      evaluationAccuracy: v.accuracy === null ? null : Number(v.accuracy),
      referenceMeanConfidence: profile?.meanConfidence ?? null,
    },
    realisedAccuracy: await realised(db, v.name, v.version, start, end),
    shadow: aliases.includes('champion') ? await readShadow(db, v.name, v.version, start, end) : null,
    alerts: { opened: [], open: [], resolved: [] },
  };
}

/**
 * Opens an alert for each drifted feature without an open one, keeps open ones that still drift,
 * resolves open ones whose feature was checked and did not drift (a skipped feature keeps its state).
 * Writes the outcome into the stored report. Returns the alerts opened now.
 */
async function updateAlerts(db: D1Database, r: DriftReport, reportId: number, at: string): Promise<{ id: number; feature: DriftFeature; check: FeatureCheck }[]> {
  const open = await openAlerts(db, r.model.name, r.model.version);
  const openByFeature = new Map(open.map((a) => [a.feature, a.id]));
  const opened: { id: number; feature: DriftFeature; check: FeatureCheck }[] = [];
  for (const c of r.features) {
    if (isSkipped(c)) continue;
    const existing = openByFeature.get(c.feature);
    if (c.drifted && existing === undefined) {
      const id = await openAlert(db, { name: r.model.name, version: r.model.version, feature: c.feature, at, reportId, psi: c.psi, pValue: c.pValue });
      if (id !== null) opened.push({ id, feature: c.feature, check: c });
    } else if (c.drifted) {
      await keepAlert(db, existing!, reportId, c.psi, c.pValue);
    } else if (existing !== undefined) {
      await resolveAlert(db, existing, at, reportId);
      r.alerts.resolved.push(c.feature);
    }
  }
  r.alerts.opened = opened.map(({ id, feature }) => ({ id, feature }));
  const stillOpen = new Set([...openByFeature.keys()].filter((f) => !r.alerts.resolved.includes(f)));
  for (const a of opened) stillOpen.add(a.feature);
  r.alerts.open = [...stillOpen].sort();
  await setReportAlerts(db, reportId, r.alerts);
  return opened;
}

/** The JSON body of an alert webhook. */
export function alertPayload(r: DriftReport, alert: { id: number; feature: DriftFeature; check: FeatureCheck }) {
  const c = alert.check;
  return {
    type: 'drift_alert',
    alert: { id: alert.id, feature: alert.feature, openedAt: r.createdAt },
    model: r.model,
    aliases: r.aliases,
    check: { test: c.test, psi: c.psi, psiThreshold: c.psiThreshold, statistic: c.statistic, pValue: c.pValue, pValueThreshold: c.pValueThreshold },
    message: `${r.model.name}@${r.model.version} (${r.aliases.join(', ')}): ${alert.feature} drifted over the last ${r.window.hours} h (PSI ${c.psi.toFixed(3)} ≥ ${c.psiThreshold}, ${c.test} p = ${c.pValue.toExponential(2)} < ${c.pValueThreshold}; ${r.rows} rows)`,
    report: { id: r.id, window: r.window, rows: r.rows, driftedFeatures: r.driftedFeatures, url: `/api/v1/drift?model=${encodeURIComponent(r.model.name)}` },
  };
}
