/** Wording for people: plurals, and technical details cleaned of addresses and commands before they are shown. */

/**
 * An integer with thousands separators, as `toLocaleString('en')` writes it ("12,345"). Written out because
 * the first Intl number format of a page loads ICU data: 70–80 ms on the main thread of a phone-class CPU,
 * which the character counter paid on every first paint.
 */
export function thousands(n: number): string {
  const s = String(Math.trunc(Math.abs(n)));
  let out = '';
  for (let i = 0; i < s.length; i++) out += (i > 0 && (s.length - i) % 3 === 0 ? ',' : '') + s[i];
  return (n < 0 && out !== '0' ? '-' : '') + out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * "30 Nov 2026" in the device's time zone (an invalid date: the input as given). Written out rather than
 * `toLocaleDateString()` for the reason of `thousands`: the first Intl date format of a page costs 100+ ms
 * on a phone, and the model panel and the history list show dates on their first paint.
 */
export function shortDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}`;
}

/** "30 Nov 2026, 09:05" in the device's time zone (an invalid date: the input as given). */
export function shortDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${shortDate(iso)}, ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** "1 row", "2 rows", "0 rows"; `many` for irregular plurals. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * A technical error message fit to show a person: network failures become "the server cannot be reached",
 * URLs and developer hints ("Is the Worker running (pnpm dev)?") are removed.
 */
export function plainDetail(message: string): string {
  if (/network_error|cannot reach|Failed to fetch|NetworkError|Load failed/i.test(message)) return 'the server cannot be reached';
  return message
    .replace(/\s*Is the Worker running[^?]*\?/gi, '')
    .replace(/\(?\s*\b(pnpm|npm|npx|wrangler)\b[^).]*\)?/gi, '')
    .replace(/https?:\/\/\S+/gi, 'the server')
    .replace(/\s{2,}/g, ' ')
    .trim();
}
