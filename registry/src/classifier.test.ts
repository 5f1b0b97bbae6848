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
function countingSession(inputs: string[] = ['input_ids', 'attention_mask']): SessionLike<Tensor> & { seen: Record<string, Tensor>[] } {
  const seen: Record<string, Tensor>[] = [];
  return {
    inputNames: inputs,
    outputNames: ['logits'],
    seen,
    async run(feeds) {
      seen.push(feeds);
      const [b, s] = feeds.input_ids!.dims as [number, number];
      const out = new Float32Array(b * 2);
      for (let i = 0; i < b; i++) {
        for (let j = 0; j < s; j++) {
          const m = Number(feeds.attention_mask!.data[i * s + j]);
          out[i * 2]! += m;
          out[i * 2 + 1]! += m * Number(feeds.input_ids!.data[i * s + j]) * 0.01;
        }
      }
      return { logits: { data: out, dims: [b, 2] } };
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

describe('readModelConfig', () => {
  it('reads labels in id order, max length and the pad id', () => {
    const cfg = readModelConfig(
      { id2label: { '1': 'positive', '0': 'negative' } },
      { model_max_length: 128, pad_token: '[PAD]' },
      { added_tokens: [{ id: 7, content: '[PAD]' }] },
    );
    expect(cfg).toEqual({ labels: ['negative', 'positive'], maxLength: 128, padId: 7 });
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
});
