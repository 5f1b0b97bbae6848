/**
 * Rolling an alias back: the version it pointed at before its latest move. The alias history (newest first)
 * says where the alias came from; the move back is compare-and-set on the version it points at now, so a
 * move made by someone else in between is never overwritten. Rolling back twice returns to where it was.
 * The canary's share is rolled back with its version (compare-and-set on both).
 */
import type { AliasEvent } from './api.ts';
import { CANARY_ALIAS } from './canary.ts';
import type { RegistryClient } from './client.ts';

export interface RollbackPlan {
  from: number;
  to: number;
  /** The move being undone. */
  undoes: AliasEvent;
  /** Canary only: its share now and the share it goes back to. */
  share?: { from: number; to: number };
}

/** What a rollback of an alias now at `current` does, from its history (newest first); throws when there is nothing to go back to. */
export function planRollback(name: string, alias: string, current: number, events: readonly AliasEvent[]): RollbackPlan {
  const last = events.find((e) => e.toVersion !== null);
  if (!last || last.toVersion !== current) {
    throw new Error(`${name}@${alias} points at ${current}, but its history's latest move is ${last ? `to ${last.toVersion}` : 'missing'}: move it with set-alias instead`);
  }
  if (last.fromVersion === null) throw new Error(`${name}@${alias} → ${current} is its first version: there is nothing to roll back to`);
  const plan: RollbackPlan = { from: current, to: last.fromVersion, undoes: last };
  if (alias === CANARY_ALIAS) {
    // The move that set the state being returned to comes right before the one undone.
    const before = events[events.indexOf(last) + 1];
    if (last.share === undefined || !before || before.toVersion !== last.fromVersion || before.share === undefined) {
      throw new Error(`cannot tell which share ${name}@${alias} had before the move of ${last.at}: set it with \`pnpm registry canary ${name} VERSION SHARE\` instead`);
    }
    plan.share = { from: last.share, to: before.share };
  }
  return plan;
}

/** Moves `alias` (default champion) back to its previous version, compare-and-set; returns the plan it carried out. */
export async function rollbackAlias(client: RegistryClient, name: string, alias = 'champion', reason = 'rollback'): Promise<RollbackPlan> {
  const model = await client.getModel(name);
  const current = model.aliases[alias];
  if (current === undefined) throw new Error(`${name} has no alias "${alias}"`);
  const { events } = await client.aliasHistory(name, alias);
  const plan = planRollback(name, alias, current, events);
  await client.setAlias(name, alias, {
    version: plan.to,
    expectedVersion: plan.from,
    ...(plan.share ? { share: plan.share.to, expectedShare: plan.share.from } : {}),
    reason: `${reason} (undoes ${plan.undoes.fromVersion} → ${plan.undoes.toVersion} at ${plan.undoes.at})`,
  });
  return plan;
}
