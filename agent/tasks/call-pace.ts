import type { CallPaceLimits } from '../../connectors/sdk/definition.ts';
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
 * A connector may also ask for calls per UTC day (`perDay`: an app whose daily quota resets at
 * 00:00 UTC). The day's count is kept in the same record, on every store, not only a shared one:
 * counted per process, N replicas together made N times the day's calls, and a restart began the
 * day again at 0, so the fleet went past the quota and every call after it was throttled until
 * 00:00 UTC. On a store one process uses, a window without `perDay` is not kept (the process's
 * own pace is the app's), so only such a connector pays a store write per call.
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
  /** The UTC day (days since the epoch) whose calls `inDay` counts; absent before a `perDay` was asked. */
  day?: number;
  inDay?: number;
}

declare module '../store/collections.ts' {
  interface Collections {
    callWindows: CallWindowRecord;
  }
}

const SECOND_MS = 1_000;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * `(hubId, limits)`: 0 when one call was counted in the hub's window, else the ms until there may
 * be room, or 'day-spent' when the day's calls are.
 */
export function fleetCallPace(store: Store, clock: () => number = Date.now) {
  return async (hubId: string, limits: CallPaceLimits): Promise<number | 'day-spent'> => {
    if (!store.shared && limits.perDay === undefined) return 0;
    return store.transact(async (tx) => {
      const now = clock();
      const w = await tx.get('callWindows', '', hubId);
      // A replica whose clock passed 00:00 UTC first has begun the next day's count: a replica a
      // little behind counts its calls in that day too (the strict reading, as for the window
      // above), rather than writing its own older day over it and so restarting the new day's
      // count at 0 until the clocks agree. Only the next day: a clock a day or more ahead is no
      // skew NTP leaves, and is not allowed to hold the count for days.
      const day = w?.day === Math.floor(now / DAY_MS) + 1 ? w.day : Math.floor(now / DAY_MS);
      const inDay = w?.day === day ? (w.inDay ?? 0) : 0;
      if (limits.perDay !== undefined && inDay >= limits.perDay) return 'day-spent';
      const minute = (w?.at ?? []).filter((t) => t > now - MINUTE_MS).sort((a, b) => a - b);
      const second = minute.filter((t) => t > now - SECOND_MS);
      // Room comes when the oldest call that fills the window leaves it.
      if (second.length >= limits.perSecond) return Math.max(1, second[second.length - limits.perSecond]! + SECOND_MS - now);
      if (minute.length >= limits.perMinute) return Math.max(1, minute[minute.length - limits.perMinute]! + MINUTE_MS - now);
      tx.put('callWindows', '', hubId, { id: hubId, hubId, at: [...minute, now], day, inDay: inDay + 1 });
      return 0;
    });
  };
}
