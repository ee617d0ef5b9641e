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
  /** The latest refusal met while already paused (newer evidence than a check made before it: `resumeHub`). */
  refusedAt?: string;
}

declare module '../store/collections.ts' {
  interface Collections {
    hubStates: HubStateRecord;
  }
}

/** Stages the hub's pause in `tx`; paused already, it only records when this refusal was met (`refusedAt`). */
export async function pauseHub(tx: Transaction, hubId: string, reason: string, kind: string, now: Date): Promise<void> {
  const prev = await tx.get('hubStates', '', hubId);
  if (prev?.paused) {
    if (!prev.refusedAt || Date.parse(prev.refusedAt) < now.getTime()) tx.put('hubStates', '', hubId, { ...prev, refusedAt: now.toISOString() });
    return;
  }
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
  // The latest refusal counts, not only the first: one met while already paused is newer evidence too.
  const refused = prev.refusedAt ?? prev.pausedAt;
  if (o.pausedBy && refused && Date.parse(refused) > o.pausedBy.getTime()) return false;
  tx.put('hubStates', '', hubId, { id: hubId, hubId, paused: false });
  return true;
}
