import type { AgentApi, MemberView, TaskView } from '../../agent/api.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { seatHoldersIn } from '../../agent/members/seat-holders.ts';
import type { ReadView } from '../../agent/store/store.ts';
import type { Problem } from '../admin/problem.ts';
import type { Refusal } from './scoped-agent.ts';

/**
 * The removal's rank rule (scoped-agent.ts) for a ranked viewer (a manager) removing a seat: a
 * manager does not take away the seat of an owner (an owner's seat often holds the app's admin
 * role), also not that of an owner the IdP deactivated. Whose seat it is: whom it is matched to,
 * else each candidate of a disputed seat, with their rank from their groups, as for a match.
 * Removing one's own seat stays theirs (`aboveViewer` says so).
 *
 * Checked twice: first here (a refusal before anything reaches the agent), then again inside the
 * transaction that queues the removal (`removeMember`'s `within`), with whom the row is matched to
 * read through it (agent/members/seat-holders.ts): an owner's or administrator's re-match of the
 * row to a hub owner committed between the first check and the removal was not seen by the first,
 * and the owner's removal (forced: run without a re-plan) took the owner's seat. Either refusal is
 * the same audited 403 (who asked, which seat, whose, the rule), audited once: the one inside the
 * transaction after the transaction ended (nothing of it committed). As report-rank.ts does.
 */
export interface RemovalRankDeps {
  agent: Pick<AgentApi, 'member' | 'removeMember'>;
  /** The rank rule: the 403's detail when `holder` ranks above the viewer, else undefined; `view`: read through it. */
  aboveViewer(hubId: string, holder: string, what: string, view?: ReadView): Promise<string | undefined>;
  holdersOf(row: MemberView | undefined): string[];
  /** Audits the refusal (outcome `failed`, as the person who asked) and returns the 403 to throw. */
  refuse(hubId: string, refusal: Refusal, trigger: Trigger | undefined): Promise<Problem>;
}

/** A refusal found inside the removal's transaction: thrown there (nothing staged), audited once it ended. */
class RefusedWithin extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.rule);
  }
}

/** Removes `memberId` of `hubId` (a hub the viewer manages) as a ranked viewer may. */
export async function removeRanked(d: RemovalRankDeps, hubId: string, memberId: string, trigger: Trigger): Promise<TaskView> {
  const row = await d.agent.member(hubId, memberId);
  const refusalOf = async (holders: readonly string[], view?: ReadView): Promise<Refusal | undefined> => {
    for (const holder of holders) {
      const rule = await d.aboveViewer(hubId, holder, 'remove the seat of', view);
      if (rule) return { action: 'remove-member', asked: `remove ${row?.email ?? memberId}`, subject: { memberId, ...(row?.email ? { email: row.email } : {}), directoryUserId: holder }, rule };
    }
    return undefined;
  };
  const first = await refusalOf(d.holdersOf(row));
  if (first) throw await d.refuse(hubId, first, trigger);
  try {
    return await d.agent.removeMember(hubId, memberId, trigger, {
      async within(tx) {
        const now = await seatHoldersIn(tx, hubId, [memberId], new Date());
        const refusal = await refusalOf(now.get(memberId) ?? [], tx);
        if (refusal) throw new RefusedWithin(refusal);
      },
    });
  } catch (e) {
    if (e instanceof RefusedWithin) throw await d.refuse(hubId, e.refusal, trigger);
    throw e;
  }
}
