import { randomUUID } from 'node:crypto';
import { AgentError } from '../agent-error.ts';
import type { DeprovisioningReport } from '../api.ts';
import type { Operation } from '../plan/operation.ts';
import { memberRowOf } from '../plan/operation.ts';
import type { ReadView, Transaction } from '../store/store.ts';
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
 * Adds removals to the hub's open report (an item already there is not added twice). Returns the
 * rows added, and the report they are on: the open one, or a new one written for them. Nothing
 * added, no report is written: a new report with no item was shown open (dashboard, admin API)
 * with nothing for an owner to apply, and stayed so until the next leaver's item. `report` is
 * then the hub's open report, or undefined when it has none.
 * Only seat removals (remove-member, cancel-invite) are items: the only operations of the
 * `deprovision` class (classify.ts), since a deactivated or deleted person's grant holds nothing
 * and the plan removes their seat alone (plan.ts), and the only ones an offboarding builds.
 */
export async function addToReport(tx: Transaction, hubId: string, ops: readonly Operation[], now: Date): Promise<{ report: ReportRecord | undefined; added: string[] }> {
  const open = await openReportOf(tx, hubId);
  const report: ReportRecord = open
    ? { ...open, items: [...open.items], operations: { ...open.operations } }
    : { id: randomUUID(), hubId, createdAt: now.toISOString(), status: 'open', items: [], operations: {} };
  const added: string[] = [];
  for (const op of ops) {
    const row = memberRowOf(op);
    if (!row || (op.kind !== 'remove-member' && op.kind !== 'cancel-invite')) continue;
    if (report.items.some((i) => i.memberId === row && !i.appliedAt)) continue;
    report.items.push({ memberId: row, email: op.email, directoryUserId: op.directoryUserId, action: op.kind, reason: op.summary });
    report.operations[row] = op;
    added.push(row);
  }
  if (added.length === 0) return { report: open ? report : undefined, added };
  tx.put('reports', hubId, report.id, report);
  return { report, added };
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
