import { describe, expect, it } from 'vitest';
import { createClassifier, readModelConfig, softmax, toPrediction, type SessionLike } from './classifier.ts';

class Tensor {
  constructor(
    readonly type: 'int64',
    readonly data: BigInt64Array,
    readonly dims: readonly number[],
  ) {}
}

/** A graph whose logits are [number of real tokens, sum of ids] so padding and masking are visible. */
function countingSession(
  inputs: string[] = ['input_ids', 'attention_mask'],
  outputs: string[] = ['logits'],
): SessionLike<Tensor> & { seen: Record<string, Tensor>[]; fetched: (readonly string[] | undefined)[] } {
  const seen: Record<string, Tensor>[] = [];
  const fetched: (readonly string[] | undefined)[] = [];
  return {
    inputNames: inputs,
    outputNames: outputs,
    seen,
    fetched,
    async run(feeds, fetches) {
      seen.push(feeds);
      fetched.push(fetches);
      const [b, s] = feeds.input_ids!.dims as [number, number];
      const out = new Float32Array(b * 2);
      for (let i = 0; i < b; i++) {
        for (let j = 0; j < s; j++) {
          const m = Number(feeds.attention_mask!.data[i * s + j]);
          out[i * 2]! += m;
          out[i * 2 + 1]! += m * Number(feeds.input_ids!.data[i * s + j]) * 0.01;
        }
      }
      // token_scores[i, j] = that token's share of the two logits above (0 on padding).
      const ts = new Float32Array(b * s * 2);
      for (let i = 0; i < b; i++) {
        for (let j = 0; j < s; j++) {
          const m = Number(feeds.attention_mask!.data[i * s + j]);
          ts[(i * s + j) * 2] = m;
          ts[(i * s + j) * 2 + 1] = m * Number(feeds.input_ids!.data[i * s + j]) * 0.01;
        }
      }
      return { logits: { data: out, dims: [b, 2] }, ...(outputs.includes('token_scores') ? { token_scores: { data: ts, dims: [b, s, 2] } } : {}) };
    },
  };
}

const tokenizer = { encode: (t: string) => ({ ids: [2, ...t.split(' ').map((w) => w.length + 10), 3] }) };
const config = { labels: ['negative', 'positive'], maxLength: 5, padId: 0 };

describe('createClassifier', () => {
  it('pads a batch to its longest row with the pad id and masks the padding', async () => {
    const session = countingSession();
    const c = createClassifier(Tensor, session, tokenizer, config);
    await c.probabilities(['a', 'bb cc']);
    const feeds = session.seen[0]!;
    expect(feeds.input_ids!.dims).toEqual([2, 4]);
    expect(Array.from(feeds.input_ids!.data, Number)).toEqual([2, 11, 3, 0, 2, 12, 12, 3]);
    expect(Array.from(feeds.attention_mask!.data, Number)).toEqual([1, 1, 1, 0, 1, 1, 1, 1]);
  });

  it('truncates to maxLength and keeps the closing token', async () => {
    const session = countingSession();
    await createClassifier(Tensor, session, tokenizer, config).probabilities(['a b c d e f']);
    expect(Array.from(session.seen[0]!.input_ids!.data, Number)).toEqual([2, 11, 11, 11, 3]);
  });

  it('fills token_type_ids with zeros when the graph asks for them and refuses unknown inputs', async () => {
    const session = countingSession(['input_ids', 'attention_mask', 'token_type_ids']);
    await createClassifier(Tensor, session, tokenizer, config).probabilities(['a']);
    expect(Array.from(session.seen[0]!.token_type_ids!.data, Number)).toEqual([0, 0, 0]);
    const odd = countingSession(['input_ids', 'pixel_values']);
    await expect(createClassifier(Tensor, odd, tokenizer, config).probabilities(['a'])).rejects.toThrow(/pixel_values/);
  });

  it('returns softmax probabilities and the arg-max label per text', async () => {
    const c = createClassifier(Tensor, countingSession(), tokenizer, config);
    const [p] = await c.classify(['a']);
    const expected = softmax([3, 0.02 + 0.11 + 0.03]);
    expect(p!.label).toBe('negative');
    expect(p!.probabilities.negative).toBeCloseTo(expected[0]!, 6);
    expect(p!.score).toBeCloseTo(expected[0]!, 6);
    expect(await c.classify([])).toEqual([]);
  });

  it('refuses a graph whose logits do not match the labels', async () => {
    const c = createClassifier(Tensor, countingSession(), tokenizer, { ...config, labels: ['a', 'b', 'c'] });
    await expect(c.classify(['x'])).rejects.toThrow(/disagree/);
  });
});

