/**
 * Dashboard figures from the Worker's monitoring APIs (pure functions, tested without a browser):
 * evaluation runs of versions side by side on the same dataset bytes (GET /api/v1/evaluations), the
 * alias history as one timeline (GET …/aliases/{alias}/history) and, with a read token, the champion's
 * latest drift report (GET /api/v1/drift): PSI per feature against its threshold, shadow agreement,
 * estimated (CBPE) against realised accuracy over the recent reports. Kept in localStorage with the time
 * they were read (with rollout-figures.ts's canary share and decisions), so the dashboard shows them dated
 * when the Worker cannot be reached.
 */
// Types only: a value import of the registry's drift.ts would bring zod (and its `new Function` probe, a CSP violation) into the chunk.
import { scoringOf, type Scoring } from '@sentiment-edge/registry';
import type { AliasEvent, DriftListing, DriftReport, EvaluationRun, RealisedAccuracyRow } from '@sentiment-edge/registry';
import { sharePct, type CanaryShare, type DecisionFigures } from './rollout-figures.ts';
import { loadJson, saveJson } from './stored-json.ts';

/** One dataset (by sha256 and precision) and the latest succeeded run of each version on it. */
export interface EvaluationComparison {
  dataset: { name: string; sha256: string; rows: number };
  precision: string;
  /** How the runs were scored (registry scoringOf): runs scored differently on the same bytes are not compared. */
  scoring: Scoring;
  /** Oldest version first. */
  versions: { version: number; name: string; accuracy: number; macroF1: number; ece: number; at: string }[];
}

const MAX_VERSIONS = 8;

/**
 * Groups succeeded runs by dataset sha256, precision and scoring (only runs on the same bytes, scored the same way, compare), keeps the
 * newest run per version, and orders the groups by how many versions they compare (most first), then
 * by their newest run. `aliases` (alias → version) names versions such as "v3 (champion)".
 */
export function compareEvaluations(runs: readonly EvaluationRun[], aliases: Record<string, number> = {}): EvaluationComparison[] {
  const aliasOf = new Map<number, string[]>();
  for (const [a, v] of Object.entries(aliases)) aliasOf.set(v, [...(aliasOf.get(v) ?? []), a]);
  const groups = new Map<string, { run: EvaluationRun; byVersion: Map<number, EvaluationRun> }>();
  for (const r of runs) {
    if (r.status !== 'succeeded' || !r.metrics) continue;
    const key = `${r.dataset.sha256}:${r.precision}:${scoringOf(r.metrics, r.labels)}`;
    const g = groups.get(key) ?? { run: r, byVersion: new Map() };
    groups.set(key, g);
    if (r.createdAt > g.run.createdAt) g.run = r;
    const seen = g.byVersion.get(r.model.version);
    if (!seen || r.createdAt > seen.createdAt) g.byVersion.set(r.model.version, r);
  }
  const newest = (g: { run: EvaluationRun }) => g.run.createdAt;
  return [...groups.values()]
    .sort((a, b) => b.byVersion.size - a.byVersion.size || newest(b).localeCompare(newest(a)))
    .map((g) => ({
      dataset: { ...g.run.dataset },
      precision: g.run.precision,
      scoring: scoringOf(g.run.metrics!, g.run.labels),
      versions: [...g.byVersion.values()]
        .sort((a, b) => a.model.version - b.model.version)
        .slice(-MAX_VERSIONS)
        .map((r) => ({
          version: r.model.version,
          name: `v${r.model.version}${aliasOf.has(r.model.version) ? ` (${aliasOf.get(r.model.version)!.sort().join(', ')})` : ''}`,
          accuracy: r.metrics!.accuracy,
          macroF1: r.metrics!.macroF1,
          ece: r.metrics!.ece,
          at: r.createdAt,
        })),
    }));
}

export interface TimelineEntry {
  /** The alias event's id (unique). */
  id: number;
  at: string;
  alias: string;
  from: number | null;
  to: number | null;
  reason: string | null;
  /** In words: "champion set to v1", "champion moved from v1 to v2", "challenger removed (was v2)", "canary set to v3 (10 % of traffic)". */
  text: string;
}

