/** Loading labelled text datasets (CSV, TSV, JSONL) and splitting them. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { mapLabels, parseLabelledDelimited } from '@sentiment-edge/registry';
import { createRng, shuffleInPlace } from './rng.ts';

export type DatasetFormat = 'csv' | 'tsv' | 'jsonl';

export interface LoadDatasetOptions {
  textColumn?: string;
  labelColumn?: string;
  /** Fixed label set: any other label is an error (with its line number). */
  labels?: readonly string[];
  /** Defaults to the file extension (.tsv → tsv, .jsonl/.ndjson → jsonl, else csv). */
  format?: DatasetFormat;
}

export interface Dataset {
  /** File name without directory. */
  name: string;
  path: string;
  sha256: string;
  texts: string[];
  /** Label strings, one per text. */
  labels: string[];
  /** Label set: the fixed one if given, else the sorted distinct labels. */
  labelSet: string[];
  /** Index into labelSet, one per text. */
  labelIds: Int32Array;
  /** Rows of the file whose text was empty (white space only): skipped, counted here. */
  emptySkipped?: number;
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function detectFormat(path: string): DatasetFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return 'csv';
}

interface RawRow {
  text: string;
  label: string;
  line: number;
}

function missingColumn(kind: string, column: string, available: string[], path: string): Error {
  return new Error(
    `${path}: ${kind} column "${column}" not found; available columns: ${available.map((c) => `"${c}"`).join(', ') || '(none)'}`,
  );
}

function readJsonl(content: string, textColumn: string, labelColumn: string, path: string): RawRow[] {
  const rows: RawRow[] = [];
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      throw new Error(`${path}: line ${line}: invalid JSON (${(e as Error).message})`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw new Error(`${path}: line ${line}: expected a JSON object`);
    }
    const rec = obj as Record<string, unknown>;
    const available = Object.keys(rec);
    if (!(textColumn in rec)) throw new Error(`${missingColumn('text', textColumn, available, path).message} (line ${line})`);
    if (!(labelColumn in rec)) throw new Error(`${missingColumn('label', labelColumn, available, path).message} (line ${line})`);
    rows.push({ text: String(rec[textColumn] ?? ''), label: String(rec[labelColumn] ?? '').trim(), line });
  });
  return rows;
}

export function loadDataset(path: string, options: LoadDatasetOptions = {}): Dataset {
  const textColumn = options.textColumn ?? 'text';
  const labelColumn = options.labelColumn ?? 'label';
  const format = options.format ?? detectFormat(path);
  if (!existsSync(path)) throw new Error(`data file ${path} does not exist: pass a CSV, TSV or JSONL file with text and label columns`);
  const buf = readFileSync(path);
  const sha256 = createHash('sha256').update(buf).digest('hex');
  const content = decodeUtf8(buf, path);
  const all =
    format === 'jsonl'
      ? readJsonl(content, textColumn, labelColumn, path)
      : parseLabelledDelimited(content, { delimiter: format === 'tsv' ? '\t' : ',', textColumn, labelColumn, source: path });
  const rows = all.filter((r) => r.text.trim() !== '');
  if (rows.length === 0 && all.length > 0) throw new Error(`${path}: every one of its ${all.length} rows has an empty text`);
  // The same label mapping the Worker's evaluations use (registry/src/dataset.ts).
  const { labelSet, labelIds } = mapLabels(rows, options.labels, path);
  return {
    name: basename(path),
    path,
    sha256,
    texts: rows.map((r) => r.text),
    labels: rows.map((r) => r.label),
    labelSet,
    labelIds,
    emptySkipped: all.length - rows.length,
  };
}

/** The file as UTF-8 text; anything else is an error naming the first line with a byte sequence that is not UTF-8. */
export function decodeUtf8(buf: Buffer, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buf);
  } catch {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
    let start = 0;
    for (let line = 1; start <= buf.length; line++) {
      const nl = buf.indexOf(0x0a, start);
      const end = nl < 0 ? buf.length : nl;
      try {
        decoder.decode(buf.subarray(start, end));
      } catch {
        throw new Error(`${path}: line ${line} is not UTF-8 text (e.g. a Latin-1 or Windows-1252 file): save the file as UTF-8 and try again`);
      }
      start = end + 1;
    }
    throw new Error(`${path}: not UTF-8 text: save the file as UTF-8 and try again`);
  }
}

