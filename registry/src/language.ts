/**
 * Which language a text is in, and whether a model knows it. tinyld's light build (n-gram profiles of 24 widely
 * used languages — English, French, Spanish, German, Italian, Portuguese, Dutch, Russian, Arabic, Chinese,
 * Japanese, Korean, … —, pure JavaScript, no network, ≈ 34 kB gzip), so the same code runs in Node (training), the
 * browser and workerd. Its own entry point (`@sentiment-edge/registry/language`): the PWA loads it lazily.
 * Chosen over franc-min (82 languages, 53 kB gzip), which on short reviews named Romanian for French and
 * Portuguese for Italian.
 *
 * The rule that decides a warning (`supported === false`), chosen so that short or ambiguous texts never raise
 * one: the text has at least `MIN_CHARS` characters once links, @handles and #tags are removed and it is trimmed, tinyld names a language, that language is not
 * one the model was trained on, no model language scores at least `MARGIN` × the best score, and — when the
 * caller knows it — at least `MIN_UNKNOWN` of the text's words are unknown to the model's vocabulary (a text
 * whose words the model knows is read as one of its languages). Models that record no languages never warn.
 */
import { detectAll } from 'tinyld/light';

/** Shortest text (characters, trimmed) whose language is judged at all. */
export const MIN_CHARS = 20;
/** A model language scoring at least this share of the best score makes the text ambiguous: no warning. */
export const MARGIN = 0.5;
/** Share of a text's words unknown to the model below which it is taken as a language the model reads. */
export const MIN_UNKNOWN = 0.15;

/** The API's answer: `detected` is a language code ("it", ISO 639-1) or null when the rule above does not judge the text. */
export interface LanguageCheck {
  detected: string | null;
  supported: boolean;
}

/** Links, @handles and #tags say nothing about the language (a tweet of a link and a handle read as Russian). */
const NOT_LANGUAGE = /https?:\/\/\S+|www\.\S+|[@#][\p{L}\p{N}_]+/gu;

function rank(text: string): { lang: string; accuracy: number }[] | null {
  const t = text.replace(NOT_LANGUAGE, ' ').replace(/\s+/g, ' ').trim();
  if ([...t].length < MIN_CHARS) return null;
  const ranked = detectAll(t);
  return ranked.length === 0 || !ranked[0]!.lang ? null : ranked;
}

/** The language of a text (ISO 639-1) when it is long enough and the detector names one, else null. */
export function detectLanguage(text: string): string | null {
  return rank(text)?.[0]!.lang ?? null;
}

/** The check for one text against the languages (ISO 639-1) a model was trained on; see the rule above. */
export function checkLanguage(text: string, modelLanguages: readonly string[] | null | undefined, unknownShare?: number): LanguageCheck {
  const ranked = rank(text);
  if (!ranked) return { detected: null, supported: true };
  const { lang: detected, accuracy: top } = ranked[0]!;
  if (!modelLanguages || modelLanguages.length === 0 || modelLanguages.includes(detected)) return { detected, supported: true };
  if (unknownShare !== undefined && unknownShare < MIN_UNKNOWN) return { detected, supported: true };
  const close = ranked.some(({ lang, accuracy }) => accuracy >= MARGIN * top && modelLanguages.includes(lang));
  return { detected, supported: close };
}

/** "Italian" for "it" (English names, Intl.DisplayNames); the code itself where the runtime has no name. */
export function languageName(code: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/**
 * The languages of a set of texts: share of the judged texts per language, most frequent first, and how many
 * texts were too short to judge.
 */
export function languageMix(texts: readonly string[]): { languages: { code: string; share: number; rows: number }[]; judged: number; unjudged: number } {
  const counts = new Map<string, number>();
  let judged = 0;
  for (const t of texts) {
    const code = detectLanguage(t);
    if (code === null) continue;
    judged++;
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  const languages = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([code, rows]) => ({ code, rows, share: rows / Math.max(judged, 1) }));
  return { languages, judged, unjudged: texts.length - judged };
}

/**
 * The training languages to record: every language with at least `minShare` of the judged rows (default 5 %),
 * in order of frequency. Empty when no row could be judged.
 */
export function trainingLanguages(mix: ReturnType<typeof languageMix>, minShare = 0.05): string[] {
  return mix.languages.filter((l) => l.share >= minShare).map((l) => l.code);
}

/** The languages as a reader says them: "English", "English and French", "English, French and German". */
function listNames(codes: readonly string[]): string {
  const names = codes.map(languageName);
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/**
 * The plain sentence for an answer in a language the model does not know, or null when there is nothing to say:
 * "This looks like Italian; this model knows English and French, so the answer may be wrong."
 */
export function languageNote(check: LanguageCheck, modelLanguages: readonly string[] | null | undefined): string | null {
  if (check.supported || check.detected === null || !modelLanguages?.length) return null;
  return `This looks like ${languageName(check.detected)}; this model knows ${listNames(modelLanguages)}, so the answer may be wrong.`;
}