/** Every alias's moves in one list, newest first. */
export function aliasTimeline(histories: Record<string, readonly AliasEvent[]>): TimelineEntry[] {
  const all = Object.entries(histories).flatMap(([alias, events]) => events.map((e) => ({ ...e, alias: e.alias || alias })));
  return all
    .sort((a, b) => b.at.localeCompare(a.at) || b.id - a.id)
    .map((e) => ({
      id: e.id,
      at: e.at,
      alias: e.alias,
      from: e.fromVersion,
      to: e.toVersion,
      reason: e.reason,
      text:
        (e.toVersion === null
          ? `${e.alias} removed${e.fromVersion !== null ? ` (was v${e.fromVersion})` : ''}`
          : e.fromVersion === null
            ? `${e.alias} set to v${e.toVersion}`
            : e.fromVersion === e.toVersion && e.share !== undefined
              ? `${e.alias} v${e.toVersion} share changed`
              : `${e.alias} moved from v${e.fromVersion} to v${e.toVersion}`) +
        (e.share !== undefined ? ` (${sharePct(e.share)} % of traffic)` : '') +
        // Automatic moves say so: the hourly promotion policy (worker/src/monitor/promotion.ts).
        (e.actor === 'policy' ? ', by the promotion policy' : ''),
    }));
}

export type FeatureFigure =
  | { feature: string; psi: number | null; psiThreshold: number; test: string; pValue: number | null; pValueThreshold: number; drifted: boolean }
  | { feature: string; skipped: true; rows: number; minRows: number };

export interface DriftFigures {
  /** The report shown: the champion's newest. */
  report: { at: string; version: number; rows: number; status: DriftReport['status']; window: DriftReport['window'] };
  features: FeatureFigure[];
  shadow: { challenger: number; rows: number; agreement: number | null; labelMixDifference: number | null } | null;
  /** The newest report's estimate (with its 95 % band) and realised accuracy. */
  estimated: { estimate: number; low: number; high: number; rows: number } | null;
  realised: { accuracy: number; rows: number } | null;
  /** Estimated and realised accuracy over the champion version's reports, oldest first (null: none that hour). */
  accuracy: { x: string[]; estimated: (number | null)[]; realised: (number | null)[] };
  openAlerts: string[];
}

