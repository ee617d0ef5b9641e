import { appendAudit } from '../audit/audit-log.ts';
import type { AuditEntry } from '../api.ts';
import type { Store } from '../store/store.ts';
import { subjectOf } from '../tasks/operations/audit-subject.ts';
import { withdrawFromReport } from './claimed-seats.ts';
import { openReportsOf, pendingApprovalsOf } from './held-indexes.ts';
import { withdrawApproval } from './withdraw-approval.ts';

/**
 * What a start does with the changes held for an owner on a hub taken out of the config (its id
 * removed or renamed). Before, a pending approval of such a hub stayed `pending` for good: deciding
 * it was refused (the hub is unknown), its halted task and any offboarding waiting on it waited
 * forever, and each held person's trail ended at "pending"; an open deprovisioning report of it
 * could no longer be applied either. Now each pending approval is withdrawn (`approval-withdrawn`,
 * its halted task cancelled, an offboarding waiting on it goes on as one that began after the hub
 * was removed would: without that hub) with one `skipped` entry per held change, and each open
 * report's unapplied items are taken out (`skipped` each, `report-withdrawn` when none is left).
 * Nothing is removed or changed in any app: the hub is no longer governed. One transaction per
 * hub, reading what it withdraws: of replicas starting together one withdraws, the others find
 * nothing pending.
 *
 * Run at start and again every few minutes (agent.ts), since during a rolling restart that takes
 * the hub out the replicas of the older config still govern it: a pass or an offboarding there
 * held a removal again after the start withdrew the last one, and that approval stayed pending for
 * good once they stopped. A hub the config last recorded in the store names (audit/config-change.ts:
 * the newest start's) is left alone, read in the same transaction: so a replica of the older
 * config, whose own config lacks a hub the newer one added, never withdraws what is held there.
 */
export async function withdrawHeldOfUnconfiguredHubs(store: Store, configured: ReadonlySet<string>, trigger: AuditEntry['trigger'], now: Date): Promise<{ approvals: number; reportItems: number }> {
  const [approvalHubs, reportHubs] = await Promise.all([store.partitions('approvals'), store.partitions('reports')]);
  const gone = [...new Set([...approvalHubs, ...reportHubs])].filter((id) => id !== '' && !configured.has(id));
  let approvals = 0;
  let reportItems = 0;
  for (const hubId of gone) {
    const done = await store.transact(async (tx) => {
      // Named by the newest config a replica started with: governed there, not withdrawn here.
      if ((await tx.get('configState', '', 'governance'))?.view.hubs[hubId] !== undefined) return { approvals: 0, items: 0 };
      const because = `hub ${hubId} is no longer in the config: hubwarden no longer governs it`;
      const at = now.toISOString();
      const pending = await pendingApprovalsOf(tx, hubId);
      for (const a of pending) {
        await withdrawApproval(tx, hubId, a, because, { trigger, now }, 'withdrawn at start', { hubRemoved: true, operations: a.planned.length });
        for (const op of a.planned) {
          appendAudit(tx, { hubId, trigger, action: op.kind, subject: subjectOf(op), at, outcome: 'skipped',
            why: `${op.summary}: not done, ${because} (approval ${a.id} withdrawn)`, detail: { approvalId: a.id, reason: op.reason, hubRemoved: true } });
        }
      }
      let items = 0;
      for (const r of await openReportsOf(tx, hubId)) items += withdrawFromReport(tx, r, () => because, { trigger, now });
      return { approvals: pending.length, items };
    });
    approvals += done.approvals;
    reportItems += done.items;
  }
  return { approvals, reportItems };
}
