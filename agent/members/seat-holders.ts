/**
 * Whom some seats are matched to now, read through one view (a transaction): the same matching as
 * the members view's (member-view.ts `buildHubMembers` over a few rows, hub-matching.ts
 * `matchRows`), so a check made in a transaction sees the holder the members table would show,
 * and an owner's match committed before it (`matchDecisions`) counts at once, before any
 * reconcile stores it. Needs the directory indexes (`defineDirectoryIndexes`), as `matchRows` does.
 */
import { matchRows, rowsOf } from '../matching/hub-matching.ts';
import type { ReadView } from '../store/store.ts';
import { rowRecords } from './member-view.ts';
import { exemptionInForce } from '../standing/exemption.ts';

/**
 * Row id → the directory users whose seat the row is: whom it is matched to, else (a disputed
 * row, matched to nobody until an owner decides) each of its candidates; empty for a row matched
 * to nobody, or not (or no longer) in the members table.
 */
export async function seatHoldersIn(view: ReadView, hubId: string, rowIds: readonly string[], now: Date): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(rowIds.map((id) => [id, []]));
  if (rowIds.length === 0) return out;
  const rows = rowsOf(await rowRecords(view, hubId, new Set(rowIds)));
  const { matches } = await matchRows(view, hubId, now.toISOString(), rows);
  rows.forEach((row, i) => {
    const match = matches[i];
    if (match) out.set(row.id, match.directoryUserId !== undefined ? [match.directoryUserId] : [...(match.candidates ?? [])]);
  });
  return out;
}

/**
 * Whom row `memberId` is matched to while an exemption is in force on it (an exempted row keeps
 * whom it is matched to, match-members.ts), read through `view`; empty when none is in force (then
 * ending or replacing it takes nothing from anyone).
 */
export async function exemptedSeatHoldersIn(view: ReadView, hubId: string, memberId: string, now: Date): Promise<string[]> {
  if (!exemptionInForce(await view.get('exemptions', hubId, memberId), now)) return [];
  return (await seatHoldersIn(view, hubId, [memberId], now)).get(memberId) ?? [];
}
