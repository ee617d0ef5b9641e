import type { ReadView, Transaction } from '../store/store.ts';

/**
 * The member removals the threshold let through on a hub lately, so that the threshold judges a
 * mass deactivation whole even when the IdP sends it one person at a time: Okta pushes one SCIM
 * request per user, and a deprovisioning pass gathers only what arrived in its first two seconds
 * (schedule-removals.ts). Without it, 5 of 11 members deactivated 2.3 s apart were removed in
 * five passes of one, none above the threshold. One record per hub, written in the transaction
 * that queues the removals.
 */
export interface RemovalWindowRecord {
  hubId: string;
  /** Removals let through, oldest first: when, and how many members. */
  released: Array<{ at: string; removals: number }>;
}

declare module '../store/collections.ts' {
  interface Collections {
    removalWindows: RemovalWindowRecord;
  }
}

const inWindow = (record: Readonly<RemovalWindowRecord> | undefined, now: Date, windowMs: number) =>
  (record?.released ?? []).filter((r) => Date.parse(r.at) > now.getTime() - windowMs);

/** How many members the threshold let through in the `windowMs` before `now`. */
export async function removedWithin(view: Pick<ReadView, 'get'>, hubId: string, now: Date, windowMs: number): Promise<number> {
  if (windowMs <= 0) return 0;
  return inWindow(await view.get('removalWindows', hubId, hubId), now, windowMs).reduce((n, r) => n + r.removals, 0);
}

/** Records `removals` let through now (older entries than the window are dropped). */
export async function recordRemovals(tx: Transaction, hubId: string, removals: number, now: Date, windowMs: number): Promise<void> {
  if (windowMs <= 0 || removals === 0) return;
  const released = [...inWindow(await tx.get('removalWindows', hubId, hubId), now, windowMs), { at: now.toISOString(), removals }];
  tx.put('removalWindows', hubId, hubId, { hubId, released });
}
