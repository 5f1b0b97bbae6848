import { describe, expect, it } from 'vitest';
import { bearerToken, tokensEqual } from './auth.ts';

describe('auth helpers', () => {
  it('parses bearer headers', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken('Bearer')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });
  it('compares tokens of any length', async () => {
    expect(await tokensEqual('secret', 'secret')).toBe(true);
    expect(await tokensEqual('secret', 'secreT')).toBe(false);
    expect(await tokensEqual('s', 'a-much-longer-token')).toBe(false);
    expect(await tokensEqual('', 'x')).toBe(false);
  });
});
