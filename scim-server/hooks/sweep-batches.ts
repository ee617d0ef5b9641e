import { appendAudit, type AuditInput } from '../../agent/audit/audit-log.ts';
import type { Store, Transaction } from '../../agent/store/store.ts';
import type { HookEventRecord } from './hook-event-record.ts';

/**
 * Records deleted per transaction by the hourly hook-events sweep (expired hook event records,
 * ordering marks): a backlog (after an outage, an Okta burst of thousands of events, a leaver wave,
 * or sweeps not running) is many small writes, not one. One transaction of tens of thousands of
 * deletes held, on PostgreSQL, locks that other replicas' hook deliveries waited on until it
 * committed, and on lowdb made one giant journal write.
 */
export const SWEEP_BATCH = 500;

/**
 * Deletes what a listing found in transactions of at most `batch` keys: the keys `listed` yields
 * (read page by page, outside any write) are gathered and handed to `remove`, one group per
 * transaction, which must read them again through `tx` and delete only those still to go (a
 * record changed since it was listed is kept: the store runs transactions as if one after
 * another, agent/store/store.ts). Returns the total `remove` reports. Between transactions the
 * event loop is let go, so requests are served during a long sweep.
 */
export async function deleteInBatches<K>(
  store: Store,
  listed: AsyncIterable<K>,
  remove: (tx: Transaction, keys: readonly K[]) => Promise<number>,
  batch = SWEEP_BATCH,
): Promise<number> {
  const size = Math.max(1, Math.floor(batch));
  let deleted = 0;
  const flush = async (keys: K[]) => {
    deleted += await store.transact((tx) => remove(tx, keys));
    await new Promise((resolve) => setImmediate(resolve));
  };
  let keys: K[] = [];
  for await (const key of listed) {
    keys.push(key);
    if (keys.length >= size) {
      const full = keys;
      keys = [];
      await flush(full);
    }
  }
  if (keys.length > 0) await flush(keys);
  return deleted;
}

/**
 * Deletes the expired hook event records, in transactions of `batch` (deleteInBatches); returns
 * how many. Kept: a callout still waiting for its task (needed to resume), and a record `acting`
 * says is being acted on now: deleted under its worker, the outcome's write found no record
 * (nothing written, its audit entry lost) while the sweep audited "nothing done". An expired
 * record still `processing` (every try was told "not now" for a week) goes, and its going is the
 * give-up, audited in the same transaction (`givenUp`, hook-give-up.ts): the person's trail
 * otherwise holds nothing of a leaver event hubwarden answered 200 to and never applied. Kept too:
 * a record whose lease has not lapsed, whoever holds it. `acting` knows only this replica's work;
 * a record another replica was acting on was deleted and given up under it, and its outcome then
 * found no record (its audit entry lost) or contradicted the give-up. Swept at a later sweep,
 * once it finished (a finished record drops its lease) or its lease lapsed.
 */
export async function sweepExpiredRecords(
  store: Store,
  now: number,
  acting: (r: Readonly<HookEventRecord>) => boolean,
  givenUp: ((r: Readonly<HookEventRecord>) => AuditInput | undefined) | undefined,
  batch = SWEEP_BATCH,
): Promise<number> {
  const cutoff = new Date(now).toISOString();
  const sweepable = (r: Readonly<HookEventRecord> | undefined): r is Readonly<HookEventRecord> =>
    r !== undefined && r.expiresAt <= cutoff && r.state !== 'waiting' && !acting(r) && !(r.lease && !(Date.parse(r.lease.until) <= now));
  async function* listed(): AsyncIterable<[HookEventRecord['source'], string]> {
    for (const source of (await store.partitions('hookEvents')) as Array<HookEventRecord['source']>) {
      for await (const r of store.list('hookEvents', source)) if (sweepable(r)) yield [source, r.id];
    }
  }
  return deleteInBatches(store, listed(), async (tx, keys) => {
    let removed = 0;
    for (const source of new Set(keys.map(([s]) => s))) {
      const ids = keys.filter(([s]) => s === source).map(([, id]) => id);
      for (const r of await tx.getMany('hookEvents', source, ids)) {
        if (!sweepable(r)) continue; // changed since listed (an update, a take), or gone
        tx.delete('hookEvents', source, r.id);
        const entry = r.state === 'processing' ? givenUp?.(r) : undefined;
        if (entry) appendAudit(tx, entry);
        removed++;
      }
    }
    return removed;
  }, batch);
}
