// .dev.vars (git-ignored): the local secrets `wrangler dev` and the Node CLIs
// (registry/src/node/settings.ts) read. `pnpm dev` calls ensureDevVars on every start.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Tokens that were ever committed as examples: never accepted as a local secret. */
export const PUBLISHED_TOKENS = ['dev-token-change-me'];

export function randomToken() {
  return randomBytes(32).toString('base64url');
}

/**
 * Creates `<root>/.dev.vars` from `.dev.vars.example` with a random REGISTRY_TOKEN, or, when the file
 * exists with an empty or once-published token, replaces that token. Returns what it did.
 */
export function ensureDevVars(root) {
  const file = join(root, '.dev.vars');
  const line = /^REGISTRY_TOKEN=(.*)$/m;
  if (!existsSync(file)) {
    const example = readFileSync(join(root, '.dev.vars.example'), 'utf8');
    const token = randomToken();
    const text = line.test(example) ? example.replace(line, `REGISTRY_TOKEN=${token}`) : `${example.trimEnd()}\nREGISTRY_TOKEN=${token}\n`;
    writeFileSync(file, text, { mode: 0o600 });
    return 'created';
  }
  const text = readFileSync(file, 'utf8');
  const current = line.exec(text)?.[1]?.trim().replace(/^"(.*)"$/, '$1');
  if (current && !PUBLISHED_TOKENS.includes(current)) return 'kept';
  const token = randomToken();
  writeFileSync(file, current === undefined ? `${text.trimEnd()}\nREGISTRY_TOKEN=${token}\n` : text.replace(line, `REGISTRY_TOKEN=${token}`), { mode: 0o600 });
  return 'replaced';
}
