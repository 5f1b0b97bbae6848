/**
 * API keys and roles: the contract of /api/v1/keys and the role order the Worker enforces.
 * reader ⊂ publisher ⊂ operator ⊂ admin; REGISTRY_TOKEN is the bootstrap admin, READ_TOKEN a reader.
 */
import { z } from 'zod';
import { ModelName } from './manifest.ts';

import { ROLES } from './roles.ts';

export { ROLES, roleAtLeast } from './roles.ts';
export const Role = z.enum(ROLES).meta({ id: 'Role', description: 'reader < publisher < operator < admin; each role may do what the ones below it may' });
export type Role = z.infer<typeof Role>;


/** The prefix every API key starts with (recognisable in logs and secret scanners). */
export const API_KEY_PREFIX = 'se_';

export const KeyName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a key name is 1–64 of a-z 0-9 . _ -, starting with a letter or digit')
  .refine((s) => !/_TOKEN$/i.test(s), 'names ending in _TOKEN are reserved for the Worker secrets')
  .meta({ example: 'ci' });

export const CreateKeyRequest = z
  .object({
    name: KeyName,
    role: Role,
    models: z.array(ModelName).min(1).max(50).optional().meta({ description: 'Limit the key to these models; omit for every model' }),
    expiresInDays: z.number().int().min(1).max(3650).optional().meta({ description: 'Days until the key stops working; omit for no expiry' }),
  })
  .strict()
  .meta({ id: 'CreateKeyRequest' });
export type CreateKeyRequest = z.infer<typeof CreateKeyRequest>;

export const ApiKeyInfo = z
  .object({
    name: z.string(),
    role: Role,
    models: z.array(z.string()).nullable().meta({ description: 'The models the key may act on; null = every model' }),
    createdAt: z.string(),
    createdBy: z.string().nullable(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKeyInfo' });
export type ApiKeyInfo = z.infer<typeof ApiKeyInfo>;

export const CreatedKey = ApiKeyInfo.extend({ key: z.string().meta({ description: 'The key itself: shown this once, stored only as its SHA-256' }) }).meta({ id: 'CreatedKey' });
export type CreatedKey = z.infer<typeof CreatedKey>;

/** GET /api/v1/keys/me: the caller's own key or Worker secret, what it may do (never the key or its hash). */
export const KeySelf = z
  .object({
    name: z.string().meta({ description: "The API key's name, or the Worker secret's ('REGISTRY_TOKEN', 'READ_TOKEN')" }),
    kind: z.enum(['api-key', 'secret']),
    role: Role,
    models: z.array(z.string()).nullable().meta({ description: 'The models it may act on; null = every model' }),
    expiresAt: z.string().nullable(),
  })
  .meta({ id: 'KeySelf' });
export type KeySelf = z.infer<typeof KeySelf>;

export const KeyList = z.object({ keys: z.array(ApiKeyInfo) }).meta({ id: 'KeyList' });
export type KeyList = z.infer<typeof KeyList>;

/** `--expires` text as whole days: "90d" or "90" → 90; null for anything else (0, "1w", "-3d", "1.5d"). */
export function parseExpiresDays(text: string): number | null {
  const m = /^([1-9][0-9]{0,3})d?$/.exec(text.trim());
  if (!m) return null;
  const days = Number(m[1]);
  return days <= 3650 ? days : null;
}
