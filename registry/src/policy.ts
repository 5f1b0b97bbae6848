/**
 * The promotion policy: per model, when the hourly job may promote its candidate (the
 * `canary` alias if there is one, else the `challenger`) to champion, must hold, or rolls it back.
 *
 * - `PromotionPolicy` is the contract of `PUT/GET /api/v1/models/{name}/policy` (validated here, so
 *   the Worker and the clients share one definition);
 * - `decidePolicy(policy, evidence)` is the decision, a pure function: the Worker gathers the
 *   evidence from D1 (worker/src/monitor/evidence.ts) and carries the decision out with compare-and-set
 *   alias moves (worker/src/monitor/promotion.ts);
 * - `PromotionDecision` is what `GET /api/v1/models/{name}/decisions` lists.
 *
 * Order of the decision: paused → hold; the champion moved after the candidate was set (an operator's
 * override) → hold; too little traffic → hold; a regression (error rate, CBPE
 * estimated accuracy, realised accuracy where there are enough labels) → roll back, even before the
 * minimum duration (a broken canary is pulled as soon as the traffic says so); too young → hold; a
 * condition not met (shadow agreement, latency) → hold; a condition that is on but could not be measured
 * (no shadow rows, no edge latency, no scored rows) → hold unless the operator set `allowSkippedChecks`;
 * otherwise → promote.
 *
 * Evidence is trusted evidence only, so that rows a client forged cannot promote a version: edge rows (answers the Worker computed itself), shadow
 * pairs, failures that are the version's own fault, feedback from trusted clients; browser rows only when
 * the policy opts in (`browserEvidence`), bounded per client and day with outlier client-days left out.
 * `VersionEvidence.sources` records what was counted, by source.
 */
import { z } from 'zod';
import { nearestRankIndex } from './ab.ts';
import type { ModelVersionRef } from './serving-api.ts';

const share = (what: string) => z.number({ error: `${what} must be a number from 0 to 1` }).min(0, `${what} must be at least 0`).max(1, `${what} must be at most 1`);

/** What the candidate must show before it is promoted; `null` turns a condition off. */
export const PromotionConditions = z
  .object({
    /** Shadow agreement with the champion (share of texts with the same label) ≥ this. Needs shadow rows; held while there are none. */
    minShadowAgreement: share('minShadowAgreement').nullable().default(0.8),
    /** Candidate's CBPE estimated accuracy ≥ champion's − this; lower by more: roll back. */
    estimatedAccuracyTolerance: share('estimatedAccuracyTolerance').nullable().default(0.02),
    /** Realised accuracy from feedback, judged only when both have ≥ minRows labelled rows: candidate ≥ champion − tolerance, else roll back. */
    realisedAccuracy: z
      .object({
        minRows: z.number().int('realisedAccuracy.minRows must be a whole number').min(1, 'realisedAccuracy.minRows must be at least 1').max(1e9),
        tolerance: share('realisedAccuracy.tolerance'),
      })
      .strict()
      .nullable()
      .default({ minRows: 50, tolerance: 0.02 }),
    /** Candidate's error rate (failed texts / all texts sent to it) ≤ champion's + this; higher: roll back. */
    errorRateTolerance: share('errorRateTolerance').nullable().default(0.01),
    /** Candidate's p95 latency (edge rows) ≤ champion's × this; slower: hold. Not measured for a shadow-only challenger. */
    latencyP95Factor: z.number({ error: 'latencyP95Factor must be a number ≥ 1' }).min(1, 'latencyP95Factor must be at least 1 (1 = no slower than the champion)').max(100).nullable().default(1.5),
  })
  .strict();
export type PromotionConditions = z.infer<typeof PromotionConditions>;

/**
 * Browser rows as evidence (off by default: anyone can sync them). When on, each client (a hash of the
 * syncing address) counts at most `maxRowsPerClientDay` rows per UTC day, and client-days whose mean
 * confidence is an outlier among all client-days (Tukey's fences, 1.5 × IQR, with at least 4 of them) are
 * left out.
 */
export const BrowserEvidence = z
  .object({
    maxRowsPerClientDay: z.number({ error: 'browserEvidence.maxRowsPerClientDay must be a whole number' }).int('browserEvidence.maxRowsPerClientDay must be a whole number').min(1, 'browserEvidence.maxRowsPerClientDay must be at least 1').max(10_000, 'browserEvidence.maxRowsPerClientDay must be at most 10000').default(50),
  })
  .strict();
export type BrowserEvidence = z.infer<typeof BrowserEvidence>;

