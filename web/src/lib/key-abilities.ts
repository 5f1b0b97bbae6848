/**
 * What the key (or token) saved in the dashboard may do, from GET /api/v1/keys/me: the controls each role may
 * use, and one sentence saying so ("read-only key: the policy and alias controls are hidden"). The dashboard
 * shows only the controls `controls` allows; the Worker refuses the rest anyway (403), this keeps them out of view.
 */
import { ApiError, roleAtLeast, type KeySelf } from '@sentiment-edge/registry';

export interface KeyControls {
  /** Monitoring reports: drift, realised accuracy, decisions, A/B (reader and above). */
  reports: boolean;
  /** Set challenger, or a canary at share 0 (publisher and above). */
  candidateAliases: boolean;
  /** Move champion, a canary above 0, roll back (operator and above). */
  aliases: boolean;
  /** Set or pause the promotion policy (operator and above). */
  policy: boolean;
  /** Export feedback for retraining (operator and above). */
  feedbackExport: boolean;
  /** Create and revoke keys (admin). */
  keys: boolean;
}

export interface KeyAbilities {
  controls: KeyControls;
  /** "Key "dash": reader, every model, expires 5 Mar 2027. Read-only key: the policy and alias controls are hidden." */
  summary: string;
}

export function keyControls(me: Pick<KeySelf, 'role'>): KeyControls {
  const at = (r: KeySelf['role']) => roleAtLeast(me.role, r);
  return { reports: true, candidateAliases: at('publisher'), aliases: at('operator'), policy: at('operator'), feedbackExport: at('operator'), keys: at('admin') };
}

const WHAT_IT_MAY: Record<KeySelf['role'], string> = {
  reader: 'Read-only key: the policy and alias controls are hidden.',
  publisher: 'It may publish versions and set a challenger or a canary at share 0; moving champion and the policy controls are hidden.',
  operator: 'It may move aliases, roll back and set the promotion policy.',
  admin: 'It may do everything, keys included.',
};

export function keyAbilities(me: KeySelf, date: (iso: string) => string = (iso) => iso.slice(0, 10)): KeyAbilities {
  const who = me.kind === 'secret' ? me.name : `Key "${me.name}"`;
  const scope = me.models === null ? 'every model' : `only ${me.models.join(', ')}`;
  const expiry = me.expiresAt ? `, expires ${date(me.expiresAt)}` : '';
  return { controls: keyControls(me), summary: `${who}: ${me.role}, ${scope}${expiry}. ${WHAT_IT_MAY[me.role]}` };
}

/**
 * Asks the Worker what `client`'s key may do. null when the Worker is older than GET /keys/me (404) or cannot
 * be reached: the dashboard then shows the read-only view. A refused key (401/403) is rethrown.
 */
export async function readKeySelf(client: { keyMe(): Promise<KeySelf> }): Promise<KeySelf | null> {
  try {
    return await client.keyMe();
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) throw e;
    return null;
  }
}
