/**
 * Test fixture (Node side only): writes a tiny ONNX text classifier (embedding bag → linear) in
 * Hugging Face layout, fp32 and int8 (DequantizeLinear), with a hand-rolled protobuf encoder so the
 * Worker's tests do not need Python. Its graph has the same interface as the training package's
 * export: inputs input_ids/attention_mask int64 [batch, seq], output logits float [batch, labels].
 */

// ---- minimal protobuf writer --------------------------------------------------------------
class Pb {
  private parts: number[] = [];
  varint(field: number, v: number | bigint): this {
    this.tag(field, 0);
    this.rawVarint(BigInt(v));
    return this;
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.rawVarint(BigInt(b.length));
    for (const x of b) this.parts.push(x);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  msg(field: number, m: Pb): this {
    return this.bytes(field, m.done());
  }
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    for (const x of b) this.parts.push(x);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
  private tag(field: number, wire: number): void {
    this.rawVarint(BigInt((field << 3) | wire));
  }
  private rawVarint(v: bigint): void {
    if (v < 0n) v += 1n << 64n;
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v) b |= 0x80;
      this.parts.push(b);
    } while (v);
  }
}

const FLOAT = 1;
const INT8 = 3;
const INT64 = 7;

function tensor(name: string, dataType: number, dims: number[], raw: Uint8Array): Pb {
  const t = new Pb();
  for (const d of dims) t.varint(1, d);
  return t.varint(2, dataType).str(8, name).bytes(9, raw);
}
const f32 = (a: number[]) => new Uint8Array(Float32Array.from(a).buffer);
const i64 = (a: number[]) => new Uint8Array(BigInt64Array.from(a.map(BigInt)).buffer);

function node(op: string, inputs: string[], outputs: string[], attrs: Pb[] = []): Pb {
  const n = new Pb();
  for (const i of inputs) n.str(1, i);
  for (const o of outputs) n.str(2, o);
  n.str(3, `${op}_${outputs[0]}`).str(4, op);
  for (const a of attrs) n.msg(5, a);
  return n;
}
const intAttr = (name: string, v: number) => new Pb().str(1, name).varint(3, v).varint(20, 2);

function valueInfo(name: string, elemType: number, dims: (number | string)[]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, typeof d === 'number' ? new Pb().varint(1, d) : new Pb().str(2, d));
  const tt = new Pb().varint(1, elemType).msg(2, shape);
  return new Pb().str(1, name).msg(2, new Pb().msg(1, tt));
}

/** Deterministic pseudo-random numbers in [-1, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

export interface TinyOnnxOptions {
  vocabSize: number;
  labels: number;
  dim?: number;
  seed?: number;
  quantized: boolean;
}

/** Bytes of an ONNX model: mean of token embeddings (masked) → linear → logits. */
export function buildTinyOnnx(o: TinyOnnxOptions): Uint8Array {
  const d = o.dim ?? 8;
  const r = rng(o.seed ?? 7);
  const emb = Array.from({ length: o.vocabSize * d }, () => r() * 2);
  const w = Array.from({ length: d * o.labels }, () => r());
  const b = Array.from({ length: o.labels }, () => r() * 0.1);
  const g = new Pb();
  const nodes: Pb[] = [];
  const inits: Pb[] = [];
  if (o.quantized) {
    const scale = Math.max(...emb.map(Math.abs)) / 127;
    const q = Int8Array.from(emb.map((x) => Math.round(x / scale)));
    inits.push(tensor('emb_q', INT8, [o.vocabSize, d], new Uint8Array(q.buffer)));
    inits.push(tensor('emb_scale', FLOAT, [], f32([scale])));
    inits.push(tensor('emb_zp', INT8, [], new Uint8Array([0])));
    nodes.push(node('DequantizeLinear', ['emb_q', 'emb_scale', 'emb_zp'], ['emb']));
  } else {
    inits.push(tensor('emb', FLOAT, [o.vocabSize, d], f32(emb)));
  }
  inits.push(tensor('w', FLOAT, [d, o.labels], f32(w)));
  inits.push(tensor('b', FLOAT, [o.labels], f32(b)));
  inits.push(tensor('axis2', INT64, [1], i64([2])));
  inits.push(tensor('axis1', INT64, [1], i64([1])));
  nodes.push(
    node('Gather', ['emb', 'input_ids'], ['e']),
    node('Cast', ['attention_mask'], ['m'], [intAttr('to', FLOAT)]),
    node('Unsqueeze', ['m', 'axis2'], ['m3']),
    node('Mul', ['e', 'm3'], ['em']),
    node('ReduceSum', ['em', 'axis1'], ['s'], [intAttr('keepdims', 0)]),
    node('ReduceSum', ['m', 'axis1'], ['cnt'], [intAttr('keepdims', 1)]),
    node('Div', ['s', 'cnt'], ['mean']),
    node('MatMul', ['mean', 'w'], ['h']),
    node('Add', ['h', 'b'], ['logits']),
  );
  for (const n of nodes) g.msg(1, n);
  g.str(2, 'tiny');
  for (const t of inits) g.msg(5, t);
  g.msg(11, valueInfo('input_ids', INT64, ['batch', 'seq']));
  g.msg(11, valueInfo('attention_mask', INT64, ['batch', 'seq']));
  g.msg(12, valueInfo('logits', FLOAT, ['batch', o.labels]));
  return new Pb().varint(1, 7).str(2, 'sentiment-edge-test').msg(7, g).msg(8, new Pb().str(1, '').varint(2, 13)).done();
}

