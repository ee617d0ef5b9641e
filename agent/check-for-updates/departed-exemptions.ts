/**
 * Exemptions whose row has left the hub end with it. An exemption is an owner's trust in one
 * seat or invite (keyed by its row id, standing/row-ids.ts), not in an email: kept after the seat
 * is gone, it covered whoever came back under the same row id later (a TikTok member's id is the
 * person's own user id, so a re-invited person returns as the same row) without anyone deciding
 * so again. Ended only from a COMPLETE check for updates: a failed or filtered reading is no
 * evidence that anyone left, as for removals (plan/removal.ts).
 *
 * Ended only once two complete checks in a row found the row gone: this one, and the one before
 * it (the previous snapshot, when it held every member and invite). One listing that wrongly
 * lacked a row (the app answering a complete-looking but short page) would otherwise end an
 * owner's deliberate decision at once, and when the row was listed again it was a seat "added by
 * hand", removed under `safety.drift: correct` with no owner deciding it. A row back in the next
 * listing keeps its exemption; the person returning months later (the case above) is still not
 * covered.
 *
 * Ended, not forgotten: the audit log keeps the whole exemption (reason, who granted it, when,
 * until) with why it ended, the way an owner's `unexempt` and a lapse end one
 * (members/member-decisions.ts, matching/hub-matching.ts). The members view, write-back and the
 * SCIM extension read exemptions in force only, so from then on they say the row is not exempted.
 */
import type { AppInviteRecord, AppMemberRecord, ExemptionRecord } from '../app-state/records.ts';
import { inviteStatusAt } from '../app-state/invite-status.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { exemptionInForce } from '../standing/exemption.ts';
import { inviteIdOf, rowKindOf } from '../standing/row-ids.ts';
import type { Transaction } from '../store/store.ts';

/** Who ends them: no person decided it, the check found the row gone. */
export const DEPARTED_TRIGGER: Trigger = { type: 'agent', actor: 'system', detail: 'check for updates: member no longer in the hub' };

export interface EndedExemption {
  exemption: Readonly<ExemptionRecord>;
  /** What the complete listing showed of the row. */
  because: 'member-gone' | 'invite-gone' | `invite-${Exclude<AppInviteRecord['status'], 'pending'>}`;
}

/**
 * Why an exemption in force no longer has a row to cover, or undefined while it has one. An
 * invite's exemption ends with the invite: cancelled (gone from the listing, or listed as
 * canceled), expired (by the app or past the expiry hubwarden knows, inviteStatusAt), declined,
 * or accepted (the seat it became carries the exemption when the check finds it,
 * renamed-rows.ts; the invite row itself holds nothing any more). A partner's person is not
 * judged here: that partner's people may be kept from an earlier read (snapshot.ts).
 */
export function departureOf(rowId: string, members: ReadonlyMap<string, Readonly<AppMemberRecord>>, invites: ReadonlyMap<string, Readonly<AppInviteRecord>>, now: string): EndedExemption['because'] | undefined {
  const kind = rowKindOf(rowId);
  if (kind === 'member') return members.has(rowId) ? undefined : 'member-gone';
  if (kind !== 'invite') return undefined;
  const invite = invites.get(inviteIdOf(rowId)!);
  if (!invite) return 'invite-gone';
  const status = inviteStatusAt(invite, now);
  return status === 'pending' ? undefined : `invite-${status}`;
}

const WHAT: Record<EndedExemption['because'], string> = {
  'member-gone': 'the app no longer lists the member',
  'invite-gone': 'the app no longer lists the invite (cancelled)',
  'invite-canceled': 'the invite was cancelled',
  'invite-expired': 'the invite expired',
  'invite-declined': 'the invite was declined',
  'invite-accepted': 'the invite was accepted and no seat of it was found',
};

/**
 * Ends (deletes and audits) every exemption in force whose row the snapshot no longer holds and
 * the previous snapshot did not hold either. `complete`: whether the reading listed every member
 * and invite; when not, nothing ends. `before`: the previous snapshot when it held every member
 * and invite (run-check.ts `baseline`), else undefined: a row it lacked may merely have been
 * unread, so nothing ends until a second complete check agrees. Runs in
 * the check's transaction after renamed rows carried their exemptions (renamed-rows.ts) and before
 * matching, so the row's match no longer says exempted. Lapsed exemptions are left to matching,
 * which retires them as lapsed (hub-matching.ts).
 */
export async function endDepartedExemptions(
  tx: Transaction, hubId: string, snapshot: { members: readonly AppMemberRecord[]; invites: readonly AppInviteRecord[] },
  complete: boolean, now: string, taskId: string,
  before: { members: readonly AppMemberRecord[]; invites: readonly AppInviteRecord[] } | undefined,
): Promise<EndedExemption[]> {
  if (!complete || !before) return [];
  const members = new Map(snapshot.members.map((m) => [m.id, m]));
  const invites = new Map(snapshot.invites.map((i) => [i.id, i]));
  const membersBefore = new Map(before.members.map((m) => [m.id, m]));
  const invitesBefore = new Map(before.invites.map((i) => [i.id, i]));
  const ended: EndedExemption[] = [];
  for await (const exemption of tx.list('exemptions', hubId)) {
    if (!exemptionInForce(exemption, now)) continue;
    const because = departureOf(exemption.memberId, members, invites, now);
    // Gone in this listing only: the next complete check decides (one odd listing ends no trust).
    if (because && departureOf(exemption.memberId, membersBefore, invitesBefore, now)) ended.push({ exemption, because });
  }
  for (const { exemption: e, because } of ended) {
    tx.delete('exemptions', hubId, e.memberId);
    appendAudit(tx, {
      hubId, trigger: DEPARTED_TRIGGER, taskId, action: 'exemption-ended', outcome: 'ok',
      subject: { memberId: e.memberId, ...(e.email ? { email: e.email } : {}) },
      why: `member no longer in the hub: the exemption of ${e.email ?? e.memberId} ("${e.reason}", by ${e.by}) ended because ${WHAT[because]} in a complete check for updates, as in the one before it; `
        + 'a later seat or invite, even for the same email or under the same id, is not covered unless an owner exempts it again',
      detail: { because, reason: e.reason, by: e.by, at: e.at, ...(e.until ? { until: e.until } : {}) },
    });
  }
  return ended;
}
