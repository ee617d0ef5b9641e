/**
 * A scheduled time the clock skips. On the night summer time starts the local clock jumps forward
 * (Europe/Berlin: 02:00 → 03:00 on the last Sunday of March), and node-cron finds no 02:30 that day:
 * `30 2 * * *` fired on the 28th and the 30th, never on the 29th, so the hub went a whole extra
 * day without a check. Vixie cron runs such a job at the jump instead ("If time has moved forward,
 * those jobs that would have run in the interval that has been skipped will be run immediately",
 * cron(8), "Daylight Saving Time and other time changes": https://man7.org/linux/man-pages/man8/cron.8.html);
 * so does hubwarden: the slot is the instant of the jump, the same on every replica, and claimed
 * like any other slot.
 *
 * A schedule that fires again within the length of the jump (`30 * * * *`: 03:30 comes half an
 * hour after it) loses nothing that matters and gets no extra slot, as cron does for jobs run every
 * hour. When the clock goes back (an hour lived twice), node-cron takes the repeated time once
 * (its second occurrence) as its next run, which is what a daily check wants (it cannot wait for
 * it, though: repeatedHour below runs that hour's slots); but only when it was running before
 * the first: started between the two (Europe/Berlin, 2026-10-25: at 02:45 CEST, after the first
 * 02:30 and before the clock goes from 03:00 back to 02:00), it reads the wall clock as past 02:30
 * and gives the next day's as its next run, and the day's check was lost. The second occurrence
 * is then the slot, queued at its time (the slot node-cron gives a replica that ran all night).
 * Nor does a running node-cron fire a second occurrence at its time: it cuts its clock's
 * milliseconds with setMilliseconds, which reads a repeated local time as its first occurrence
 * (https://tc39.es/ecma262/#sec-utc-t), so it sees the slots of the hour lived twice only when it
 * ends, as missed ticks of which only the latest is queued (`0,30 2 * * *` lost its 02:00). So a
 * second occurrence is a slot here even when it is node-cron's own next run; node-cron's late
 * report of it is then a slot already queued (schedule.ts).
 */
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** A yearly schedule's next run is at most a year away (366 days and a bit). */
const HORIZON_MS = 367 * DAY_MS;

const offsetAt = (ms: number) => new Date(ms).getTimezoneOffset();

interface Jump {
  /** The first instant after the jump. */
  at: number;
  /** Forward: the first wall-clock time skipped; back: the first one lived again; as if it were UTC (ms). */
  wallFrom: number;
  lengthMs: number;
  forward: boolean;
}

/** The jumps of the local clock in (fromMs, toMs]. Zones change offset months apart, so one look per day finds each. */
function jumpsIn(fromMs: number, toMs: number): Jump[] {
  const jumps: Jump[] = [];
  const end = Math.min(toMs, fromMs + HORIZON_MS);
  for (let lo = fromMs; lo < end;) {
    const hi = Math.min(lo + DAY_MS, end);
    const before = offsetAt(lo);
    if (offsetAt(hi) !== before) {
      let a = lo;
      let b = hi;
      while (b - a > 1) {
        const mid = Math.floor((a + b) / 2);
        if (offsetAt(mid) === before) a = mid;
        else b = mid;
      }
      // getTimezoneOffset is UTC minus local time in minutes: it drops when the clock goes forward.
      const lengthMs = (before - offsetAt(b)) * MINUTE_MS;
      if (lengthMs > 0) jumps.push({ at: b, wallFrom: b - before * MINUTE_MS, lengthMs, forward: true });
      else if (lengthMs < 0) jumps.push({ at: b, wallFrom: b - offsetAt(b) * MINUTE_MS, lengthMs: -lengthMs, forward: false });
    }
    lo = hi;
  }
  return jumps;
}

