import { appendAudit, type AuditInput } from '../../agent/audit/audit-log.ts';
import type { Store } from '../../agent/store/store.ts';
import { byPartition, writeInBatches } from '../../agent/store/write-in-batches.ts';
import { sweepableAfter, type HookEventRecord } from './hook-event-record.ts';

/**
 * Records deleted per transaction by the hourly hook-events sweep (expired hook event records,
 * ordering marks): a backlog (after an outage, an Okta burst of thousands of events, a leaver wave,
 * or sweeps not running) is many small writes, not one (agent/store/write-in-batches.ts).
 */
export const SWEEP_BATCH = 500;

/**
 * Deletes the expired hook event records, in transactions of `batch` (writeInBatches); returns
 * how many. Expired: past `expiresAt`, and for an Okta event past the week after its `published`
 * (plus HOOK_EVENT_GRACE_MS: hook-event-record.ts sweepableAfter). Kept: a callout still waiting for its task (needed to resume), and a record `acting`
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
  // An Okta event's id stays until a replay of it is refused by the week rule (sweepableAfter).
  const sweepable = (r: Readonly<HookEventRecord> | undefined): r is Readonly<HookEventRecord> =>
    r !== undefined && sweepableAfter(r) <= now && r.state !== 'waiting' && !acting(r) && !(r.lease && !(Date.parse(r.lease.until) <= now));
  async function* listed(): AsyncIterable<[HookEventRecord['source'], string]> {
    for (const source of (await store.partitions('hookEvents')) as Array<HookEventRecord['source']>) {
      for await (const r of store.list('hookEvents', source)) if (sweepable(r)) yield [source, r.id];
    }
  }
  return writeInBatches(store, listed(), async (tx, keys) => {
    let removed = 0;
    for (const [source, ids] of byPartition(keys)) {
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
