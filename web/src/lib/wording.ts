/** Wording for people: plurals, and technical details cleaned of addresses and commands before they are shown. */

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
