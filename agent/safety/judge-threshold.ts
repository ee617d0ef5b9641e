import type { HubConfigFile } from '../../config/schema.ts';
import { inviteStatusAt } from '../app-state/invite-status.ts';
import type { Operation } from '../plan/operation.ts';
import type { ReadView } from '../store/store.ts';
import { taskByKey } from '../tasks/enqueue.ts';
import { operationTaskKey } from '../tasks/operations/enqueue-operation.ts';
import { inviteIdOf } from '../standing/row-ids.ts';
import { accessRemovalKindOf, exceedsAccessThreshold, exceedsRemovalThreshold, type AccessRemovalKind, type EarlierRemovals, type KindJudgement } from './classify.ts';
import { releasedIn, removalWindowOf, removedIn } from './removal-window.ts';

/** Each kind of access removal as the brake's report and audit entries name it. */
export const ACCESS_REMOVAL_LABEL: Record<AccessRemovalKind, string> = {
  seat: 'seat removals', grant: 'asset grant removals', role: 'role demotions', invite: 'invite cancellations',
};

/** The removal threshold's judgement of a batch, with what it was judged against. */
export interface ThresholdJudgement extends ReturnType<typeof exceedsRemovalThreshold> {
  /** The hub's human members (system users not counted). */
  members: number;
  /** Removals let through in the window (removedWithin), to compare with a later read. */
  removedEarlier: number;
  windowMs: number;
  /** "N of M member(s) of hub H (…%)": the seats' share, for an explanation. */
  shareText: string;
  /** The hub's people: human members and pending invites (the base of the other kinds). */
  people: number;
  /** Grants, roles and invites, each judged on its own (exceedsAccessThreshold), with its window. */
  kinds: KindJudgement[];
  /** Each of those kinds' removals let through in the window (removedWithin), to compare with a later read. */
  kindsEarlier: Partial<Record<KindJudgement['kind'], number>>;
  /** The kinds past the threshold (`exceeds`: any), seats first. */
  tripped: AccessRemovalKind[];
  /** What the batch would do, for "this run would …": the kinds that tripped (or the seats' share). */
  brakeText: string;
}

/**
 * Would these removals, with those the threshold let through in the hub's removal window, remove
 * more than `removalThresholdPercent` of the hub's human members? Or take asset grants, an app
 * role or a pending invite from more than that share of the hub's people? Read through `view` (a
 * transaction, to judge what it commits). Every IdP-driven removal is judged here: the settle and
 * deprovisioning passes (apply-removals.ts) and an Okta event hook's offboarding (dispatch/offboard.ts),
 * and an explicit offboarding on a hub with `safety.offboards: threshold` (dispatch/offboard-brake.ts).
 */
