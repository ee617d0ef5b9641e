import type { Store } from '../store/store.ts';

/**
 * A hub's call window shared by the replicas (ConnectorContext.callPace), for a connector that
 * paces its own calls: an app whose limits are calls per second and per minute per developer app,
 * with no usage headers to watch, so N replicas pacing themselves each at the app's pace would
 * together make N times its calls. One record per hub (collection `callWindows`, partition '',
 * id = hub id) holding when each call of the last minute was counted (at most the per-minute
 * limit of them), read and written in one transaction per call: a call is counted only when the
 * last second and the last minute have room, across the fleet.
 *
 * Times are each replica's clock, as leases and the hub budgets are (replicas keep time with
 * NTP). A call counted by a replica whose clock is ahead counts in this one's last second until
 * its time has passed here: the strict reading.
 */
export interface CallWindowRecord {
  id: string;
  hubId: string;
  /** Epoch ms of the calls counted within the last minute. */
  at: number[];
}

declare module '../store/collections.ts' {
  interface Collections {
    callWindows: CallWindowRecord;
  }
}

const SECOND_MS = 1_000;
const MINUTE_MS = 60_000;

/** `(hubId, limits)`: 0 when one call was counted in the hub's window, else the ms until there may be room. */
export function fleetCallPace(store: Store, clock: () => number = Date.now) {
  return (hubId: string, limits: { perSecond: number; perMinute: number }): Promise<number> =>
    store.transact(async (tx) => {
      const now = clock();
      const w = await tx.get('callWindows', '', hubId);
      const minute = (w?.at ?? []).filter((t) => t > now - MINUTE_MS).sort((a, b) => a - b);
      const second = minute.filter((t) => t > now - SECOND_MS);
      // Room comes when the oldest call that fills the window leaves it.
      if (second.length >= limits.perSecond) return Math.max(1, second[second.length - limits.perSecond]! + SECOND_MS - now);
      if (minute.length >= limits.perMinute) return Math.max(1, minute[minute.length - limits.perMinute]! + MINUTE_MS - now);
      tx.put('callWindows', '', hubId, { id: hubId, hubId, at: [...minute, now] });
      return 0;
    });
}
