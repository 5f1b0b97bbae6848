/**
 * Publishing through the F1 gate: evaluate the candidate and the current champion on the same file,
 * decide, upload + finalize (only if publishable), then move `champion` or set `challenger`.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  ApiError,
  decidePromotion,
  policyFor,
  scoringOf,
  SCORING_TEXT,
  type GateDecision,
  type GatePolicy,
  type Manifest,
  type EvaluationRun,
  type ManifestDraft,
  type RegistryClient,
} from '@sentiment-edge/registry';
import { downloadModel } from '@sentiment-edge/registry/node';
import { evaluateModel, evaluationProfile, type ModelEvaluation } from './evaluate.ts';
import { readSuiteFromModelDir, suiteRecord } from './model-suite.ts';

export interface PublishOptions {
  client: RegistryClient;
  /** The candidate model directory (Hugging Face layout). */
  dir: string;
  /** Registry model name. */
  name: string;
  /** Evaluation file: both candidate and champion are scored on it. */
  data: string;
  textColumn?: string;
  labelColumn?: string;
  policy?: Partial<GatePolicy>;
  log?: (line: string) => void;
}

export interface PublishResult {
  decision: GateDecision;
  candidate: ModelEvaluation;
  champion: { manifest: Manifest; evaluation: ModelEvaluation } | null;
  /** The published version, or null when the gate rejected the candidate. */
  published: Manifest | null;
  /** The alias moved or set: champion, challenger or none. */
  alias: 'champion' | 'challenger' | null;
  /**
   * The gate's evaluations as recorded in the registry (GET /api/v1/evaluations): the champion's, and
   * the candidate's once it is published (a rejected candidate has no version to record it under).
   */
  recorded: EvaluationRun[];
}

/** Files a model directory publishes: everything but hidden files and the local manifest copy. */
export async function modelFiles(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile()) continue;
    const path = relative(dir, join(e.parentPath, e.name)).split('\\').join('/');
    if (path === 'manifest.json' || path.split('/').some((s) => s.startsWith('.'))) continue;
    files.set(path, new Uint8Array(await readFile(join(dir, path))));
  }
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * What publishing a model directory sends: its files and a manifest draft holding the evaluation
 * (`evaluation`, or a fresh one on `data`) and the training record from training-meta.json (null for
 * a model trained elsewhere), plus the evaluation suite's summary when metrics.json holds one
 * (`pnpm evaluate --suite --write-model` or `pnpm train --suite`), and the reference profile of the
 * evaluation (token counts, unknown-token share, confidence, label mix) for the Worker's drift job.
 */
export async function versionDraft(
  dir: string,
  name: string,
  evaluation: ModelEvaluation | { data: string },
): Promise<{ draft: Omit<ManifestDraft, 'files'>; files: Map<string, Uint8Array> }> {
  const ev = 'data' in evaluation ? await evaluateModel(dir, evaluation.data) : evaluation;
  const training = (await readJson(join(dir, 'training-meta.json'))) as ManifestDraft['training'];
  const suite = readSuiteFromModelDir(dir);
  return {
    draft: { name, labels: ev.labels, evaluation: ev.evaluation, ...(suite ? { suite: suiteRecord(suite) } : {}), profile: evaluationProfile(ev), training: training ?? null },
    files: await modelFiles(dir),
  };
}

