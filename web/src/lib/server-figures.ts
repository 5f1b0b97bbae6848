/**
 * Server figures for the dashboard, from what the app already fetches (GET /api/v1/model-info and the
 * registry's version list): which versions serve as champion/challenger, and each ready version's
 * evaluation. Kept in localStorage so the dashboard shows the last figures, dated, when offline.
 */
import { SCORING_TEXT, scoringOf, type Manifest, type ModelInfoResponse, type Scoring } from '@sentiment-edge/registry';
import { loadJson, saveJson } from './stored-json.ts';

export interface ServerFigures {
  /** ISO time the figures were read from the server. */
  at: string;
  model: string;
  serving: { alias: 'champion' | 'challenger'; version: number | null; macroF1: number | null; loaded: boolean }[];
  /**
   * The file the versions are compared on (the champion's evaluation file, else the newest version's) and how
   * they were scored there; null when no version is known.
   */
  basis: { name: string; sha256: string; rows: number; scoring: Scoring } | null;
  /** Versions evaluated on `basis` with its scoring, oldest first, at most the 8 newest. */
  versions: { name: string; accuracy: number; macroF1: number; suiteMean: number | null }[];
  /** Versions left out of the comparison: "v2 on mr/reviews.csv (scored the most probable label)". */
  elsewhere: string[];
}

export const SERVER_FIGURES_KEY = 'sentiment-edge.dashboard-server';
const MAX_VERSIONS = 8;

export function serverFigures(
  info: ModelInfoResponse | null,
  catalog: { aliases: Record<string, number>; versions: Manifest[] } | null,
  now = new Date(),
): ServerFigures | null {
  if (!info && !catalog) return null;
  const name = catalog?.versions[0]?.name ?? info?.defaultModel ?? '';
  const m = info?.models.find((x) => x.name === name) ?? info?.models[0];
  const serving = (['champion', 'challenger'] as const).map((alias) => {
    const v = m?.[alias] ?? null;
    const fromCatalog = catalog?.aliases[alias];
    return { alias, version: v?.version ?? fromCatalog ?? null, macroF1: v?.metrics.macroF1 ?? catalog?.versions.find((x) => x.version === fromCatalog)?.evaluation.macroF1 ?? null, loaded: v?.loaded ?? false };
  });
  const aliasOf = new Map(Object.entries(catalog?.aliases ?? {}).map(([a, v]) => [v, a]));
  const all = [...(catalog?.versions ?? [])].sort((a, b) => a.version - b.version);
  const scored = (v: Manifest) => ({ ...v.evaluation.dataset, scoring: scoringOf(v.evaluation, v.labels) });
  // Figures compare only on the same bytes scored the same way: the champion's file, else the newest version's.
  const ref = all.find((v) => v.version === catalog?.aliases.champion) ?? all.at(-1);
  const basis = ref ? scored(ref) : null;
  const same = (v: Manifest) => basis !== null && v.evaluation.dataset.sha256 === basis.sha256 && scoringOf(v.evaluation, v.labels) === basis.scoring;
  const label = (v: Manifest) => `v${v.version}${aliasOf.has(v.version) ? ` (${aliasOf.get(v.version)})` : ''}`;
  const versions = all
    .filter(same)
    .slice(-MAX_VERSIONS)
    .map((v) => ({ name: label(v), accuracy: v.evaluation.accuracy, macroF1: v.evaluation.macroF1, suiteMean: v.suite?.evaluationOnlyMeanMacroF1 ?? null }));
  const elsewhere = all
    .filter((v) => !same(v))
    .slice(-MAX_VERSIONS)
    .map((v) => `${label(v)} on ${v.evaluation.dataset.name} (scored ${SCORING_TEXT[scoringOf(v.evaluation, v.labels)]})`);
  return { at: now.toISOString(), model: m?.name ?? name, serving, basis, versions, elsewhere };
}

export function saveServerFigures(f: ServerFigures, storage: Pick<Storage, 'setItem'> = localStorage): void {
  saveJson(SERVER_FIGURES_KEY, f, storage);
}

export function loadServerFigures(storage: Pick<Storage, 'getItem'> = localStorage): ServerFigures | null {
  return loadJson<ServerFigures>(SERVER_FIGURES_KEY, undefined, storage);
}
