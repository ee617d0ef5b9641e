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
 * hour. When the clock goes back (an hour lived twice), a time the schedule names (`30 2 * * *`)
 * runs once, at its second occurrence; one it matches by a wildcard, a range or a step in the hour
 * field, or any time of a schedule whose minute (or second) field is one (`30 * * * *`, every 20
 * minutes, `0-59/5 2 * * *`), runs at both occurrences, an hour of real time apart
 * (recurringTimes below). That is Vixie cron's rule: "Only jobs that run at a particular time (not
 * specified as @hourly, nor with '*' in the hour or minute specifier) are affected. Jobs which are
 * specified with wildcards are run based on the new time immediately" (cron(8), ISC Cron V4.1,
 * "Daylight Saving Time and other time changes": https://www.unix.com/man-page/suse/1/cron/);
 * cronie words it as "jobs that run at a specific time and jobs that run with a granularity greater
 * than one hour" being run once, "jobs that run more frequently are scheduled normally" (man7 link
 * above), which is why an hour range (`30 1-3 * * *`, every hour from 01:30) counts as recurring
 * here too. Run once, an hourly schedule went two hours of real time without a check that night.
 * node-cron takes one occurrence of a repeated time as its next run, the first or the second
 * depending on the zone (America/New_York: the first; Europe/Berlin, Europe/London: the second),
 * and never the other; so over the hour lived twice it is stopped and repeatedHour below gives
 * the slots of both occurrences. In Europe/Berlin node-cron gave a named time's second occurrence
 * (it cannot wait for it, though: repeatedHour runs it); but only when it was running before
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
import cron from 'node-cron';

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
 * when none): one a jump forward of the clock skips (the slot is the jump), or one in an hour lived
 * twice, up to `next` itself (the slot is that instant): its second occurrence, and its first when
 * `recurring` says the schedule runs that wall-clock time at both (recurringTimes). `matchesWallClock`
 * says whether the schedule matches a wall-clock time given as if it were UTC; `seconds` are the
 * expression's seconds field.
 */
export function skippedSlot(matchesWallClock: (wallClock: Date) => boolean, seconds: readonly number[], after: Date, next: Date | null, recurring: (wallClock: Date) => boolean = () => false): Date | undefined {
  if (!next) return undefined;
  // A jump back up to an hour before `after` may still have its second occurrences ahead, and
  // one up to an hour after `next` its first occurrences before it.
  for (const jump of jumpsIn(after.getTime() - HOUR_MS, next.getTime() + HOUR_MS)) {
    if (jump.forward) {
      if (jump.at <= after.getTime() || next.getTime() - jump.at < jump.lengthMs) continue;
      for (let minute = jump.wallFrom; minute < jump.wallFrom + jump.lengthMs; minute += MINUTE_MS) {
        if (seconds.some((s) => matchesWallClock(new Date(minute + s * 1000)))) return new Date(jump.at);
      }
      continue;
    }
    // The first occurrence (recurring times only), then the second.
    for (const start of [jump.at - jump.lengthMs, jump.at]) {
      for (let m = 0; m < jump.lengthMs; m += MINUTE_MS) {
        for (const s of [...seconds].sort((a, b) => a - b)) {
          const at = start + m + s * 1000;
          const wall = new Date(jump.wallFrom + m + s * 1000);
          if (at > after.getTime() && at <= next.getTime() && matchesWallClock(wall) && (start === jump.at || recurring(wall))) return new Date(at);
        }
      }
    }
  }
  return undefined;
}

/**
 * node-cron's `next` run moved to the slot it stands for: a run in the first occurrence of an hour
 * lived twice at a time the schedule names (not `recurring`) is run at its second occurrence, an
 * hour (the jump's length) later; any other run is its own slot.
 */
export function namedTimeOccurrence(next: Date | null, recurring: (wallClock: Date) => boolean): Date | null {
  if (!next) return next;
  for (const jump of jumpsIn(next.getTime(), next.getTime() + HOUR_MS)) {
    const first = jump.at - jump.lengthMs;
    if (jump.forward || next.getTime() < first || next.getTime() >= jump.at) continue;
    if (!recurring(new Date(jump.wallFrom + next.getTime() - first))) return new Date(next.getTime() + jump.lengthMs);
  }
  return next;
}

