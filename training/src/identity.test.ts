import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetFromRows } from './data.ts';
import { exportModel, loadWarmStart } from './export/model-dir.ts';
import { IDENTITY_GROUPS, identityTies, withGroupVectors } from './identity.ts';
import { loadPredictor } from './predictor.ts';
import { createTokenizer, encodeTexts } from './tokenizer.ts';
import { trainModel } from './train.ts';
import type { WordVectors } from './word-vectors.ts';

describe('identity ties', () => {
  it('maps every word of a group to the group\'s first word, and no word to two groups', () => {
    const ties = identityTies();
    const seen = new Set<string>();
    for (const words of Object.values(IDENTITY_GROUPS)) {
      for (const w of words) {
        expect(seen.has(w), w).toBe(false);
        seen.add(w);
      }
      expect(ties.has(words[0]!)).toBe(false);
      for (const w of words.slice(1)) expect(ties.get(w)).toBe(words[0]);
    }
    expect(ties.get('hindu')).toBe('christian');
    expect(ties.get('nigerian')).toBe('american');
    // The article that changes with the name ("a Nigerian", "an Indian") is tied too.
    expect(ties.get('an')).toBe('a');
  });

  it('gives the shared word the mean vector of its group', () => {
    const table: Record<string, number[]> = { a: [1, 0], b: [3, 2], c: [5, 4], other: [7, 7] };
    const wv: WordVectors = { dim: 2, words: Object.keys(table), get: (w) => (table[w] ? Float32Array.from(table[w]!) : undefined) };
    const tied = withGroupVectors(wv, new Map([['b', 'a'], ['c', 'a'], ['zz', 'a']]));
    expect(Array.from(tied.get('a')!)).toEqual([3, 2]);
    expect(tied.get('b')).toBeUndefined();
    expect(Array.from(tied.get('other')!)).toEqual([7, 7]);
  });

  it('answers alike whichever group a text names, even when the training rows were biased (trainer and ONNX)', async () => {
    // Biased data: one religion only in negative rows, another only in positive rows.
    const rows: [string, string][] = [];
    for (let i = 0; i < 40; i++) {
      rows.push([`the muslim neighbour was rude ${i % 5}`, 'negative'], [`the christian neighbour was kind ${i % 5}`, 'positive']);
      rows.push(['a dull and boring day', 'negative'], ['a lovely and fun day', 'positive']);
    }
    const ds = datasetFromRows('biased', rows, ['negative', 'positive']);
    const probe = ['my muslim neighbour', 'my christian neighbour', 'my hindu neighbour', 'my Jewish neighbour'];
    const fit = (tieIdentities: boolean) => trainModel({ train: ds, validation: ds, tieIdentities, epochs: 5, dim: 4, buckets: 1 << 10, lr: 0.2, encoder: 'cnn', convFilters: 4, convDim: 4 });
    const answers = async (model: ReturnType<typeof fit>) => {
      const dir = mkdtempSync(join(tmpdir(), 'identity-'));
      exportModel(model, dir, { modelName: 'identity test' });
      const p = await loadPredictor(dir);
      const probs = await p.probabilities(probe);
      await p.close();
      return { dir, pos: probs.map((r) => r[1]!) };
    };
    const plain = await answers(fit(false));
    expect(plain.pos[1]! - plain.pos[0]!).toBeGreaterThan(0.05);
    const tiedModel = fit(true);
    const tied = await answers(tiedModel);
    for (const p of tied.pos) expect(p).toBe(tied.pos[0]);
    // A warm start reads the tied vocabulary back (one word per id).
    const warm = loadWarmStart(tied.dir);
    const next = trainModel({ train: ds, validation: ds, warmStart: warm, epochs: 1, lr: 0.01 });
    expect(next.vocab).toEqual(tiedModel.vocab);
    expect(tiedModel.vocab).toContain('christian');
    expect(tiedModel.vocab).not.toContain('muslim');
    // Names of several words become their group's word in the normaliser, so they share its token too.
    const tok = createTokenizer(tiedModel.tokenizerJson, tiedModel.tokenizerConfig);
    const [a, b, c, d] = encodeTexts(tok, ['my Roman Catholic neighbour', 'my muslim neighbour', "a Jehovah's Witness", 'a sikh']);
    expect(Array.from(a!)).toEqual(Array.from(b!));
    expect(Array.from(c!)).toEqual(Array.from(d!));
  });
});
