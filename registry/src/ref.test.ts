import { describe, expect, it } from 'vitest';
import { formatModelRef, parseModelRef } from './ref.ts';

describe('parseModelRef', () => {
  it.each([
    ['sentiment', { name: 'sentiment', kind: 'default' }],
    ['sentiment@3', { name: 'sentiment', kind: 'version', version: 3 }],
    ['sentiment@champion', { name: 'sentiment', kind: 'alias', alias: 'champion' }],
    ['sentiment@2147483647', { name: 'sentiment', kind: 'version', version: 2147483647 }],
    ['sst2.small@challenger', { name: 'sst2.small', kind: 'alias', alias: 'challenger' }],
  ])('parses %s', (ref, parsed) => {
    expect(parseModelRef(ref)).toEqual(parsed);
    expect(formatModelRef(parseModelRef(ref))).toBe(ref);
  });

  it.each(['', '@1', 'Bad Name', 'x@0', 'x@', 'x@1a', 'x@../etc', 'x@99999999999999999999', 'sentiment@01', 'x@1e0', 'x@0x1', 'x@2147483648', 'x@9007199254740993'])('rejects %j with a clear message', (ref) => {
    expect(() => parseModelRef(ref)).toThrow(/NAME|version|alias/);
  });
});
