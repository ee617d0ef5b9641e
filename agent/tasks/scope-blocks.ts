import type { ReadView, Store, Transaction } from '../store/store.ts';

/**
 * Rate-limit blocks shared by replicas (`Store.shared`): when the app throttles a scope
 * (`invite:<businessId>`, `app`), the attempt that saw it records the block in the store in the
 * transaction that records its outcome (attempt.ts), and every replica's claims of that scope
 * wait until it ends (fleet-limits.ts). Meta: "continued calls extend the block"
 * (https://developers.facebook.com/docs/graph-api/overview/rate-limiting), so a block seen by one
 * replica must stop the others' calls too. One record per hub and scope (partition = hub id,
 * id = scope), replaced by a later block, so they never accumulate.
 *
 * On a store one process uses the record matters too: the runner's in-memory block
 * (runnable-index.ts) is lost on a restart, and the runner reads the records back at start
 * (`readScopeBlocks`). Before, a restart during Meta's 24 h invite limit ("you should resume 24
 * hours later", https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users)
 * sent every queued invite into it at once.
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

/**
 * A block a hub's connector found by itself (`ConnectorContext.onBlock`: a usage header naming a
 * scope out of quota on an answer that succeeded, a throttle met outside a task, by the watchdog's
 * credential check or a read), recorded so that every replica's connector and runner hold the
 * scope too. A task's own throttle is recorded with its outcome (attempt.ts) all the same.
 * Failures are logged, not thrown: this replica's connector holds the block anyway.
 */
export function connectorBlocksToStore(store: Store, log: { warn(msg: string, meta?: object): void }) {
  return (hubId: string, scope: string, untilMs: number): void => {
    store.transact((tx) => blockScope(tx, hubId, scope, untilMs, `rate-limited: the app throttled ${scope}`)).catch((err: unknown) => {
      log.warn('could not record a rate-limit block for the other replicas', { hubId, scope, error: err instanceof Error ? err.message : String(err) });
    });
  };
}

/** Every block recorded that has not ended by `now`, handed to `note` (hub id, scope, end in epoch ms). */
export async function readScopeBlocks(store: Pick<ReadView, 'partitions' | 'list'>, now: number, note: (hubId: string, scope: string, until: number) => void): Promise<void> {
  for (const hubId of await store.partitions('rateLimitBlocks')) {
    for await (const b of store.list('rateLimitBlocks', hubId)) {
      const until = Date.parse(b.until);
      if (until > now) note(hubId, b.id, until);
    }
  }
}