export const PromotionPolicy = z
  .object({
    /** Paused: the hourly job records a hold and moves nothing. */
    paused: z.boolean({ error: 'paused must be true or false' }).default(false),
    /** Count synced browser rows (null: never, the default); see BrowserEvidence. */
    browserEvidence: BrowserEvidence.nullable().default(null),
    /** Promote even when a condition that is on could not be measured (shadow agreement, p95 latency, estimated accuracy). Default false: hold. */
    allowSkippedChecks: z.boolean({ error: 'allowSkippedChecks must be true or false' }).default(false),
    /** Candidate traffic (canary rows + its shadow rows + failed texts) since its alias was set. */
    minRows: z.number({ error: 'minRows must be a whole number' }).int('minRows must be a whole number').min(1, 'minRows must be at least 1').max(1e9).default(200),
    /** Hours since the candidate's alias was set before it may be promoted. */
    minHours: z.number({ error: 'minHours must be a number of hours' }).min(0, 'minHours must be at least 0').max(24 * 365).default(24),
    conditions: PromotionConditions.default(PromotionConditions.parse({})),
  })
  .strict();
/** The stored policy, every field filled in. */
export type PromotionPolicy = z.infer<typeof PromotionPolicy>;
/** What PUT accepts: every field optional (defaults above). */
export type PromotionPolicyInput = z.input<typeof PromotionPolicy>;

export interface PolicyResponse {
  model: string;
  policy: PromotionPolicy;
  updatedAt: string;
  /** Who set it: the API key's name, or 'REGISTRY_TOKEN' (absent on policies set before this was recorded). */
  updatedBy?: string;
}

// ---- the evidence ---------------------------------------------------------------------------------

/** What the evidence of one version counted, by source. */
export interface EvidenceSources {
  /** Edge rows: answers the Worker computed itself (always counted). */
  edge: number;
  /** Synced browser rows in the window: stored, counted (0 unless the policy opts in), client-days, outlier client-days left out. */
  browser: { stored: number; counted: number; clientDays: number; outlierClientDays: number };
  /** Texts the version failed to answer through its own fault (counted). */
  failed: number;
  /** Feedback on the counted rows: from trusted clients (counted) and anonymous (not counted). */
  feedback: { trusted: number; untrusted: number };
}

export interface VersionEvidence {
  version: number;
  /** Answered texts counted since the window start: edge rows, plus browser rows where the policy opts in. */
  rows: number;
  /** Texts the version failed to answer through its own fault (version_errors) since the window start. */
  failed: number;
  /** failed / (failed + rows); null without traffic. */
  errorRate: number | null;
  /** CBPE estimate (mean top-class probability) over its rows; null without rows. */
  estimatedAccuracy: number | null;
  /** From feedback on its rows; null when none. */
  realisedAccuracy: { accuracy: number; rows: number } | null;
  /** p95 of per-text latency (ms) of its edge rows; null without edge rows. */
  latencyP95Ms: number | null;
  /** What was counted, by source. */
  sources: EvidenceSources;
}

export interface PromotionEvidence {
  /** When the evidence was read (ISO). */
  at: string;
  candidate: VersionEvidence & {
    alias: 'canary' | 'challenger';
    /** When its alias was last set (ISO): the window starts here. */
    since: string;
    /** Shadow rows it scored for the champion since then, and their agreement. */
    shadow: { rows: number; agreement: number | null } | null;
  };
  champion: (VersionEvidence & { since: string }) | null;
}

/** Fewest client-days for which outliers are judged (quartiles of fewer values say little). */
export const MIN_OUTLIER_GROUPS = 4;

/**
 * Which values are inside Tukey's fences [Q1 − 1.5·IQR, Q3 + 1.5·IQR] (nearest-rank quartiles): the
 * browser client-days the policy counts, by their mean confidence. Fewer than MIN_OUTLIER_GROUPS
 * values: all are kept.
 */
export function tukeyInliers(values: readonly number[]): boolean[] {
  if (values.length < MIN_OUTLIER_GROUPS) return values.map(() => true);
  const sorted = [...values].sort((a, b) => a - b);
  const q1 = sorted[nearestRankIndex(sorted.length, 0.25)]!;
  const q3 = sorted[nearestRankIndex(sorted.length, 0.75)]!;
  const spread = 1.5 * (q3 - q1);
  return values.map((v) => v >= q1 - spread - 1e-12 && v <= q3 + spread + 1e-12);
}

// ---- the decision ---------------------------------------------------------------------------------

export type PromotionAction = 'promote' | 'hold' | 'rollback';

export interface PolicyCheck {
  check: 'paused' | 'championMoved' | 'traffic' | 'duration' | 'shadowAgreement' | 'estimatedAccuracy' | 'realisedAccuracy' | 'errorRate' | 'latencyP95';
  /** true: met; false: not met; null: not judged (off, or not measured). */
  passed: boolean | null;
  /** The candidate's figure. */
  value: number | null;
  /** What it was compared with (already including the tolerance or factor). */
  threshold: number | null;
  message: string;
}

