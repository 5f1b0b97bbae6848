/**
 * CheckList sentiment suite (Ribeiro et al., ACL 2020) as shipped in ../shared/data/checklist: loading
 * its files and scoring a model's probabilities with the suite's own rules (see the data README):
 * - MFT: predicted label == label; `neutral|positive` means "anything but negative".
 * - INV: pass if pred(b) == pred(a) or |P_L(b) − P_L(a)| ≤ 0.1, L = pred(a).
 * - DIR: the four `expect` rules with tolerance 0.1 and their skips.
 * A case (one text_a within a test) fails if any of its pairs fails; a case whose pairs are all
 * skipped is not counted. Tests whose expected labels are all `neutral` count only for models that
 * have a neutral label.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';

export type Polarity = 'negative' | 'neutral' | 'positive';

/** A model's class probabilities for one text; `neutral` is 0 for a model without a neutral label. */
export interface ClassProbs {
  negative: number;
  neutral: number;
  positive: number;
}

export interface MftCase {
  text: string;
  /** negative | neutral | positive | `neutral|positive` (anything but negative). */
  label: string;
  test: string;
}

export interface PairCase {
  textA: string;
  textB: string;
  test: string;
  /** DIR only: the expectation rule. */
  expect?: string;
}

export interface ChecklistTestInfo {
  test: string;
  capability: string;
  type: 'MFT' | 'INV' | 'DIR';
}

export interface ChecklistData {
  tests: ChecklistTestInfo[];
  mft: MftCase[];
  inv: PairCase[];
  dir: PairCase[];
}

export interface ChecklistTestResult extends ChecklistTestInfo {
  /** false for a neutral-only MFT test scored on a model without a neutral label. */
  counted: boolean;
  /** Only-neutral expectations (MFT tests whose labels are all neutral). */
  neutral: boolean;
  /** Cases scored (not skipped). */
  cases: number;
  failed: number;
  /** Cases whose every pair was skipped (DIR rules). */
  skipped: number;
  /** failed / cases, or null when not counted or nothing scored. */
  failureRate: number | null;
}

export interface PooledRate {
  cases: number;
  failed: number;
  failureRate: number | null;
}

export interface ChecklistResult {
  threeWay: boolean;
  tests: ChecklistTestResult[];
  /** MFT tests with a negative or positive expectation, cases pooled. */
  polarMft: PooledRate & { meanOverTests: number | null };
  /** Negation MFT tests that count for this model: failure rate per test. */
  negation: Record<string, number | null>;
  /** Neutral-only MFT tests pooled (null for a 2-label model) and per test. */
  neutralMft: (PooledRate & { perTest: Record<string, number | null> }) | null;
  /** All INV tests, cases pooled. */
  inv: PooledRate;
  /** INV tests the target names: typos, names, locations, URLs/handles, punctuation. */
  invRobustness: PooledRate;
  /** All DIR tests, cases pooled. */
  dir: PooledRate;
  /** Set when the scored cases were a deterministic sample of the files (see options.maxPairsPerCase). */
  sampled: string | null;
}

export const INV_ROBUSTNESS_TESTS = ['typos', '2 typos', 'change names', 'change locations', 'add random urls and handles', 'punctuation'] as const;

const TOL = 0.1;
/** Float slack so that a difference of exactly 0.1 computed in floating point still passes. */
const EPS = 1e-9;

export function predictedLabel(p: ClassProbs, threeWay: boolean): Polarity {
  if (threeWay && p.neutral > p.negative && p.neutral > p.positive) return 'neutral';
  return p.positive > p.negative ? 'positive' : 'negative';
}

/** MFT: the prediction equals the label; `neutral|positive` (or any `a|b`) passes on any listed label. */
export function mftPass(label: string, p: ClassProbs, threeWay: boolean): boolean {
  return label.split('|').includes(predictedLabel(p, threeWay));
}

/** INV: pass if pred(b) == pred(a) or |P_L(b) − P_L(a)| ≤ 0.1 where L = pred(a). */
export function invPairPass(a: ClassProbs, b: ClassProbs, threeWay: boolean): boolean {
  const L = predictedLabel(a, threeWay);
  if (predictedLabel(b, threeWay) === L) return true;
  return Math.abs(b[L] - a[L]) <= TOL + EPS;
}