async function currentChampion(client: RegistryClient, name: string): Promise<Manifest | null> {
  try {
    return await client.resolve(`${name}@champion`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export async function publishModel(o: PublishOptions): Promise<PublishResult> {
  const log = o.log ?? (() => {});
  const evalOpts = { textColumn: o.textColumn, labelColumn: o.labelColumn };
  const policy = policyFor(o.name, o.policy);

  log(`evaluating the candidate ${o.dir} on ${o.data}`);
  const candidate = await evaluateModel(o.dir, o.data, evalOpts);

  const champManifest = await currentChampion(o.client, o.name);
  let champion: PublishResult['champion'] = null;
  if (champManifest) {
    log(`evaluating the champion ${o.name}@${champManifest.version} on the same file`);
    const tmp = await mkdtemp(join(tmpdir(), 'champion-'));
    try {
      await downloadModel(o.client, `${o.name}@${champManifest.version}`, tmp);
      champion = { manifest: champManifest, evaluation: await evaluateModel(tmp, o.data, evalOpts) };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  const decision = decidePromotion(
    { evaluation: candidate.evaluation, correct: candidate.correct, scoring: scoringOf(candidate.evaluation, candidate.labels) },
    champion && { evaluation: champion.evaluation.evaluation, correct: champion.evaluation.correct },
    policy,
  );
  const record = async (version: number, ev: ModelEvaluation, note: string): Promise<EvaluationRun[]> => {
    try {
      const { dataset, ...metrics } = ev.evaluation;
      return [await o.client.createEvaluation({ model: `${o.name}@${version}`, precision: 'fp32', note, result: { dataset, ...metrics, ece: ev.metrics.ece } })];
    } catch (e) {
      // The version and alias are what matter; a Worker without /evaluations (older deployment) only loses the record.
      log(`warning: could not record the ${note} in the registry: ${(e as Error).message}`);
      return [];
    }
  };
  const recorded = champion ? await record(champion.manifest.version, champion.evaluation, 'publish-model gate: champion') : [];
  if (!decision.publishable) return { decision, candidate, champion, published: null, alias: null, recorded };

  const { draft, files } = await versionDraft(o.dir, o.name, candidate);
  log(`uploading ${files.size} files`);
  const published = await o.client.publish(draft, files, (path, bytes) => log(`  ${path} (${(bytes / 1024).toFixed(1)} kB)`));
  const alias = decision.outcome === 'promote' ? 'champion' : 'challenger';
  await o.client.setAlias(o.name, alias, {
    version: published.version,
    // compare-and-set: if someone else moved the champion meanwhile, fail rather than overwrite
    ...(alias === 'champion' ? { expectedVersion: champManifest?.version ?? null } : {}),
    reason: decision.reasons.at(-1) ?? decision.outcome,
  });
  recorded.push(...(await record(published.version, candidate, `publish-model gate: candidate (${decision.outcome})`)));
  return { decision, candidate, champion, published, alias, recorded };
}

/** The decision table publish-model prints. */
export function formatDecision(r: PublishResult): string {
  const d = r.decision;
  const f = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(4));
  const rows: [string, string][] = [
    ['evaluation set', `${r.candidate.evaluation.dataset.name} (${r.candidate.evaluation.dataset.rows} rows, sha256 ${r.candidate.evaluation.dataset.sha256.slice(0, 12)}…)`],
    ['scoring', SCORING_TEXT[scoringOf(r.candidate.evaluation, r.candidate.labels)]],
    ['candidate macro-F1', f(d.candidateF1)],
    ['candidate accuracy', f(r.candidate.evaluation.accuracy)],
    ['champion', r.champion ? `${r.champion.manifest.name}@${r.champion.manifest.version}` : 'none'],
    ['champion macro-F1', f(d.championF1)],
    ['delta', d.delta === null ? '-' : (d.delta >= 0 ? '+' : '') + d.delta.toFixed(4)],
    ['McNemar p-value', d.paired ? `${f(d.paired.pValue)} (${d.paired.candidateOnly} rows only the candidate gets right, ${d.paired.baselineOnly} only the champion)` : '-'],
    ['floor / margin', `${f(d.policy.floor)} / ${f(d.policy.margin)}${d.policy.requireSignificance ? `, significance required (α = ${d.policy.alpha})` : ''}`],
    ['decision', d.outcome.toUpperCase()],
  ];
  if (r.published) rows.push(['published', `${r.published.name}@${r.published.version} → ${r.alias}`]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return [...rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`), '', ...d.reasons.map((x) => `- ${x}`)].join('\n');
}
