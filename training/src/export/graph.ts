/** The ONNX graph of the embedding-bag classifier (opset 13), fp32 or with int8 weights. */
import { featureDim, padBefore } from '../conv.ts';
import { NEGATED_MARK, type ModelWeights } from '../model.ts';
import { hasContrast, hasIntensity } from '../windows.ts';
import { DataType, floatTensor, int64Tensor, int8Tensor, type Graph, type Node, type Tensor } from './onnx-proto.ts';

/**
 * Int8 schemes for the embedding table: one scale for the whole table, one per column (dimension; the
 * default — the lexicon dimension has a wider range than the others) or one per row (+4 bytes a row).
 */
export type Quantization = 'none' | 'per-tensor' | 'per-column' | 'per-row';

export interface QuantizedMatrix {
  q: Int8Array;
  /** One scale (per-tensor) or one per row. */
  scales: Float32Array;
}

/** Symmetric int8 quantisation with one scale per column (zero point 0). */
export function quantizeColumns(data: Float32Array, rows: number, cols: number): QuantizedMatrix {
  const scales = new Float32Array(cols);
  for (let i = 0; i < data.length; i++) {
    const c = i % cols;
    scales[c] = Math.max(scales[c]!, Math.abs(data[i]!));
  }
  for (let c = 0; c < cols; c++) scales[c] = scales[c]! > 0 ? scales[c]! / 127 : 1;
  const q = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(data[i]! / scales[i % cols]!)));
  return { q, scales };
}

/** Symmetric int8 quantisation (zero point 0). */
export function quantize(data: Float32Array, rows: number, cols: number, perRow: boolean): QuantizedMatrix {
  const q = new Int8Array(data.length);
  const scales = new Float32Array(perRow ? rows : 1);
  if (perRow) {
    for (let r = 0; r < rows; r++) {
      let m = 0;
      for (let c = 0; c < cols; c++) m = Math.max(m, Math.abs(data[r * cols + c]!));
      scales[r] = m > 0 ? m / 127 : 1;
    }
  } else {
    let m = 0;
    for (let i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i]!));
    scales[0] = m > 0 ? m / 127 : 1;
  }
  for (let r = 0; r < rows; r++) {
    const s = scales[perRow ? r : 0]!;
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      q[i] = Math.max(-127, Math.min(127, Math.round(data[i]! / s)));
    }
  }
  return { q, scales };
}

/** Windows up to this many tokens are built from shifted copies (2 ops a step); wider ones by positions (a fixed ~20 ops). */
export const SHIFT_SCOPE_MAX = 3;

/**
 * Negation reach for a wide window at a fixed cost: over the flattened batch, the position of the last negator and of
 * the last break at or before each token (CumSum counts the negators / breaks so far, NonZero lists their positions,
 * Gather looks the count up, a sentinel in front for "none yet"); a token is reached when the last negator comes
 * after the last break and lies at most `win` tokens back. Rows cannot leak into each other: each row ends with [SEP],
 * a break. Returns a float [batch, seq] of 0/1 like the shifted form.
 */
function scopeByPositions(node: (op: string, inputs: string[], output: string, attrs?: Node['attrs']) => string, inits: Tensor[], neg: string, brk: string, win: number): string {
  inits.push(
    int64Tensor('c_flat', [1], [-1]),
    int64Tensor('c_zero_i', [], [0]),
    int64Tensor('c_one_i', [], [1]),
    int64Tensor('c_axis0', [], [0]),
    int64Tensor('c_no_neg', [1], [-(2 ** 40)]),
    int64Tensor('c_no_break', [1], [-1]),
    int64Tensor('c_scope_win', [], [win]),
  );
  const shape = node('Shape', ['input_ids'], 'scope_shape');
  const pos = node('Range', ['c_zero_i', node('Size', ['input_ids'], 'scope_size'), 'c_one_i'], 'scope_pos');
  const last = (x: string, none: string, name: string): string => {
    const flat = node('Reshape', [x, 'c_flat'], `${name}_flat`);
    const count = node('Cast', [node('CumSum', [flat, 'c_axis0'], `${name}_cum`)], `${name}_count`, { to: DataType.INT64 });
    const at = node('Reshape', [node('NonZero', [flat], `${name}_nz`), 'c_flat'], `${name}_at`);
    return node('Gather', [node('Concat', [none, at], `${name}_table`, { axis: 0 }), count], `${name}_last`, { axis: 0 });
  };
  const lastNeg = last(neg, 'c_no_neg', 'scope_neg');
  const lastBrk = last(brk, 'c_no_break', 'scope_brk');
  const after = node('Greater', [lastNeg, lastBrk], 'scope_after_break');
  const near = node('Not', [node('Greater', [node('Sub', [pos, lastNeg], 'scope_dist'), 'c_scope_win'], 'scope_far')], 'scope_near');
  const reach = node('Cast', [node('And', [after, near], 'scope_reach_b')], 'scope_reach_f', { to: DataType.FLOAT });
  return node('Reshape', [reach, shape], 'scope_any');
}

