import type { AgentApi, DeprovisioningReport, MemberView } from '../../agent/api.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import type { ReadView } from '../../agent/store/store.ts';
import type { Problem } from '../admin/problem.ts';
import type { Refusal } from './scoped-agent.ts';

/**
 * The removal's rank rule (scoped-agent.ts) for a ranked viewer (a manager) applying a
 * deprovisioning report: applying an item removes its seat, so an item is refused when the person
 * it was recorded for, or whom its seat is matched to NOW (a disputed seat: each candidate), ranks
 * above the viewer. Items are not refreshed: a seat matched since to a deactivated owner was
 * removed for them by the agent's re-plan, a manager let through by the item's name.
 *
 * Checked twice: first here (a refusal names the item, before anything reaches the agent), then
 * again inside the transaction that applies the items (`applyReport`'s `within`), with the seats'
 * holders and ranks read through it: an owner's re-match committed between the first check and
 * the apply was not seen by the first, and the manager's apply removed the owner's seat. Either
 * refusal is the same audited 403 (who asked, which item, whose seat, the rule), audited once:
 * the one inside the transaction after the transaction ended (nothing of it committed).
 */
export interface ReportRankDeps {
  agent: Pick<AgentApi, 'member' | 'applyReport'>;
  /** The rank rule: the 403's detail when `holder` ranks above the viewer, else undefined; `view`: read through it. */
  aboveViewer(hubId: string, holder: string, what: string, view?: ReadView): Promise<string | undefined>;
  holdersOf(row: MemberView | undefined): string[];
  /** Audits the refusal (outcome `failed`, as the person who asked) and returns the 403 to throw. */
  refuse(hubId: string, refusal: Refusal, trigger: Trigger | undefined): Promise<Problem>;
}

type Item = DeprovisioningReport['items'][number];

/** A refusal found inside the apply's transaction: thrown there (nothing staged), audited once it ended. */
class RefusedWithin extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.rule);
  }
}

/** Applies `memberIds` of `report` (read by the caller, of a hub the viewer manages) as a ranked viewer may. */
export async function applyReportRanked(d: ReportRankDeps, report: DeprovisioningReport, memberIds: string[] | 'all', trigger: Trigger): Promise<DeprovisioningReport> {
  const hubId = report.hubId;
  const refusalOf = async (item: Item, holders: readonly string[], view?: ReadView): Promise<Refusal | undefined> => {
    for (const holder of new Set([item.directoryUserId, ...holders].filter((id): id is string => id !== undefined))) {
      const rule = await d.aboveViewer(hubId, holder, 'remove the seat of', view);
      if (!rule) continue;
      return {
        action: 'apply-report', asked: `apply report ${report.id} to ${item.email ?? item.memberId}`,
        subject: { memberId: item.memberId, ...(item.email ? { email: item.email } : {}), directoryUserId: holder },
        rule: `${rule}; item ${item.memberId} of report ${report.id} is theirs (apply the others by their member ids)`,
      };
    }
    return undefined;
  };
  const items = report.items.filter((i) => !i.appliedAt && (memberIds === 'all' || memberIds.includes(i.memberId)));
  for (const item of items) {
    const refusal = await refusalOf(item, d.holdersOf(await d.agent.member(hubId, item.memberId)));
    if (refusal) throw await d.refuse(hubId, refusal, trigger);
  }
  // "All" is the items checked: one the open report gained meanwhile (another deactivation) is not applied unchecked.
  const asked = memberIds === 'all' ? [...new Set(items.map((i) => i.memberId))] : memberIds;
  try {
    return await d.agent.applyReport(report.id, asked, trigger, {
      async within(tx, applying) {
        for (const { item, holders } of applying) {
          const refusal = await refusalOf(item, holders, tx);
          if (refusal) throw new RefusedWithin(refusal);
        }
      },
    });
  } catch (e) {
    if (e instanceof RefusedWithin) throw await d.refuse(hubId, e.refusal, trigger);
    throw e;
  }
}