describe('explain (graph output token_scores)', () => {
  const words = { encode: (t: string) => ({ ids: [2, ...t.split(' ').map((w) => w.length + 10), 3], tokens: ['[CLS]', ...t.split(' '), '[SEP]'] }) };

  it('pairs every fed token with its per-label scores, padding dropped, and predicts as classify does', async () => {
    const session = countingSession(undefined, ['logits', 'token_scores']);
    const c = createClassifier(Tensor, session, words, config);
    expect(c.explains).toBe(true);
    const [a, b] = await c.explain(['a', 'bb cc']);
    expect(session.fetched[0]).toEqual(['logits', 'token_scores']);
    expect(a!.tokens.map((t) => t.token)).toEqual(['[CLS]', 'a', '[SEP]']);
    expect(b!.tokens.map((t) => t.id)).toEqual([2, 12, 12, 3]);
    expect(b!.tokens[1]!.scores).toEqual({ negative: 1, positive: expect.closeTo(0.12, 6) });
    expect(a!.prediction).toEqual((await c.classify(['a']))[0]);
  });

  it('plain predictions fetch only the logits', async () => {
    const session = countingSession(undefined, ['logits', 'token_scores']);
    await createClassifier(Tensor, session, words, config).classify(['a']);
    expect(session.fetched[0]).toEqual(['logits']);
  });

  it('truncates the tokens as it truncates the ids', async () => {
    const [e] = await createClassifier(Tensor, countingSession(undefined, ['logits', 'token_scores']), words, config).explain(['a b c d e f']);
    expect(e!.tokens.map((t) => t.token)).toEqual(['[CLS]', 'a', 'b', 'c', '[SEP]']);
  });

  it('is a clear error for a graph without token_scores', async () => {
    const c = createClassifier(Tensor, countingSession(), words, config);
    expect(c.explains).toBe(false);
    await expect(c.explain(['a'])).rejects.toThrow(/token_scores/);
  });
});

describe('readModelConfig', () => {
  it('reads labels in id order, max length and the pad id', () => {
    const cfg = readModelConfig(
      { id2label: { '1': 'positive', '0': 'negative' } },
      { model_max_length: 128, pad_token: '[PAD]' },
      { added_tokens: [{ id: 7, content: '[PAD]' }] },
    );
    expect(cfg).toEqual({ labels: ['negative', 'positive'], maxLength: 128, padId: 7, unkId: null, specialIds: [], languages: null });
  });

  it('reads the training languages from config.json sentiment_edge.languages (null when absent or malformed)', () => {
    const read = (sentiment_edge: unknown) => readModelConfig({ id2label: { '0': 'negative', '1': 'positive' }, sentiment_edge }, {}, {}).languages;
    expect(read({ languages: ['en', 'fr'] })).toEqual(['en', 'fr']);
    expect(read({})).toBeNull();
    expect(read({ languages: 'en' })).toBeNull();
    expect(read({ languages: ['en', 3] })).toBeNull();
  });

  it('reads the unknown token and the special tokens (for drift monitoring)', () => {
    const cfg = readModelConfig(
      { id2label: { '0': 'negative', '1': 'positive' } },
      {},
      {
        added_tokens: [
          { id: 0, content: '[PAD]', special: true },
          { id: 1, content: '[UNK]', special: true },
          { id: 2, content: '[CLS]', special: true },
        ],
        model: { unk_token: '[UNK]', vocab: { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, good: 3 } },
      },
    );
    expect(cfg).toMatchObject({ unkId: 1, specialIds: [0, 2] });
  });

  it('explains a missing id2label', () => {
    expect(() => readModelConfig({}, {}, {})).toThrow(/id2label/);
  });
});

describe('softmax / toPrediction', () => {
  it('is stable for large logits and sums to 1', () => {
    const p = softmax([1000, 1000, 999]);
    expect(p[0]! + p[1]! + p[2]!).toBeCloseTo(1, 6);
    expect(p[0]).toBeCloseTo(p[1]!, 6);
    expect(toPrediction(p, ['a', 'b', 'c']).label).toBe('a');
  });

  it('keeps every label as an own key, "__proto__" included (no prototype pollution from a label name)', () => {
    const pred = toPrediction([0.2, 0.8], ['__proto__', 'positive']);
    expect(Object.keys(pred.probabilities)).toEqual(['__proto__', 'positive']);
    expect(JSON.parse(JSON.stringify(pred.probabilities))).toEqual(JSON.parse('{"__proto__": 0.2, "positive": 0.8}'));
  });
});
