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

/** Stages the hub's resumption in `tx`; resolves false when it was not paused. */
export async function resumeHub(tx: Transaction, hubId: string): Promise<boolean> {
  const prev = await tx.get('hubStates', '', hubId);
  if (!prev?.paused) return false;
  tx.put('hubStates', '', hubId, { id: hubId, hubId, paused: false });
  return true;
}
