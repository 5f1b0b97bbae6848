/**
 * The promotion gate: a pure function from two evaluations to a decision with its reasons.
 *
 * - No champion: promote when macro-F1 ≥ floor.
 * - A champion: both must be scored on the same evaluation set (same sha256 and row count);
 *   promote when candidate macro-F1 ≥ champion macro-F1 + margin (and, if the policy asks,
 *   when McNemar's paired test says the difference is significant); otherwise publish as challenger.
 * - Below the floor, or with metrics that are missing or not finite: publish nothing.
 */
import { mcnemar, type PairedComparison } from './paired-test.ts';
import type { Evaluation } from './manifest.ts';
import { SCORING_TEXT, type Scoring } from './metrics.ts';

export interface GatePolicy {
  /** Minimum macro-F1 for a version to be published at all. */
  floor: number;
  /** How much the candidate must beat the champion's macro-F1 by (0 = ties promote). */
  margin: number;
  /** Promote only if the paired test's p-value is below `alpha`. */
  requireSignificance: boolean;
  alpha: number;
}

/**
 * Default policy. The floor of 0.80 macro-F1 sits between the TF-IDF + logistic regression
 * baseline on SST-2 (0.818 accuracy) and chance, so a broken build never ships but an honest
 * small model does. Three-class models (TweetEval: state of the art ≈ 0.72) need a lower floor:
 * see DEFAULT_FLOORS.
 */
export const DEFAULT_POLICY: GatePolicy = { floor: 0.8, margin: 0, requireSignificance: false, alpha: 0.05 };

/**
 * Per-model-name floors; names not listed use DEFAULT_POLICY.floor. `sentiment` is the default 3-class model
 * (negative / neutral / positive) that `pnpm dev` trains and gates on tweeteval/val.csv (3-way macro-F1 ≈ 0.57
 * there; chance ≈ 0.33): 0.50 stops a broken build.
 */
export const DEFAULT_FLOORS: Readonly<Record<string, number>> = { 'sentiment-tweets': 0.55, sentiment: 0.5 };

export function policyFor(name: string, overrides: Partial<GatePolicy> = {}): GatePolicy {
  return { ...DEFAULT_POLICY, floor: DEFAULT_FLOORS[name] ?? DEFAULT_POLICY.floor, ...stripUndefined(overrides) };
}

export interface GateCandidate {
  evaluation: Pick<Evaluation, 'dataset' | 'macroF1' | 'accuracy'>;
  /** Per-example correctness on evaluation.dataset, in dataset order (enables the paired test). */
  correct?: ArrayLike<boolean | number>;
  /** How the candidate's answers were scored (metrics.ts scoringFor), named in the reasons. */
  scoring?: Scoring;
}

export type GateOutcome = 'promote' | 'challenger' | 'reject';

export interface GateDecision {
  outcome: GateOutcome;
  /** True for promote and challenger. */
  publishable: boolean;
  reasons: string[];
  candidateF1: number;
  championF1: number | null;
  /** candidate − champion macro-F1, when there is a champion. */
  delta: number | null;
  paired: PairedComparison | null;
  policy: GatePolicy;
}

export function decidePromotion(candidate: GateCandidate, champion: GateCandidate | null, policy: GatePolicy = DEFAULT_POLICY): GateDecision {
  const f1 = candidate.evaluation?.macroF1;
  const base = { candidateF1: f1, championF1: null, delta: null, paired: null, policy };
  const reject = (reason: string): GateDecision => ({ ...base, outcome: 'reject', publishable: false, reasons: [reason] });

  if (!isMetric(f1)) return reject(`candidate macro-F1 is missing or not a number in [0, 1] (got ${String(f1)}): re-run the evaluation`);
  if (!isMetric(policy.floor) || !Number.isFinite(policy.margin)) return reject(`gate policy is invalid: floor ${policy.floor}, margin ${policy.margin}`);
  if (f1 < policy.floor) {
    return reject(`candidate macro-F1 ${fmt(f1)}${scoredOn(candidate)} is below the floor ${fmt(policy.floor)}: not publishable`);
  }
  const reasons = [`candidate macro-F1 ${fmt(f1)} ≥ floor ${fmt(policy.floor)}${scoredOn(candidate)}`];

  if (!champion) {
    return { ...base, outcome: 'promote', publishable: true, reasons: [...reasons, 'no champion yet: the candidate becomes champion'] };
  }

  const champF1 = champion.evaluation?.macroF1;
  if (!isMetric(champF1)) {
    return reject(`champion macro-F1 is missing or not a number (got ${String(champF1)}): re-evaluate the champion on the candidate's data`);
  }
  const a = candidate.evaluation.dataset;
  const b = champion.evaluation.dataset;
  if (a.sha256 !== b.sha256 || a.rows !== b.rows) {
    return reject(
      `candidate and champion were scored on different evaluation sets (${a.name} ${a.sha256.slice(0, 12)}…/${a.rows} rows vs ` +
        `${b.name} ${b.sha256.slice(0, 12)}…/${b.rows} rows): evaluate both on the same file`,
    );
  }

  const delta = f1 - champF1;
  const paired =
    candidate.correct && champion.correct && candidate.correct.length === champion.correct.length && candidate.correct.length > 0
      ? mcnemar(candidate.correct, champion.correct)
      : null;
  const withChamp = { ...base, championF1: champF1, delta, paired };

  // Compare with a tolerance so that identical scores computed in different orders still count as equal.
  const beats = delta >= policy.margin - 1e-12;
  if (!beats) {
    return {
      ...withChamp,
      outcome: 'challenger',
      publishable: true,
      reasons: [...reasons, `candidate macro-F1 ${fmt(f1)} < champion ${fmt(champF1)} + margin ${fmt(policy.margin)}: published as challenger`],
    };
  }
  if (policy.requireSignificance) {
    if (!paired) {
      return { ...withChamp, outcome: 'challenger', publishable: true, reasons: [...reasons, 'policy requires significance but per-example correctness is missing: published as challenger'] };
    }
    if (!(paired.pValue < policy.alpha)) {
      return {
        ...withChamp,
        outcome: 'challenger',
        publishable: true,
        reasons: [...reasons, `gain ${fmt(delta)} is not significant (McNemar p = ${fmt(paired.pValue)} ≥ ${policy.alpha}): published as challenger`],
      };
    }
  }
  const sig = paired ? ` (McNemar p = ${fmt(paired.pValue)})` : '';
  return {
    ...withChamp,
    outcome: 'promote',
    publishable: true,
    reasons: [...reasons, `candidate macro-F1 ${fmt(f1)} ≥ champion ${fmt(champF1)} + margin ${fmt(policy.margin)}${sig}: promoted to champion`],
  };
}

/** " (on validation.csv, 872 rows, scored polar: P(positive) vs P(negative))": which file and which scoring. */
function scoredOn(c: GateCandidate): string {
  const d = c.evaluation?.dataset;
  if (!d) return '';
  return ` (on ${d.name}, ${d.rows} rows${c.scoring ? `, scored ${SCORING_TEXT[c.scoring]}` : ''})`;
}

function isMetric(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 1;
}

function fmt(x: number): string {
  return x.toFixed(4);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