/**
 * The slot of a scheduled time node-cron skips after `after` and before its `next` run (undefined
 * when none): one a jump forward of the clock skips (the slot is the jump), or the second
 * occurrence of one in an hour lived twice, up to `next` itself (the slot is that instant). `matchesWallClock` says
 * whether the schedule matches a wall-clock time given as if it were UTC; `seconds` are the
 * expression's seconds field.
 */
export function skippedSlot(matchesWallClock: (wallClock: Date) => boolean, seconds: readonly number[], after: Date, next: Date | null): Date | undefined {
  if (!next) return undefined;
  // A jump back up to an hour before `after` may still have its second occurrences ahead.
  for (const jump of jumpsIn(after.getTime() - HOUR_MS, next.getTime())) {
    if (jump.forward) {
      if (jump.at <= after.getTime() || next.getTime() - jump.at < jump.lengthMs) continue;
      for (let minute = jump.wallFrom; minute < jump.wallFrom + jump.lengthMs; minute += MINUTE_MS) {
        if (seconds.some((s) => matchesWallClock(new Date(minute + s * 1000)))) return new Date(jump.at);
      }
      continue;
    }
    for (let m = 0; m < jump.lengthMs; m += MINUTE_MS) {
      for (const s of [...seconds].sort((a, b) => a - b)) {
        const at = jump.at + m + s * 1000;
        if (at > after.getTime() && at <= next.getTime() && matchesWallClock(new Date(jump.wallFrom + m + s * 1000))) return new Date(at);
      }
    }
  }
  return undefined;
}

/**
 * node-cron cannot wait for a time in the second occurrence of an hour lived twice: it cuts its
 * clock's milliseconds with `setMilliseconds(0)`, which reads a repeated local time as its first
 * occurrence (MakeDate(..., LocalTime) → UTC(t), https://tc39.es/ecma262/#sec-utc-t), so at the
 * second 02:30 its clock stands an hour behind: it found the slot not yet due and armed its timer
 * again with no delay, about once a millisecond, until the hour ended (Europe/Berlin, 2026-10-25:
 * 02:30 CET to 03:00 CET, a core busy and the event loop shared with SCIM requests), then reported
 * the slot as missed and the check ran half an hour late. Started inside that hour, it also took
 * the first occurrence's slot for its next run. hubwarden stops node-cron over that hour and runs
 * the hour's slots itself.
 *
 * The second occurrence of an hour lived twice that holds `now` or node-cron's `next` run
 * (undefined when none): when it starts (`from`), ends (`to`), and the schedule's times in it not
 * before `now`, and one at its end, as instants, in order (for `30 2 * * *`, the second 02:30: the slot a replica
 * restarted before it queues, skippedSlot).
 */
export function repeatedHour(matchesWallClock: (wallClock: Date) => boolean, seconds: readonly number[], now: Date, next: Date | null): { from: Date; to: Date; slots: Date[] } | undefined {
  const end = Math.max(now.getTime(), next?.getTime() ?? 0);
  for (const jump of jumpsIn(now.getTime() - HOUR_MS, end)) {
    if (jump.forward) continue;
    const to = jump.at + jump.lengthMs;
    const holds = (ms: number) => ms >= jump.at && ms < to;
    if (!holds(now.getTime()) && !(next && holds(next.getTime()))) continue;
    const slots: Date[] = [];
    for (let m = 0; m < jump.lengthMs; m += MINUTE_MS) {
      for (const s of [...seconds].sort((a, b) => a - b)) {
        const at = jump.at + m + s * 1000;
        if (at >= now.getTime() && matchesWallClock(new Date(jump.wallFrom + m + s * 1000))) slots.push(new Date(at));
      }
    }
    // node-cron started again at the hour's end takes its next run after it: a slot just then
    // (03:00 CET for `*/20 * * * *`) is queued with the hour's.
    if (matchesWallClock(new Date(jump.wallFrom + jump.lengthMs))) slots.push(new Date(to));
    return { from: new Date(jump.at), to: new Date(to), slots };
  }
  return undefined;
}
