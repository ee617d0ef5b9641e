import type { ReadView } from '../store/store.ts';
import { inviteIdOf, inviteRowId } from '../standing/row-ids.ts';
import { emailKey } from '../matching/email-key.ts';
import type { PlanActual, PlanDesired } from './plan.ts';
import { taskByKey } from '../tasks/enqueue.ts';
import { memberRowOf, type Operation } from './operation.ts';

/**
 * "Removal in flight for (row, directory user)": the removal of a seat (remove-member, or
 * cancel-invite of a pending invite) for one directory user that hubwarden has decided and not
 * finished: its task queued, waiting or running, and queued before the other account with the
 * row's email was created. An item of an open deprovisioning report or a removal held by a pending
 * approval is not: an owner has not decided it. Nor is a removal queued after the other account
 * existed (an owner applying a report once the person was back): the seat is theirs when it was
 * queued, and its re-check before the call skips it (test/agent-e2e/recreated-user.test.ts).
 *
 * Why: a person who leaves and is rehired with the same email is two directory users with one
 * email (the IdP deactivates or deletes the first account, RFC 7643 §4.1.1 `active`, RFC 7644
 * §3.6, and creates a second). Matching gives the seat to the only active one (match-members.ts),
 * except while the leaver's removal of it is in flight: the seat still carries the leaver's role
 * and assets, and handing it to the rehire mid-way dropped the removal (its re-plan no longer
 * asked for it) and let the rehire inherit them. Matching, both plan inputs and the plan read
 * this one rule, so they agree whose seat it is.
 */

/** The key of a (row, directory user) pair in `removalsInFlight` sets. */
export const inFlightKey = (rowId: string, directoryUserId: string): string => `${rowId}\u0000${directoryUserId}`;

const removalTaskKey = (rowId: string): string => {
  const inviteId = inviteIdOf(rowId);
  return inviteId !== undefined ? `op:cancel:${inviteId}` : `op:remove:${rowId}`;
};

/** Is `op` a removal of `rowId` for `directoryUserId`? */
const removes = (op: Operation | undefined, rowId: string, directoryUserId: string): boolean =>
  op !== undefined && op.effect === 'removal' && (op.kind === 'remove-member' || op.kind === 'cancel-invite') && op.directoryUserId === directoryUserId && memberRowOf(op) === rowId;

/**
 * Of these (row, directory user) pairs, those whose removal is in flight (keys by `inFlightKey`).
 * Callers pass only the rare pairs where it decides anything (a row automatically matched to a
 * user who is deactivated or deleted, and whose email another directory user now has): a read
 * per pair.
 */
export async function removalsInFlight(view: ReadView, hubId: string, pairs: ReadonlyArray<InFlightPair>): Promise<Set<string>> {
  const out = new Set<string>();
  await Promise.all(pairs.map(async (p) => {
    const task = await taskByKey(view, hubId, removalTaskKey(p.rowId));
    if (task === undefined || !removes((task.payload as { op?: Operation } | null)?.op, p.rowId, p.directoryUserId)) return;
    // Was the removal on its way when another account took the email? A creation time unknown
    // counts as later: the removal decided for the leaver goes on.
    const others = await Promise.all(p.others.map((id) => view.get('directoryUsers', hubId, id)));
    if (others.some((u) => u === undefined || !(u.created < task.createdAt))) out.add(inFlightKey(p.rowId, p.directoryUserId));
  }));
  return out;
}

/** A row automatically matched to a leaver, and the other directory users its email names. */
export interface InFlightPair { rowId: string; directoryUserId: string; others: string[] }

/**
 * The pairs a plan reads (both plan inputs, so a person's plan and the hub's agree): each row
 * automatically matched to a user not active (deactivated, suspended, offboarded), or who has no grant (deleted), while
 * another directory user's grant has the row's email.
 */
export function planPairsOf(desired: Pick<PlanDesired, 'grants'>, actual: Pick<PlanActual, 'members' | 'invites' | 'matches'>): InFlightPair[] {
  const grants = new Map(desired.grants.map((g) => [g.directoryUserId, g]));
  const holders = new Map<string, Set<string>>();
  for (const g of desired.grants) {
    for (const e of g.emails.length > 0 ? g.emails : g.email ? [g.email] : []) holders.set(e, (holders.get(e) ?? new Set()).add(g.directoryUserId));
  }
  const emailOf = new Map<string, string | undefined>();
  for (const m of actual.members) emailOf.set(m.id, m.email);
  for (const i of actual.invites) emailOf.set(inviteRowId(i.id), i.email);
  const pairs: InFlightPair[] = [];
  for (const m of actual.matches) {
    if (m.manual || m.outcome !== 'onboarded' || !m.directoryUserId) continue;
    const g = grants.get(m.directoryUserId);
    if (g?.active) continue;
    const email = emailOf.get(m.memberId);
    if (email === undefined) continue;
    const others = [...(holders.get(emailKey(email)) ?? [])].filter((id) => id !== m.directoryUserId);
    if (others.length > 0) pairs.push({ rowId: m.memberId, directoryUserId: m.directoryUserId, others });
  }
  return pairs;
}
