/**
 * The role order the Worker enforces, without zod (the PWA imports it: keys-api.ts holds the zod contract).
 * reader ⊂ publisher ⊂ operator ⊂ admin; REGISTRY_TOKEN is the bootstrap admin, READ_TOKEN a reader.
 */
export const ROLES = ['reader', 'publisher', 'operator', 'admin'] as const;
export type RoleName = (typeof ROLES)[number];

/** Whether `have` may do what `need` allows (admin ⊇ operator ⊇ publisher ⊇ reader). */
export const roleAtLeast = (have: RoleName, need: RoleName): boolean => ROLES.indexOf(have) >= ROLES.indexOf(need);
