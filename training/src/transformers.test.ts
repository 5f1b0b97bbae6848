import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env, pipeline } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPredictor } from './predictor.ts';
import { buildTinyModel } from '../test/tiny.ts';
import { buildTokenizerJson, buildVocab, createTokenizer } from './tokenizer.ts';
import { writeFileSync, mkdirSync } from 'node:fs';

const texts = ["It's not good at all.", 'a wonderful , moving film', 'I loved it!', "doesn't work, don't buy", 'meh', 'My Roman Catholic and my Sikh neighbours were kind.'];

describe('transformers.js loads the exported directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'tfjs-test-'));
  beforeAll(() => {
    buildTinyModel(join(root, 'tiny'), { rows: 2000, seed: 4 });
    buildTinyModel(join(root, 'tiny-attention'), { rows: 2000, seed: 4, attention: true, hidden: 8, averageLast: 2 });
    // The cnn encoder (Conv, ReduceMax, Tanh) with identity terms tied in tokenizer.json (shared ids, phrase rules).
    buildTinyModel(join(root, 'tiny-cnn'), { rows: 2000, seed: 4, attention: true, encoder: 'cnn', convFilters: 8, convDim: 8, tieIdentities: true });
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = root;
  });

  for (const [name, dtype] of [['tiny', 'fp32'], ['tiny', 'q8'], ['tiny-attention', 'fp32'], ['tiny-attention', 'q8'], ['tiny-cnn', 'fp32'], ['tiny-cnn', 'q8']] as const) {
    it(`pipeline('text-classification') gives predictor.ts probabilities within 1e-4 (${name}, ${dtype})`, async () => {
      // Same graph optimisation level as predictor.ts (and as onnxruntime-web in the browser and Worker): on
      // Node, transformers.js defaults to 'all', whose fused int8 kernels round differently (≈4e-4 on q8).
      const classify = await pipeline('text-classification', name, { dtype, session_options: { graphOptimizationLevel: 'basic' } });
      const predictor = await loadPredictor(join(root, name), { dtype });
      const ours = await predictor.predict(texts);
      for (let i = 0; i < texts.length; i++) {
        const out = (await classify(texts[i]!, { top_k: null })) as Array<{ label: string; score: number }>;
        expect(out.length).toBe(2);
        for (const { label, score } of out) expect(Math.abs(score - ours[i]!.probabilities[label]!)).toBeLessThan(1e-4);
      }
      // Batched (padded) call: same top labels.
      const batched = (await classify(texts)) as Array<{ label: string; score: number }>;
      batched.forEach((b, i) => {
        expect(b.label).toBe(ours[i]!.label);
        expect(Math.abs(b.score - ours[i]!.score)).toBeLessThan(1e-4);
      });
      await predictor.close();
      await classify.dispose();
    });
  }

  it('its tokenizer gives the same ids as ours on French, Spanish, German, Cyrillic, Arabic and CJK text', async () => {
    const texts = ["L'acteur est GÉNIAL, qu’il joue « bien » !", 'J’ai adoré, c\'est ﬁni', '¡Qué película tan aburrida!', 'Über die Maßen schön', 'Отличный фильм!', 'فيلم رائع', '这部电影非常好看', "It's NOT good, doesn't work", 'ｇｏｏｄ'];
    const json = buildTokenizerJson(buildVocab(texts.slice(0, 7)));
    const dir = join(root, 'multilingual');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'BertTokenizer', model_max_length: 4096 }));
    const theirs = await AutoTokenizer.from_pretrained('multilingual');
    const ours = createTokenizer(json);
    for (const t of texts) expect(Array.from(theirs.encode(t))).toEqual(ours.encode(t).ids);
  });
});
