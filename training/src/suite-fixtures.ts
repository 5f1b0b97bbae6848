/** Small fixture files in the shared data directory's layout, for tests of the suite (never the real, large files). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUITE_SETS } from './suite.ts';

export const POS = ['a wonderful film', 'great and lovely', 'i loved it', 'good fun', 'funny and smart', 'the best'];
export const NEG = ['a boring mess', 'terrible and dull', 'i hated it', 'bad and stupid', 'the worst', 'not good at all'];
export const NEU = ['the meeting is at 3pm', 'it is a table'];

const cell = (t: string) => `"${t.replace(/"/g, '""')}"`;
const csv = (header: string[], rows: string[][]) => `${header.join(',')}\n${rows.map((r) => r.map(cell).join(',')).join('\n')}\n`;

/** Every suite set (12 polar rows; + 2 neutral rows in the 3-class sets) and a 5-test CheckList, under `dir`. */
export function writeSuiteFixtures(dir: string): void {
  for (const spec of SUITE_SETS) {
    const threeClass = ['tweeteval/val', 'airline/test', 'finance/test', 'goemotions/test', 'sentiment140/test'].includes(spec.id);
    const setRows = [...POS.map((t) => [t, 'positive']), ...NEG.map((t) => [t, 'negative']), ...(threeClass ? NEU.map((t) => [t, 'neutral']) : [])];
    mkdirSync(join(dir, spec.id, '..'), { recursive: true });
    writeFileSync(join(dir, `${spec.id}.csv`), csv(['text', 'label'], setRows));
  }
  const cl = join(dir, 'checklist');
  mkdirSync(cl, { recursive: true });
  writeFileSync(
    join(cl, 'tests.csv'),
    csv(['test', 'capability', 'type'], [
      ['words', 'Vocabulary', 'MFT'],
      ['neutral words', 'Vocabulary', 'MFT'],
      ['not negative', 'Negation', 'MFT'],
      ['typos', 'Robustness', 'INV'],
      ['add positive phrases', 'Vocabulary', 'DIR'],
    ]),
  );
  writeFileSync(join(cl, 'mft.csv'), csv(['text', 'label', 'test', 'capability'], [...POS.map((t) => [t, 'positive', 'words', 'Vocabulary']), ...NEG.map((t) => [t, 'negative', 'words', 'Vocabulary']), ['a table', 'neutral', 'neutral words', 'Vocabulary']]));
  writeFileSync(join(cl, 'mft-sets.csv'), csv(['text', 'label', 'test', 'capability'], [['not bad', 'neutral|positive', 'not negative', 'Negation'], ['never boring', 'neutral|positive', 'not negative', 'Negation']]));
  writeFileSync(join(cl, 'inv.csv'), csv(['text_a', 'text_b', 'test', 'capability'], [['i loved it', 'i lovd it', 'typos', 'Robustness'], ['the worst', 'teh worst', 'typos', 'Robustness']]));
  writeFileSync(join(cl, 'dir.csv'), csv(['text_a', 'text_b', 'test', 'expect'], [['i hated it', 'i hated it. good fun', 'add positive phrases', 'pos_minus_neg_not_down_tol0.1']]));
}
