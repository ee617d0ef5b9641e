import { randomUUID } from 'node:crypto';
import { AgentError } from '../agent-error.ts';
import type { DeprovisioningReport } from '../api.ts';
import type { Operation } from '../plan/operation.ts';
import { memberRowOf } from '../plan/operation.ts';
import type { ReadView, Transaction } from '../store/store.ts';
import { operationTaskKey } from '../tasks/operations/enqueue-operation.ts';
import { isFinished } from '../tasks/task-record.ts';
import { openReportsOf } from './held-indexes.ts';

/**
 * Deprovisioning reports: with `confirmDeprovisioning`, removals because the
 * IdP deactivated or deleted someone wait for an owner, who applies them all or per member.
 * Collection `reports`, partition = hub id; one open report per hub collects new items.
 * `operations` keeps, per member row, the operation applying the item runs.
 */
export interface ReportRecord extends DeprovisioningReport {
  operations: Record<string, Operation>;
  /**
   * Items taken out before an owner applied them, by member row: the seat became another active
   * directory user's (claimed-seats.ts), with why; the report's view no longer lists them.
   */
  withdrawn?: Record<string, { because: string; at: string }>;
}

declare module '../store/collections.ts' {
  interface Collections {
    reports: ReportRecord;
  }
}

/** The hub's open report, read by index (held-indexes.ts: not the hub's applied ones). */
export async function openReportOf(tx: Pick<ReadView, 'lookup'>, hubId: string): Promise<Readonly<ReportRecord> | undefined> {
  return (await openReportsOf(tx, hubId))[0];
}

/**
 * The keys of the seat removals among `ops` that are not for an owner to decide (again), each
 * with why (the task its removal is queued under, or the seat gone), read
 * through `tx`. A removal an owner applied is queued, and until it has run the seat is still in
 * the snapshot: every re-plan of the hub in between (a later pass, after a reconcile or a check
 * for updates) plans it again. Before, that put a second item for the row on the open report (or,
 * the first one applied in full, on a new report): the owner was asked again for a removal they
 * had approved, and applying it audited a second `apply-report` for the one task its key
 * (enqueue-operation.ts `operationTaskKey`) already held. So: not while an unfinished task holds
 * the operation's key (an applied item's, an approval's, an offboarding's; a settle-lane one hands
 * a removal that became deprovisioning to this lane when it runs, operation-handler.ts), nor once
 * the snapshot no longer lists the seat or invite (its removal completed after this plan read it:
 * recordInSnapshot deletes the row in the completing transaction). Read in the transaction, so a
 * removal queued or completed meanwhile is seen (on PostgreSQL the later commit runs again); read
 * at once for the batch (a mass deactivation is hundreds of rows).
 */
async function queuedOrGone(tx: Pick<ReadView, 'getMany'>, hubId: string, ops: readonly Operation[]): Promise<Map<string, { why: string; queuedUnder?: string }>> {
  const members = ops.flatMap((op) => (op.kind === 'remove-member' ? [op] : []));
  const invites = ops.flatMap((op) => (op.kind === 'cancel-invite' ? [op] : []));
  const all = [...members, ...invites];
  if (all.length === 0) return new Map();
  const [refs, seats, pending] = await Promise.all([
    tx.getMany('taskKeys', hubId, all.map(operationTaskKey)),
    tx.getMany('appMembers', hubId, members.map((op) => op.memberId)),
    tx.getMany('appInvites', hubId, invites.map((op) => op.inviteId)),
  ]);
  const ids = refs.flatMap((r) => (r ? [r.taskId] : []));
  const tasks = ids.length > 0 ? await tx.getMany('tasks', hubId, ids) : [];
  const queued = new Map(tasks.flatMap((t) => (t && !isFinished(t) ? [[t.idempotencyKey, t.id] as const] : [])));
  const listed = [...seats, ...pending];
  const why = new Map<string, { why: string; queuedUnder?: string }>();
  all.forEach((op, n) => {
    const task = queued.get(operationTaskKey(op));
    if (task) why.set(op.key, { why: `its removal is already queued (task ${task})`, queuedUnder: task });
    else if (!listed[n]) why.set(op.key, { why: `the ${op.kind === 'remove-member' ? 'seat' : 'invite'} is already gone (no longer in the app snapshot)` });
  });
  return why;
}

