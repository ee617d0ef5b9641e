import type { AgentApi, MemberView, PersonChangeOptions } from '../../agent/api.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { memberRowOf, type Operation } from '../../agent/plan/operation.ts';
import { approvalAsChecked } from '../../agent/safety/approvals.ts';
import { Problem } from '../admin/problem.ts';
import type { Refusal } from './scoped-agent.ts';

/**
 * The removal's rank rule (scoped-agent.ts) for approving a halted plan: the removal brake holds
 * the plan's removals and downgrades as one approval, and approving it runs them all. A deactivated
 * owner's removal, with `confirmDeprovisioning` off, waits there instead of in a report; a manager
 * approving it removed the owner's seat that `/remove` and applying a report refuse them. So each
 * operation that takes something away (effect `removal` or `downgrade`: a seat, a role, an asset,
 * an invitation) is checked as a removal is, for whom it names (else the row's holders); one that
 * takes from someone ranked above the viewer refuses the approval (403 naming them, each audited as
 * `approval-approved` with outcome `failed`, nothing queued): an owner must approve it. Rejecting
 * stays the manager's (it removes nobody).
 *
 * The check is pinned to the approval it read: the decision's transaction refuses (409) one whose
 * operations changed since (`approvalAsChecked`), as a plan halting again with the same operation
 * keys refreshes the approval under the same id, and a key names the row, not whose seat it is.
 */
export interface ApprovalRankDeps {
  agent: Pick<AgentApi, 'member'>;
  /** The approval's planned operations as stored; undefined when the dashboard cannot read them. */
  operations?: (hubId: string, approvalId: string) => Promise<readonly Operation[] | undefined>;
  /** The rank rule: the 403's detail when `holder` ranks above the viewer, else undefined. */
  aboveViewer(hubId: string, holder: string, what: string): Promise<string | undefined>;
  holdersOf(row: MemberView | undefined): string[];
  /** Audits one refusal (outcome `failed`) as the person who asked. */
  refused?(hubId: string, refusal: Refusal): Promise<void>;
}

const TAKES = new Set<Operation['effect']>(['removal', 'downgrade']);

/** Checks a ranked viewer's (a manager's) approval; the options that pin it to the approval checked. */
export async function approvalRankOptions(d: ApprovalRankDeps, hubId: string, approvalId: string, trigger: Trigger | undefined): Promise<PersonChangeOptions> {
  const planned = await d.operations?.(hubId, approvalId);
  if (!planned) throw new Problem(403, 'forbidden', 'this view of the dashboard cannot check whose seats an approval removes');
  const taken: Array<{ op: Operation; rowId?: string; holder: string }> = [];
  let rule: string | undefined;
  for (const op of planned) {
    if (!TAKES.has(op.effect)) continue;
    const rowId = memberRowOf(op);
    const holders = op.directoryUserId !== undefined ? [op.directoryUserId] : rowId !== undefined ? d.holdersOf(await d.agent.member(hubId, rowId)) : [];
    for (const holder of holders) {
      const above = await d.aboveViewer(hubId, holder, 'remove or lower the seat of');
      if (!above) continue;
      rule ??= above;
      taken.push({ op, rowId, holder });
      break;
    }
  }
  if (rule !== undefined) {
    const detail = `${rule}; approval ${approvalId} would ${taken.map((t) => t.op.summary).join('; ')}: an owner must approve it`;
    // Each in the trail of the person it would take from, as a refused removal is.
    for (const { op, rowId, holder } of taken) {
      await d.refused?.(hubId, {
        action: 'approval-approved', asked: `approve approval ${approvalId}`, rule: detail,
        subject: { label: `approval ${approvalId}`, ...(rowId ? { memberId: rowId } : {}), ...(op.email ? { email: op.email } : {}), directoryUserId: holder },
        ...(trigger?.reason ? { reason: trigger.reason } : {}),
      });
    }
    throw new Problem(403, 'forbidden', detail);
  }
  return { within: approvalAsChecked(hubId, approvalId, planned) };
}