/** An in-memory dataset (no file behind it): `rows` are [text, label] pairs, each label one of `labelSet`. */
export function datasetFromRows(name: string, rows: readonly (readonly [string, string])[], labelSet: readonly string[]): Dataset {
  return {
    name,
    path: '',
    sha256: '0'.repeat(64),
    texts: rows.map((r) => r[0]),
    labels: rows.map((r) => r[1]),
    labelSet: [...labelSet],
    labelIds: Int32Array.from(rows, (r) => labelSet.indexOf(r[1])),
  };
}

/** Subset of a dataset (same label set). */
export function subsetDataset(ds: Dataset, indices: ArrayLike<number>, suffix = 'subset'): Dataset {
  const idx = Array.from(indices);
  return {
    ...ds,
    name: `${ds.name}#${suffix}`,
    texts: idx.map((i) => ds.texts[i]!),
    labels: idx.map((i) => ds.labels[i]!),
    labelIds: Int32Array.from(idx, (i) => ds.labelIds[i]!),
  };
}

export interface SplitResult {
  train: Dataset;
  validation: Dataset;
  test: Dataset;
}

/** Seeded stratified split (default 70/15/15): each class is shuffled and cut separately. */
export function stratifiedSplit(ds: Dataset, seed: number, fractions: [number, number, number] = [0.7, 0.15, 0.15]): SplitResult {
  const rng = createRng(seed ^ 0x5eed);
  const parts: [number[], number[], number[]] = [[], [], []];
  const total = fractions[0] + fractions[1] + fractions[2];
  for (let c = 0; c < ds.labelSet.length; c++) {
    const members: number[] = [];
    ds.labelIds.forEach((l, i) => {
      if (l === c) members.push(i);
    });
    shuffleInPlace(members, rng);
    const nTrain = Math.round((members.length * fractions[0]) / total);
    const nVal = Math.round((members.length * fractions[1]) / total);
    parts[0].push(...members.slice(0, nTrain));
    parts[1].push(...members.slice(nTrain, nTrain + nVal));
    parts[2].push(...members.slice(nTrain + nVal));
  }
  for (const p of parts) p.sort((a, b) => a - b);
  return {
    train: subsetDataset(ds, parts[0], 'train'),
    validation: subsetDataset(ds, parts[1], 'validation'),
    test: subsetDataset(ds, parts[2], 'test'),
  };
}

/**
 * Concatenates datasets (rows in the order given). The label set is the union (sorted), or `labels` when
 * given. Name: "a.csv+b.csv"; sha256: sha256 of the per-file sha256s, sorted and joined by "\n" (so the
 * identity does not depend on the order of the files). One dataset is returned unchanged.
 */
export function concatDatasets(parts: readonly Dataset[], labels?: readonly string[]): Dataset {
  if (parts.length === 0) throw new Error('concatDatasets: no datasets');
  if (parts.length === 1 && !labels) return parts[0]!;
  const labelSet = labels ? [...labels] : [...new Set(parts.flatMap((p) => p.labels))].sort();
  const index = new Map(labelSet.map((l, i) => [l, i]));
  const texts = parts.flatMap((p) => p.texts);
  const allLabels = parts.flatMap((p) => p.labels);
  const labelIds = Int32Array.from(allLabels, (l, i) => {
    const id = index.get(l);
    if (id === undefined) throw new Error(`concatDatasets: row ${i + 1}: unknown label "${l}" (expected one of: ${labelSet.join(', ')})`);
    return id;
  });
  const sha256 = createHash('sha256')
    .update(parts.map((p) => p.sha256).sort().join('\n'))
    .digest('hex');
  const emptySkipped = parts.reduce((n, p) => n + (p.emptySkipped ?? 0), 0);
  return { name: parts.map((p) => p.name).join('+'), path: parts.map((p) => p.path).join('+'), sha256, texts, labels: allLabels, labelSet, labelIds, emptySkipped };
}
