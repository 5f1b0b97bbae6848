/** Checks and splits for training on the user's own labelled file (`pnpm train --data …`). */
import { languageMix, languageName, trainingLanguages } from '@sentiment-edge/registry/language';
import { stratifiedSplit, subsetDataset, type Dataset } from './data.ts';
import { createRng, shuffleInPlace } from './rng.ts';

/** Share of the rows held out for validation when no --validation file is given. */
export const VALIDATION_SHARE = 0.15;
/** Fewest rows per label for a validation split: 2 in validation needs ≈ 2 / 0.15 ≈ 14 rows of the label. */
export const MIN_ROWS_PER_LABEL = 14;
/** A label with fewer rows than this is learned poorly: a warning. */
export const FEW_ROWS_WARNING = 5;
/** Rows judged for the language report (evenly spread, seeded), so big files cost no more than ≈ 1 s. */
export const LANGUAGE_SAMPLE = 2000;

/**
 * Refuses data the trainer cannot learn from, with what to do; returns warnings for data it can. `validation`:
 * the --validation file, if any (then no split is needed).
 */
export function checkOwnData(train: Dataset, validation: Dataset | undefined): string[] {
  const counts = new Map<string, number>(train.labelSet.map((l) => [l, 0]));
  for (const l of train.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const present = [...counts.entries()].filter(([, n]) => n > 0);
  if (present.length < 2) {
    throw new Error(`${train.name}: every row has the label "${present[0]?.[0] ?? '?'}": a classifier needs at least two labels (e.g. negative and positive rows)`);
  }
  if (!validation) {
    const short = present.filter(([, n]) => n < MIN_ROWS_PER_LABEL);
    if (short.length > 0) {
      throw new Error(
        `${train.name}: too few rows to hold out a validation split: ${short.map(([l, n]) => `"${l}" has ${n}`).join(', ')}; each label needs at least ${MIN_ROWS_PER_LABEL} rows (${train.texts.length} rows in all). Add rows, or pass a separate --validation file`,
      );
    }
  }
  const warnings = present.filter(([, n]) => n < FEW_ROWS_WARNING).map(([l, n]) => `label "${l}" has only ${n} row${n === 1 ? '' : 's'} (fewer than ${FEW_ROWS_WARNING}): the model will hardly learn it`);
  if (train.emptySkipped) warnings.push(`${train.emptySkipped} row${train.emptySkipped === 1 ? '' : 's'} with an empty text skipped`);
  return warnings;
}

/**
 * The search's split: stratified and seeded, 85 % training / 15 % validation, then validation rows covered by the
 * training rows dropped (`dropCoveredRows`; `dropped` counts them).
 */
export function splitForSelection(ds: Dataset, seed: number): { train: Dataset; validation: Dataset; dropped: number } {
  const s = stratifiedSplit(ds, seed, [1 - VALIDATION_SHARE, VALIDATION_SHARE, 0]);
  return { train: s.train, ...dropCoveredRows(s.train, s.validation) };
}

/** The text's `n`-word sequences (lower case, letters and digits), or the whole text when it has fewer words. */
function wordGrams(t: string, n: number): string[] {
  const w = t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return w.length < n ? [w.join(' ')] : Array.from({ length: w.length - n + 1 }, (_, k) => w.slice(k, k + n).join(' '));
}

/**
 * The validation rows without those whose every `n`-word sequence (the whole text when shorter) occurs in some
 * training row: duplicates and sub-phrases of training texts, which a random split puts on both sides (SST-2 holds
 * the phrases of each sentence: there a linear model scores 0.92 on a random split and 0.80 on the real validation
 * file, so the search would pick it over the preset that scores 0.84). Kept as they are when fewer than 2 rows of a
 * label would remain.
 */
export function dropCoveredRows(train: Dataset, validation: Dataset, n = 4): { validation: Dataset; dropped: number } {
  const seen = new Set<string>();
  for (const t of train.texts) for (const g of wordGrams(t, n)) seen.add(g);
  const keep: number[] = [];
  validation.texts.forEach((t, i) => {
    if (!wordGrams(t, n).every((g) => seen.has(g))) keep.push(i);
  });
  const kept = subsetDataset(validation, keep, 'uncovered');
  const enough = validation.labelSet.every((l) => !validation.labels.includes(l) || kept.labels.filter((x) => x === l).length >= 2);
  return enough ? { validation: { ...kept, name: validation.name }, dropped: validation.texts.length - keep.length } : { validation, dropped: 0 };
}

/** Up to `n` texts, evenly spread and shuffled by a seed (all of them when there are fewer). */
function sample(texts: readonly string[], n: number): string[] {
  if (texts.length <= n) return [...texts];
  const idx = Array.from({ length: texts.length }, (_, i) => i);
  shuffleInPlace(idx, createRng(7));
  return idx.slice(0, n).map((i) => texts[i]!);
}

/**
 * The languages of training rows (BCP 47, ≥ 10 % of the judged sample each: the detector calls a few per cent of
 * short English texts something else) and a one-line report of the mix ("mixed languages" is reported, not an error).
 */
export function trainingLanguageReport(texts: readonly string[], sampleSize = LANGUAGE_SAMPLE): { languages: string[]; line: string } {
  const mix = languageMix(sample(texts, sampleSize));
  const languages = trainingLanguages(mix, 0.1);
  const shares = mix.languages.slice(0, 4).map((l) => `${languageName(l.code)} ${(100 * l.share).toFixed(0)} %`);
  const judged = `${mix.judged} of ${mix.judged + mix.unjudged} sampled rows judged (shorter than 20 characters: not judged)`;
  const kind = languages.length > 1 ? `mixed languages: ${languages.map(languageName).join(' + ')}` : languages.length === 1 ? languageName(languages[0]!) : 'language not detected';
  return { languages, line: `languages: ${kind} (${shares.join(', ') || 'none'}; ${judged})` };
}