// ---- a whole model directory in Hugging Face layout ---------------------------------------

export const TINY_LABELS = ['negative', 'positive'] as const;
export const TINY_WORDS = ['good', 'great', 'bad', 'awful', 'movie', 'film', 'the', 'was', 'not', 'a', 'fun', 'boring', '.', '!', ','] as const;

function tokenizerJson(words: readonly string[]): Record<string, unknown> {
  const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const vocab: Record<string, number> = {};
  [...specials, ...words].forEach((w, i) => (vocab[w] = i));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

/** Files of a tiny model in Hugging Face layout (path → bytes), fp32 and int8. `seed` varies the weights. */
export function buildTinyModelFiles(seed = 7, maxLength = 64): Map<string, Uint8Array> {
  const enc = new TextEncoder();
  const json = (v: unknown) => enc.encode(JSON.stringify(v, null, 2));
  const vocabSize = 5 + TINY_WORDS.length;
  const id2label = Object.fromEntries(TINY_LABELS.map((l, i) => [String(i), l]));
  const label2id = Object.fromEntries(TINY_LABELS.map((l, i) => [l, i]));
  return new Map<string, Uint8Array>([
    ['config.json', json({ model_type: 'bert', architectures: ['EmbeddingBagClassifier'], id2label, label2id, vocab_size: vocabSize })],
    ['tokenizer.json', json(tokenizerJson(TINY_WORDS))],
    [
      'tokenizer_config.json',
      json({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: maxLength, pad_token: '[PAD]', unk_token: '[UNK]', cls_token: '[CLS]', sep_token: '[SEP]', mask_token: '[MASK]' }),
    ],
    ['onnx/model.onnx', buildTinyOnnx({ vocabSize, labels: TINY_LABELS.length, seed, quantized: false })],
    ['onnx/model_quantized.onnx', buildTinyOnnx({ vocabSize, labels: TINY_LABELS.length, seed, quantized: true })],
  ]);
}

/** A valid manifest draft (without files) for the tiny model. */
export function tinyDraft(name: string): {
  name: string;
  labels: string[];
  evaluation: {
    dataset: { name: string; sha256: string; rows: number };
    accuracy: number;
    macroF1: number;
    macroRecall: number;
    perClass: Record<string, { precision: number; recall: number; f1: number; support: number }>;
    confusion: number[][];
  };
  training: { datasetSha256: string; params: Record<string, unknown>; seed: number; durationMs: number; parent: null };
} {
  const sha = 'a'.repeat(64);
  return {
    name,
    labels: [...TINY_LABELS],
    evaluation: {
      dataset: { name: 'tiny-fixture', sha256: sha, rows: 4 },
      accuracy: 0.75,
      macroF1: 0.7,
      macroRecall: 0.72,
      perClass: { negative: { precision: 0.7, recall: 0.7, f1: 0.7, support: 2 }, positive: { precision: 0.8, recall: 0.75, f1: 0.77, support: 2 } },
      confusion: [
        [1, 1],
        [0, 2],
      ],
    },
    training: { datasetSha256: sha, params: { fixture: true }, seed: 7, durationMs: 1, parent: null },
  };
}
