/**
 * Staying under TikTok's app rate limits, and backing off when they bite (TikTok "Rate limits",
 * https://business-api.tiktok.com/portal/docs/rate-limits/v1.3: QPS / QPM / QPD per developer
 * app; a 40100 says which limit was hit only by how long it lasts; no headers, no Retry-After).
 *
 * - `Pacer`: a client-side limiter per connector, by default half the Basic tier (5 QPS,
 *   300 QPM), so that 40100 stays rare. Calls wait their turn in order.
 * - `ThrottleBackoff`: after a 40100 the call was not applied; the wait before the same call is
 *   tried again starts at 1 s and doubles, with jitter (never under 1 s), up to 5 minutes (the QPM recovery time);
 *   once there, every wait is the whole 5 minutes (a retry inside a QPM block may extend it).
 *   A throttle that lasts more than 15 minutes is the daily quota: wait until 00:00 UTC.
 */

import { ConnectorError } from '../sdk/connector-error.ts';

export interface PaceLimits {
  qps: number;
  qpm: number;
  /** Calls per UTC day (TikTok's QPD counter resets at 00:00:00 UTC); absent: not counted. */
  qpd?: number;
}

/** Half of TikTok's Basic tier (10 QPS, 600 QPM), every app's starting tier. */
export const DEFAULT_PACE: PaceLimits = { qps: 5, qpm: 300 };

/**
 * TikTok's own sandbox environment (https://sandbox-ads.tiktok.com/open_api/, the Go SDK's
 * `core/const.go`, github.com/bububa/tiktok-business) allows 1 QPS and 30 QPM per endpoint (Rate
 * limits, https://business-api.tiktok.com/portal/docs/rate-limits/v1.3). DEFAULT_PACE is five
 * times that, so a hub pointed at it was throttled (40100) on every burst and, once the throttles
 * had lasted 15 minutes, stopped until 00:00 UTC as if the daily quota were spent. Paced here
 * app-wide rather than per endpoint: stricter than TikTok asks, never above it [INF]. The same
 * page gives the sandbox 1,000 QPD per endpoint, which 30 QPM reaches in 34 minutes: past it every
 * call is throttled until 00:00 UTC, so the pacer counts the UTC day's calls too and, at 1,000,
 * refuses the rest itself (rate-limited until 00:00 UTC) instead of sending them to be refused.
 * The day's count is the hub's, kept in the store (`callPace` `perDay`) so that replicas and a
 * restart share it; counted per process, each replica and each restart had 1,000 more [INF].
 */
export const TIKTOK_SANDBOX_PACE: PaceLimits = { qps: 1, qpm: 30, qpd: 1_000 };
const TIKTOK_SANDBOX_HOST = 'sandbox-ads.tiktok.com';

/** The pace for a hub: the one asked for, else TikTok's sandbox limits at its sandbox host, else DEFAULT_PACE. */
export function paceFor(apiBaseUrl: string, asked?: PaceLimits): PaceLimits {
  if (asked) return asked;
  let host: string;
  try {
    host = new URL(apiBaseUrl).hostname.toLowerCase();
  } catch {
    return DEFAULT_PACE;
  }
  return host === TIKTOK_SANDBOX_HOST ? TIKTOK_SANDBOX_PACE : DEFAULT_PACE;
}

export class Pacer {
  readonly #second: number[] = [];
  readonly #minute: number[] = [];
  /** The UTC day (days since the epoch) whose calls `#inDay` counts. */
  #day = -1;
  #inDay = 0;
  #queue: Promise<void> = Promise.resolve();

  /**
   * `fleet` (ConnectorContext.callPace): the same limits kept across every replica calling for
   * this Business Center, since TikTok's limits are per developer app, not per process. Asked
   * once this instance has room: 0 when the call is counted, else how long to wait before asking
   * again, or `'day-spent'` when the hub's `qpd` calls of the UTC day are. Should it fail (the
   * store unavailable), this instance's own pace and day count still hold.
   */
  constructor(
    private readonly limits: PaceLimits,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    private readonly fleet?: (limits: PaceLimits) => Promise<number | 'day-spent'>,
  ) {}

