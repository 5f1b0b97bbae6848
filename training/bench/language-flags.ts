/**
 * How often the language check (registry/src/language.ts) flags a text as "in a language the model does not
 * know", for one model directory: on every English and French test set in the data directory (should be ≈ 0)
 * and on short reviews in other languages (registry/src/fixtures/other-languages.ts: should be ≈ all of those
 * with 20+ characters). Uses the model's own vocabulary for the unknown-word share, as /predict and the PWA do.
 *
 *   tsx bench/language-flags.ts --model DIR
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { table } from '@sentiment-edge/registry/node';
import { checkLanguage, MIN_CHARS } from '@sentiment-edge/registry/language';
import { OTHER_LANGUAGE_TEXTS } from '@sentiment-edge/registry/fixtures/other-languages';
import { loadDataset } from '../src/data.ts';
import { DATA_DIR } from '../src/paths.ts';
import { loadPredictor } from '../src/predictor.ts';
import { SUITE_SETS } from '../src/suite.ts';

const { values: v } = parseArgs({ options: { model: { type: 'string' } } });
if (!v.model) throw new Error('usage: tsx bench/language-flags.ts --model DIR');
const predictor = await loadPredictor(resolve(process.env.INIT_CWD ?? process.cwd(), v.model));
const languages = predictor.languages;
if (!languages?.length) throw new Error(`${v.model}: config.json records no languages (sentiment_edge.languages): such a model never flags a text`);
const flagged = (t: string) => !checkLanguage(t, languages, predictor.tokenStats(t).unknownShare).supported;

const rows: string[][] = [];
let all = 0;
let allFlagged = 0;
for (const spec of SUITE_SETS) {
  const texts = loadDataset(join(DATA_DIR, `${spec.id}.csv`)).texts;
  const n = texts.filter(flagged).length;
  all += texts.length;
  allFlagged += n;
  rows.push([spec.id, String(texts.length), String(n), `${((100 * n) / texts.length).toFixed(2)} %`]);
}
rows.push(['all of them', String(all), String(allFlagged), `${((100 * allFlagged) / all).toFixed(2)} %`]);
const long = OTHER_LANGUAGE_TEXTS.filter(([, t]) => [...t.trim()].length >= MIN_CHARS);
const missed = long.filter(([, t]) => !flagged(t));
rows.push([`other languages, ${MIN_CHARS}+ characters`, String(long.length), String(long.length - missed.length), `${((100 * (long.length - missed.length)) / long.length).toFixed(1)} %`]);
console.log(`model languages: ${languages.join(', ')}\n`);
console.log(table(['texts', 'rows', 'flagged', 'share flagged'], rows));
if (missed.length) console.log(`\nnot flagged: ${missed.map(([l, t]) => `[${l}] ${t}`).join(' | ')}`);
await predictor.close();