export type PairOutcome = 'pass' | 'fail' | 'skip';

/** DIR: the four expectation rules of the suite (tolerance 0.1), with their skips. */
export function dirPairOutcome(expect: string, a: ClassProbs, b: ClassProbs, threeWay: boolean): PairOutcome {
  const ok = (x: boolean): PairOutcome => (x ? 'pass' : 'fail');
  switch (expect) {
    case 'orig_label_conf_not_down_tol0.1_skip_neutral_orig': {
      const L = predictedLabel(a, threeWay);
      if (L === 'neutral' || a[L] <= TOL) return 'skip';
      return ok(b[L] >= a[L] - TOL - EPS);
    }
    case 'orig_label_conf_not_up_tol0.1_skip_neutral_orig': {
      const L = predictedLabel(a, threeWay);
      if (L === 'neutral' || a[L] >= 1 - TOL) return 'skip';
      return ok(b[L] <= a[L] + TOL + EPS);
    }
    case 'pos_minus_neg_not_down_tol0.1':
      return ok(b.positive - b.negative - (a.positive - a.negative) >= -TOL - EPS);
    case 'pos_minus_neg_not_up_tol0.1':
      return ok(b.positive - b.negative - (a.positive - a.negative) <= TOL + EPS);
    default:
      throw new Error(`CheckList DIR: unknown expectation "${expect}"`);
  }
}

function rows(path: string): Record<string, string>[] {
  return parse(readFileSync(path), { columns: true, bom: true, skip_empty_lines: true }) as Record<string, string>[];
}

/** Reads tests.csv, mft.csv, mft-sets.csv, inv.csv and dir.csv from a CheckList directory. */
export function loadChecklist(dir: string): ChecklistData {
  const tests = rows(join(dir, 'tests.csv')).map((r) => {
    const type = r.type;
    if (type !== 'MFT' && type !== 'INV' && type !== 'DIR') throw new Error(`${dir}/tests.csv: test "${r.test}" has unknown type "${type}"`);
    return { test: r.test!, capability: r.capability!, type } satisfies ChecklistTestInfo;
  });
  const mft = [...rows(join(dir, 'mft.csv')), ...rows(join(dir, 'mft-sets.csv'))].map((r) => ({ text: r.text!, label: r.label!, test: r.test! }));
  const inv = rows(join(dir, 'inv.csv')).map((r) => ({ textA: r.text_a!, textB: r.text_b!, test: r.test! }));
  const dirCases = rows(join(dir, 'dir.csv')).map((r) => ({ textA: r.text_a!, textB: r.text_b!, test: r.test!, expect: r.expect! }));
  return { tests, mft, inv, dir: dirCases };
}

export interface ChecklistSampleOptions {
  /** Keep at most this many pairs per case (the first ones in file order); 0 or undefined keeps all. */
  maxPairsPerCase?: number;
}

/** The (deterministic) sample of the INV/DIR pairs that will be scored. */
export function sampleChecklist(data: ChecklistData, options: ChecklistSampleOptions = {}): { data: ChecklistData; sampled: string | null } {
  const max = options.maxPairsPerCase ?? 0;
  if (max <= 0) return { data, sampled: null };
  const cap = (pairs: PairCase[]): PairCase[] => {
    const seen = new Map<string, number>();
    return pairs.filter((p) => {
      const k = `${p.test}\u0000${p.textA}`;
      const n = seen.get(k) ?? 0;
      seen.set(k, n + 1);
      return n < max;
    });
  };
  const inv = cap(data.inv);
  const dir = cap(data.dir);
  const dropped = data.inv.length - inv.length + data.dir.length - dir.length;
  return {
    data: { ...data, inv, dir },
    sampled: dropped > 0 ? `INV/DIR: the first ${max} pairs of each case (${inv.length + dir.length} of ${data.inv.length + data.dir.length} pairs)` : null,
  };
}

/** Every distinct text the suite needs predictions for. */
export function checklistTexts(data: ChecklistData): string[] {
  const set = new Set<string>();
  for (const c of data.mft) set.add(c.text);
  for (const c of [...data.inv, ...data.dir]) {
    set.add(c.textA);
    set.add(c.textB);
  }
  return [...set];
}

