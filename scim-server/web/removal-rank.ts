import type { AgentApi, MemberView, PersonChangeOptions, TaskView } from '../../agent/api.ts';
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
 * transaction after the transaction ended (nothing of it committed). As report-rank.ts does. A
 * match to someone else and an un-match take the seat from its holder as a removal does, and are
 * checked inside their transaction the same way (`holdersCheckedWithin`, scoped-agent.ts).
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
  const refusal = (holder: string): Omit<Refusal, 'rule'> => ({ action: 'remove-member', asked: `remove ${row?.email ?? memberId}`, subject: { memberId, ...(row?.email ? { email: row.email } : {}), directoryUserId: holder } });
  const first = await refusalAmong(d, hubId, d.holdersOf(row), 'remove the seat of', refusal);
  if (first) throw await d.refuse(hubId, first, trigger);
  return holdersCheckedWithin(d, hubId, memberId, 'remove the seat of', trigger, refusal, (options) => d.agent.removeMember(hubId, memberId, trigger, options));
}

/** The refusal for the first of `holders` ranked above the viewer (`what`: "remove the seat of"), else undefined. */
export async function refusalAmong(d: Pick<RemovalRankDeps, 'aboveViewer'>, hubId: string, holders: readonly string[], what: string, refusal: (holder: string) => Omit<Refusal, 'rule'>, view?: ReadView): Promise<Refusal | undefined> {
  for (const holder of holders) {
    const rule = await d.aboveViewer(hubId, holder, what, view);
    if (rule) return { ...refusal(holder), rule };
  }
  return undefined;
}

/** Whose seat row `memberId` is for the check inside the transaction, read through `view` (exemption-rank.ts: only while an exemption is in force). */
export type HoldersIn = (view: ReadView, hubId: string, memberId: string, now: Date) => Promise<string[]>;
const rowHoldersIn: HoldersIn = async (view, hubId, memberId, now) => (await seatHoldersIn(view, hubId, [memberId], now)).get(memberId) ?? [];

/**
 * Runs a ranked viewer's decision about row `memberId` (`call`: the agent's removal, match or
 * un-match, given the options) with the rank rule checked again inside its transaction: whom the
 * row is matched to there (but `spare`: a match's own target; `holdersIn`: whose seat it is for
 * the decision), each ranked no higher than the viewer. A refusal there commits nothing; it is
 * audited once the transaction ended, and thrown as the 403 the first check throws.
 */
export async function holdersCheckedWithin<T>(d: Pick<RemovalRankDeps, 'aboveViewer' | 'refuse'>, hubId: string, memberId: string, what: string, trigger: Trigger, refusal: (holder: string) => Omit<Refusal, 'rule'>, call: (options: PersonChangeOptions) => Promise<T>, spare?: string, holdersIn: HoldersIn = rowHoldersIn): Promise<T> {
  try {
    return await call({
      async within(tx) {
        const now = await holdersIn(tx, hubId, memberId, new Date());
        const refused = await refusalAmong(d, hubId, now.filter((holder) => holder !== spare), what, refusal, tx);
        if (refused) throw new RefusedWithin(refused);
      },
    });
  } catch (e) {
    if (e instanceof RefusedWithin) throw await d.refuse(hubId, e.refusal, trigger);
    throw e;
  }
}
