import type { AgentApi, MemberView, PersonChangeOptions } from '../../agent/api.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { exemptedSeatHoldersIn } from '../../agent/members/seat-holders.ts';
import { holdersCheckedWithin, refusalAmong, type RemovalRankDeps } from './removal-rank.ts';
import type { Refusal } from './scoped-agent.ts';

/**
 * The rank rule (scoped-agent.ts) for a ranked viewer (a manager) ending or replacing an
 * exemption: an exemption in force on a seat matched to someone ranked above the viewer (an
 * exempted row keeps whom it is matched to, agent/matching/match-members.ts) is not the viewer's
 * to end or replace: the plan then manages the seat again, and lowers it to what the holder's
 * groups grant or removes it, the owner's access taken away in two steps as un-match then remove
 * did. Exempting a seat with no exemption in force takes nothing away and is not checked.
 *
 * Checked twice, as a removal is (removal-rank.ts): first here, from the members view, then again
 * inside the transaction that stages the decision (`within`), with the exemption and whom the row
 * is matched to read through it (agent/members/seat-holders.ts `exemptedSeatHoldersIn`). An
 * owner's or administrator's re-match of the exempted row to a hub owner (or an exemption of an
 * owner's seat) committed between the first check and the decision was not seen by the first,
 * and the manager ended or shortened the owner's exemption. Either refusal is the same audited 403.
 */
export type ExemptionRankDeps = Pick<RemovalRankDeps, 'aboveViewer' | 'refuse'> & { agent: Pick<AgentApi, 'member'> };

/** Runs `call` (the agent's exempt or unexempt, given the options) for a ranked viewer, as above. */
export async function exemptionChangedRanked<T>(d: ExemptionRankDeps, hubId: string, memberId: string, trigger: Trigger, action: Refusal['action'], asked: (what: string) => string, call: (options: PersonChangeOptions) => Promise<T>): Promise<T> {
  const what = 'change the exemption of';
  const row: MemberView | undefined = await d.agent.member(hubId, memberId);
  const refusal = (holder: string): Omit<Refusal, 'rule'> => ({ action, asked: asked(row?.email ?? memberId), subject: { memberId, ...(row?.email ? { email: row.email } : {}), directoryUserId: holder } });
  // Whose seat it is: whom it is matched to, else each candidate of a disputed exempted row.
  const holders = !row?.exemption ? [] : row.directoryUserId !== undefined ? [row.directoryUserId] : [...(row.candidates ?? [])];
  const first = await refusalAmong(d, hubId, holders, what, refusal);
  if (first) throw await d.refuse(hubId, first, trigger);
  return holdersCheckedWithin(d, hubId, memberId, what, trigger, refusal, call, undefined, exemptedSeatHoldersIn);
}
