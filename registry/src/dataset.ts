/**
 * Labelled text files (CSV / TSV with a header row): the one parser training (`loadDataset`) and the
 * Worker (POST /api/v1/evaluations) read them with, and the one mapping of label strings to the
 * model's label ids. csv-parse's self-contained ESM build runs in Node, workerd and browsers alike.
 */
import { parse } from 'csv-parse/browser/esm/sync';

/** A labelled file could not be read; `line` is 1-based where known. The message names the source. */
export class DatasetError extends Error {
  override name = 'DatasetError';
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

export interface LabelledRow {
  text: string;
  /** Trimmed label string. */
  label: string;
  /** Line number of the row's end in the file (1-based). */
  line: number;
}

export interface ParseLabelledOptions {
  /** ',' (CSV, the default) or '\t' (TSV: no quoting). */
  delimiter?: ',' | '\t';
  textColumn?: string;
  labelColumn?: string;
  /** What to call the file in messages (a path, or e.g. "the uploaded CSV"). */
  source?: string;
}

function missingColumn(kind: string, column: string, available: string[], source: string): DatasetError {
  return new DatasetError(`${source}: ${kind} column "${column}" not found; available columns: ${available.map((c) => `"${c}"`).join(', ') || '(none)'}`, 1);
}

/** Rows of a delimited file with a header naming the text and label columns; fully blank rows are skipped. */
export function parseLabelledDelimited(content: string, options: ParseLabelledOptions = {}): LabelledRow[] {
  const delimiter = options.delimiter ?? ',';
  const textColumn = options.textColumn ?? 'text';
  const labelColumn = options.labelColumn ?? 'label';
  const source = options.source ?? 'data';
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(content, {
      bom: true,
      delimiter,
      skip_empty_lines: true,
      relax_quotes: delimiter === '\t',
      quote: delimiter === '\t' ? false : '"',
      info: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new DatasetError(`${source}: not valid ${delimiter === '\t' ? 'TSV' : 'CSV'}${err.lines ? ` at line ${err.lines}` : ''}: ${err.message}`, err.lines);
  }
  const header = records[0]?.record.map((h) => h.trim());
  if (!header) throw new DatasetError(`${source}: file is empty (no header row)`);
  const ti = header.indexOf(textColumn);
  const li = header.indexOf(labelColumn);
  if (ti < 0) throw missingColumn('text', textColumn, header, source);
  if (li < 0) throw missingColumn('label', labelColumn, header, source);
  const rows: LabelledRow[] = [];
  for (let r = 1; r < records.length; r++) {
    const { record, info } = records[r]!;
    if (record.every((v) => v.trim() === '')) continue;
    rows.push({ text: record[ti] ?? '', label: (record[li] ?? '').trim(), line: info.lines });
  }
  return rows;
}

export interface LabelIds {
  /** The fixed label set if given, else the sorted distinct labels. */
  labelSet: string[];
  /** Index into labelSet, one per row. */
  labelIds: Int32Array;
}

/**
 * Maps rows' labels to ids. With a fixed label set (a model's labels) every label must be one of
 * them: the first stranger is a DatasetError naming its line and the expected labels. Empty labels
 * and files without rows are errors too.
 */
export function mapLabels(rows: readonly LabelledRow[], labels: readonly string[] | undefined, source = 'data'): LabelIds {
  if (rows.length === 0) throw new DatasetError(`${source}: no data rows`);
  const fixed = labels ? [...labels] : undefined;
  for (const row of rows) {
    if (row.label === '') throw new DatasetError(`${source}: line ${row.line}: empty label`, row.line);
    if (fixed && !fixed.includes(row.label)) {
      throw new DatasetError(`${source}: line ${row.line}: unknown label "${row.label}" (expected one of: ${fixed.join(', ')})`, row.line);
    }
  }
  const labelSet = fixed ?? [...new Set(rows.map((r) => r.label))].sort();
  const index = new Map(labelSet.map((l, i) => [l, i]));
  return { labelSet, labelIds: Int32Array.from(rows, (r) => index.get(r.label)!) };
}
