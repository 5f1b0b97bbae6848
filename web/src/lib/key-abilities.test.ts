import { ApiError, ROLES, type KeySelf } from '@sentiment-edge/registry';
import { describe, expect, it } from 'vitest';
import { keyAbilities, keyControls, readKeySelf } from './key-abilities.ts';

const key = (role: KeySelf['role'], extra: Partial<KeySelf> = {}): KeySelf => ({ name: 'dash', kind: 'api-key', role, models: null, expiresAt: null, ...extra });

describe('what a key may do in the dashboard', () => {
  it('each role shows only the controls it may use (each role those of the roles below it)', () => {
    expect(keyControls(key('reader'))).toEqual({ reports: true, candidateAliases: false, aliases: false, policy: false, feedbackExport: false, keys: false });
    expect(keyControls(key('publisher'))).toEqual({ reports: true, candidateAliases: true, aliases: false, policy: false, feedbackExport: false, keys: false });
    expect(keyControls(key('operator'))).toEqual({ reports: true, candidateAliases: true, aliases: true, policy: true, feedbackExport: true, keys: false });
    expect(keyControls(key('admin'))).toEqual({ reports: true, candidateAliases: true, aliases: true, policy: true, feedbackExport: true, keys: true });
    // Monotone: a higher role never loses a control a lower one has.
    for (let i = 1; i < ROLES.length; i++) {
      const lower = keyControls(key(ROLES[i - 1]!));
      const higher = keyControls(key(ROLES[i]!));
      for (const [k, v] of Object.entries(lower)) if (v) expect(higher[k as keyof typeof higher], `${ROLES[i]} ${k}`).toBe(true);
    }
  });

  it('says what the key is and may do in one sentence', () => {
    expect(keyAbilities(key('reader', { models: ['sentiment'], expiresAt: '2027-03-06T04:18:09.056Z' })).summary).toBe(
      'Key "dash": reader, only sentiment, expires 2027-03-06. Read-only key: the policy and alias controls are hidden.',
    );
    expect(keyAbilities({ name: 'READ_TOKEN', kind: 'secret', role: 'reader', models: null, expiresAt: null }).summary).toBe(
      'READ_TOKEN: reader, every model. Read-only key: the policy and alias controls are hidden.',
    );
    expect(keyAbilities(key('publisher')).summary).toMatch(/moving champion and the policy controls are hidden/);
    expect(keyAbilities(key('operator')).summary).toMatch(/move aliases, roll back and set the promotion policy/);
  });

  it('treats a Worker without GET /keys/me (404) or out of reach as read-only, and rethrows a refused key', async () => {
    expect(await readKeySelf({ keyMe: async () => key('operator') })).toEqual(key('operator'));
    expect(await readKeySelf({ keyMe: async () => Promise.reject(new ApiError(404, 'not_found', 'no route')) })).toBeNull();
    expect(await readKeySelf({ keyMe: async () => Promise.reject(new ApiError(0, 'network', 'offline')) })).toBeNull();
    await expect(readKeySelf({ keyMe: async () => Promise.reject(new ApiError(401, 'unauthorized', 'revoked')) })).rejects.toMatchObject({ status: 401 });
  });
});
