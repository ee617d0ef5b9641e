/**
 * Whether a hub's schedule had a slot in a span of time: hub health (agent/health/hub-health.ts)
 * calls the checks stale only when a slot passed with no successful check since, so a weekly or
 * a weekday schedule (`0 3 * * 1`, `0 3 * * 1-5`) is not called stale between its slots.
 *
 * Read in the server's time zone as node-cron runs the schedule, on wall-clock times given as
 * UTC (as schedule.ts reads skipped times): summer time moves a slot by an hour at most, which the
 * day of grace health allows absorbs. node-cron's syntax: https://github.com/node-cron/node-cron#cron-syntax
 */
import cron, { type ScheduledTask } from 'node-cron';

/** Days searched back at most; a span longer than that with no slot found counts as having one. */
const MAX_DAYS = 400;
const DAY_MS = 86_400_000;

/** One never-started task per expression, used for `match` only (expressions come from the config: few). */
const wallClocks = new Map<string, ScheduledTask>();

function wallClockOf(expression: string): ScheduledTask {
  let task = wallClocks.get(expression);
  if (!task) {
    task = cron.createTask(expression, () => {}, { name: `health-wall-clock:${expression}`, timezone: 'UTC' });
    wallClocks.set(expression, task);
  }
  return task;
}

/** The local wall-clock time of `ms`, as if it were UTC. */
const wall = (ms: number): number => {
  const d = new Date(ms);
  return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds());
};

const descending = (values: readonly number[]) => [...new Set(values)].sort((a, b) => b - a);

/**
 * Whether `expression` has a slot after `afterMs` and at or before `untilMs` (epoch ms, read in
 * the server's local time). An invalid expression, or a span of more than MAX_DAYS days with
 * none found, answers true: the caller then says what it said before this check existed.
 */
export function slotBetween(expression: string, afterMs: number, untilMs: number): boolean {
  if (untilMs <= afterMs) return false;
  if (!cron.validate(expression)) return true;
  const fields = cron.parse(expression);
  const [seconds, minutes, hours] = [descending(fields.second), descending(fields.minute), descending(fields.hour)];
  const task = wallClockOf(expression);
  const after = wall(afterMs);
  const until = wall(untilMs);
  const firstDay = Math.floor(after / DAY_MS) * DAY_MS;
  let day = Math.floor(until / DAY_MS) * DAY_MS;
  for (let n = 0; day >= firstDay; n++, day -= DAY_MS) {
    if (n >= MAX_DAYS) return true;
    // The day fields (day of month, month, day of week) do not depend on the time: one match decides the day.
    if (!task.match(new Date(day + hours[0]! * 3_600_000 + minutes[0]! * 60_000 + seconds[0]! * 1000))) continue;
    for (const h of hours) for (const m of minutes) for (const s of seconds) {
      const at = day + h * 3_600_000 + m * 60_000 + s * 1000;
      if (at > until) continue;
      // The latest slot of the day at or before `until`: in the span or not, nothing earlier is.
      return at > after;
    }
  }
  return false;
}
