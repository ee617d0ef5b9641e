/**
 * Counts per clock hour for the last day, in memory (25 buckets at most, whatever the traffic):
 * the dashboard's "calls and throttling over the last 24 h". Prometheus counters
 * (metrics.ts) only grow, so they cannot say when; these can, for this process's lifetime. They
 * are not stored: after a restart the chart starts again from that hour (the chart says so).
 */
export const HOUR_MS = 3_600_000;

export interface HourCounts { start: number; values: Record<string, number> }

export class HourlyCounts {
  readonly since: number;
  readonly #buckets = new Map<number, Record<string, number>>();

  constructor(private readonly hours = 24, private readonly clock: () => number = Date.now) {
    this.since = clock();
  }

  add(key: string, n = 1): void {
    const start = Math.floor(this.clock() / HOUR_MS) * HOUR_MS;
    const bucket = this.#buckets.get(start) ?? {};
    bucket[key] = (bucket[key] ?? 0) + n;
    this.#buckets.set(start, bucket);
    for (const at of this.#buckets.keys()) if (at <= start - this.hours * HOUR_MS) this.#buckets.delete(at);
  }

  /** The last `hours` clock hours, oldest first, the current (partial) hour last; empty hours are zeros. */
  recent(now = this.clock()): HourCounts[] {
    const current = Math.floor(now / HOUR_MS) * HOUR_MS;
    return Array.from({ length: this.hours }, (_, i) => {
      const start = current - (this.hours - 1 - i) * HOUR_MS;
      return { start, values: { ...(this.#buckets.get(start) ?? {}) } };
    });
  }
}

/** This process's calls to the hubs' app APIs by hour: `calls` (answered) and `throttled`. */
export const graphCallsByHour = new HourlyCounts();
