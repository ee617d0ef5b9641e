import type { HubConfigFile } from '../../config/schema.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { isActiveUser, matchingEmailsOf } from '../desired-state/directory-records.ts';
import { emailKey } from '../matching/email-key.ts';
import { seatHoldersIn } from '../members/seat-holders.ts';
import { memberRowOf, type Operation } from '../plan/operation.ts';
import { getAcross, type Transaction } from '../store/store.ts';
import { subjectOf } from '../tasks/operations/audit-subject.ts';
import { releaseKept, type KeptOrigin } from './approval-kept.ts';
import type { ApprovalRecord } from './approvals.ts';
import { pendingApprovalsOf, readPerHub } from './held-indexes.ts';
import { openReportOf, type ReportRecord } from './reports.ts';

/**
 * A leaver's seat removal that waits for an owner (a pending approval of a halted removal pass,
 * `safety.removalThresholdPercent`, or an open deprovisioning report's item, `confirmDeprovisioning`)
 * while the seat has become another, active directory user's: a rehire (the IdP deactivated or
 * deleted the leaver's account, RFC 7643 §4.1.1 `active`, RFC 7644 §3.6, and created a second one
 * with the same email) or an owner's match of the row to someone else. Matching gives them the
 * seat (match-members.ts `SOLE_ACTIVE`: a held removal is not in flight, agent/plan/removal-in-flight.ts),
 * so they are not invited a second time. Before, the held removal stayed: the owner was still
 * asked to remove a seat a current, assigned person relies on (the report listed it until the
 * next check for updates, or for good), and the trail said only "no longer needed" once they
 * approved. Now it is taken out as soon as the seat is known to be theirs: at their SCIM push
 * (the dispatcher), a re-evaluation, the hub's re-plan after a check for updates, and inside the
 * transaction of the owner's decision (approve, apply), so an owner deciding at the same time
 * never queues it: the store runs the two one after the other (on PostgreSQL the later commit
 * conflicts and runs again), with whose seat it is read through that transaction (seatHoldersIn,
 * the members table's matching).
 *
 * An approval's part goes through `releaseKept` (approval-kept.ts: the approval keeps the rest,
 * or is withdrawn with nothing left, each change audited `skipped`); a report's item is taken
 * out of the report (`withdrawn` on the record, the apply of it by id a 409 naming why), audited
 * `skipped` in the leaver's trail; a report left with no item is withdrawn, as such an approval
 * is. An offboarding's approval is a leaver decision, left to its own check before the call
 * (forced-removal.ts `heldByAnotherSinceQueued`). A disputed row (several active users) stays: an
 * owner decides it, and a removal's re-plan before its call leaves it alone.
 */

/** A removal of a seat (a member's, or a pending invite's). */
const isSeatRemoval = (op: Readonly<Operation>): boolean => op.effect === 'removal' && (op.kind === 'remove-member' || op.kind === 'cancel-invite');

export interface HeldLists {
  /** The hub's pending approvals, as read in the same transaction (approvalsOfHubs); read here (by index) when absent. */
  approvals?: ReadonlyArray<Readonly<ApprovalRecord>>;
  /** The hub's open report, as read in the same transaction (null: none); read here when absent. */
  report?: Readonly<ReportRecord> | null;
  /** Look only at held removals of rows with one of these emails (`emailKey`): the people just planned. */
  emails?: ReadonlySet<string>;
}

/** Takes out of the hub's pending approvals and open report each removal of a seat now another active user's. */
export async function releaseClaimedSeats(tx: Transaction, hub: HubConfigFile, origin: KeptOrigin, lists: HeldLists = {}): Promise<number> {
  const approvals = lists.approvals ?? await pendingApprovalsOf(tx, hub.id);
  const report = lists.report === undefined ? await openReportOf(tx, hub.id) : lists.report ?? undefined;
  const wanted = (op: Readonly<Operation>) => isSeatRemoval(op) && (!lists.emails || (op.email !== undefined && lists.emails.has(emailKey(op.email))));
  const held: Array<Readonly<Operation>> = [];
  for (const a of approvals) if (a.status === 'pending' && !a.offboard) held.push(...a.planned.filter(wanted));
  const items = report ? report.items.filter((i) => !i.appliedAt && report.operations[i.memberId] && wanted(report.operations[i.memberId]!)) : [];
  for (const i of items) held.push(report!.operations[i.memberId]!);
  if (held.length === 0) return 0;
  const claimedBy = await claimsOf(tx, hub.id, held, origin.now);
  if (claimedBy.size === 0) return 0;
  const why = (op: Readonly<Operation>) => { const row = memberRowOf(op); return row === undefined ? undefined : claimedBy.get(row)?.(op); };
  let released = await releaseKept(tx, hub, why, origin, approvals);
  if (report) released += withdrawFromReport(tx, report, why, origin);
  return released;
}

/** Row id → the reason its held removal for someone else no longer stands (undefined: for its holder). */
async function claimsOf(tx: Transaction, hubId: string, held: ReadonlyArray<Readonly<Operation>>, now: Date): Promise<Map<string, (op: Readonly<Operation>) => string | undefined>> {
  const rows = [...new Set(held.map(memberRowOf).filter((r): r is string => r !== undefined))];
  const holders = await seatHoldersIn(tx, hubId, rows, now);
  const single = [...holders].flatMap(([row, ids]) => (ids.length === 1 ? [[row, ids[0]!] as const] : []));
  const users = await getAcross(tx, 'directoryUsers', single.map(([, id]) => ({ partition: hubId, id })));
  const out = new Map<string, (op: Readonly<Operation>) => string | undefined>();
  single.forEach(([row, id], n) => {
    const user = users[n];
    if (!user || !isActiveUser(user)) return;
    out.set(row, (op) => (op.directoryUserId === id ? undefined
      : `the seat is now matched to directory user ${id} (${user.userName}), active in the IdP with this email (a rehire or another account of theirs): theirs now, governed by their own groups, so the removal decided for ${op.directoryUserId ? `directory user ${op.directoryUserId}` : 'its former holder'} no longer stands`));
  });
  return out;
}