/** A field of plain numbers (`30`, `0,30`) names its times; `*`, a range or a step recurs. */
const named = (part: string) => /^\d+$/.test(part);

/**
 * Which wall-clock times (given as if they were UTC) of `expression` run at both occurrences of an
 * hour lived twice, as Vixie cron's "wildcard" jobs do (see above): every time of a schedule whose
 * minute field (or second field, of six) is not a list of plain numbers, and otherwise the hours
 * its hour field matches by `*`, a range or a step (`30 1-3 * * *`, not `30 1,2 * * *`).
 */
export function recurringTimes(expression: string): (wallClock: Date) => boolean {
  const fields = expression.trim().split(/\s+/);
  const [minute, hour] = fields.length === 6 ? fields.slice(1, 3) : fields.slice(0, 2);
  const subHour = fields.length === 6 ? [fields[0], minute] : [minute];
  if (subHour.some((field) => !field.split(',').every(named))) return () => true;
  const hours = new Set(hour.split(',').filter((part) => !named(part)).flatMap((part) => cron.parse(`0 ${part} * * *`).hour));
  return (wallClock) => hours.has(wallClock.getUTCHours());
}

/**
 * node-cron cannot wait for a time in the second occurrence of an hour lived twice: it cuts its
 * clock's milliseconds with `setMilliseconds(0)`, which reads a repeated local time as its first
 * occurrence (MakeDate(..., LocalTime) → UTC(t), https://tc39.es/ecma262/#sec-utc-t), so at the
 * second 02:30 its clock stands an hour behind: it found the slot not yet due and armed its timer
 * again with no delay, about once a millisecond, until the hour ended (Europe/Berlin, 2026-10-25:
 * 02:30 CET to 03:00 CET, a core busy and the event loop shared with SCIM requests), then reported
 * the slot as missed and the check ran half an hour late. Started inside that hour, it also took
 * the first occurrence's slot for its next run. Nor does it give both occurrences of a time (see
 * above). hubwarden stops node-cron over both occurrences and runs their slots itself.
 *
 * The hour lived twice (both occurrences) that holds `now` or the `next` slot (undefined when
 * none): when its first occurrence starts (`from`), when the second ends (`to`), and the
 * schedule's slots from `leadMs` before `from` to `to` and not before `now`, as instants, in order:
 * the times in the lead (node-cron is stopped then), the first occurrences of `recurring` times,
 * the second occurrences of all, and one at the end (node-cron, started again then, takes its next
 * run after it). For `30 2 * * *`, the second 02:30: the slot a replica restarted before it queues,
 * skippedSlot; for `30 * * * *`, both.
 */
export function repeatedHour(matchesWallClock: (wallClock: Date) => boolean, seconds: readonly number[], now: Date, next: Date | null, recurring: (wallClock: Date) => boolean = () => false, leadMs = 0): { from: Date; to: Date; slots: Date[] } | undefined {
  const end = Math.max(now.getTime(), next?.getTime() ?? 0) + HOUR_MS;
  for (const jump of jumpsIn(now.getTime() - HOUR_MS, end)) {
    if (jump.forward) continue;
    const from = jump.at - jump.lengthMs;
    const to = jump.at + jump.lengthMs;
    const holds = (ms: number) => ms >= from && ms < to;
    if (!holds(now.getTime()) && !(next && holds(next.getTime()))) continue;
    const slots: Date[] = [];
    // Whole minutes from the lead's start: offsets (and so wall-clock minutes) change on whole minutes.
    for (let minute = from - Math.ceil(leadMs / MINUTE_MS) * MINUTE_MS; minute < to; minute += MINUTE_MS) {
      for (const s of [...seconds].sort((a, b) => a - b)) {
        const at = minute + s * 1000;
        const wall = new Date(at - offsetAt(at) * MINUTE_MS);
        const firstOccurrence = at >= from && at < jump.at;
        if (at >= now.getTime() && matchesWallClock(wall) && (!firstOccurrence || recurring(wall))) slots.push(new Date(at));
      }
    }
    if (matchesWallClock(new Date(jump.wallFrom + jump.lengthMs))) slots.push(new Date(to));
    return { from: new Date(from), to: new Date(to), slots };
  }
  return undefined;
}
