import { childLogger } from '../../log/logger.ts';
import type { Connections } from './connections.ts';

const log = childLogger('store');

/** How far a replica's clock may be from the database's before it is reported (a sixth of the 30 s task and slot leases). */
export const CLOCK_SKEW_WARN_MS = 5_000;
/** How often the database's clock is compared with the replica's after the first look at open. */
export const CLOCK_CHECK_EVERY_MS = 5 * 60_000;

/**
 * Compares this replica's clock with the database's (`clock_timestamp()`,
 * https://www.postgresql.org/docs/current/functions-datetime.html#FUNCTIONS-DATETIME-CURRENT).
 * Task, schedule-slot, hook and write-back leases are written as this replica's wall-clock time
 * and judged lapsed by the other replicas' clocks (docs/scaling.md): clocks that disagree by more
 * than a lease's length run a task twice, or leave a dead replica's work waiting. Judging leases
 * by the database's clock would change every lease holder and its tests; what is done here is to
 * say it, as an error in the log with the offset, rather than let it run silently. Every replica
 * compares itself with the same clock, so two replicas that each agree with it agree with each
 * other.
 */
export class ClockCheck {
  /** This replica's clock minus the database's, in ms (positive: ahead), at the last check; undefined before one. */
  skewMs: number | undefined;
  private reported = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: {
    /** One read of the database's clock, in ms since the epoch. */
    dbNow: () => Promise<number>;
    /** This replica's clock (Date.now; tests skew it). */
    clock?: () => number;
    warnMs?: number;
    everyMs?: number;
  }) {}

  /** Checks now, then every `everyMs` until stopped. A failed check says nothing (the store reports outages itself). */
  async start(): Promise<void> {
    await this.check().catch(() => {});
    this.timer = setInterval(() => void this.check().catch(() => {}), this.o.everyMs ?? CLOCK_CHECK_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async check(): Promise<number> {
    const clock = this.o.clock ?? Date.now;
    const before = clock();
    const db = await this.o.dbNow();
    const after = clock();
    // The database read its clock somewhere within the round trip: its middle, give or take half of it.
    const skew = Math.round((before + after) / 2 - db);
    this.skewMs = skew;
    const off = Math.abs(skew) - (after - before) / 2 > (this.o.warnMs ?? CLOCK_SKEW_WARN_MS);
    if (off && !this.reported) {
      this.reported = true;
      log.error('store: this replica\'s clock is not the database\'s; leases between replicas are judged by wall clocks and may be taken while held, or wait long after their holder died. Run NTP or chrony on every node', { skewMs: skew, aheadOfDatabase: skew > 0 });
    } else if (!off && this.reported) {
      this.reported = false;
      log.info('store: this replica\'s clock agrees with the database\'s again', { skewMs: skew });
    }
    return skew;
  }
}


/** The database's clock now, in ms since the epoch. */
export async function databaseClock(db: Pick<Connections, 'query'>): Promise<number> {
  return Number((await db.query<{ ms: number }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms'))[0]!.ms);
}
