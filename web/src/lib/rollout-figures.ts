/**
 * Dashboard figures of a version's rollout (pure functions, tested without a browser): the A/B readout of
 * the canary (else the challenger) against the champion (GET /api/v1/ab), the canary's share of traffic
 * (GET …/aliases, public) and the promotion policy's decisions in words (GET …/decisions, read token).
 */
import type { AbReadout, AliasRecord, DecisionList, DecisionOutcome, PromotionAction } from '@sentiment-edge/registry';

/** A share (0–1) as a percentage with at most one decimal: 0.25 → 25, 0.005 → 0.5. */
const tenths = (share: number) => Math.round(share * 1000) / 10;
export const sharePct = (share: number) => String(tenths(share));

/** Which two versions the dashboard's A/B section compares: the champion (a) and the canary, else the challenger (b). */
export function abPair(aliases: Record<string, number>): { a: number; b: number; alias: 'canary' | 'challenger' } | null {
  const a = aliases.champion;
  if (a === undefined) return null;
  for (const alias of ['canary', 'challenger'] as const) {
    const b = aliases[alias];
    if (b !== undefined && b !== a) return { a, b, alias };
  }
  return null;
}

export interface AbFigures {
  a: number;
  b: number;
  /** Rows of each in the overlap; null overlap: no common traffic. */
  rows: [number, number];
  overlap: { start: string; end: string } | null;
  /** Label mix chart: labels on x, one series per version. */
  labels: string[];
  mix: [number[], number[]];
  sentences: { mix: string; confidence: string; latency: string; agreement: string; accuracy: string };
}