  /** Resolves when a call may go out; callers are served in order. */
  take(): Promise<void> {
    const turn = this.#queue.then(() => this.#wait());
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  async #wait(): Promise<void> {
    for (;;) {
      const now = this.now();
      this.#assertDayLeft(now);
      while (this.#second.length > 0 && this.#second[0] <= now - 1000) this.#second.shift();
      while (this.#minute.length > 0 && this.#minute[0] <= now - 60_000) this.#minute.shift();
      if (this.#second.length < this.limits.qps && this.#minute.length < this.limits.qpm) {
        const fleetWait = this.fleet ? await this.fleet(this.limits).catch(() => 0) : 0;
        if (fleetWait === 'day-spent') throw this.#daySpent(this.now());
        if (fleetWait > 0) {
          await this.sleep(fleetWait);
          continue;
        }
        this.#second.push(now);
        this.#minute.push(now);
        this.#inDay++;
        return;
      }
      const free = Math.min(
        this.#second.length >= this.limits.qps ? this.#second[0] + 1000 : Infinity,
        this.#minute.length >= this.limits.qpm ? this.#minute[0] + 60_000 : Infinity,
      );
      await this.sleep(Math.max(1, free - now));
    }
  }

  /** Refuses a call past the day's `qpd`: it would be throttled until 00:00 UTC anyway. */
  #assertDayLeft(now: number): void {
    const day = Math.floor(now / DAY_MS);
    if (day !== this.#day) {
      this.#day = day;
      this.#inDay = 0;
    }
    if (this.limits.qpd === undefined || this.#inDay < this.limits.qpd) return;
    throw this.#daySpent(now);
  }

  #daySpent(now: number): ConnectorError {
    const retryAfterMs = (Math.floor(now / DAY_MS) + 1) * DAY_MS - now;
    return new ConnectorError('rate-limited', `rate-limited (retry at 00:00 UTC): the ${this.limits.qpd} calls a day TikTok allows are spent`, {
      retryAfterMs, limitScope: 'app', providerCode: 'local-qpd', notApplied: true,
    });
  }
}

const DAY_MS = 86_400_000;
const FIRST_MS = 1_000;
const CAP_MS = 5 * 60_000;
const DAILY_AFTER_MS = 15 * 60_000;

export class ThrottleBackoff {
  #streak = 0;
  #since: number | undefined;
  /** When the wait in force ends. */
  #until: number | undefined;

  constructor(private readonly now: () => number = Date.now, private readonly random: () => number = Math.random) {}

  /**
   * The wait after a 40100. Calls that were already out when the first of them was throttled
   * come back throttled too: inside the wait in force they count as the same throttle (the
   * remaining wait), so four calls in flight do not double the wait four times.
   */
  next(): number {
    const now = this.now();
    if (this.#until !== undefined && now < this.#until) return this.#until - now;
    // A throttle long after the last wait ended, with no call through meanwhile (nothing reset
    // the streak), is not the same throttle persisting: nobody retried in between, the hub was
    // idle. Only 40100s that keep coming back as the waits end mean the daily quota (TikTok
    // "Rate limits", https://business-api.tiktok.com/portal/docs/rate-limits/v1.3: QPS recovers
    // after the second, QPM after 5 minutes); kept, the old streak sent one throttle after an
    // idle spell to wait until 00:00 UTC.
    if (this.#until !== undefined && now - this.#until > CAP_MS) this.reset();
    const wait = this.#nextWait(now);
    this.#until = now + wait;
    return wait;
  }

  #nextWait(now: number): number {
    this.#since ??= now;
    this.#streak++;
    if (now - this.#since > DAILY_AFTER_MS) {
      const midnight = Math.floor(now / 86_400_000) * 86_400_000 + 86_400_000;
      return midnight - now;
    }
    const base = Math.min(CAP_MS, FIRST_MS * 2 ** (this.#streak - 1));
    // At the cap, the whole cap: a QPM breach clears only after 5 minutes without calls, and a
    // retry inside that window "is refused again and may extend the block" (Rate limits,
    // https://business-api.tiktok.com/portal/docs/rate-limits/v1.3). Jittered below the cap, every
    // capped retry fell inside a block that restarts at each refused call, and after 15 minutes
    // the throttle was taken for the daily quota: a QPM breach stopped the hub until 00:00 UTC.
    // The whole connector pauses on the app scope, so no callers come back together here.
    if (base >= CAP_MS) return CAP_MS;
    // ±20 % jitter, so that several callers do not come back in the same instant; never under
    // 1 s: a 40100 does not say which limit was hit, and a QPS breach clears only "after the
    // current second" (Rate limits, https://business-api.tiktok.com/portal/docs/rate-limits/v1.3),
    // so a retry 0.8 s later could land in the same second and be refused (and counted) again.
    return Math.min(CAP_MS, Math.max(FIRST_MS, Math.round(base * (0.8 + 0.4 * this.random()))));
  }

  /** A call went through: the next throttle starts a new streak. */
  reset(): void {
    this.#streak = 0;
    this.#since = undefined;
    this.#until = undefined;
  }
}