export interface Decision {
  action: PromotionAction;
  /** The checks that decided it (the failed ones for hold / roll back, all for promote). */
  reasons: string[];
  checks: PolicyCheck[];
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const hoursBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 3_600_000;

/** The candidate's traffic: its own answered and failed texts plus the champion texts it shadow-scored. */
export function candidateTraffic(e: PromotionEvidence['candidate']): number {
  return e.rows + e.failed + (e.shadow?.rows ?? 0);
}

/** Conditions that must be measured (not only not failed) before a promotion, unless `allowSkippedChecks`. */
const SKIPPABLE: ReadonlySet<PolicyCheck['check']> = new Set(['estimatedAccuracy', 'shadowAgreement', 'latencyP95']);

/** Decides promote / hold / roll back for the evidence under the policy (see the module comment). */
export function decidePolicy(policy: PromotionPolicy, e: PromotionEvidence): Decision {
  const c = e.candidate;
  const champ = e.champion;
  const checks: PolicyCheck[] = [];
  const label = `${c.alias} v${c.version}`;

  if (policy.paused) {
    checks.push({ check: 'paused', passed: false, value: null, threshold: null, message: 'the policy is paused: nothing is moved automatically' });
    return { action: 'hold', reasons: [checks[0]!.message], checks };
  }

  // An operator moved the champion during the trial: their move wins, and the evidence (champion rows since
  // the candidate was set) no longer compares the candidate with one champion. Nothing moves until the
  // candidate's alias is set again, which starts a new trial.
  if (champ && Date.parse(champ.since) > Date.parse(c.since)) {
    checks.push({ check: 'championMoved', passed: false, value: null, threshold: null, message: `the champion was moved at ${champ.since}, after ${label} was set at ${c.since}: the operator's move wins; set the ${c.alias} again to start a new trial` });
    return { action: 'hold', reasons: [checks[0]!.message], checks };
  }

  const traffic = candidateTraffic(c);
  const thin = traffic < policy.minRows;
  checks.push({ check: 'traffic', passed: !thin, value: traffic, threshold: policy.minRows, message: `${label} has ${traffic} rows of traffic since ${c.since} (${c.rows} answered: ${c.sources.edge} edge + ${c.sources.browser.counted} browser counted of ${c.sources.browser.stored} synced; ${c.failed} failed, ${c.shadow?.rows ?? 0} shadow); the policy needs ${policy.minRows}` });
  if (thin) return { action: 'hold', reasons: [`traffic too thin: ${checks[0]!.message}`], checks };

  const k = policy.conditions;
  // Regressions: roll back.
  const regressions: PolicyCheck[] = [];
  if (k.errorRateTolerance !== null) {
    const mine = c.errorRate ?? 0;
    const theirs = champ?.errorRate ?? 0;
    const limit = theirs + k.errorRateTolerance;
    const ok = mine <= limit + 1e-12;
    const check: PolicyCheck = { check: 'errorRate', passed: ok, value: mine, threshold: limit, message: `error rate ${pct(mine)} (${c.failed} of ${c.failed + c.rows} texts) vs champion ${pct(theirs)} + ${pct(k.errorRateTolerance)} tolerance` };
    checks.push(check);
    if (!ok) regressions.push(check);
  }
  if (k.estimatedAccuracyTolerance !== null) {
    const mine = c.estimatedAccuracy;
    const theirs = champ?.estimatedAccuracy ?? null;
    if (mine === null || theirs === null) {
      checks.push({ check: 'estimatedAccuracy', passed: null, value: mine, threshold: null, message: `estimated accuracy not compared: ${mine === null ? 'the candidate has' : 'the champion has'} no scored rows` });
    } else {
      const limit = theirs - k.estimatedAccuracyTolerance;
      const ok = mine >= limit - 1e-12;
      const check: PolicyCheck = { check: 'estimatedAccuracy', passed: ok, value: mine, threshold: limit, message: `estimated accuracy (CBPE) ${pct(mine)} vs champion ${pct(theirs)} − ${pct(k.estimatedAccuracyTolerance)} tolerance` };
      checks.push(check);
      if (!ok) regressions.push(check);
    }
  }
  if (k.realisedAccuracy !== null) {
    const mine = c.realisedAccuracy;
    const theirs = champ?.realisedAccuracy ?? null;
    const n = k.realisedAccuracy.minRows;
    if (!mine || !theirs || mine.rows < n || theirs.rows < n) {
      checks.push({ check: 'realisedAccuracy', passed: null, value: mine?.accuracy ?? null, threshold: null, message: `realised accuracy not judged: ${mine?.rows ?? 0} labelled rows for the candidate, ${theirs?.rows ?? 0} for the champion; the policy needs ${n} each` });
    } else {
      const limit = theirs.accuracy - k.realisedAccuracy.tolerance;
      const ok = mine.accuracy >= limit - 1e-12;
      const check: PolicyCheck = { check: 'realisedAccuracy', passed: ok, value: mine.accuracy, threshold: limit, message: `realised accuracy ${pct(mine.accuracy)} (${mine.rows} labels) vs champion ${pct(theirs.accuracy)} (${theirs.rows} labels) − ${pct(k.realisedAccuracy.tolerance)} tolerance` };
      checks.push(check);
      if (!ok) regressions.push(check);
    }
  }
  if (regressions.length) return { action: 'rollback', reasons: regressions.map((r) => `regression: ${r.message}`), checks };

  const age = hoursBetween(c.since, e.at);
  const young = age < policy.minHours;
  checks.push({ check: 'duration', passed: !young, value: age, threshold: policy.minHours, message: `${label} has been in place ${age.toFixed(1)} h; the policy needs ${policy.minHours} h` });

  // Conditions that hold the candidate back without rolling it back.
  const unmet: PolicyCheck[] = [];
  if (k.minShadowAgreement !== null) {
    const a = c.shadow?.agreement ?? null;
    if (a === null) {
      const check: PolicyCheck = { check: 'shadowAgreement', passed: c.alias === 'canary' && c.rows > 0 ? null : false, value: null, threshold: k.minShadowAgreement, message: 'no shadow rows: agreement with the champion is not measured' };
      checks.push(check);
      // A canary is judged on its own traffic; a challenger has nothing else to show.
      if (check.passed === false) unmet.push(check);
    } else {
      const ok = a >= k.minShadowAgreement;
      const check: PolicyCheck = { check: 'shadowAgreement', passed: ok, value: a, threshold: k.minShadowAgreement, message: `shadow agreement ${pct(a)} on ${c.shadow!.rows} texts; the policy needs ${pct(k.minShadowAgreement)}` };
      checks.push(check);
      if (!ok) unmet.push(check);
    }
  }
  if (k.latencyP95Factor !== null) {
    const mine = c.latencyP95Ms;
    const theirs = champ?.latencyP95Ms ?? null;
    if (mine === null || theirs === null) {
      checks.push({ check: 'latencyP95', passed: null, value: mine, threshold: null, message: `p95 latency not compared: ${mine === null ? 'the candidate has no edge rows of its own (shadow scoring is not timed)' : 'the champion has no edge rows'}` });
    } else {
      const limit = theirs * k.latencyP95Factor;
      const ok = mine <= limit;
      const check: PolicyCheck = { check: 'latencyP95', passed: ok, value: mine, threshold: limit, message: `p95 latency ${mine.toFixed(2)} ms vs champion ${theirs.toFixed(2)} ms × ${k.latencyP95Factor}` };
      checks.push(check);
      if (!ok) unmet.push(check);
    }
  }
  // A condition that is on but was not measured is not a pass: promote only on measured checks unless the operator said otherwise.
  const skipped = policy.allowSkippedChecks ? [] : checks.filter((x) => x.passed === null && SKIPPABLE.has(x.check));
  const held = [...unmet.map((u) => `not met: ${u.message}`), ...skipped.map((x) => `not measured: ${x.message} (set allowSkippedChecks: true to promote without it, or turn the condition off with null)`)];
  if (young) return { action: 'hold', reasons: [`too young: ${checks.find((x) => x.check === 'duration')!.message}`, ...held], checks };
  if (held.length) return { action: 'hold', reasons: held, checks };
  return { action: 'promote', reasons: checks.filter((x) => x.passed === true).map((x) => x.message), checks };
}

// ---- the API -------------------------------------------------------------------------------------

export type DecisionOutcome = 'applied' | 'conflict' | 'none';

export interface PromotionDecision extends Decision {
  id: number;
  model: string;
  createdAt: string;
  candidate: ModelVersionRef & { alias: 'canary' | 'challenger' };
  championVersion: number | null;
  /** applied: the alias moved; conflict: an operator moved it after the evidence was read, nothing was moved; none: hold. */
  outcome: DecisionOutcome;
  evidence: PromotionEvidence;
  policy: PromotionPolicy;
  webhook: 'delivered' | 'failed' | null;
}

export interface DecisionList {
  model: string;
  decisions: PromotionDecision[];
}

/** The reason written into alias_events for an automatic move. */
export function auditReason(d: Decision, decisionAt: string): string {
  const head = d.action === 'promote' ? 'policy: promoted' : d.action === 'rollback' ? 'policy: rolled back' : 'policy: held';
  return `${head} at ${decisionAt}: ${d.reasons.join('; ')}`.slice(0, 500);
}
