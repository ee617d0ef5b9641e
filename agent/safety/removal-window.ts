import type { ReadView, Transaction } from '../store/store.ts';

/**
 * The member removals the threshold let through on a hub lately, so that the threshold judges a
 * mass deactivation whole even when the IdP sends it one person at a time: Okta pushes one SCIM
 * request per user, and a deprovisioning pass gathers only what arrived in its first two seconds
 * (schedule-removals.ts). Without it, 5 of 11 members deactivated 2.3 s apart were removed in
 * five passes of one, none above the threshold. One record per hub, written in the transaction
 * that queues the removals.
 *
 * Each entry names the members it let through: a removal let through may not have run yet (a
 * rate limit, Meta down), so the member is still in the snapshot and the next pass plans their
 * removal again. Counted by number only, that member was counted twice in the share removed and
 * twice in the members there were: 5 of 10 let through at 50 %, then 1 more was judged 6 of 15
 * (40 %) and went too, 60 % of the hub.
 */
export interface RemovalWindowRecord {
  hubId: string;
  /** Removals let through, oldest first: when, how many members, and which (older records: none named). */
  released: Array<{ at: string; removals: number; memberIds?: string[] }>;
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

/** The removals let through in the window: the members named, and how many more were recorded without names. */
export interface ReleasedRemovals {
  memberIds: ReadonlySet<string>;
  unnamed: number;
}

/** Which members the threshold let through in the `windowMs` before `now`. */
export async function releasedWithin(view: Pick<ReadView, 'get'>, hubId: string, now: Date, windowMs: number): Promise<ReleasedRemovals> {
  const memberIds = new Set<string>();
  let unnamed = 0;
  if (windowMs <= 0) return { memberIds, unnamed };
  for (const r of inWindow(await view.get('removalWindows', hubId, hubId), now, windowMs)) {
    if (r.memberIds) for (const id of r.memberIds) memberIds.add(id);
    else unnamed += r.removals;
  }
  return { memberIds, unnamed };
}

/**
 * Records the removals let through now (older entries than the window are dropped): the member
 * ids (a member already let through in the window is not counted again), or a bare count.
 */
export async function recordRemovals(tx: Transaction, hubId: string, removals: number | readonly string[], now: Date, windowMs: number): Promise<void> {
  if (windowMs <= 0) return;
  const kept = inWindow(await tx.get('removalWindows', hubId, hubId), now, windowMs);
  let entry: RemovalWindowRecord['released'][number];
  if (typeof removals === 'number') entry = { at: now.toISOString(), removals };
  else {
    const earlier = new Set(kept.flatMap((r) => r.memberIds ?? []));
    const memberIds = [...new Set(removals)].filter((id) => !earlier.has(id));
    entry = { at: now.toISOString(), removals: memberIds.length, memberIds };
  }
  if (entry.removals === 0) return;
  tx.put('removalWindows', hubId, hubId, { hubId, released: [...kept, entry] });
}