/** A share (0–1) as a whole percentage: 0.5 → "50%". */
export const pctText = (x: number) => `${Math.round(x * 100)}%`;
const signedPoints = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(tenths(x))} points`;
const ms = (x: number | null) => (x === null ? '—' : `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`);

/** The A/B readout (GET /api/v1/ab) in chart series and plain sentences. */
export function abFigures(r: AbReadout): AbFigures {
  const labels = [...new Set([...Object.keys(r.a.labelMix), ...Object.keys(r.b.labelMix)])].sort();
  const [a, b] = [`v${r.a.version}`, `v${r.b.version}`];
  const acc = r.accuracyDifference;
  return {
    a: r.a.version,
    b: r.b.version,
    rows: [r.a.n, r.b.n],
    overlap: r.overlap,
    labels,
    mix: [labels.map((l) => r.a.labelMix[l] ?? 0), labels.map((l) => r.b.labelMix[l] ?? 0)],
    sentences: {
      mix: r.labelMixDifference
        ? `${labels.map((l) => `${l} ${a} ${pctText(r.a.labelMix[l] ?? 0)}, ${b} ${pctText(r.b.labelMix[l] ?? 0)}`).join('; ')} (distance ${r.labelMixDifference.totalVariation.toFixed(3)})`
        : 'no common traffic',
      confidence:
        r.a.meanConfidence !== null && r.b.meanConfidence !== null ? `${a} ${pctText(r.a.meanConfidence)}, ${b} ${pctText(r.b.meanConfidence)}` : 'no common traffic',
      latency: `p50 ${a} ${ms(r.a.latencyMs.p50)}, ${b} ${ms(r.b.latencyMs.p50)}; p95 ${a} ${ms(r.a.latencyMs.p95)}, ${b} ${ms(r.b.latencyMs.p95)}`,
      agreement: r.agreement.agreement !== null ? `${pctText(r.agreement.agreement)} of ${r.agreement.rows} texts scored by both` : 'no text scored by both yet',
      accuracy: acc
        ? `${b} − ${a}: ${signedPoints(acc.difference)} (95% interval ${signedPoints(acc.low)} to ${signedPoints(acc.high)}; ${r.a.feedback.n} and ${r.b.feedback.n} answers checked)`
        : 'not enough feedback on both',
    },
  };
}

// ---- the canary's share (GET …/aliases, public) ----

export interface CanaryShare {
  version: number;
  /** 0–1: the share of the model's traffic (requests for NAME or NAME@champion) the canary serves. */
  share: number;
  champion: number | null;
}

/** The model's canary and its share from the aliases list, or null when it has none (or one without a share). */
export function canaryShare(aliases: readonly AliasRecord[]): CanaryShare | null {
  const canary = aliases.find((a) => a.alias === 'canary');
  if (!canary || typeof canary.share !== 'number') return null;
  return { version: canary.version, share: canary.share, champion: aliases.find((a) => a.alias === 'champion')?.version ?? null };
}

/** "canary v2 serves 25 % of traffic; champion v1 the other 75 %". */
export function canaryShareText(c: CanaryShare): string {
  if (c.share <= 0) return `canary v${c.version} serves 0 % of traffic: only requests that name the canary reach it`;
  const rest = c.champion !== null && c.share < 1 ? `; champion v${c.champion} the other ${sharePct(1 - c.share)} %` : '';
  return `canary v${c.version} serves ${sharePct(c.share)} % of traffic${rest}`;
}

// ---- the promotion policy's decisions (GET …/decisions, read token) ----

/** How many decisions the dashboard shows (newest first). */
export const DECISIONS_SHOWN = 10;

/** Whether the model has a promotion policy (GET …/policy): 'unknown' when the server did not say. */
export type PolicyState = 'none' | 'set' | 'paused' | 'unknown';

export interface DecisionRow {
  id: number;
  at: string;
  /** "canary v2" */
  candidate: string;
  action: PromotionAction;
  /** "promote", "hold", "roll back" */
  actionText: string;
  outcome: DecisionOutcome;
  /** "applied: v2 is champion (was v1)", "not applied: an operator moved the alias first", "nothing moved" */
  outcomeText: string;
  /** The policy's reasons, times in UTC words. */
  reasons: string[];
}

export interface DecisionFigures {
  policy: PolicyState;
  /** Newest first, at most DECISIONS_SHOWN. */
  rows: DecisionRow[];
}

const ISO_TIME = /\b(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?Z\b/g;

/** A reason with its ISO times written as "2026-11-30 14:00 UTC". */
export const plainReason = (reason: string) => reason.replace(ISO_TIME, '$1 $2 UTC');

const ACTION_WORDS: Record<PromotionAction, string> = { promote: 'promote', hold: 'hold', rollback: 'roll back' };

function outcomeText(d: DecisionList['decisions'][number]): string {
  if (d.outcome === 'conflict') return 'not applied: an operator moved the alias first';
  if (d.outcome === 'none') return 'nothing moved';
  if (d.action === 'promote') return `applied: v${d.candidate.version} is champion${d.championVersion !== null ? ` (was v${d.championVersion})` : ''}`;
  return `applied: ${d.candidate.alias} v${d.candidate.version} removed`;
}

/** The newest `n` decisions as table rows, newest first, in words. */
export function decisionFigures(list: DecisionList, policy: PolicyState, n = DECISIONS_SHOWN): DecisionFigures {
  const rows = [...list.decisions]
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id)
    .slice(0, n)
    .map((d) => ({
      id: d.id,
      at: d.createdAt,
      candidate: `${d.candidate.alias} v${d.candidate.version}`,
      action: d.action,
      actionText: ACTION_WORDS[d.action] ?? d.action,
      outcome: d.outcome,
      outcomeText: outcomeText(d),
      reasons: d.reasons.map(plainReason),
    }));
  return { policy, rows };
}

/** What the dashboard says when there is no decision yet. */
export function noDecisionsText(policy: PolicyState): string {
  switch (policy) {
    case 'none':
      return 'No promotion policy is set for this model, so nothing is promoted or rolled back automatically.';
    case 'paused':
      return 'The promotion policy is paused: it moves nothing, and it has recorded no decision yet.';
    case 'set':
      return 'The promotion policy is set but has not decided yet: it decides once an hour while the model has a canary or a challenger.';
    default:
      return 'No promotion decisions yet: the server decides once an hour for a model with a promotion policy and a canary or a challenger.';
  }
}
