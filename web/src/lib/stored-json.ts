/**
 * JSON copies kept in localStorage so that the app and the dashboard can start offline: a full or disabled
 * storage loses only the copy (nothing else), and a missing, unreadable or invalid copy reads as null.
 */
export function saveJson(key: string, value: unknown, storage: Pick<Storage, 'setItem'> = localStorage): void {
  try {
    storage.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or disabled: no offline copy
  }
}

export function loadJson<T>(key: string, valid: (v: unknown) => boolean = () => true, storage: Pick<Storage, 'getItem'> = localStorage): T | null {
  try {
    const raw = storage.getItem(key);
    const v: unknown = raw ? JSON.parse(raw) : null;
    return v !== null && valid(v) ? (v as T) : null;
  } catch {
    return null;
  }
}
