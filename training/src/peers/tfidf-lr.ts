/**
 * A linear baseline peer: TF-IDF over word 1–2-grams + multinomial logistic regression (L2), the classic
 * scikit-learn recipe (TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True) +
 * LogisticRegression(C=…, lbfgs)) written for sparse rows; no npm library does sparse TF-IDF + logistic
 * regression at this size (ml-logistic-regression is dense: 100k rows × 500k features will not fit).
 * Trained by full-batch L-BFGS, so it is deterministic. Used by bench/peers.ts only.
 */

export interface TfidfLrOptions {
  /** Inverse regularisation strength, as scikit-learn's C (loss summed over rows + ||W||² / 2C). */
  C?: number;
  /** Features must occur in at least this many training texts. */
  minDf?: number;
  maxIterations?: number;
  /** Stop when the relative decrease of the objective over one iteration is below this. */
  tolerance?: number;
}

export interface TfidfLrModel {
  labels: string[];
  vocabulary: Map<string, number>;
  idf: Float64Array;
  /** weights[k * F + f] */
  weights: Float64Array;
  bias: Float64Array;
  iterations: number;
  predict(texts: readonly string[]): Float64Array[];
  /** Bytes of the model as JSON (vocabulary, idf, weights): what shipping it would take. */
  serializedBytes(): number;
}

/** Lower-case words (letters/digits, with an inner apostrophe), "n't" → "not", and "!" / "?" as tokens. */
export function tokenize(text: string): string[] {
  return (
    text
      .toLowerCase()
      .replace(/n['’]t\b/g, ' not')
      .match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)*|[!?]/gu) ?? []
  );
}

function ngrams(tokens: readonly string[]): string[] {
  const out = [...tokens];
  for (let i = 0; i + 1 < tokens.length; i++) out.push(`${tokens[i]} ${tokens[i + 1]}`);
  return out;
}

/** Sparse rows (compressed sparse row): row i's features are indices[indptr[i] … indptr[i+1]) with their values. */
export interface Csr {
  indptr: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

/** TF-IDF rows: sublinear tf (1 + ln tf) × smooth idf, L2-normalised. */
function vectorize(texts: readonly string[], vocabulary: Map<string, number>, idf: Float64Array): Csr {
  const indptr = new Int32Array(texts.length + 1);
  const indices: number[] = [];
  const values: number[] = [];
  texts.forEach((t, i) => {
    const counts = new Map<number, number>();
    for (const g of ngrams(tokenize(t))) {
      const f = vocabulary.get(g);
      if (f !== undefined) counts.set(f, (counts.get(f) ?? 0) + 1);
    }
    const feats = [...counts.keys()].sort((a, b) => a - b);
    let norm = 0;
    const vals = feats.map((f) => {
      const v = (1 + Math.log(counts.get(f)!)) * idf[f]!;
      norm += v * v;
      return v;
    });
    norm = Math.sqrt(norm) || 1;
    feats.forEach((f, k) => {
      indices.push(f);
      values.push(vals[k]! / norm);
    });
    indptr[i + 1] = indices.length;
  });
  return { indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
}

/** Softmax scores for every row into `out` (n × K). */
function scores(X: Csr, W: Float64Array, b: Float64Array, K: number, F: number, out: Float64Array): void {
  const n = X.indptr.length - 1;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      let s = b[k]!;
      const base = k * F;
      for (let j = X.indptr[i]!; j < X.indptr[i + 1]!; j++) s += X.values[j]! * W[base + X.indices[j]!]!;
      out[i * K + k] = s;
      if (s > max) max = s;
    }
    let z = 0;
    for (let k = 0; k < K; k++) z += out[i * K + k] = Math.exp(out[i * K + k]! - max);
    for (let k = 0; k < K; k++) out[i * K + k]! /= z;
  }
}

/** L-BFGS (two-loop recursion, memory 10, backtracking Armijo line search) on f(x) with gradient g. */
export function lbfgs(
  f: (x: Float64Array, grad: Float64Array) => number,
  x0: Float64Array,
  { maxIterations = 200, tolerance = 1e-6, memory = 10 } = {},
): { x: Float64Array; value: number; iterations: number } {
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
    return s;
  };
  let it = 0;
  for (; it < maxIterations; it++) {
    // direction d = −H g
    const d = Float64Array.from(g, (v) => -v);
    const alpha: number[] = [];
    for (let k = S.length - 1; k >= 0; k--) {
      const a = rho[k]! * dot(S[k]!, d);
      alpha[k] = a;
      const y = Y[k]!;
      for (let i = 0; i < n; i++) d[i]! -= a * y[i]!;
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dot(S[last]!, Y[last]!) / dot(Y[last]!, Y[last]!);
      for (let i = 0; i < n; i++) d[i]! *= gamma;
    } else {
      const gn = Math.sqrt(dot(g, g)) || 1;
      for (let i = 0; i < n; i++) d[i]! /= gn;
    }
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k]! * dot(Y[k]!, d);
      const s = S[k]!;
      for (let i = 0; i < n; i++) d[i]! += s[i]! * (alpha[k]! - beta);
    }
    let slope = dot(g, d);
    if (slope >= 0) {
      // not a descent direction (numerical trouble): restart from steepest descent
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      slope = dot(g, d);
    }
    let step = 1;
    const xNew = new Float64Array(n);
    const gNew = new Float64Array(n);
    let fNew = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * d[i]!;
      fNew = f(xNew, gNew);
      if (fNew <= fx + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew < fx)) break;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
      if (S.length > memory) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    const decrease = (fx - fNew) / Math.max(Math.abs(fx), 1);
    x = Float64Array.from(xNew);
    g = Float64Array.from(gNew);
    fx = fNew;
    if (decrease < tolerance) {
      it++;
      break;
    }
  }
  return { x, value: fx, iterations: it };
}

