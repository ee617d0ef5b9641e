import type { Transaction } from '../store/store.ts';

/**
 * The queue's view of a hub: paused after the app rejected the credential (unauthenticated or
 * permission-denied), until an owner fixes it and a check for updates or an
 * admin resumes it. Partition '' , id = hub id. Shown in hub health.
 */
export interface HubStateRecord {
  id: string;
  hubId: string;
  paused: boolean;
  pausedReason?: string;
  pausedAt?: string;
  /** The error kind that paused it. */
  pausedBy?: string;
}

declare module '../store/collections.ts' {
  interface Collections {
    hubStates: HubStateRecord;
  }
}

/** Stages the hub's pause in `tx` (unless it is paused already). */
export async function pauseHub(tx: Transaction, hubId: string, reason: string, kind: string, now: Date): Promise<void> {
  const prev = await tx.get('hubStates', '', hubId);
  if (prev?.paused) return;
  tx.put('hubStates', '', hubId, { id: hubId, hubId, paused: true, pausedReason: reason, pausedAt: now.toISOString(), pausedBy: kind });
}

/**
 * Stages the hub's resumption in `tx`; resolves false when it was not paused. With `pausedBy`
 * (an instant), only a pause recorded no later than it is lifted: a check for updates vouches for
 * the credential as of when it checked it, so a refusal the dispatcher met after that (on another
 * replica, while the check was still reading) is newer evidence and stands.
 */
export async function resumeHub(tx: Transaction, hubId: string, o: { pausedBy?: Date } = {}): Promise<boolean> {
  const prev = await tx.get('hubStates', '', hubId);
  if (!prev?.paused) return false;
  if (o.pausedBy && prev.pausedAt && Date.parse(prev.pausedAt) > o.pausedBy.getTime()) return false;
  tx.put('hubStates', '', hubId, { id: hubId, hubId, paused: false });
  return true;
}