function pooled(results: readonly ChecklistTestResult[]): PooledRate {
  const cases = results.reduce((s, r) => s + r.cases, 0);
  const failed = results.reduce((s, r) => s + r.failed, 0);
  return { cases, failed, failureRate: cases > 0 ? failed / cases : null };
}

function mean(xs: readonly number[]): number | null {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

/** Scores the suite; `probs(text)` returns the model's probabilities for any text of `checklistTexts(data)`. */
export function scoreChecklist(data: ChecklistData, probs: (text: string) => ClassProbs, threeWay: boolean, sampled: string | null = null): ChecklistResult {
  const info = new Map(data.tests.map((t) => [t.test, t]));
  const infoOf = (test: string, type: ChecklistTestInfo['type']): ChecklistTestInfo => info.get(test) ?? { test, capability: 'unknown', type };

  // MFT: every row is a case.
  const mftByTest = new Map<string, MftCase[]>();
  for (const c of data.mft) {
    const list = mftByTest.get(c.test);
    if (list) list.push(c);
    else mftByTest.set(c.test, [c]);
  }
  const results: ChecklistTestResult[] = [];
  for (const [test, cases] of mftByTest) {
    const neutral = cases.every((c) => c.label === 'neutral');
    const counted = threeWay || !neutral;
    const failed = counted ? cases.filter((c) => !mftPass(c.label, probs(c.text), threeWay)).length : 0;
    results.push({ ...infoOf(test, 'MFT'), counted, neutral, cases: counted ? cases.length : 0, failed, skipped: 0, failureRate: counted ? failed / cases.length : null });
  }

  // INV and DIR: pairs grouped into cases by (test, text_a).
  const pairTests = (pairs: readonly PairCase[], type: 'INV' | 'DIR', outcome: (p: PairCase) => PairOutcome): void => {
    const byTest = new Map<string, Map<string, PairOutcome[]>>();
    for (const p of pairs) {
      let cases = byTest.get(p.test);
      if (!cases) byTest.set(p.test, (cases = new Map()));
      const list = cases.get(p.textA) ?? [];
      list.push(outcome(p));
      cases.set(p.textA, list);
    }
    for (const [test, cases] of byTest) {
      let scored = 0;
      let failed = 0;
      let skipped = 0;
      for (const outcomes of cases.values()) {
        if (outcomes.every((o) => o === 'skip')) skipped++;
        else {
          scored++;
          if (outcomes.includes('fail')) failed++;
        }
      }
      results.push({ ...infoOf(test, type), counted: true, neutral: false, cases: scored, failed, skipped, failureRate: scored > 0 ? failed / scored : null });
    }
  };
  pairTests(data.inv, 'INV', (p) => (invPairPass(probs(p.textA), probs(p.textB), threeWay) ? 'pass' : 'fail'));
  pairTests(data.dir, 'DIR', (p) => dirPairOutcome(p.expect ?? '', probs(p.textA), probs(p.textB), threeWay));

  // In the order of tests.csv (tests not listed there last).
  const order = new Map(data.tests.map((t, i) => [t.test, i]));
  results.sort((a, b) => (order.get(a.test) ?? 1e9) - (order.get(b.test) ?? 1e9));

  const mftPolar = results.filter((r) => r.type === 'MFT' && !r.neutral);
  const mftNeutral = results.filter((r) => r.type === 'MFT' && r.neutral);
  const negation: Record<string, number | null> = {};
  for (const r of results) if (r.type === 'MFT' && r.capability === 'Negation' && r.counted) negation[r.test] = r.failureRate;
  return {
    threeWay,
    tests: results,
    polarMft: { ...pooled(mftPolar), meanOverTests: mean(mftPolar.flatMap((r) => (r.failureRate === null ? [] : [r.failureRate]))) },
    negation,
    neutralMft: threeWay ? { ...pooled(mftNeutral), perTest: Object.fromEntries(mftNeutral.map((r) => [r.test, r.failureRate])) } : null,
    inv: pooled(results.filter((r) => r.type === 'INV')),
    invRobustness: pooled(results.filter((r) => (INV_ROBUSTNESS_TESTS as readonly string[]).includes(r.test))),
    dir: pooled(results.filter((r) => r.type === 'DIR')),
    sampled,
  };
}
