import type { AgentApi, MemberView, PersonChangeOptions } from '../../agent/api.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { memberRowOf, type Operation } from '../../agent/plan/operation.ts';
import { approvalAsChecked } from '../../agent/safety/approvals.ts';
import { seatHoldersIn } from '../../agent/members/seat-holders.ts';
import type { ReadView } from '../../agent/store/store.ts';
import { Problem } from '../admin/problem.ts';
import type { Refusal } from './scoped-agent.ts';

/**
 * The removal's rank rule (scoped-agent.ts) for approving a halted plan: the removal brake holds
 * the plan's removals and downgrades as one approval, and approving it runs them all. A deactivated
 * owner's removal, with `confirmDeprovisioning` off, waits there instead of in a report; a manager
 * approving it removed the owner's seat that `/remove` and applying a report refuse them. So each
 * operation that takes something away (effect `removal` or `downgrade`: a seat, a role, an asset,
 * an invitation) is checked as a removal is, for whom it names and whom its row is matched to now; one that
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
  aboveViewer(hubId: string, holder: string, what: string, view?: ReadView): Promise<string | undefined>;
  holdersOf(row: MemberView | undefined): string[];
  /** Audits one refusal (outcome `failed`) as the person who asked. */
  refused?(hubId: string, refusal: Refusal): Promise<void>;
}

const TAKES = new Set<Operation['effect']>(['removal', 'downgrade']);

/** A refusal found inside the decision's transaction: thrown there (nothing staged), audited once it ended. */
class RefusedWithin extends Error {
  constructor(readonly taken: Taken[], readonly detail: string) {
    super(detail);
  }
}

type Taken = { op: Operation; rowId?: string; holder: string };

/**
 * Checks a ranked viewer's (a manager's) approval, then `decide`s it with options that check it
 * again inside the decision's transaction: the operations are the ones checked
 * (`approvalAsChecked`), and whom each row is matched to, read through that transaction
 * (agent/members/seat-holders.ts), ranks no higher than the viewer. An owner's or administrator's
 * re-match of a held row to a hub owner committed between the first check and the decision was
 * not seen by the first (the approval keeps the operations it halted with), and approving removed
 * the owner's seat. Either refusal is the same audited 403.
 */
export async function approveRanked<T>(d: ApprovalRankDeps, hubId: string, approvalId: string, trigger: Trigger | undefined, decide: (options: PersonChangeOptions) => Promise<T>): Promise<T> {
  const planned = await d.operations?.(hubId, approvalId);
  if (!planned) throw new Problem(403, 'forbidden', 'this view of the dashboard cannot check whose seats an approval removes');
  const taking = planned.filter((op) => TAKES.has(op.effect));
  const first = await refusalOf(d, hubId, approvalId, taking, async (op, rowId) => (rowId !== undefined ? d.holdersOf(await d.agent.member(hubId, rowId)) : []));
  if (first) throw await refuse(d, hubId, approvalId, first, trigger);
  const pinned = approvalAsChecked(hubId, approvalId, planned);
  try {
    return await decide({
      async within(tx) {
        await pinned(tx);
        const rows = [...new Set(taking.flatMap((op) => memberRowOf(op) ?? []))];
        const now = await seatHoldersIn(tx, hubId, rows, new Date());
        const refusal = await refusalOf(d, hubId, approvalId, taking, async (_op, rowId) => (rowId !== undefined ? now.get(rowId) ?? [] : []), tx);
        if (refusal) throw refusal;
      },
    });
  } catch (e) {
    if (e instanceof RefusedWithin) throw await refuse(d, hubId, approvalId, e, trigger);
    throw e;
  }
}

/**
 * The refusal of the operations that take from someone ranked above the viewer: whom each names
 * AND whom its row is matched to (`holdersOf`; a disputed row: each candidate). A held operation
 * is not refreshed until the plan halts again, so one recorded for a collaborator may act on a row
 * an owner or administrator matched to a hub owner since, and the agent's re-plan then takes the
 * seat from whom it is matched to (as a report item's, docs/security.md entry 146).
 */
async function refusalOf(d: ApprovalRankDeps, hubId: string, approvalId: string, taking: readonly Operation[], holdersOf: (op: Operation, rowId: string | undefined) => Promise<readonly string[]>, view?: ReadView): Promise<RefusedWithin | undefined> {
  const taken: Taken[] = [];
  let rule: string | undefined;
  for (const op of taking) {
    const rowId = memberRowOf(op);
    const holders = new Set([...(op.directoryUserId !== undefined ? [op.directoryUserId] : []), ...(await holdersOf(op, rowId))]);
    for (const holder of holders) {
      const above = await d.aboveViewer(hubId, holder, 'remove or lower the seat of', view);
      if (!above) continue;
      rule ??= above;
      taken.push({ op, rowId, holder });
      break;
    }
  }
  if (rule === undefined) return undefined;
  return new RefusedWithin(taken, `${rule}; approval ${approvalId} would ${taken.map((t) => t.op.summary).join('; ')}: an owner must approve it`);
}

/** Audits each operation refused in the trail of the person it would take from, as a refused removal is; the 403 to throw. */
async function refuse(d: ApprovalRankDeps, hubId: string, approvalId: string, r: RefusedWithin, trigger: Trigger | undefined): Promise<Problem> {
  for (const { op, rowId, holder } of r.taken) {
    await d.refused?.(hubId, {
      action: 'approval-approved', asked: `approve approval ${approvalId}`, rule: r.detail,
      subject: { label: `approval ${approvalId}`, ...(rowId ? { memberId: rowId } : {}), ...(op.email ? { email: op.email } : {}), directoryUserId: holder },
      ...(trigger?.reason ? { reason: trigger.reason } : {}),
    });
  }
  return new Problem(403, 'forbidden', r.detail);
}
