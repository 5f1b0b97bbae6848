/**
 * Which language a text is in, and whether a model knows it. franc-min (wooorm/franc: trigram profiles of the
 * 82 languages with 1M+ speakers, pure JavaScript, no network) restricted to `CANDIDATE_LANGUAGES`, so the
 * same code runs in Node (training), the browser and workerd.
 *
 * The rule that decides a warning (`language.supported === false`), chosen so that short or ambiguous texts
 * never raise one: the text has at least `MIN_CHARS` characters once trimmed, franc names a language, that
 * language is not one the model was trained on, none of the model's languages scores within `MARGIN` of it
 * (franc's scores are relative: 1 for the best), and — when the caller knows it — at least `MIN_UNKNOWN` of the
 * text's words are unknown to the model's vocabulary (franc alone calls 1–4 % of short English reviews German,
 * Dutch or Turkish; their words are known). Models that record no languages never warn.
 */
import { francAll } from 'franc-min';

/** Shortest text (characters, trimmed) whose language is judged at all. */
export const MIN_CHARS = 20;
/** A model language scoring at least this (relative to the best, 1) makes the text ambiguous: no warning. */
export const MARGIN = 0.9;
/** Share of a text's words unknown to the model below which it is taken as a language the model reads. */
export const MIN_UNKNOWN = 0.15;

/**
 * The languages franc may answer (ISO 639-3): the widely used ones. Letting it pick among all 82 makes short
 * texts land on look-alike languages (French → Romanian, Italian → Lingala).
 */
export const CANDIDATE_LANGUAGES = [
  'eng', 'fra', 'spa', 'deu', 'ita', 'por', 'nld', 'swe', 'dan', 'nob', 'fin', 'pol', 'ces', 'slk', 'hun', 'ron', 'hrv', 'srp',
  'tur', 'rus', 'ukr', 'bul', 'ell', 'arb', 'pes', 'heb', 'hin', 'ben', 'urd', 'cmn', 'jpn', 'kor', 'vie', 'tha', 'ind',
] as const;

/** The API's answer: `detected` is a BCP 47 language code ("it") or null when the rule above does not judge the text. */
export interface LanguageCheck {
  detected: string | null;
  supported: boolean;
}

/** ISO 639-3 (franc) → BCP 47 ("fra" → "fr"), through Intl's canonicalisation. */
export function bcp47(code: string): string {
  try {
    return new Intl.Locale(code).language;
  } catch {
    return code;
  }
}

/** The language of a text (BCP 47) when it is long enough and franc names one, else null. */
export function detectLanguage(text: string): string | null {
  const ranked = rank(text);
  return ranked ? bcp47(ranked[0]![0]) : null;
}

function rank(text: string): [string, number][] | null {
  const t = text.trim();
  if ([...t].length < MIN_CHARS) return null;
  const ranked = francAll(t, { only: [...CANDIDATE_LANGUAGES], minLength: MIN_CHARS });
  return ranked.length === 0 || ranked[0]![0] === 'und' ? null : ranked;
}

/** The check for one text against the languages (BCP 47) a model was trained on; see the rule above. */
export function checkLanguage(text: string, modelLanguages: readonly string[] | null | undefined, unknownShare?: number): LanguageCheck {
  const ranked = rank(text);
  if (!ranked) return { detected: null, supported: true };
  const detected = bcp47(ranked[0]![0]);
  if (!modelLanguages || modelLanguages.length === 0 || modelLanguages.includes(detected)) return { detected, supported: true };
  if (unknownShare !== undefined && unknownShare < MIN_UNKNOWN) return { detected, supported: true };
  const close = ranked.some(([code, score]) => score >= MARGIN && modelLanguages.includes(bcp47(code)));
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
 * The languages of a set of texts: share of the judged texts per language (BCP 47), most frequent first, and how
 * many texts were too short or ambiguous to judge.
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
