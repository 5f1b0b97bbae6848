/**
 * Token statistics of one encoded text, what drift monitoring records per prediction. Its own module (no zod)
 * so that the classifier, which the browser's inference worker bundles, does not pull drift.ts's schemas in.
 */
/** Token statistics of one encoded text (ids as fed to the graph). */
export interface TokenStats {
  /** Pieces other than special tokens. */
  tokens: number;
  /** Share of those pieces that are the unknown token (0 when there are none). */
  unknownShare: number;
}

export function tokenStats(ids: readonly number[], unkId: number | null, specialIds: ReadonlySet<number>): TokenStats {
  let tokens = 0;
  let unknown = 0;
  for (const id of ids) {
    if (specialIds.has(id)) continue;
    tokens++;
    if (id === unkId) unknown++;
  }
  return { tokens, unknownShare: tokens === 0 ? 0 : unknown / tokens };
}