/** NaN is stored as JSON null: a value the report could not compute. */
const finite = (x: number | null): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** A report time as "11-30 14:00" (UTC), for chart axes. */
export const reportTime = (iso: string) => `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;

/**
 * The figures of the champion's newest report: the reports of `championVersion` when it is known,
 * else those made while the version was champion. Null when there is no such report.
 */
export function driftFigures(listing: DriftListing, championVersion: number | null): DriftFigures | null {
  const mine = listing.reports.filter((r) => (championVersion !== null ? r.model.version === championVersion : r.aliases.includes('champion')));
  const latest = [...mine].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  if (!latest) return null;
  const series = mine.filter((r) => r.model.version === latest.model.version).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return {
    report: { at: latest.createdAt, version: latest.model.version, rows: latest.rows, status: latest.status, window: latest.window },
    features: latest.features.map((c) =>
      'skipped' in c
        ? { feature: c.feature, skipped: true as const, rows: c.rows, minRows: c.minRows }
        : { feature: c.feature, psi: finite(c.psi), psiThreshold: c.psiThreshold, test: c.test, pValue: finite(c.pValue), pValueThreshold: c.pValueThreshold, drifted: c.drifted },
    ),
    shadow: latest.shadow && { challenger: latest.shadow.challenger.version, rows: latest.shadow.rows, agreement: latest.shadow.agreement, labelMixDifference: latest.shadow.labelMixDifference },
    estimated: latest.estimatedAccuracy && { estimate: latest.estimatedAccuracy.estimate, low: latest.estimatedAccuracy.low, high: latest.estimatedAccuracy.high, rows: latest.estimatedAccuracy.rows },
    realised: latest.realisedAccuracy,
    accuracy: {
      x: series.map((r) => reportTime(r.createdAt)),
      estimated: series.map((r) => r.estimatedAccuracy?.estimate ?? null),
      realised: series.map((r) => r.realisedAccuracy?.accuracy ?? null),
    },
    openAlerts: listing.alerts.filter((a) => a.state === 'open' && a.model.version === latest.model.version).map((a) => a.feature),
  };
}

export interface RealisedByDay {
  version: number;
  /** UTC days with at least MIN_DAY_FEEDBACK answers, oldest first (empty: not enough feedback yet). */
  x: string[];
  accuracy: number[];
  feedback: number[];
  /** Answers on the days left out for having fewer than MIN_DAY_FEEDBACK. */
  tooFew: number;
}

/** A day's realised accuracy is drawn from this many answers: below it one answer moves the day by 20 points or more. */
export const MIN_DAY_FEEDBACK = 5;

/** Realised accuracy per UTC day of one version (GET /api/v1/feedback/accuracy); null when it has no feedback. */
export function realisedByDay(rows: readonly RealisedAccuracyRow[], version: number): RealisedByDay | null {
  const mine = rows.filter((r) => r.model.version === version).sort((a, b) => a.day.localeCompare(b.day));
  if (mine.length === 0) return null;
  const drawn = mine.filter((r) => r.feedback >= MIN_DAY_FEEDBACK);
  const tooFew = mine.filter((r) => r.feedback < MIN_DAY_FEEDBACK).reduce((n, r) => n + r.feedback, 0);
  return { version, x: drawn.map((r) => r.day), accuracy: drawn.map((r) => r.accuracy), feedback: drawn.map((r) => r.feedback), tooFew };
}

/** Names of features in plain words. */
export const FEATURE_NAMES: Record<string, string> = {
  tokens: 'text length (word pieces)',
  unknownShare: 'share of unknown words',
  confidence: 'confidence',
  label: 'label mix',
};

/** Three decimals, or "n/a" for a value the report could not compute (NaN arrives as JSON null). */
const num = (x: number | null) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(3) : 'n/a');

/** One sentence per feature for the chart's summary. */
export function featureSentence(f: FeatureFigure): string {
  const name = FEATURE_NAMES[f.feature] ?? f.feature;
  if ('skipped' in f) return `${name}: not judged, ${f.rows} of the ${f.minRows} rows needed`;
  const test = f.test === 'ks' ? 'KS' : 'chi-squared';
  return `${name}: PSI ${num(f.psi)} against ${f.psiThreshold} (${test} p ${num(f.pValue)} against ${f.pValueThreshold}), ${f.drifted ? 'drifted' : 'no drift'}`;
}

// ---- the copy kept on this device ----

export interface MonitorCopy {
  /** ISO time the public figures (evaluations, alias history) were read. */
  at: string;
  model: string;
  evaluations: EvaluationComparison[];
  timeline: TimelineEntry[];
  /** The canary and its share when the figures were read (public); absent in copies kept before it. */
  canary?: CanaryShare | null;
  /** Figures needing the read token, with their own time; absent without a token. */
  drift?: { at: string; figures: DriftFigures | null; byDay?: RealisedByDay | null };
  /** The promotion policy's decisions (read token), with their own time; absent without a token. */
  decisions?: DecisionFigures & { at: string };
}

export const MONITOR_COPY_KEY = 'sentiment-edge.dashboard-monitor';
export const READ_TOKEN_KEY = 'sentiment-edge.read-token';

export function saveMonitorCopy(c: MonitorCopy, storage: Pick<Storage, 'setItem'> = localStorage): void {
  saveJson(MONITOR_COPY_KEY, c, storage);
}

/** The saved copy, or null when it is missing, damaged or of an older shape (timeline entries without an id). */
export function loadMonitorCopy(storage: Pick<Storage, 'getItem'> = localStorage): MonitorCopy | null {
  return loadJson<MonitorCopy>(
    MONITOR_COPY_KEY,
    (v) => {
      const c = v as Partial<MonitorCopy>;
      return typeof c.at === 'string' && Array.isArray(c.evaluations) && Array.isArray(c.timeline) && c.timeline.every((e) => typeof e?.id === 'number');
    },
    storage,
  );
}
