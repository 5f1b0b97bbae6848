/**
 * The WordPiece tokenizer.json we ship, and the helpers that use the very same JSON at training time
 * (through @huggingface/tokenizers), so training and serving can never drift.
 */
import { truncateIds } from '@sentiment-edge/registry';
import { Tokenizer } from '@huggingface/tokenizers';

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export const PAD_ID = 0;
export const UNK_ID = 1;
export const CLS_ID = 2;
export const SEP_ID = 3;
export const DEFAULT_MAX_LENGTH = 4096;

export type TokenizerJson = Record<string, unknown>;

/**
 * Normaliser, in order:
 * - NFKC: compatibility forms fold to plain ones (full-width "ｇｏｏｄ" → "good", the ligature "ﬁ" → "fi", "½" → "1⁄2");
 * - BertNormalizer: clean control characters, lower-case, strip accents (so "déçu" and a hurried "decu" meet),
 *   spaces around CJK ideographs (each one a word);
 * - typographic apostrophes (’ ‘ ʼ ′ ` ´) → ', and typographic quotes (« » “ ” „ ‟) → ";
 * - "n't" → " not", so raw "doesn't", "don't" and SST-2's tokenised "does n't" / "ca n't" all yield "not";
 * - French elisions: the apostrophe after a word-initial l, d, j, m, n, s, t, c or qu becomes a space ("l'acteur"
 *   → "l acteur", "qu'il" → "qu il", "j’ai" → "j ai"), so the elided word is a word of its own and the noun
 *   keeps its plain row. English is unaffected ("it's", "I'm", "let's": the apostrophe follows no such initial).
 * BertPreTokenizer then splits on white space and punctuation, so "it's" and "it 's" both become it / ' / s.
 * Every step is a standard tokenizer.json component (no back-references in replacements), read alike by
 * @huggingface/tokenizers (training, browser, Worker) and transformers.js (tested).
 */
/** A regex replacement the normaliser applies after lower-casing (e.g. identity.ts identityPhraseRules). */
export interface ReplaceRule {
  pattern: string;
  content: string;
}

function normalizer(rules: readonly ReplaceRule[] = []): Record<string, unknown> {
  return {
    type: 'Sequence',
    normalizers: [
      { type: 'NFKC' },
      { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
      { type: 'Replace', pattern: { Regex: '[\u2018\u2019\u02bc\u2032`\u00b4]' }, content: "'" },
      { type: 'Replace', pattern: { Regex: '[\u00ab\u00bb\u201c\u201d\u201e\u201f]' }, content: '"' },
      { type: 'Replace', pattern: { Regex: "n't\\b" }, content: ' not' },
      { type: 'Replace', pattern: { Regex: "(?<=\\b(?:qu|[cdjlmnst]))'" }, content: ' ' },
      ...rules.map((r) => ({ type: 'Replace', pattern: { Regex: r.pattern }, content: r.content })),
    ],
  };
}

/**
 * `ties` (word → a word of `words`): the word gets that word's id instead of its own (identity.ts); it is not in
 * `words` itself. Ids stay 0 … words.length + 4. `rules`: extra normaliser replacements.
 */
export function buildTokenizerJson(words: readonly string[], ties: ReadonlyMap<string, string> = new Map(), rules: readonly ReplaceRule[] = []): TokenizerJson {
  const vocab: Record<string, number> = {};
  SPECIAL_TOKENS.forEach((t, i) => (vocab[t] = i));
  let next = SPECIAL_TOKENS.length;
  for (const w of words) if (!Object.hasOwn(vocab, w)) vocab[w] = next++;
  for (const [w, head] of ties) if (Object.hasOwn(vocab, head) && !Object.hasOwn(vocab, w)) vocab[w] = vocab[head]!;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: normalizer(rules),
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [CLS_ID], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [SEP_ID], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

export function buildTokenizerConfig(maxLength = DEFAULT_MAX_LENGTH): Record<string, unknown> {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: maxLength,
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    mask_token: '[MASK]',
    clean_up_tokenization_spaces: true,
  };
}

export function createTokenizer(json: TokenizerJson, config: Record<string, unknown> = buildTokenizerConfig()): Tokenizer {
  return new Tokenizer(json, config);
}

/** Words exactly as the shipped tokenizer's normaliser + pre-tokeniser produce them. */
export function wordSplitter(): (text: string) => string[] {
  const tok = createTokenizer(buildTokenizerJson([]));
  const norm = tok.normalizer;
  const pre = tok.pre_tokenizer;
  if (!norm || !pre) throw new Error('tokenizer has no normalizer/pre_tokenizer');
  return (text: string) => pre.pre_tokenize(norm.normalize(text));
}

export interface VocabOptions {
  minCount?: number;
  maxSize?: number;
  /** Words always included (e.g. lexicon words), appended after the counted ones. */
  extraWords?: Iterable<string>;
  /**
   * Also add WordPiece pieces so out-of-vocabulary words split into known pieces instead of [UNK]:
   * every character (word-initial and "##" form) plus the most frequent word suffixes ("##ing", "##ly", …).
   */
  subwords?: number;
}

/** Vocabulary: words by descending frequency (ties alphabetical) with count ≥ minCount. */
export function buildVocab(texts: readonly string[], options: VocabOptions = {}): string[] {
  const split = wordSplitter();
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of split(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const minCount = options.minCount ?? 1;
  const words = [...counts.entries()]
    .filter(([w, c]) => c >= minCount && !(SPECIAL_TOKENS as readonly string[]).includes(w) && w.length <= 100)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([w]) => w);
  const limited = options.maxSize ? words.slice(0, options.maxSize) : words;
  if (options.subwords) {
    const have = new Set(limited);
    const chars = new Map<string, number>();
    const suffixes = new Map<string, number>();
    for (const [w, c] of counts) {
      for (const ch of w) chars.set(ch, (chars.get(ch) ?? 0) + c);
      const cps = [...w];
      for (let len = 2; len <= Math.min(6, cps.length - 1); len++) {
        const suf = `##${cps.slice(cps.length - len).join('')}`;
        suffixes.set(suf, (suffixes.get(suf) ?? 0) + 1);
      }
    }
    const byCount = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [ch, c] of byCount(chars)) {
      if (c < 2) continue;
      for (const piece of [ch, `##${ch}`]) if (!have.has(piece)) (have.add(piece), limited.push(piece));
    }
    for (const [suf] of byCount(suffixes).slice(0, options.subwords)) if (!have.has(suf)) (have.add(suf), limited.push(suf));
  }
  if (options.extraWords) {
    const have = new Set(limited);
    for (const w of options.extraWords) {
      for (const piece of split(w)) {
        if (!have.has(piece)) {
          have.add(piece);
          limited.push(piece);
        }
      }
    }
  }
  return limited;
}

/** Token ids (with [CLS]/[SEP]) truncated to maxLength, as transformers.js would. */
export function encodeTexts(tokenizer: Tokenizer, texts: readonly string[], maxLength = DEFAULT_MAX_LENGTH): Int32Array[] {
  return texts.map((t) => {
    // The same truncation the shared classifier applies at serving time (keeps the closing [SEP]).
    return Int32Array.from(truncateIds(tokenizer.encode(t).ids, maxLength));
  });
}
