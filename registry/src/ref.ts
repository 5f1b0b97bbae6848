import { ALIAS_NAME_PATTERN, MAX_VERSION, MODEL_NAME_PATTERN, parseVersionText } from './names.ts';

/** `NAME`, `NAME@VERSION` or `NAME@ALIAS`. */
export type ParsedRef =
  | { name: string; kind: 'default' }
  | { name: string; kind: 'version'; version: number }
  | { name: string; kind: 'alias'; alias: string };

export class RefError extends Error {
  override name = 'RefError';
}

export function parseModelRef(ref: string): ParsedRef {
  const at = ref.indexOf('@');
  const name = at === -1 ? ref : ref.slice(0, at);
  if (!MODEL_NAME_PATTERN.test(name)) throw new RefError(`"${ref}" is not NAME, NAME@VERSION or NAME@ALIAS: bad model name "${name}"`);
  if (at === -1) return { name, kind: 'default' };
  const tail = ref.slice(at + 1);
  if (/^[0-9]/.test(tail)) {
    // Decimal digits only: no "01", "1e0" or "0x1" (Number() would take them all).
    const version = parseVersionText(tail);
    if (version === null) throw new RefError(`"${ref}": a version is a whole number from 1 to ${MAX_VERSION} in decimal digits without leading zeros`);
    return { name, kind: 'version', version };
  }
  if (!ALIAS_NAME_PATTERN.test(tail)) throw new RefError(`"${ref}": "${tail}" is neither a version number nor an alias name`);
  return { name, kind: 'alias', alias: tail };
}

export function formatModelRef(ref: ParsedRef): string {
  switch (ref.kind) {
    case 'default':
      return ref.name;
    case 'version':
      return `${ref.name}@${ref.version}`;
    case 'alias':
      return `${ref.name}@${ref.alias}`;
  }
}
