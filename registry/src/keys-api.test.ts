import { describe, expect, it } from 'vitest';
import { CreateKeyRequest, parseExpiresDays, roleAtLeast } from './keys-api.ts';

describe('keys contract', () => {
  it('orders roles reader < publisher < operator < admin', () => {
    expect(roleAtLeast('admin', 'operator')).toBe(true);
    expect(roleAtLeast('operator', 'publisher')).toBe(true);
    expect(roleAtLeast('publisher', 'reader')).toBe(true);
    expect(roleAtLeast('publisher', 'operator')).toBe(false);
    expect(roleAtLeast('reader', 'publisher')).toBe(false);
    expect(roleAtLeast('operator', 'admin')).toBe(false);
  });
  it('parses --expires as whole days', () => {
    expect(parseExpiresDays('90d')).toBe(90);
    expect(parseExpiresDays('7')).toBe(7);
    for (const bad of ['0', '0d', '1w', '-3d', '1.5d', '', '99999d']) expect(parseExpiresDays(bad), bad).toBeNull();
  });
  it('refuses key names that look like the Worker secrets, unknown roles and unknown fields', () => {
    expect(CreateKeyRequest.safeParse({ name: 'ci', role: 'publisher' }).success).toBe(true);
    expect(CreateKeyRequest.safeParse({ name: 'REGISTRY_TOKEN', role: 'admin' }).success).toBe(false);
    expect(CreateKeyRequest.safeParse({ name: 'read_token', role: 'admin' }).success).toBe(false);
    expect(CreateKeyRequest.safeParse({ name: 'ci', role: 'root' }).success).toBe(false);
    expect(CreateKeyRequest.safeParse({ name: 'ci', role: 'reader', key: 'x' }).success).toBe(false);
  });
});
