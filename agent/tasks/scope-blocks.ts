import type { Transaction } from '../store/store.ts';

/**
 * Rate-limit blocks shared by replicas (`Store.shared`): when the app throttles a scope
 * (`invite:<businessId>`, `app`), the attempt that saw it records the block in the store in the
 * transaction that records its outcome (attempt.ts), and every replica's claims of that scope
 * wait until it ends (fleet-limits.ts). Meta: "continued calls extend the block"
 * (https://developers.facebook.com/docs/graph-api/overview/rate-limiting), so a block seen by one
 * replica must stop the others' calls too. One record per hub and scope (partition = hub id,
 * id = scope), replaced by a later block, so they never accumulate.
 *
 * On a store one process uses, the runner's in-memory block (runnable-index.ts) does this, as before.
 */
export interface RateLimitBlockRecord {
  /** The rate-limit scope. */
  id: string;
  hubId: string;
  /** ISO time the block ends. */
  until: string;
  /** The provider's message, for health and logs. */
  reason: string;
}

declare module '../store/collections.ts' {
  interface Collections {
    rateLimitBlocks: RateLimitBlockRecord;
  }
}

/** Stages a block of `scope` on `hubId` until `untilMs`; the later of this and a block already recorded wins. */
export async function blockScope(tx: Transaction, hubId: string, scope: string, untilMs: number, reason: string): Promise<void> {
  const prev = await tx.get('rateLimitBlocks', hubId, scope);
  if (prev && Date.parse(prev.until) >= untilMs) return;
  tx.put('rateLimitBlocks', hubId, scope, { id: scope, hubId, until: new Date(untilMs).toISOString(), reason });
}
