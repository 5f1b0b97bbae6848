/**
 * Text hygiene shared by /predict and history sync. JSON may carry `\ud800`-style escapes that parse
 * into lone surrogates (not Unicode text: no valid UTF-8 encodes them) and texts may start with a
 * byte-order mark copied from a file. /predict strips a leading BOM (with the surrounding whitespace
 * it trims) and refuses lone surrogates; history sync refuses both (its sha256 and length describe the
 * text as sent, so the Worker cannot silently change it).
 */

/** U+FEFF, the byte-order mark. */
export const BOM = '\uFEFF';

/** Index of the first lone surrogate, or -1 when the string is well-formed UTF-16. */
export function loneSurrogateAt(s: string): number {
  const m = /\p{Cs}/u.exec(s);
  return m ? m.index : -1;
}

/** What is wrong with a text as Unicode, or null. `path` names the field in the message. */
export function textProblem(s: string, path: string, opts: { bom: 'refuse' | 'allow' }): string | null {
  const i = loneSurrogateAt(s);
  if (i >= 0) return `${path} is not valid Unicode: a lone surrogate (\\u${s.charCodeAt(i).toString(16)}) at index ${i}; send UTF-8 text`;
  if (opts.bom === 'refuse' && s.startsWith(BOM)) return `${path} starts with a byte-order mark (U+FEFF); strip it before sending`;
  return null;
}
