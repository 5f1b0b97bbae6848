import { describe, expect, it } from 'vitest';
import { buildTokenizerJson, buildVocab, CLS_ID, createTokenizer, encodeTexts, SEP_ID, UNK_ID, wordSplitter } from './tokenizer.ts';

describe('tokenizer', () => {
  const vocab = buildVocab(['it is not good , does not work !', "it 's great"]);
  const json = buildTokenizerJson(vocab);
  const tok = createTokenizer(json);

  it('writes a WordPiece tokenizer.json with the special tokens first', () => {
    expect((json.model as { type: string }).type).toBe('WordPiece');
    const v = (json.model as { vocab: Record<string, number> }).vocab;
    expect(v['[PAD]']).toBe(0);
    expect(v['[UNK]']).toBe(1);
    expect(v['[CLS]']).toBe(2);
    expect(v['[SEP]']).toBe(3);
    expect(v['[MASK]']).toBe(4);
    expect((json.added_tokens as unknown[]).length).toBe(5);
  });

  it('maps raw and SST-2-style text the same way (case, apostrophes, n\'t)', () => {
    const split = wordSplitter();
    expect(split("It's NOT good, doesn't work!")).toEqual(split("it 's not good , does n't work !"));
    expect(split('It’s')).toEqual(split("it 's"));
    expect(split("can't")).toEqual(['ca', 'not']);
    const [a, b] = encodeTexts(tok, ["It's not good", "it 's not good"]);
    expect(Array.from(a!)).toEqual(Array.from(b!));
    expect(a![0]).toBe(CLS_ID);
    expect(a!.at(-1)).toBe(SEP_ID);
  });

  it('gives [UNK] for unknown words and truncates like transformers.js', () => {
    const [ids] = encodeTexts(tok, ['zebra good']);
    expect(Array.from(ids!)).toEqual([CLS_ID, UNK_ID, tok.token_to_id('good'), SEP_ID]);
    const [long] = encodeTexts(tok, ['good '.repeat(500)], 16);
    expect(long!.length).toBe(16);
  });

  it('optionally adds ## pieces so unknown words split instead of becoming [UNK]', () => {
    const words = buildVocab(['lovely lovely lovely', 'boring boring', 'a smallish film', 'a tallish man'], { minCount: 2, subwords: 50 });
    const t = createTokenizer(buildTokenizerJson(words));
    expect(t.encode('lovelyish').tokens).toEqual(['[CLS]', 'lovely', '##ish', '[SEP]']);
    expect(t.encode('boringa').tokens).toEqual(['[CLS]', 'boring', '##a', '[SEP]']);
    expect(t.encode('boringz').tokens).toEqual(['[CLS]', '[UNK]', '[SEP]']); // 'z' never seen
  });

  it('reads French, Spanish and German: NFKC, case, accents, elisions, typographic apostrophes and quotes', () => {
    const split = wordSplitter();
    expect(split("L'acteur est GÉNIAL, qu'il joue !")).toEqual(['l', 'acteur', 'est', 'genial', ',', 'qu', 'il', 'joue', '!']);
    // typographic apostrophe and guillemets
    expect(split('J’ai adoré « ce film »')).toEqual(['j', 'ai', 'adore', '"', 'ce', 'film', '"']);
    expect(split("d'une c'est n'importe s'il m'a t'es")).toEqual(['d', 'une', 'c', 'est', 'n', 'importe', 's', 'il', 'm', 'a', 't', 'es']);
    // full-width letters and ligatures fold (NFKC); decomposed accents meet composed ones
    expect(split('ｇｏｏｄ ﬁlm')).toEqual(['good', 'film']);
    expect(split('de\u0301c\u0327u')).toEqual(split('déçu'));
    expect(split('¡Qué película tan aburrida!')).toEqual(['¡', 'que', 'pelicula', 'tan', 'aburrida', '!']);
    expect(split('Über die Maßen schön')).toEqual(['uber', 'die', 'maßen', 'schon']);
    expect(split('“Great” movie')).toEqual(['"', 'great', '"', 'movie']);
    // English contractions are not elisions
    expect(split("Let's go, I'm here, it's fine")).toEqual(['let', "'", 's', 'go', ',', 'i', "'", 'm', 'here', ',', 'it', "'", 's', 'fine']);
  });

  it('splits Cyrillic, Arabic and CJK text into words (CJK: one ideograph each) and encodes it without errors', () => {
    const split = wordSplitter();
    expect(split('Отличный фильм!')).toEqual(['отличныи', 'фильм', '!']);
    expect(split('فيلم رائع')).toHaveLength(2);
    expect(split('这部电影非常好看')).toEqual(['这', '部', '电', '影', '非', '常', '好', '看']);
    const texts = ['Отличный фильм!', 'فيلم رائع', '这部电影非常好看', 'この映画は素晴らしい', '좋은 영화'];
    const t = createTokenizer(buildTokenizerJson(buildVocab(texts)));
    for (const ids of encodeTexts(t, texts)) expect(Array.from(ids).filter((id) => id === UNK_ID)).toEqual([]);
  });
});
