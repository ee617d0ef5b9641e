/**
 * Matching for one hub against the store: gathers the rows (members, invites, partner people),
 * the directory, the guests, the exemptions and the owners' decisions, runs the pure
 * `matchMembers`, and stores the outcome in `memberMatches` (what write-back and the members view
 * read). Owners' decisions live apart, in `matchDecisions`, so an exemption laid over a manual
 * match and later lapsing gives the manual match back.
 */
import type { ExemptionRecord, GuestRecord, MemberMatchRecord } from '../app-state/records.ts';
import '../dispatch/departed-user.ts';
import { INDEX, isActiveUser, isDeactivatedUser, matchingEmailsOf, type DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { inFlightPairsOf } from './in-flight-pairs.ts';
import { removalsInFlight } from '../plan/removal-in-flight.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { exemptionInForce } from '../standing/exemption.ts';
import { collect, type ReadView, type Transaction } from '../store/store.ts';
import { inviteRowId, partnerRowId } from '../standing/row-ids.ts';
import { matchMembers, withoutUndefined, type DirectoryIdentity, type MatchingResult, type MemberRow } from './match-members.ts';
import { emailKey } from './email-key.ts';

declare module '../store/collections.ts' {
  interface Collections {
    /** An owner's manual match or un-match (manual: true). Key: member row id. */
    matchDecisions: MemberMatchRecord;
  }
}

export { inviteRowId, partnerRowId } from '../standing/row-ids.ts';

/** Invites still worth a row: pending, or lapsed (expired, declined, gone from the app's pending invites before its expiry: `canceled`) and not yet re-sent or closed. */
const LISTED_INVITE = new Set(['pending', 'expired', 'declined', 'canceled']);

type RowSources = {
  members: Iterable<{ id: string; email?: string }>;
  invites: Iterable<{ id: string; email: string; status: string }>;
  partnerUsers: Iterable<{ partnerBusinessId: string; userId: string; email?: string }>;
};

const memberRow = (m: { id: string; email?: string }): MemberRow => ({ id: m.id, kind: 'member', email: m.email });
const inviteRow = (i: { id: string; email: string }): MemberRow => ({ id: inviteRowId(i.id), kind: 'invite', email: i.email });
const partnerUserRow = (u: { partnerBusinessId: string; userId: string; email?: string }): MemberRow => ({ id: partnerRowId(u.partnerBusinessId, u.userId), kind: 'partner-user', email: u.email });

/** The rows of the members table, from a snapshot. */
export function rowsOf(sources: RowSources): MemberRow[] {
  const rows: MemberRow[] = [];
  for (const m of sources.members) rows.push(memberRow(m));
  for (const i of sources.invites) if (LISTED_INVITE.has(i.status)) rows.push(inviteRow(i));
  for (const u of sources.partnerUsers) rows.push(partnerUserRow(u));
  return rows;
}

/** The rows of the hub's members table, from the store (the same rows, in the same order, as `rowsOf`). */
export async function memberRows(view: ReadView, hubId: string): Promise<MemberRow[]> {
  const rows: MemberRow[] = [];
  for await (const m of view.list('appMembers', hubId)) rows.push(memberRow(m));
  for await (const i of view.list('appInvites', hubId)) if (LISTED_INVITE.has(i.status)) rows.push(inviteRow(i));
  for await (const u of view.list('partnerUsers', hubId)) rows.push(partnerUserRow(u));
  return rows;
}

/**
 * Matching of the whole hub (check for updates, the watchdog, the members view): reads the hub's
 * directory, guests, exemptions and decisions once. For a few rows (an owner's decision about
 * one member or email), `matchRows` reads only what those rows need.
 *
 * The directory is read page by page and only the identities matching can use are kept: those
 * with an email of a row, and those an owner's decision names. A hub of 250,000 directory users
 * and 50,000 members holds 50,000 small identities, not 250,000 records (memory follows the hub's
 * members, not its directory; issue 13). The outcome is the same as with the whole directory:
 * `matchMembers` only looks users up by a row's email or a decision's user id.
 */
export async function matchHub(view: ReadView, hubId: string, now: string, rows?: MemberRow[]): Promise<MatchingResult> {
  // The stored matches: a row matched to a person stays theirs when the IdP changes their email.
  return matchHubWith(view, hubId, now, await collect(view.list('memberMatches', hubId)), rows);
}

/**
 * Matches the whole hub and saves the outcome in `tx` (check for updates, the watchdog): the
 * stored matches are listed once, for matching and for saving.
 */
export async function rematchHub(tx: Transaction, hubId: string, now: string, context: SaveContext, rows?: MemberRow[]): Promise<MatchingResult> {
  const stored = await collect(tx.list('memberMatches', hubId));
  const hubRows = rows ?? await memberRows(tx, hubId);
  const result = await matchHubWith(tx, hubId, now, stored, hubRows);
  // A lapsed exemption whose row has left the app (the member removed by hand, the invite
  // cancelled) is never met by matching, which sees only rows: it stayed, unaudited, and the
  // watchdog, finding a lapsed exemption every hour, re-matched the whole hub every hour for it.
  const listed = new Set(hubRows.map((r) => r.id));
  for await (const e of tx.list('exemptions', hubId)) if (!listed.has(e.memberId) && !exemptionInForce(e, now)) result.lapsedExemptions.push(e);
  await saveMatches(tx, hubId, result, context, stored, hubRows);
  return result;
}

async function matchHubWith(view: ReadView, hubId: string, now: string, previous: ReadonlyArray<Readonly<MemberMatchRecord>>, rows?: MemberRow[]): Promise<MatchingResult> {
  const hubRows = rows ?? await memberRows(view, hubId);
  const decisions = await collect(view.list('matchDecisions', hubId));
  const directoryUsers = await identitiesFor(view, hubId, hubRows, [...decisions, ...previous]);
  return matchMembers({
    hubId,
    now,
    rows: hubRows,
    directoryUsers,
    guests: await collect(view.list('guests', hubId)),
    exemptions: await collect(view.list('exemptions', hubId)),
    decisions,
    previous,
    departedUserIds: (await collect(view.list('departedUsers', hubId))).map((d) => d.directoryUserId),
    removalsInFlight: await removalsInFlight(view, hubId, inFlightPairsOf(hubRows, directoryUsers, previous)),
    systemUserIds: new Set((await collect(view.list('appSystemUsers', hubId))).map((s) => s.id)),
  });
}

/** The directory users matching can use for these rows and decisions or stored matches (see `matchHub`), as identities only. */
export async function identitiesFor(view: ReadView, hubId: string, rows: readonly MemberRow[], decisions: ReadonlyArray<Readonly<MemberMatchRecord>>): Promise<DirectoryIdentity[]> {
  const emails = new Set<string>();
  for (const row of rows) {
    const email = (row.email === undefined ? undefined : emailKey(row.email));
    if (email) emails.add(email);
  }
  const named = new Set<string>();
  for (const d of decisions) {
    if (d.directoryUserId) named.add(d.directoryUserId);
    for (const c of d.candidates ?? []) named.add(c);
  }
  const out: DirectoryIdentity[] = [];
  for await (const u of view.list('directoryUsers', hubId)) {
    const own = matchingEmailsOf(u);
    if (named.has(u.id) || own.some((e) => emails.has(emailKey(e)))) out.push(identityOf(u));
  }
  return out;
}

/** What matching knows of a directory user: the emails it matches by, and whether the IdP deactivated them. */
const identityOf = (u: Readonly<DirectoryUserRecord>): DirectoryIdentity => ({
  id: u.id, emails: [...matchingEmailsOf(u)], ...(isDeactivatedUser(u) ? { deactivated: true as const } : {}), ...(isActiveUser(u) ? {} : { inactive: true as const }),
});

const ASCII = /^[\u0000-\u007f]*$/;

/**
 * Matching of some rows only, reading what they need by key and index instead of the hub's whole
 * directory: the directory users having each row's email (index `userByEmail`, so
 * `defineDirectoryIndexes` is required), the directory user a decision names, and each row's
 * guest registration, exemption and decision. The same outcome as `matchHub` for those rows.
 */
export async function matchRows(view: ReadView, hubId: string, now: string, rows: readonly MemberRow[]): Promise<MatchingResult> {
  const users = new Map<string, DirectoryIdentity>();
  const identity = identityOf;
  const guests: Array<Readonly<GuestRecord>> = [];
  const exemptions: Array<Readonly<ExemptionRecord>> = [];
  const decisions: Array<Readonly<MemberMatchRecord>> = [];
  const previous: Array<Readonly<MemberMatchRecord>> = [];
  const departedUserIds: string[] = [];
  const emails = new Set<string>();
  // A guest registered before emailKey took NFC (December 2026) is keyed by its address trimmed and
  // lower-cased only: for a non-ASCII address, the hub's guests (few) are read once and compared.
  let listed: Promise<Array<Readonly<GuestRecord>>> | undefined;
  const unfolded = () => (listed ??= collect(view.list('guests', hubId)));
  const named = async (id: string) => {
    if (users.has(id)) return;
    const u = await view.get('directoryUsers', hubId, id);
    if (u) users.set(u.id, identity(u));
  };
  const systemUserIds = new Set<string>();
  for (const row of rows) {
    if (row.kind === 'member' && await view.get('appSystemUsers', hubId, row.id)) systemUserIds.add(row.id);
    const decision = await view.get('matchDecisions', hubId, row.id);
    if (decision) {
      decisions.push(decision);
      if (decision.directoryUserId) {
        await named(decision.directoryUserId);
        // An owner's match to a deleted user whose seat is still to be removed (match-members.ts).
        if (!users.has(decision.directoryUserId) && await view.get('departedUsers', hubId, decision.directoryUserId)) departedUserIds.push(decision.directoryUserId);
      }
    }
    // The row's stored match and who it names (see `matchHub`).
    const stored = await view.get('memberMatches', hubId, row.id);
    if (stored) {
      previous.push(stored);
      for (const id of [...(stored.directoryUserId ? [stored.directoryUserId] : []), ...(stored.candidates ?? [])]) await named(id);
      if (stored.directoryUserId && !users.has(stored.directoryUserId) && await view.get('departedUsers', hubId, stored.directoryUserId)) departedUserIds.push(stored.directoryUserId);
    }
    const exemption = await view.get('exemptions', hubId, row.id);
    if (exemption) exemptions.push(exemption);
    const email = (row.email === undefined ? undefined : emailKey(row.email));
    if (!email || emails.has(email)) continue;
    emails.add(email);
    for (const u of await view.lookup('directoryUsers', INDEX.userByEmail, `${hubId}\u0000${email}`)) users.set(u.id, identity(u));
    // A user without emails is matched by an email-like userName (`matchingEmailsOf`), not in the email index.
    for (const u of await view.lookup('directoryUsers', INDEX.userByUserName, `${hubId}\u0000${email}`)) if (matchingEmailsOf(u).some((e) => emailKey(e) === email)) users.set(u.id, identity(u));
    const guest = await view.get('guests', hubId, email) ?? (ASCII.test(email) ? undefined : (await unfolded()).find((g) => emailKey(g.email) === email));
    if (guest) guests.push(guest);
  }
  const directoryUsers = [...users.values()];
  const removals = await removalsInFlight(view, hubId, inFlightPairsOf(rows, directoryUsers, previous));
  return matchMembers({ hubId, now, rows, directoryUsers, guests, exemptions, decisions, previous, departedUserIds, removalsInFlight: removals, systemUserIds });
}

export interface SaveContext {
  trigger: Trigger;
  taskId?: string;
}

/**
 * Replaces the hub's `memberMatches` with `result` (only records whose outcome changed are
 * written, so write-back sees real changes) and retires lapsed exemptions with an audit entry
 * each: the member is back in matching and an owner should know (issue item 2). Reads the current
 * matches through `tx`, so what it deletes is decided inside the transaction (`stored`: already
 * listed through the same `tx`, by rematchHub).
 */
export async function saveMatches(tx: Transaction, hubId: string, result: MatchingResult, context: SaveContext, stored?: ReadonlyArray<Readonly<MemberMatchRecord>>, rows?: readonly MemberRow[]): Promise<{ changed: number }> {
  // One listing of the current matches serves both: which to delete, and which are unchanged. A
  // read per match instead (`saveRowMatches`) is 50,000 round trips inside the transaction on
  // PostgreSQL at 50,000 members, which kept it open long enough to conflict with everything.
  const current = new Map<string, Readonly<MemberMatchRecord>>();
  for await (const old of stored ?? tx.list('memberMatches', hubId)) current.set(old.memberId, old);
  const keep = new Set(result.matches.map((m) => m.memberId));
  let changed = 0;
  for (const id of current.keys()) {
    if (keep.has(id)) continue;
    tx.delete('memberMatches', hubId, id);
    changed++;
  }
  const emails = rows ? new Map(rows.map((r) => [r.id, r.email])) : undefined;
  for (const match of result.matches) {
    const old = current.get(match.memberId);
    if (old && sameMatch(old, match)) continue;
    tx.put('memberMatches', hubId, match.memberId, match);
    if (old) auditMatchChange(tx, hubId, old, match, emails?.get(match.memberId), context);
    changed++;
  }
  retireLapsed(tx, hubId, result, context);
  return { changed };
}

/** A match as the audit log says it. */
function described(m: Readonly<MemberMatchRecord>): string {
  if (m.outcome === 'unmatched' && m.candidates?.length) return `disputed between directory users ${m.candidates.join(', ')}`;
  if (m.outcome === 'onboarded' && m.directoryUserId) return `matched to directory user ${m.directoryUserId}${m.reason ? ` (${m.reason})` : ''}`;
  return `${m.outcome}${m.directoryUserId ? ` (directory user ${m.directoryUserId})` : ''}`;
}

/**
 * A row whose person changed at a hub-wide matching (check for updates, the watchdog): matched to
 * another directory user, disputed, unmatched or a guest now. Who a seat belongs to decides who
 * keeps it and when hubwarden removes it, so the change is audited with what it was and is
 * (an owner's own decision is audited where it is made; exemptions by their own entries). Before,
 * a seat that became disputed, or passed to the directory user now holding its email, left no trace.
 */
function auditMatchChange(tx: Transaction, hubId: string, old: Readonly<MemberMatchRecord>, next: MemberMatchRecord, email: string | undefined, context: SaveContext): void {
  // An exempted row keeps whose seat it is (write-back says `exempted` on that user, an
  // offboarding holds it as theirs): another user there is a change of owner (a rehire's, SOLE_ACTIVE).
  const who = (m: Readonly<MemberMatchRecord>) => `${m.outcome}|${m.directoryUserId ?? ''}|${(m.candidates ?? []).join()}`;
  if (who(old) === who(next)) return; // only the reason or hub role changed
  if ((old.outcome === 'exempted' || next.outcome === 'exempted') && old.directoryUserId === next.directoryUserId) return;
  const then = next.outcome === 'unmatched' && next.candidates?.length ? '; neither changed, removed nor invited again until an owner decides'
    : next.outcome === 'unmatched' ? '; not removed automatically: an owner decides' : '';
  const directoryUserId = next.directoryUserId ?? old.directoryUserId;
  appendAudit(tx, {
    hubId, trigger: context.trigger, action: 'member-match-changed', outcome: 'ok',
    subject: { memberId: next.memberId, ...(email ? { email } : {}), ...(directoryUserId ? { directoryUserId } : {}) },
    why: `${email ?? next.memberId}: ${described(next)}, was ${described(old)}${then}`,
    detail: { from: matchDetail(old), to: matchDetail(next) },
    ...(context.taskId ? { taskId: context.taskId } : {}),
  });
}

const matchDetail = (m: Readonly<MemberMatchRecord>) => withoutUndefined({ outcome: m.outcome, directoryUserId: m.directoryUserId, candidates: m.candidates, manual: m.manual, reason: m.reason });

/**
 * Stores the outcome of matching some rows only (an owner's decision about one member): no row
 * is removed, so the hub's other matches need not be listed.
 */
export async function saveRowMatches(tx: Transaction, hubId: string, result: MatchingResult, context: SaveContext): Promise<{ changed: number }> {
  let changed = 0;
  for (const match of result.matches) {
    const old = await tx.get('memberMatches', hubId, match.memberId);
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
    const then = result.matches.some((m) => m.memberId === exemption.memberId) ? 'the member is matched again' : 'its row is no longer in the app';
    appendAudit(tx, {
      hubId,
      trigger: context.trigger,
      action: 'exemption-lapsed',
      subject: { memberId: exemption.memberId, email: exemption.email },
      why: `exemption "${exemption.reason}" by ${exemption.by} lapsed on ${exemption.until}; ${then}`,
      outcome: 'ok',
      detail: { reason: exemption.reason, until: exemption.until, by: exemption.by },
      ...(context.taskId ? { taskId: context.taskId } : {}),
    });
  }
}

function sameMatch(a: Readonly<MemberMatchRecord>, b: MemberMatchRecord): boolean {
  return a.outcome === b.outcome && a.directoryUserId === b.directoryUserId && a.manual === b.manual && a.hubRole === b.hubRole && a.reason === b.reason
    && (a.candidates ?? []).join() === (b.candidates ?? []).join();
}

export function countOutcomes(matches: readonly MemberMatchRecord[]): Partial<Record<MemberMatchRecord['outcome'], number>> {
  const counts: Partial<Record<MemberMatchRecord['outcome'], number>> = {};
  for (const m of matches) counts[m.outcome] = (counts[m.outcome] ?? 0) + 1;
  return counts;
}
