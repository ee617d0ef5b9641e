import type { ApprovalRecord } from '../safety/approvals.ts';
import type { ReportRecord } from '../safety/reports.ts';
import type { ReadView } from '../store/store.ts';
import { inviteIdOf, inviteRowId } from '../standing/row-ids.ts';
import { emailKey } from '../matching/email-key.ts';
import type { PlanActual, PlanDesired } from './plan.ts';
import { taskByKey } from '../tasks/enqueue.ts';
import { memberRowOf, type Operation } from './operation.ts';

/**
 * "Removal in flight for (row, directory user)": the removal of a seat (remove-member, or
 * cancel-invite of a pending invite) for one directory user that hubwarden has decided and not
 * finished: its task queued, waiting or running, an item of the hub's open deprovisioning report
 * not applied yet, or held by a pending approval (the removal threshold, an offboarding's brake).
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
 * per pair, and the hub's approvals and reports listed once only when there is a pair at all.
 */
export async function removalsInFlight(view: ReadView, hubId: string, pairs: ReadonlyArray<{ rowId: string; directoryUserId: string }>): Promise<Set<string>> {
  const out = new Set<string>();
  if (pairs.length === 0) return out;
  const tasks = await Promise.all(pairs.map((p) => taskByKey(view, hubId, removalTaskKey(p.rowId))));
  const open: Array<Readonly<ReportRecord>> = [];
  const pending: Array<Readonly<ApprovalRecord>> = [];
  for await (const r of view.list('reports', hubId)) if (r.status === 'open' || r.status === 'partially-applied') open.push(r);
  for await (const a of view.list('approvals', hubId)) if (a.status === 'pending') pending.push(a);
  pairs.forEach((p, n) => {
    const task = tasks[n];
    const queued = task !== undefined && removes((task.payload as { op?: Operation } | null)?.op, p.rowId, p.directoryUserId);
    const reported = open.some((r) => r.items.some((i) => !i.appliedAt && i.memberId === p.rowId && removes(r.operations[p.rowId], p.rowId, p.directoryUserId)));
    const held = pending.some((a) => a.planned.some((op) => removes(op, p.rowId, p.directoryUserId)));
    if (queued || reported || held) out.add(inFlightKey(p.rowId, p.directoryUserId));
  });
  return out;
}

/**
 * The pairs a plan reads (both plan inputs, so a person's plan and the hub's agree): each row
 * automatically matched to a user not active (deactivated, suspended, offboarded), or who has no grant (deleted), while
 * another directory user's grant has the row's email.
 */
export function planPairsOf(desired: Pick<PlanDesired, 'grants'>, actual: Pick<PlanActual, 'members' | 'invites' | 'matches'>): Array<{ rowId: string; directoryUserId: string }> {
  const grants = new Map(desired.grants.map((g) => [g.directoryUserId, g]));
  const holders = new Map<string, Set<string>>();
  for (const g of desired.grants) {
    for (const e of g.emails.length > 0 ? g.emails : g.email ? [g.email] : []) holders.set(e, (holders.get(e) ?? new Set()).add(g.directoryUserId));
  }
  const emailOf = new Map<string, string | undefined>();
  for (const m of actual.members) emailOf.set(m.id, m.email);
  for (const i of actual.invites) emailOf.set(inviteRowId(i.id), i.email);
  const pairs: Array<{ rowId: string; directoryUserId: string }> = [];
  for (const m of actual.matches) {
    if (m.manual || m.outcome !== 'onboarded' || !m.directoryUserId) continue;
    const g = grants.get(m.directoryUserId);
    if (g?.active) continue;
    const email = emailOf.get(m.memberId);
    if (email === undefined) continue;
    if ([...(holders.get(emailKey(email)) ?? [])].some((id) => id !== m.directoryUserId)) pairs.push({ rowId: m.memberId, directoryUserId: m.directoryUserId });
  }
  return pairs;
}
