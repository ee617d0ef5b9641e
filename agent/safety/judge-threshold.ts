import type { HubConfigFile } from '../../config/schema.ts';
import type { Operation } from '../plan/operation.ts';
import type { ReadView } from '../store/store.ts';
import { exceedsRemovalThreshold } from './classify.ts';
import { releasedWithin, removedWithin } from './removal-window.ts';

/** The removal threshold's judgement of a batch, with what it was judged against. */
export interface ThresholdJudgement extends ReturnType<typeof exceedsRemovalThreshold> {
  /** The hub's human members (system users not counted). */
  members: number;
  /** Removals let through in the window (removedWithin), to compare with a later read. */
  removedEarlier: number;
  windowMs: number;
  /** "N of M member(s) of hub H (…%)": the share, for an explanation. */
  shareText: string;
}

/**
 * Would these removals, with those the threshold let through in the hub's removal window, remove
 * more than `removalThresholdPercent` of the hub's human members? Read through `view` (a
 * transaction, to judge what it commits). Every IdP-driven removal is judged here: the settle and
 * deprovisioning passes (apply-removals.ts) and an Okta event hook's offboarding (dispatch/offboard.ts).
 */
export async function judgeRemovalThreshold(view: ReadView, hub: HubConfigFile, ops: readonly Operation[], now: Date): Promise<ThresholdJudgement> {
  // Human members: every member but the system users (counted, not listed).
  let systemMembers = 0;
  for await (const u of view.list('appSystemUsers', hub.id)) if (await view.get('appMembers', hub.id, u.id)) systemMembers++;
  const members = Math.max(0, (await view.count('appMembers', hub.id)) - systemMembers);
  const windowMs = hub.safety.removalWindowMinutes * 60_000;
  const [removedEarlier, released] = await Promise.all([removedWithin(view, hub.id, now, windowMs), releasedWithin(view, hub.id, now, windowMs)]);
  // Members let through earlier whose removal has not run yet are still listed (and planned again).
  const stillListed = released.memberIds.size === 0 ? 0 : (await view.getMany('appMembers', hub.id, [...released.memberIds])).filter((m) => m !== undefined).length;
  const threshold = exceedsRemovalThreshold(ops, members, hub.safety.removalThresholdPercent, { ...released, stillListed });
  const counted = threshold.earlier > 0
    ? ` (with the ${threshold.earlier} removed in the last ${hub.safety.removalWindowMinutes} minutes, ${threshold.removals + threshold.earlier} of ${threshold.base}: ${threshold.share.toFixed(1)}%)`
    : ` (${threshold.share.toFixed(1)}%)`;
  return { ...threshold, members, removedEarlier, windowMs, shareText: `${threshold.removals} of ${members} member(s) of hub ${hub.id}${counted}` };
}