export function buildGraph(w: ModelWeights, quantization: Quantization = 'none'): Graph {
  const { vocabSize, buckets, dim: D, hidden: H, numLabels: L, bigramPrime, poolPower } = w.shape;
  const rows = vocabSize + buckets;
  const nodes: Node[] = [];
  const inits: Tensor[] = [];
  const node = (op: string, inputs: string[], output: string, attrs?: Node['attrs']): string => {
    nodes.push({ op, inputs, outputs: [output], name: output, ...(attrs ? { attrs } : {}) });
    return output;
  };
  inits.push(
    int64Tensor('c_start0', [1], [0]),
    int64Tensor('c_start1', [1], [1]),
    int64Tensor('c_end_m1', [1], [-1]),
    int64Tensor('c_end_max', [1], [9223372036854775807n]),
    int64Tensor('c_axis1', [1], [1]),
    int64Tensor('c_axis2', [1], [2]),
    int64Tensor('c_prime', [], [bigramPrime]),
    int64Tensor('c_buckets', [], [buckets]),
    int64Tensor('c_vocab', [], [vocabSize]),
    floatTensor('c_one', [], Float32Array.of(1)),
  );

  const maskF = node('Cast', ['attention_mask'], 'mask_f', { to: DataType.FLOAT });
  const idsA = node('Slice', ['input_ids', 'c_start0', 'c_end_m1', 'c_axis1'], 'ids_a');
  const idsB = node('Slice', ['input_ids', 'c_start1', 'c_end_max', 'c_axis1'], 'ids_b');
  const mA = node('Slice', [maskF, 'c_start0', 'c_end_m1', 'c_axis1'], 'mask_a');
  const mB = node('Slice', [maskF, 'c_start1', 'c_end_max', 'c_axis1'], 'mask_b');
  const mBi = node('Mul', [mA, mB], 'mask_bi');
  const biHash = node('Add', [node('Mul', [idsA, 'c_prime'], 'bi_mul'), idsB], 'bi_sum');

  // member(set)[b, i] = 1 when input_ids[b, i] is one of the ids in `set` ([1, 1, k]).
  const ids3 = node('Unsqueeze', ['input_ids', 'c_axis2'], 'ids3');
  const member = (set: string, name: string) =>
    node('ReduceMax', [node('Cast', [node('Equal', [ids3, set], `${name}_eq`)], `${name}_eqf`, { to: DataType.FLOAT })], name, { axes: [2], keepdims: 0 });

  // shift(x, d)[i] = x[i − d] (0 for i < d): pad d zeros in front, drop the last d.
  const shift = (x: string, d: number): string => {
    if (!inits.some((t) => t.name === `c_pad_front${d}`)) inits.push(int64Tensor(`c_pad_front${d}`, [4], [0, d, 0, 0]), int64Tensor(`c_shift_end${d}`, [1], [-d]));
    return node('Slice', [node('Pad', [x, `c_pad_front${d}`], `${x}_pad${d}`), 'c_start0', `c_shift_end${d}`, 'c_axis1'], `${x}_shift${d}`);
  };

  // Negation scope (model.ts scopedUnigrams): token i uses its negated row when a negator sits d ≤ w tokens
  // before it with no break in between, and i is neither a negator nor a break.
  let uniIds = 'input_ids';
  const win = w.shape.negationScope ?? 0;
  if (win > 0) {
    inits.push(
      int64Tensor('negator_ids', [1, 1, w.shape.negators!.length], w.shape.negators!),
      int64Tensor('break_ids', [1, 1, w.shape.breaks!.length], w.shape.breaks!),
      int64Tensor('c_neg_mark', [], [NEGATED_MARK * bigramPrime]),
    );
    const neg = member('negator_ids', 'is_negator');
    const brk = member('break_ids', 'is_break');
    const open = node('Sub', ['c_one', brk], 'no_break');
    let reach: string;
    if (win <= SHIFT_SCOPE_MAX) {
      reach = shift(neg, 1);
      let clear = shift(open, 1);
      for (let d = 2; d <= win; d++) {
        reach = node('Add', [reach, node('Mul', [shift(neg, d), clear], `scope_term${d}`)], `scope_reach${d}`);
        if (d < win) clear = node('Mul', [clear, shift(open, d)], `scope_clear${d}`);
      }
      reach = node('Min', [reach, 'c_one'], 'scope_any');
    } else reach = scopeByPositions(node, inits, neg, brk, win);
    const inScope = node('Mul', [reach, node('Mul', [open, node('Sub', ['c_one', neg], 'not_negator')], 'scope_self')], 'in_scope');
    const negIds = node('Add', [node('Mod', [node('Add', ['c_neg_mark', 'input_ids'], 'neg_sum'), 'c_buckets'], 'neg_mod', { fmod: 0 }), 'c_vocab'], 'negated_ids');
    const scopeI = node('Cast', [inScope], 'in_scope_i', { to: DataType.INT64 });
    uniIds = node('Add', ['input_ids', node('Mul', [scopeI, node('Sub', [negIds, 'input_ids'], 'neg_delta')], 'neg_shift')], 'uni_ids');
  }
  const biIds = node('Add', [node('Mod', [biHash, 'c_buckets'], 'bi_mod', { fmod: 0 }), 'c_vocab'], 'bi_ids');

  // Embedding lookup: fp32 Gather, or Gather on int8 rows then DequantizeLinear (× per-row scale).
  const lookup = (ids: string, prefix: string): string => {
    if (quantization === 'none') return node('Gather', ['embedding', ids], `${prefix}_emb`, { axis: 0 });
    const g = node('Gather', ['embedding_q', ids], `${prefix}_emb_q`, { axis: 0 });
    if (quantization === 'per-column') return node('DequantizeLinear', [g, 'embedding_scale', 'embedding_zero'], `${prefix}_emb`, { axis: 2 });
    const dq = node('DequantizeLinear', [g, 'embedding_scale', 'embedding_zero'], `${prefix}_emb_dq`);
    if (quantization === 'per-tensor') return dq;
    const rs = node('Gather', ['embedding_row_scale', ids], `${prefix}_row_scale`, { axis: 0 });
    return node('Mul', [dq, node('Unsqueeze', [rs, 'c_axis2'], `${prefix}_row_scale3`)], `${prefix}_emb`);
  };
  if (quantization === 'none') inits.push(floatTensor('embedding', [rows, D], w.embedding));
  else if (quantization === 'per-column') {
    const qe = quantizeColumns(w.embedding, rows, D);
    inits.push(int8Tensor('embedding_q', [rows, D], qe.q));
    inits.push(floatTensor('embedding_scale', [D], qe.scales));
    inits.push(int8Tensor('embedding_zero', [D], new Int8Array(D)));
  } else {
    const perRow = quantization === 'per-row';
    const qe = quantize(w.embedding, rows, D, perRow);
    inits.push(int8Tensor('embedding_q', [rows, D], qe.q));
    inits.push(floatTensor('embedding_scale', [], Float32Array.of(perRow ? 1 : qe.scales[0]!)));
    inits.push(int8Tensor('embedding_zero', [], Int8Array.of(0)));
    if (perRow) inits.push(floatTensor('embedding_row_scale', [rows], qe.scales));
  }
  const uniEmb = lookup(uniIds, 'uni');
  const biEmb = lookup(biIds, 'bi');
  // Pooling weights: the mask, or with attention exp(importance) × mask.
  let wUni = maskF;
  let wBi = mBi;
  if (w.shape.attention) {
    const impLookup = (ids: string, prefix: string): string => {
      if (quantization === 'none') return node('Gather', ['importance', ids], `${prefix}_imp`, { axis: 0 });
      const g = node('Gather', ['importance_q', ids], `${prefix}_imp_q`, { axis: 0 });
      return node('DequantizeLinear', [g, 'importance_scale', 'importance_zero'], `${prefix}_imp`);
    };
    if (quantization === 'none') inits.push(floatTensor('importance', [rows], w.importance));
    else {
      const qi = quantize(w.importance, 1, rows, false);
      inits.push(int8Tensor('importance_q', [rows], qi.q), floatTensor('importance_scale', [], Float32Array.of(qi.scales[0]!)), int8Tensor('importance_zero', [], Int8Array.of(0)));
    }
    let uniLogit = impLookup(uniIds, 'uni');
    let biLogit = impLookup(biIds, 'bi');
    if (hasContrast(w.shape)) {
      // Contrast (model.ts contrastFlags): tokens 1..window before a marker, not markers themselves, get the
      // learned shift added to their attention logit; a bigram when its second token does.
      const win = w.shape.contrastWindow!;
      inits.push(int64Tensor('contrast_ids', [1, 1, w.shape.contrastMarkers!.length], w.shape.contrastMarkers!), floatTensor('contrast_shift', [], Float32Array.of(w.contrast[0]!)));
      const marker = member('contrast_ids', 'is_contrast');
      // ahead(x, d)[i] = x[i + d] (0 past the end): pad d zeros at the end, drop the first d.
      const ahead = (x: string, d: number): string => {
        inits.push(int64Tensor(`c_pad_back${d}`, [4], [0, 0, 0, d]), int64Tensor(`c_start${d}_ahead`, [1], [d]));
        return node('Slice', [node('Pad', [x, `c_pad_back${d}`], `${x}_padb${d}`), `c_start${d}_ahead`, 'c_end_max', 'c_axis1'], `${x}_ahead${d}`);
      };
      let reach = ahead(marker, 1);
      for (let d = 2; d <= win; d++) reach = node('Add', [reach, ahead(marker, d)], `contrast_reach${d}`);
      const before = node('Mul', [node('Min', [reach, 'c_one'], 'contrast_any'), node('Sub', ['c_one', marker], 'not_contrast')], 'before_contrast');
      const beforeBi = node('Slice', [before, 'c_start1', 'c_end_max', 'c_axis1'], 'before_contrast_bi');
      uniLogit = node('Add', [uniLogit, node('Mul', [before, 'contrast_shift'], 'uni_contrast')], 'uni_logit');
      biLogit = node('Add', [biLogit, node('Mul', [beforeBi, 'contrast_shift'], 'bi_contrast')], 'bi_logit');
    }
    if (hasIntensity(w.shape)) {
      // Intensity (model.ts intensityFlags): tokens 1..window after an intensifier (a reducer), not markers of
      // either kind, get the first (second) learned shift added to their attention logit; a bigram when its
      // second token does.
      const win = w.shape.intensityWindow!;
      const setOf = (name: string, ids: number[]) => {
        // An empty list still needs a set: [-1] matches no token.
        const list = ids.length ? ids : [-1];
        inits.push(int64Tensor(`${name}_ids`, [1, 1, list.length], list));
        return member(`${name}_ids`, `is_${name}`);
      };
      const up = setOf('intensifier', w.shape.intensifiers ?? []);
      const down = setOf('reducer', w.shape.reducers ?? []);
      inits.push(floatTensor('intensity_shift', [2], w.intensity), int64Tensor('c_intensity_up', [1], [0]), int64Tensor('c_intensity_down', [1], [1]));
      const notMarker = node('Sub', ['c_one', node('Max', [up, down], 'intensity_marker')], 'not_intensity_marker');
      const after = (marker: string, name: string): string => {
        let reach = shift(marker, 1);
        for (let d = 2; d <= win; d++) reach = node('Add', [reach, shift(marker, d)], `${name}_reach${d}`);
        return node('Mul', [node('Min', [reach, 'c_one'], `${name}_any`), notMarker], `after_${name}`);
      };
      const upShift = node('Gather', ['intensity_shift', 'c_intensity_up'], 'intensity_up_shift', { axis: 0 });
      const downShift = node('Gather', ['intensity_shift', 'c_intensity_down'], 'intensity_down_shift', { axis: 0 });
      const delta = node('Add', [node('Mul', [after(up, 'intensifier'), upShift], 'uni_up'), node('Mul', [after(down, 'reducer'), downShift], 'uni_down')], 'intensity_delta');
      const deltaBi = node('Slice', [delta, 'c_start1', 'c_end_max', 'c_axis1'], 'intensity_delta_bi');
      uniLogit = node('Add', [uniLogit, delta], 'uni_logit_intensity');
      biLogit = node('Add', [biLogit, deltaBi], 'bi_logit_intensity');
    }
    wUni = node('Mul', [node('Exp', [uniLogit], 'uni_exp'), maskF], 'uni_weight');
    wBi = node('Mul', [node('Exp', [biLogit], 'bi_exp'), mBi], 'bi_weight');
  }
  const uniSum = node('ReduceSum', [node('Mul', [uniEmb, node('Unsqueeze', [wUni, 'c_axis2'], 'uni_weight3')], 'uni_masked'), 'c_axis1'], 'uni_sum', { keepdims: 0 });
  const biSum = node('ReduceSum', [node('Mul', [biEmb, node('Unsqueeze', [wBi, 'c_axis2'], 'bi_weight3')], 'bi_masked'), 'c_axis1'], 'bi_sum_emb', { keepdims: 0 });
  const count = node(
    'Max',
    [
      node('Add', [node('ReduceSum', [wUni, 'c_axis1'], 'uni_count', { keepdims: 1 }), node('ReduceSum', [wBi, 'c_axis1'], 'bi_count', { keepdims: 1 })], 'count_raw'),
      'c_one',
    ],
    'count',
  );
  let denom = count;
  if (w.shape.attention) {
    // Σ e^a can be below 1: no floor (the [CLS]/[SEP] features are always present).
    denom = node('Add', ['count_raw', 'c_tiny'], 'count_att');
    inits.push(floatTensor('c_tiny', [], Float32Array.of(1e-12)));
  } else if (poolPower !== 1) {
    inits.push(floatTensor('c_pool_power', [], Float32Array.of(poolPower)));
    denom = node('Pow', [count, 'c_pool_power'], 'count_pow');
  }
  const pooled = node('Div', [node('Add', [uniSum, biSum], 'emb_sum'), denom], 'pooled');

  const dense = (name: string, data: Float32Array, r: number, c: number): string => {
    if (quantization === 'none') {
      inits.push(floatTensor(name, [r, c], data));
      return name;
    }
    const qm = quantize(data, r, c, false);
    inits.push(int8Tensor(`${name}_q`, [r, c], qm.q), floatTensor(`${name}_scale`, [], Float32Array.of(qm.scales[0]!)), int8Tensor(`${name}_zero`, [], Int8Array.of(0)));
    return node('DequantizeLinear', [`${name}_q`, `${name}_scale`, `${name}_zero`], `${name}_dq`);
  };
  let h = pooled;
  const conv = w.shape.conv;
  if (conv) {
    // The cnn encoder (conv.ts): per-token vectors [B, T, C] → [B, C, T], Conv width K with "same" zero padding
    // ([PAD]'s row is zero, so a batch's padding reads like the trainer's), −1e9 on padding, max over positions, tanh.
    const { width: K, filters: F, dim: C } = conv;
    let table: string;
    if (quantization === 'none') {
      inits.push(floatTensor('conv_table', [vocabSize, C], w.convTable));
      table = node('Gather', ['conv_table', 'input_ids'], 'conv_x', { axis: 0 });
    } else {
      const qt = quantizeColumns(w.convTable, vocabSize, C);
      inits.push(int8Tensor('conv_table_q', [vocabSize, C], qt.q), floatTensor('conv_table_scale', [C], qt.scales), int8Tensor('conv_table_zero', [C], new Int8Array(C)));
      table = node('DequantizeLinear', [node('Gather', ['conv_table_q', 'input_ids'], 'conv_x_q', { axis: 0 }), 'conv_table_scale', 'conv_table_zero'], 'conv_x', { axis: 2 });
    }
    inits.push(floatTensor('conv_w', [F, C, K], w.convW), floatTensor('conv_b', [F], w.convB), floatTensor('c_pad_penalty', [], Float32Array.of(1e9)));
    const p0 = padBefore(conv);
    const xt = node('Transpose', [table], 'conv_xt', { perm: [0, 2, 1] });
    const out = node('Conv', [xt, 'conv_w', 'conv_b'], 'conv_out', { kernel_shape: [K], pads: [p0, K - 1 - p0] });
    const penalty = node('Mul', [node('Sub', [maskF, 'c_one'], 'conv_pad_flag'), 'c_pad_penalty'], 'conv_pad_bias');
    const masked = node('Add', [out, node('Unsqueeze', [penalty, 'c_axis1'], 'conv_pad_bias3')], 'conv_masked');
    const maxed = node('Tanh', [node('ReduceMax', [masked], 'conv_max', { axes: [2], keepdims: 0 })], 'conv_pooled');
    h = node('Concat', [pooled, maxed], 'features', { axis: 1 });
  }
  if (H > 0) {
    const w1 = dense('w1', w.w1, D, H);
    inits.push(floatTensor('b1', [H], w.b1));
    h = node('Relu', [node('Add', [node('MatMul', [pooled, w1], 'h_mm'), 'b1'], 'h_pre')], 'hidden');
  }
  const w2 = dense('w2', w.w2, featureDim(w.shape), L);
  inits.push(floatTensor('b2', [L], w.b2));
  // Calibration: logits = raw logits / temperature (1 when not calibrated), so every runtime gets calibrated
  // probabilities from the graph alone.
  inits.push(floatTensor('inv_temperature', [], Float32Array.of(1 / w.temperature)));
  node('Mul', [node('Add', [node('MatMul', [h, w2], 'logits_mm'), 'b2'], 'logits_raw'), 'inv_temperature'], 'logits');

  const outputs: Graph['outputs'] = [{ name: 'logits', elemType: DataType.FLOAT, shape: ['batch_size', L] }];
  if (H === 0 && !conv) {
    // token_scores[b, i, c]: what token i adds to logit c. Its unigram feature's pooled share times w2, plus
    // half of each bigram it belongs to, divided by the temperature: Σ_i token_scores[b, i, :] + b2 / T =
    // logits[b, :] exactly (padding rows are 0). Only for linear models (no hidden layer).
    const denom3 = node('Unsqueeze', [denom, 'c_axis2'], 'denom3');
    const uniScores = node('MatMul', [node('Div', ['uni_masked', denom3], 'uni_share'), w2], 'uni_scores');
    const biScores = node('MatMul', [node('Div', ['bi_masked', denom3], 'bi_share'), w2], 'bi_scores');
    inits.push(int64Tensor('c_pad_before', [6], [0, 1, 0, 0, 0, 0]), int64Tensor('c_pad_after', [6], [0, 0, 0, 0, 1, 0]), floatTensor('c_half', [], Float32Array.of(0.5)));
    const biSplit = node(
      'Mul',
      [node('Add', [node('Pad', [biScores, 'c_pad_before'], 'bi_to_second'), node('Pad', [biScores, 'c_pad_after'], 'bi_to_first')], 'bi_to_tokens'), 'c_half'],
      'bi_half',
    );
    node('Mul', [node('Add', [uniScores, biSplit], 'token_scores_raw'), 'inv_temperature'], 'token_scores');
    outputs.push({ name: 'token_scores', elemType: DataType.FLOAT, shape: ['batch_size', 'sequence_length', L] });
  }

  return {
    name: 'sentiment_edge_embedding_bag',
    nodes,
    initializers: inits,
    inputs: [
      { name: 'input_ids', elemType: DataType.INT64, shape: ['batch_size', 'sequence_length'] },
      { name: 'attention_mask', elemType: DataType.INT64, shape: ['batch_size', 'sequence_length'] },
    ],
    outputs,
  };
}
