/** The suite's tables: plain text for the terminal and Markdown for model cards and reports. */
import { table } from '@sentiment-edge/registry/node';
import type { SuiteResult } from './suite.ts';

const f = (x: number | null | undefined, d = 3): string => (x === null || x === undefined ? '–' : x.toFixed(d));
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)} %`);

function setRows(r: SuiteResult): string[][] {
  const rows = r.sets.map((s) => [
    `${s.set}${s.scoring === 'polar' ? ' polar' : ' 3-way'}${s.evaluationOnly ? ' *' : ''}`,
    String(s.rows),
    f(s.accuracy),
    f(s.macroF1),
    f(s.macroRecall),
    f(s.recall.negative),
    f(s.recall.neutral),
    f(s.recall.positive),
    f(s.ece),
  ]);
  const m = r.summary.evaluationOnlyMean;
  rows.push([`mean of evaluation-only (*)`, '', f(m.accuracy), f(m.macroF1), '', '', '', '', '']);
  rows.push([`worst: ${r.summary.worst.set} ${r.summary.worst.scoring}`, '', f(r.summary.worst.accuracy), f(r.summary.worst.macroF1), '', '', '', '', '']);
  return rows;
}

const SET_HEADER = ['set', 'rows', 'accuracy', 'macro-F1', 'macro-rec', 'rec neg', 'rec neu', 'rec pos', 'ECE'];

function checklistRows(r: SuiteResult): string[][] {
  const c = r.checklist;
  if (!c) return [];
  const rows: string[][] = [['polar MFT tests (cases pooled)', pct(c.polarMft.failureRate), String(c.polarMft.cases)]];
  rows.push(['polar MFT tests (mean over tests)', pct(c.polarMft.meanOverTests), '']);
  for (const [test, rate] of Object.entries(c.negation)) rows.push([`  negation: ${test}`, pct(rate), String(c.tests.find((t) => t.test === test)?.cases ?? '')]);
  if (c.neutralMft) rows.push(['neutral MFT tests (pooled)', pct(c.neutralMft.failureRate), String(c.neutralMft.cases)]);
  else rows.push(['neutral MFT tests', 'not scored (2 labels)', '']);
  rows.push(['INV overall (cases pooled)', pct(c.inv.failureRate), String(c.inv.cases)]);
  rows.push(['INV typos/names/locations/urls/punctuation', pct(c.invRobustness.failureRate), String(c.invRobustness.cases)]);
  for (const t of c.tests.filter((t) => t.type === 'DIR')) rows.push([`DIR: ${t.test}`, pct(t.failureRate), `${t.cases}${t.skipped ? ` (+${t.skipped} skipped)` : ''}`]);
  return rows;
}

/** Terminal output: sets, summary, CheckList. */
export function suiteText(r: SuiteResult): string {
  const parts = [table(SET_HEADER, setRows(r))];
  parts.push('polar: P(positive) vs P(negative) on the negative/positive rows; 3-way: argmax over the three labels; * evaluation-only set');
  if (r.checklist) {
    parts.push('', table(['CheckList (failure rate, lower is better)', 'failure', 'cases'], checklistRows(r)));
    if (r.checklist.sampled) parts.push(`CheckList sampled: ${r.checklist.sampled}`);
  }
  parts.push('', `${r.texts} distinct texts scored in ${r.seconds.toFixed(1)} s`);
  return parts.join('\n');
}

function md(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Markdown for the model card. */
export function suiteMarkdown(r: SuiteResult): string {
  const parts = [
    md(SET_HEADER, setRows(r)),
    '',
    'polar: P(positive) vs P(negative) on the negative/positive rows (comparable across 2- and 3-label models); 3-way: argmax over negative/neutral/positive; * evaluation-only set (no training split). Produced by `pnpm evaluate --suite`.',
  ];
  if (r.checklist) {
    parts.push('', md(['CheckList (failure rate, lower is better)', 'failure', 'cases'], checklistRows(r)));
    if (r.checklist.sampled) parts.push('', `CheckList sampled: ${r.checklist.sampled}`);
  }
  return parts.join('\n');
}
