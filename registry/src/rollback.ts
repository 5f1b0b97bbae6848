/**
 * Rolling an alias back: the version it pointed at before its latest move. The alias history (newest first)
 * says where the alias came from; the move back is compare-and-set on the version it points at now, so a
 * move made by someone else in between is never overwritten. Rolling back twice returns to where it was.
 * The canary's share is rolled back with its version (compare-and-set on both).
 */
import type { AliasEvent } from './models-api.ts';
import { CANARY_ALIAS } from './canary.ts';
import type { RegistryClient } from './client.ts';

export interface RollbackPlan {
  /** Where the alias points now; null: it was deleted (e.g. a canary the promotion policy rolled back). */
  from: number | null;
  to: number;
  /** The move being undone. */
  undoes: AliasEvent;
  /** Canary only: its share now (null: deleted) and the share it goes back to. */
  share?: { from: number | null; to: number };
}

/**
 * What a rollback of an alias now at `current` (null: deleted) does, from its history (newest first);
 * throws when there is nothing to go back to. A deleted alias is set again where it pointed before its deletion.
 */
export function planRollback(name: string, alias: string, current: number | null, events: readonly AliasEvent[]): RollbackPlan {
  let plan: RollbackPlan;
  if (current === null) {
    const last = events[0];
    if (!last || last.toVersion !== null || last.fromVersion === null) throw new Error(`${name} has no alias "${alias}"${last ? '' : ' and no history of one'}: set it with set-alias instead`);
    plan = { from: null, to: last.fromVersion, undoes: last };
  } else {
    const last = events.find((e) => e.toVersion !== null);
    if (!last || last.toVersion !== current) {
      throw new Error(`${name}@${alias} points at ${current}, but its history's latest move is ${last ? `to ${last.toVersion}` : 'missing'}: move it with set-alias instead`);
    }
    if (last.fromVersion === null) throw new Error(`${name}@${alias} → ${current} is its first version: there is nothing to roll back to`);
    plan = { from: current, to: last.fromVersion, undoes: last };
  }
  if (alias === CANARY_ALIAS) {
    // The move that set the state being returned to comes right before the one undone.
    const undone = plan.undoes;
    const before = events[events.indexOf(undone) + 1];
    const from = plan.from === null ? null : undone.share;
    if (from === undefined || !before || before.toVersion !== plan.to || before.share === undefined) {
      throw new Error(`cannot tell which share ${name}@${alias} had before the move of ${undone.at}: set it with \`pnpm registry canary ${name} VERSION SHARE\` instead`);
    }
    plan.share = { from, to: before.share };
  }
  return plan;
}

/**
 * Moves `alias` (default champion) back to its previous version, or sets a deleted alias again where it
 * pointed, compare-and-set; returns the plan it carried out. Undoes an automatic promotion (champion) or an
 * automatic roll back (the canary or challenger it removed) of the promotion policy alike.
 */
export async function rollbackAlias(client: RegistryClient, name: string, alias = 'champion', reason = 'rollback'): Promise<RollbackPlan> {
  const model = await client.getModel(name);
  const current = model.aliases[alias] ?? null;
  const { events } = await client.aliasHistory(name, alias);
  const plan = planRollback(name, alias, current, events);
  const undone = `${plan.undoes.fromVersion ?? 'none'} → ${plan.undoes.toVersion ?? 'deleted'}`;
  await client.setAlias(name, alias, {
    version: plan.to,
    expectedVersion: plan.from,
    ...(plan.share ? { share: plan.share.to, ...(plan.share.from !== null ? { expectedShare: plan.share.from } : {}) } : {}),
    reason: `${reason} (undoes ${undone} at ${plan.undoes.at})`,
  });
  return plan;
}