/**
 * Takes the items `why` names out of the open report (kept as `withdrawn`), each audited `skipped`.
 * A report left with no item is `withdrawn` (`withdrawnBecause`), audited `report-withdrawn`.
 */
export function withdrawFromReport(tx: Transaction, report: Readonly<ReportRecord>, why: (op: Readonly<Operation>) => string | undefined, origin: KeptOrigin): number {
  const at = origin.now.toISOString();
  const out = report.items.flatMap((i) => { const op = i.appliedAt ? undefined : report.operations[i.memberId]; const because = op && why(op); return op && because ? [{ item: i, op, because }] : []; });
  if (out.length === 0) return 0;
  const gone = new Set(out.map((o) => o.item.memberId));
  const items = report.items.filter((i) => !gone.has(i.memberId));
  const operations = Object.fromEntries(Object.entries(report.operations).filter(([row]) => !gone.has(row)));
  const withdrawn = { ...report.withdrawn, ...Object.fromEntries(out.map((o) => [o.item.memberId, { because: o.because, at }])) };
  // Emptied: nothing is left for an owner to apply, so the report closes here (it no longer is
  // the hub's open report: the next leaver goes on a new one), as an approval left with nothing is withdrawn.
  const withdrawnBecause = items.length === 0 ? `every item taken out: ${out.map((o) => `${o.op.summary}: ${o.because}`).join('; ')}` : undefined;
  const status = withdrawnBecause ? 'withdrawn' as const : items.every((i) => i.appliedAt) ? 'applied' as const : report.status;
  tx.put('reports', report.hubId, report.id, { ...report, items, operations, withdrawn, status, ...(withdrawnBecause ? { withdrawnBecause } : {}) });
  const taskId = origin.taskId ? { taskId: origin.taskId } : {};
  for (const { op, because } of out) {
    appendAudit(tx, { hubId: report.hubId, trigger: origin.trigger, ...taskId, action: op.kind, subject: subjectOf(op), at,
      why: `${op.summary}: not done, ${because} (taken out of deprovisioning report ${report.id})`, outcome: 'skipped', detail: { reportId: report.id, reason: op.reason } });
  }
  if (withdrawnBecause) {
    appendAudit(tx, { hubId: report.hubId, trigger: origin.trigger, ...taskId, action: 'report-withdrawn', subject: { label: `deprovisioning report ${report.id}` }, at,
      why: `deprovisioning report ${report.id} withdrawn before an owner applied it: ${withdrawnBecause}; nothing to apply`, outcome: 'ok', detail: { reportId: report.id, items: out.length } });
  }
  return out.length;
}

/** The emails (`emailKey`) of these directory users, read through `tx`: a dispatch's people, for `HeldLists.emails`. */
export async function emailsOfUsers(tx: Pick<Transaction, 'getMany'>, hubId: string, ids: readonly string[]): Promise<Set<string>> {
  const users = await getAcross(tx, 'directoryUsers', ids.map((id) => ({ partition: hubId, id })));
  return new Set(users.flatMap((u) => (u ? matchingEmailsOf(u).map(emailKey) : [])));
}

/** The open report of each of these hubs (undefined: none), read at once beside the dispatcher's other reads. */
export function openReportsOfHubs(tx: Pick<Transaction, 'lookup'>, hubIds: Iterable<string>): Promise<Map<string, Readonly<ReportRecord> | undefined>> {
  return readPerHub(hubIds, (id) => openReportOf(tx, id));
}

/**
 * `releaseClaimedSeats` for people planned together (the dispatcher's batch), once per hub, for
 * the held removals of rows carrying their emails: nothing is read beyond `approvals` and
 * `reports` (as read in the same transaction) unless one of them holds a removal. Approvals are
 * read again through `tx` (releaseKeptOfPlans may have changed them just before).
 */
export async function releaseClaimedOfPlans(tx: Transaction, people: ReadonlyArray<{ hub: HubConfigFile; userId: string; planned: boolean; trigger: KeptOrigin['trigger'] }>, now: Date, approvals: ReadonlyMap<string, ReadonlyArray<Readonly<ApprovalRecord>>>, reports: ReadonlyMap<string, Readonly<ReportRecord> | undefined>): Promise<void> {
  const byHub = new Map<string, { hub: HubConfigFile; trigger: KeptOrigin['trigger']; ids: string[] }>();
  for (const p of people) {
    if (!p.planned) continue;
    const h = byHub.get(p.hub.id) ?? { hub: p.hub, trigger: p.trigger, ids: [] };
    h.ids.push(p.userId);
    byHub.set(p.hub.id, h);
  }
  for (const { hub, trigger, ids } of byHub.values()) {
    const pending = (approvals.get(hub.id) ?? []).some((a) => a.status === 'pending' && !a.offboard && a.planned.some(isSeatRemoval));
    const report = reports.get(hub.id);
    if (!pending && !report?.items.some((i) => !i.appliedAt)) continue;
    const emails = await emailsOfUsers(tx, hub.id, ids);
    if (emails.size > 0) await releaseClaimedSeats(tx, hub, { trigger, now }, { ...(pending ? {} : { approvals: [] }), report: report ?? null, emails });
  }
}