/** What `addToReport` did with each seat removal: the rows added, those on the open report already, and those left off with why. */
export interface ReportAddition {
  /** The report the rows are on (the open one, or a new one written for them); undefined when nothing was added and no report is open. */
  report: ReportRecord | undefined;
  added: string[];
  /** Rows already an item of the open report, not yet applied: on the report, not added twice. */
  onReport: string[];
  /** Not put on the report, with why (its removal queued under task `queuedUnder`, or the seat gone): no owner will see them. */
  skipped: Array<{ row: string; op: Operation; why: string; queuedUnder?: string }>;
}

/**
 * Adds removals to the hub's open report (an item already there is not added twice, nor one
 * `queuedOrGone` names: queued already, or gone). Returns the
 * rows added, those already items of the open report, those left off with why (`skipped`: a
 * caller's trail and count must not claim an item for them), and the report they are on: the open one, or a new one written for them. Nothing
 * added, no report is written: a new report with no item was shown open (dashboard, admin API)
 * with nothing for an owner to apply, and stayed so until the next leaver's item. `report` is
 * then the hub's open report, or undefined when it has none.
 * Only seat removals (remove-member, cancel-invite) are items: the only operations of the
 * `deprovision` class (classify.ts), since a deactivated or deleted person's grant holds nothing
 * and the plan removes their seat alone (plan.ts), and the only ones an offboarding builds.
 */
export async function addToReport(tx: Transaction, hubId: string, ops: readonly Operation[], now: Date): Promise<ReportAddition> {
  const open = await openReportOf(tx, hubId);
  const report: ReportRecord = open
    ? { ...open, items: [...open.items], operations: { ...open.operations } }
    : { id: randomUUID(), hubId, createdAt: now.toISOString(), status: 'open', items: [], operations: {} };
  const added: string[] = [];
  const onReport: string[] = [];
  const skipped: ReportAddition['skipped'] = [];
  const skip = await queuedOrGone(tx, hubId, ops);
  for (const op of ops) {
    const row = memberRowOf(op);
    if (!row || (op.kind !== 'remove-member' && op.kind !== 'cancel-invite')) continue;
    if (report.items.some((i) => i.memberId === row && !i.appliedAt)) {
      onReport.push(row);
      continue;
    }
    const left = skip.get(op.key);
    if (left) {
      skipped.push({ row, op, ...left });
      continue;
    }
    report.items.push({ memberId: row, email: op.email, directoryUserId: op.directoryUserId, action: op.kind, reason: op.summary });
    report.operations[row] = op;
    added.push(row);
  }
  if (added.length === 0) return { report: open ? report : undefined, added, onReport, skipped };
  tx.put('reports', hubId, report.id, report);
  return { report, added, onReport, skipped };
}

/**
 * Why applying the report is refused (a conflict), or undefined: applied already, dismissed, or
 * withdrawn (claimed-seats.ts: every item taken out before an owner applied it; nothing runs).
 */
export function closedReport(r: Readonly<ReportRecord>): AgentError | undefined {
  if (r.status === 'withdrawn') return new AgentError('conflict', `agent: report ${r.id} was withdrawn before an owner applied it (${r.withdrawnBecause ?? 'every item taken out'}); nothing was queued`);
  return r.status === 'applied' || r.status === 'dismissed' ? new AgentError('conflict', `agent: report ${r.id} is already ${r.status}`) : undefined;
}

/** A report by id, on any hub. */
export async function findReport(tx: Pick<ReadView, 'partitions' | 'get'>, id: string): Promise<Readonly<ReportRecord> | undefined> {
  for (const p of await tx.partitions('reports')) {
    const r = await tx.get('reports', p, id);
    if (r) return r;
  }
  return undefined;
}

/** Public view of a report (without the stored operations). */
export function toReportView(r: Readonly<ReportRecord>): DeprovisioningReport {
  const { operations: _ops, withdrawn: _withdrawn, ...view } = r;
  return view;
}
