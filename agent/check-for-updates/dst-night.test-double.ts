/**
 * A night on a fake clock for the schedule's summer-time tests (schedule-dst-*.test.ts,
 * schedule-repeated-hour.test.ts): the test file sets process.env.TZ before anything reads it;
 * this starts schedules and moves the clock.
 */
import type { TestContext } from 'node:test';
import { MemoryStore } from '../store/memory-store.ts';
import type { Store } from '../store/store.ts';
import { configSchema } from '../../config/schema.ts';
import { startCheckSchedules, type CheckSchedule } from './schedule.ts';
import '../tasks/task-record.ts';
import '../app-state/records.ts';

export const hubsAt = (schedule: string) => configSchema.parse({
  hubs: [{ id: 'zone', connector: 'meta-business', meta: { businessId: '1' }, checkForUpdates: { schedule } }],
}).hubs;

/** A move of the clock: `ms` ahead, in steps of `stepMs`. */
export type Move = [ms: number, stepMs: number];

export interface Night {
  /**
   * Each slot logged as queued, with the clock then: "<slot> at <now>" (ISO, UTC), and " (late)"
   * after it when the log says its tick fired late (node-cron reporting it as missed).
   */
  queued: string[];
  /** Timers armed with no delay, per UTC minute ("HH:MM" → count): a timer loop. */
  immediate: Map<string, number>;
  start(store: Store, schedule: string): Promise<CheckSchedule>;
  /**
   * Starts `schedule` on a store of its own, makes each move in turn, and stops it, also when a
   * move fails.
   */
  run(schedule: string, ...moves: Move[]): Promise<void>;
  /** Moves the clock `ms` ahead in steps of `stepMs`, letting the queued transactions settle. */
  advance(ms: number, stepMs: number): Promise<void>;
  /** Sets the clock (a replica stopped meanwhile: no timer runs). */
  setTime(iso: string): void;
}

/**
 * Mock timers run a timer armed with no delay within the same tick, forever, while the clock
 * stands still: such timers are armed 1 ms ahead instead, as Node does ("less than 1, the delay
 * will be set to 1": https://nodejs.org/api/timers.html#settimeoutcallback-delay-args), and
 * counted, so with the clock moved a second at a time a loop shows as one such timer per second,
 * and ends.
 */
export function night(t: TestContext, from: string): Night {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse(from) });
  const mocked = globalThis.setTimeout;
  const immediate = new Map<string, number>();
  const counting = (fn: () => void, ms?: number, ...args: unknown[]) => {
    if (!((ms ?? 0) >= 1)) {
      const minute = new Date().toISOString().slice(11, 16);
      immediate.set(minute, (immediate.get(minute) ?? 0) + 1);
    }
    return (mocked as (...a: unknown[]) => NodeJS.Timeout)(fn, Math.max(1, ms ?? 0), ...args);
  };
  globalThis.setTimeout = counting as typeof setTimeout;
  t.after(() => { globalThis.setTimeout = mocked; });
  const queued: string[] = [];
  const log = {
    info: (m: string, meta?: object) => {
      const slot = (meta as { slot?: string } | undefined)?.slot;
      if (slot) queued.push(`${slot} at ${new Date().toISOString()}${/late/.test(m) ? ' (late)' : ''}`);
    },
    warn() {},
    error() {},
  };
  const n: Night = {
    queued,
    immediate,
    start: (store, schedule) => startCheckSchedules({ store, hubs: hubsAt(schedule), log, firstImports: false }),
    async run(schedule, ...moves) {
      const running = await n.start(new MemoryStore(), schedule);
      try {
        for (const [ms, stepMs] of moves) await n.advance(ms, stepMs);
      } finally {
        await running.stop();
      }
    },
    async advance(ms, stepMs) {
      for (let done = 0; done < ms; done += stepMs) {
        t.mock.timers.tick(stepMs);
        for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
      }
    },
    setTime: (iso) => t.mock.timers.setTime(Date.parse(iso)),
  };
  return n;
}

/** "<slot> at <slot>" for each slot: each queued at its own time. */
export const onTime = (...slots: string[]) => slots.map((s) => `${s} at ${s}`);