export async function judgeRemovalThreshold(view: ReadView, hub: HubConfigFile, ops: readonly Operation[], now: Date): Promise<ThresholdJudgement> {
  // Human members: every member but the system users (counted, not listed).
  let systemMembers = 0;
  for await (const u of view.list('appSystemUsers', hub.id)) if (await view.get('appMembers', hub.id, u.id)) systemMembers++;
  const members = Math.max(0, (await view.count('appMembers', hub.id)) - systemMembers);
  const windowMs = hub.safety.removalWindowMinutes * 60_000;
  // One read of the window record for every kind's count (seats here, the others below).
  const window = await removalWindowOf(view, hub.id);
  const removedEarlier = removedIn(window, now, windowMs);
  const released = releasedIn(window, now, windowMs);
  // Members let through earlier whose removal has not run yet are still listed (and planned again).
  const stillListed = released.memberIds.size === 0 ? 0 : (await view.getMany('appMembers', hub.id, [...released.memberIds])).filter((m) => m !== undefined).length;
  const percent = hub.safety.removalThresholdPercent;
  const threshold = exceedsRemovalThreshold(ops, members, percent, { ...released, stillListed });
  const counted = threshold.earlier > 0
    ? ` (with the ${threshold.earlier} removed in the last ${hub.safety.removalWindowMinutes} minutes, ${threshold.removals + threshold.earlier} of ${threshold.base}: ${threshold.share.toFixed(1)}%)`
    : ` (${threshold.share.toFixed(1)}%)`;
  const shareText = `${threshold.removals} of ${members} member(s) of hub ${hub.id}${counted}`;
  // Only when the batch takes something other than a seat: the pending invites are read then.
  const others = ops.some((o) => o.kind !== 'remove-member');
  const people = others ? members + (await pendingInvites(view, hub.id, now)) : members;
  const earlierKinds = others ? await earlierAccessRemovals(view, hub.id, window, now, windowMs) : undefined;
  const kinds = others ? exceedsAccessThreshold(await notLetThrough(view, hub.id, ops), people, percent, earlierKinds!.released) : [];
  const tripped: AccessRemovalKind[] = [...(threshold.exceeds ? ['seat' as const] : []), ...kinds.filter((k) => k.exceeds).map((k) => k.kind)];
  const phrase = (kind: AccessRemovalKind): string => {
    if (kind === 'seat') return `remove ${shareText}`;
    const k = kinds.find((j) => j.kind === kind)!;
    const share = k.earlier > 0
      ? `(with the ${k.earlier} let through in the last ${hub.safety.removalWindowMinutes} minutes, ${k.people + k.earlier} of ${k.base}: ${k.share.toFixed(1)}%)`
      : `(${k.share.toFixed(1)}%)`;
    const of = `${k.people} of ${k.base} people of hub ${hub.id} ${share}`;
    return kind === 'grant' ? `take asset grants from ${of}` : kind === 'role' ? `lower the app role of ${of}` : `cancel the pending invites of ${of}`;
  };
  const brakeText = tripped.length === 0 ? phrase('seat') : tripped.map(phrase).join(', and ');
  return { ...threshold, exceeds: tripped.length > 0, members, removedEarlier, windowMs, shareText, people, kinds, kindsEarlier: earlierKinds?.counts ?? {}, tripped, brakeText };
}

const ACCESS_KINDS = ['grant', 'role', 'invite'] as const;

/**
 * The grants, roles and invites let through in the window, per kind. A person whose grant or role
 * went is still one of the hub's people; a cancelled invite is not, unless it is still pending
 * (let through, not run yet): counted once, as seats' are (exceedsRemovalThreshold).
 */
async function earlierAccessRemovals(view: ReadView, hubId: string, window: Parameters<typeof removedIn>[0], now: Date, windowMs: number) {
  const released: Partial<Record<KindJudgement['kind'], EarlierRemovals>> = {};
  const counts: Partial<Record<KindJudgement['kind'], number>> = {};
  for (const kind of ACCESS_KINDS) {
    const n = removedIn(window, now, windowMs, kind);
    const r = releasedIn(window, now, windowMs, kind);
    counts[kind] = n;
    let stillListed = r.memberIds.size + r.unnamed;
    if (kind === 'invite') {
      const ids = [...r.memberIds].map((row) => inviteIdOf(row) ?? row);
      const invites = ids.length === 0 ? [] : await view.getMany('appInvites', hubId, ids);
      stillListed = invites.filter((i) => i !== undefined && inviteStatusAt(i, now.toISOString()) === 'pending').length;
    }
    released[kind] = { ...r, stillListed };
  }
  return { released, counts };
}

/**
 * The grant, role and invite changes not queued already. One let through earlier (by this
 * threshold or an owner's approval) that has not run yet is planned again: judged again, an
 * approved batch held the next pass, and every small change after it, until its tasks ran.
 */
async function notLetThrough(view: ReadView, hubId: string, ops: readonly Operation[]): Promise<Operation[]> {
  const judged = ops.filter((o) => o.kind !== 'remove-member' && accessRemovalKindOf(o) !== undefined);
  const queued = await Promise.all(judged.map((o) => taskByKey(view, hubId, operationTaskKey(o))));
  return judged.filter((_, n) => queued[n] === undefined);
}

/** How many of the hub's invites are pending at `now` (an expired one holds no access). */
async function pendingInvites(view: ReadView, hubId: string, now: Date): Promise<number> {
  let n = 0;
  for await (const i of view.list('appInvites', hubId)) if (inviteStatusAt(i, now.toISOString()) === 'pending') n++;
  return n;
}
