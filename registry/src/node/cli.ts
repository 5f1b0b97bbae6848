/** What every Node CLI of the project shares: usage errors, exit codes and plain text tables. */
import { ApiError } from '../client.ts';

/** A bad command line: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

/** Runs a CLI's main: its number is the exit code; usage errors exit 2, other errors 1, with one clear line. */
export function runCli(main: () => Promise<number>, usage: string): void {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof UsageError) console.error(`error: ${e.message}\n${usage}`);
      else if (e instanceof ApiError) console.error(`error ${e.status} ${e.code}: ${e.message}`);
      else console.error(`error: ${(e as Error).message}`);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}

/** A text table: the first column left-aligned, the others right-aligned (they hold numbers). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
