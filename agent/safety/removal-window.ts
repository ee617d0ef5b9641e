import { memberRowOf, type Operation } from '../plan/operation.ts';
import type { ReadView, Transaction } from '../store/store.ts';
import { accessRemovalKindOf, type AccessRemovalKind } from './classify.ts';

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
 *
 * Asset grant removals, role demotions and invite cancellations are recorded here too, each
 * entry of one `kind` (none: seats) and counted only with its own kind: an Okta admin deactivating
 * 80 people one SCIM request at a time cancels 80 invites one pass at a time as surely as it
 * removes 80 seats. Their `memberIds` are the person rows reached (member ids, invite rows).
 */
export interface RemovalWindowRecord {
  hubId: string;
  /** Removals let through, oldest first: when, of which kind (none: seats), how many people, and which (older records: none named). */
  released: Array<{ at: string; kind?: Exclude<AccessRemovalKind, 'seat'>; removals: number; memberIds?: string[] }>;
}

declare module '../store/collections.ts' {
  interface Collections {
    removalWindows: RemovalWindowRecord;
  }
}

const inWindow = (record: Readonly<RemovalWindowRecord> | undefined, now: Date, windowMs: number) =>
  (record?.released ?? []).filter((r) => Date.parse(r.at) > now.getTime() - windowMs);

const ofKind = (kind: AccessRemovalKind) => (r: RemovalWindowRecord['released'][number]) => (r.kind ?? 'seat') === kind;

/** The hub's removal window record, read once for every kind's count (removedIn, releasedIn). */
export const removalWindowOf = (view: Pick<ReadView, 'get'>, hubId: string) => view.get('removalWindows', hubId, hubId);

/** How many members (or people, for another `kind`) the threshold let through in the `windowMs` before `now`. */
export async function removedWithin(view: Pick<ReadView, 'get'>, hubId: string, now: Date, windowMs: number, kind: AccessRemovalKind = 'seat'): Promise<number> {
  return windowMs <= 0 ? 0 : removedIn(await removalWindowOf(view, hubId), now, windowMs, kind);
}

/** removedWithin, of a record already read. */
export function removedIn(record: Readonly<RemovalWindowRecord> | undefined, now: Date, windowMs: number, kind: AccessRemovalKind = 'seat'): number {
  if (windowMs <= 0) return 0;
  return inWindow(record, now, windowMs).filter(ofKind(kind)).reduce((n, r) => n + r.removals, 0);
}

/** The removals let through in the window: the members named, and how many more were recorded without names. */
export interface ReleasedRemovals {
  memberIds: ReadonlySet<string>;
  unnamed: number;
}

/** Which members (or person rows, for another `kind`) the threshold let through in the `windowMs` before `now`. */
export async function releasedWithin(view: Pick<ReadView, 'get'>, hubId: string, now: Date, windowMs: number, kind: AccessRemovalKind = 'seat'): Promise<ReleasedRemovals> {
  return windowMs <= 0 ? { memberIds: new Set(), unnamed: 0 } : releasedIn(await removalWindowOf(view, hubId), now, windowMs, kind);
}

/** releasedWithin, of a record already read. */
export function releasedIn(record: Readonly<RemovalWindowRecord> | undefined, now: Date, windowMs: number, kind: AccessRemovalKind = 'seat'): ReleasedRemovals {
  const memberIds = new Set<string>();
  let unnamed = 0;
  if (windowMs <= 0) return { memberIds, unnamed };
  for (const r of inWindow(record, now, windowMs).filter(ofKind(kind))) {
    if (r.memberIds) for (const id of r.memberIds) memberIds.add(id);
    else unnamed += r.removals;
  }
  return { memberIds, unnamed };
}

/**
 * Records the removals let through now (older entries than the window are dropped): the member
 * ids (a member already let through in the window is not counted again), or a bare count. Seats
 * unless `kind` says otherwise (ids then: the person rows, each counted once within its kind).
 */
export async function recordRemovals(tx: Transaction, hubId: string, removals: number | readonly string[], now: Date, windowMs: number, kind: AccessRemovalKind = 'seat'): Promise<void> {
  await recordReleased(tx, hubId, new Map([[kind, removals]]), now, windowMs);
}

/**
 * Records every access removal in `ops` let through now (by the threshold or an owner), each kind
 * in its own entry: seats by member id, grants, roles and invites by the person rows they reach
 * (memberRowOf), as the threshold counts them. One write for the batch.
 */
export async function recordAccessRemovals(tx: Transaction, hubId: string, ops: readonly Operation[], now: Date, windowMs: number): Promise<void> {
  const byKind = new Map<AccessRemovalKind, string[]>([['seat', []], ['grant', []], ['role', []], ['invite', []]]);
  for (const op of ops) {
    const kind = accessRemovalKindOf(op);
    if (kind === 'seat' && op.kind === 'remove-member') byKind.get('seat')!.push(op.memberId);
    else if (kind && kind !== 'seat') byKind.get(kind)!.push(memberRowOf(op) ?? op.key);
  }
  await recordReleased(tx, hubId, byKind, now, windowMs);
}

async function recordReleased(tx: Transaction, hubId: string, byKind: ReadonlyMap<AccessRemovalKind, number | readonly string[]>, now: Date, windowMs: number): Promise<void> {
  if (windowMs <= 0) return;
  const kept = inWindow(await tx.get('removalWindows', hubId, hubId), now, windowMs);
  const entries: RemovalWindowRecord['released'] = [];
  for (const [kind, removals] of byKind) {
    const tag = kind === 'seat' ? {} : { kind };
    let entry: RemovalWindowRecord['released'][number];
    if (typeof removals === 'number') entry = { at: now.toISOString(), ...tag, removals };
    else {
      const earlier = new Set(kept.filter(ofKind(kind)).flatMap((r) => r.memberIds ?? []));
      const memberIds = [...new Set(removals)].filter((id) => !earlier.has(id));
      entry = { at: now.toISOString(), ...tag, removals: memberIds.length, memberIds };
    }
    if (entry.removals > 0) entries.push(entry);
  }
  if (entries.length === 0) return;
  tx.put('removalWindows', hubId, hubId, { hubId, released: [...kept, ...entries] });
}
