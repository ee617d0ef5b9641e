/**
 * One person, several seats on one hub: two or more member rows (or a seat and a pending invite)
 * matched to the same directory user (invited at a work and a personal address and matched by
 * hand, a duplicate account in the app). Each is `onboarded` and managed, the person's leaving
 * removes them all and write-back sends one seat's role, but nothing else says one person holds
 * two seats: a paid seat wasted, or an account someone else uses. Such rows carry `otherSeats`
 * (MemberView): the person's other rows. Nothing is removed for it: whether the second seat is
 * the person's own, or someone else's matched by mistake, is an owner's decision (remove it,
 * unmatch it, or exempt it).
 *
 * A partner's person is no seat of this business; an exempted, guest or unmatched row is not the
 * directory user's seat (the match says so): none of them counts.
 */
import type { MemberMatchRecord } from '../app-state/records.ts';
import type { MemberView } from '../api.ts';
import { rowKindOf } from '../standing/row-ids.ts';

/** The directory user whose seat (or pending invite) the row is, if it is one. */
export function seatHolderOf(v: Pick<MemberView, 'kind' | 'status' | 'directoryUserId'>): string | undefined {
  if (v.kind === 'partner-user' || !v.directoryUserId) return undefined;
  return v.status === 'onboarded' || v.status === 'invited' ? v.directoryUserId : undefined;
}

/** Directory user → their seat rows' ids, for the users holding two or more. O(rows). */
function severalSeats(rows: Iterable<{ id: string; holder: string | undefined }>): Map<string, string[]> {
  const byUser = new Map<string, string[]>();
  for (const r of rows) {
    if (r.holder === undefined) continue;
    const ids = byUser.get(r.holder);
    if (ids) ids.push(r.id);
    else byUser.set(r.holder, [r.id]);
  }
  for (const [user, ids] of byUser) if (ids.length < 2) byUser.delete(user);
  return byUser;
}

/** Sets `otherSeats` on each row whose directory user holds another seat of the hub (and clears it elsewhere). */
export function markOtherSeats(views: MemberView[]): void {
  const several = severalSeats(views.map((v) => ({ id: v.id, holder: seatHolderOf(v) })));
  for (const v of views) {
    const holder = seatHolderOf(v);
    const ids = holder !== undefined ? several.get(holder) : undefined;
    if (ids) v.otherSeats = ids.filter((id) => id !== v.id);
    else delete v.otherSeats;
  }
}

/** The view with the person's other seats given (a copy: views handed out are never changed). */
export function withOtherSeats(v: MemberView, seatIds: readonly string[]): MemberView {
  const others = seatIds.filter((id) => id !== v.id);
  const { otherSeats: _, ...rest } = v;
  return others.length > 0 && seatHolderOf(v) !== undefined ? { ...rest, otherSeats: others } : rest;
}

/**
 * How many rows a check for updates matched as a seat of a directory user who holds another on
 * the hub (the check's summary: `otherSeats`). From the stored matches, O(rows).
 */
export function countOtherSeats(matches: readonly Pick<MemberMatchRecord, 'memberId' | 'outcome' | 'directoryUserId'>[]): number {
  const rows = matches.map((m) => ({
    id: m.memberId,
    holder: m.outcome === 'onboarded' && m.directoryUserId && rowKindOf(m.memberId) !== 'partner-user' ? m.directoryUserId : undefined,
  }));
  let n = 0;
  for (const ids of severalSeats(rows).values()) n += ids.length;
  return n;
}
