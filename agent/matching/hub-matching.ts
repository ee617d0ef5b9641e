/**
 * Matching for one hub against the store: gathers the rows (members, invites, partner people),
 * the directory, the guests, the exemptions and the owners' decisions, runs the pure
 * `matchMembers`, and stores the outcome in `memberMatches` (what write-back and the members view
 * read). Owners' decisions live apart, in `matchDecisions`, so an exemption laid over a manual
 * match and later lapsing gives the manual match back.
 */
import type { MemberMatchRecord } from '../app-state/records.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { ReadView, Transaction } from '../store/store.ts';
import { inviteRowId, partnerRowId } from '../standing/row-ids.ts';
import { matchMembers, type MatchingResult, type MemberRow } from './match-members.ts';

declare module '../store/collections.ts' {
  interface Collections {
    /** An owner's manual match or un-match (manual: true). Key: member row id. */
    matchDecisions: MemberMatchRecord;
  }
}

export { inviteRowId, partnerRowId } from '../standing/row-ids.ts';

/** Invites still worth a row: pending, or expired/declined and not yet re-sent or reported away. */
const LISTED_INVITE = new Set(['pending', 'expired', 'declined']);

type RowSources = {
  members: Iterable<{ id: string; email?: string }>;
  invites: Iterable<{ id: string; email: string; status: string }>;
  partnerUsers: Iterable<{ partnerBusinessId: string; userId: string; email?: string }>;
};

/** The rows of the members table, from a snapshot or from the store. */
export function rowsOf(sources: RowSources): MemberRow[] {
  const rows: MemberRow[] = [];
  for (const m of sources.members) rows.push({ id: m.id, kind: 'member', email: m.email });
  for (const i of sources.invites) if (LISTED_INVITE.has(i.status)) rows.push({ id: inviteRowId(i.id), kind: 'invite', email: i.email });
  for (const u of sources.partnerUsers) rows.push({ id: partnerRowId(u.partnerBusinessId, u.userId), kind: 'partner-user', email: u.email });
  return rows;
}

export function memberRows(view: ReadView, hubId: string): MemberRow[] {
  return rowsOf({ members: view.list('appMembers', hubId), invites: view.list('appInvites', hubId), partnerUsers: view.list('partnerUsers', hubId) });
}

export function matchHub(view: ReadView, hubId: string, now: string, rows: MemberRow[] = memberRows(view, hubId)): MatchingResult {
  return matchMembers({
    hubId,
    now,
    rows,
    directoryUsers: [...view.list('directoryUsers', hubId)],
    guests: [...view.list('guests', hubId)],
    exemptions: [...view.list('exemptions', hubId)],
    decisions: [...view.list('matchDecisions', hubId)],
  });
}

export interface SaveContext {
  trigger: Trigger;
  taskId?: string;
}

/**
 * Replaces the hub's `memberMatches` with `result` (only records whose outcome changed are
 * written, so write-back sees real changes) and retires lapsed exemptions with an audit entry
 * each: the member is back in matching and an owner should know (issue item 2).
 */
export function saveMatches(tx: Transaction, hubId: string, result: MatchingResult, context: SaveContext, committed: ReadView): { changed: number } {
  const keep = new Set(result.matches.map((m) => m.memberId));
  const stale: string[] = [];
  // Listed from the committed view: `memberMatches` is not staged before this point, and a
  // transaction's list is slow for records keyed by something other than an `id` field.
  for (const old of committed.list('memberMatches', hubId)) if (!keep.has(old.memberId)) stale.push(old.memberId);
  for (const id of stale) tx.delete('memberMatches', hubId, id);
  return { changed: stale.length + saveRowMatches(tx, hubId, result, context).changed };
}

/**
 * Stores the outcome of matching some rows only (an owner's decision about one member): no row
 * is removed, so the hub's other matches need not be listed.
 */
export function saveRowMatches(tx: Transaction, hubId: string, result: MatchingResult, context: SaveContext): { changed: number } {
  let changed = 0;
  for (const match of result.matches) {
    const old = tx.get('memberMatches', hubId, match.memberId);
    if (old && sameMatch(old, match)) continue;
    tx.put('memberMatches', hubId, match.memberId, match);
    changed++;
  }
  retireLapsed(tx, hubId, result, context);
  return { changed };
}

function retireLapsed(tx: Transaction, hubId: string, result: MatchingResult, context: SaveContext): void {
  for (const exemption of result.lapsedExemptions) {
    tx.delete('exemptions', hubId, exemption.memberId);
    appendAudit(tx, {
      hubId,
      trigger: context.trigger,
      action: 'exemption-lapsed',
      subject: { memberId: exemption.memberId, email: exemption.email },
      why: `exemption "${exemption.reason}" by ${exemption.by} lapsed on ${exemption.until}; the member is matched again`,
      outcome: 'ok',
      detail: { reason: exemption.reason, until: exemption.until, by: exemption.by },
      ...(context.taskId ? { taskId: context.taskId } : {}),
    });
  }
}

function sameMatch(a: Readonly<MemberMatchRecord>, b: MemberMatchRecord): boolean {
  return a.outcome === b.outcome && a.directoryUserId === b.directoryUserId && a.manual === b.manual && a.hubRole === b.hubRole
    && (a.candidates ?? []).join() === (b.candidates ?? []).join();
}

export function countOutcomes(matches: readonly MemberMatchRecord[]): Partial<Record<MemberMatchRecord['outcome'], number>> {
  const counts: Partial<Record<MemberMatchRecord['outcome'], number>> = {};
  for (const m of matches) counts[m.outcome] = (counts[m.outcome] ?? 0) + 1;
  return counts;
}