/**
 * Multinomial logistic regression on sparse rows: minimises Σ cross-entropy + ||W||² / 2C (bias not regularised)
 * by full-batch L-BFGS from zero, so it is deterministic. Returns W as K × F (weights[k * F + f]) and the bias.
 */
export function fitLogisticRegression(
  X: Csr,
  y: Int32Array,
  K: number,
  F: number,
  { C = 1, maxIterations = 300, tolerance = 1e-7 }: { C?: number; maxIterations?: number; tolerance?: number } = {},
): { weights: Float64Array; bias: Float64Array; iterations: number } {
  const n = X.indptr.length - 1;
  const P = new Float64Array(n * K);
  const objective = (x: Float64Array, grad: Float64Array): number => {
    const W = x.subarray(0, K * F);
    const b = x.subarray(K * F);
    scores(X, W, b, K, F, P);
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      loss -= Math.log(Math.max(P[i * K + y[i]!]!, 1e-300));
      for (let k = 0; k < K; k++) {
        const r = P[i * K + k]! - (k === y[i] ? 1 : 0);
        grad[K * F + k]! += r;
        const base = k * F;
        for (let j = X.indptr[i]!; j < X.indptr[i + 1]!; j++) grad[base + X.indices[j]!]! += r * X.values[j]!;
      }
    }
    let reg = 0;
    for (let i = 0; i < K * F; i++) {
      reg += W[i]! * W[i]!;
      grad[i]! += W[i]! / C;
    }
    return loss + reg / (2 * C);
  };
  const { x, iterations } = lbfgs(objective, new Float64Array(K * F + K), { maxIterations, tolerance });
  return { weights: x.slice(0, K * F), bias: x.slice(K * F), iterations };
}

export function trainTfidfLr(texts: readonly string[], labels: readonly string[], options: TfidfLrOptions = {}): TfidfLrModel {
  const { C = 1, minDf = 2, maxIterations = 300, tolerance = 1e-7 } = options;
  if (texts.length !== labels.length) throw new Error(`trainTfidfLr: ${texts.length} texts but ${labels.length} labels`);
  const labelSet = [...new Set(labels)].sort();
  if (labelSet.length < 2) throw new Error('trainTfidfLr: need at least two labels');
  // document frequencies → vocabulary (min_df) in first-seen order
  const df = new Map<string, number>();
  for (const t of texts) for (const g of new Set(ngrams(tokenize(t)))) df.set(g, (df.get(g) ?? 0) + 1);
  const vocabulary = new Map<string, number>();
  for (const [g, c] of df) if (c >= minDf) vocabulary.set(g, vocabulary.size);
  const F = vocabulary.size;
  const idf = new Float64Array(F);
  for (const [g, f] of vocabulary) idf[f] = Math.log((1 + texts.length) / (1 + df.get(g)!)) + 1;
  const X = vectorize(texts, vocabulary, idf);
  const K = labelSet.length;
  const y = Int32Array.from(labels, (l) => labelSet.indexOf(l));
  const { weights, bias, iterations } = fitLogisticRegression(X, y, K, F, { C, maxIterations, tolerance });

  return {
    labels: labelSet,
    vocabulary,
    idf,
    weights,
    bias,
    iterations,
    predict(batch) {
      const Xb = vectorize(batch, vocabulary, idf);
      const out = new Float64Array(batch.length * K);
      scores(Xb, weights, bias, K, F, out);
      return Array.from({ length: batch.length }, (_, i) => out.slice(i * K, (i + 1) * K));
    },
    serializedBytes() {
      const json = JSON.stringify({ labels: labelSet, vocabulary: [...vocabulary.keys()], idf: Array.from(idf, (v) => +v.toPrecision(6)), weights: Array.from(weights, (v) => +v.toPrecision(6)), bias: Array.from(bias) });
      return Buffer.byteLength(json);
    },
  };
}
