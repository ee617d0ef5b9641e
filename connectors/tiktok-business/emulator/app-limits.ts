/**
 * The developer app's rate limits (TikTok "Rate limits", https://business-api.tiktok.com/portal/docs/rate-limits/v1.3):
 * QPS / QPM / QPD per developer app, throttling shown only as code 40100 with HTTP 200 and no
 * headers. Recovery as documented: a QPS breach clears with the second, a QPM breach after
 * 5 minutes, a QPD breach at 00:00:00 UTC. Refused calls count too, so a client that hammers
 * stays refused (the documentation's advice not to retry inside the window), and a call inside a
 * QPM block starts its 5 minutes over: the page says a retry inside the window "may extend the
 * block", and the emulator takes the strict reading, so a client that retries before 5 minutes
 * without calls have passed is never let through. Windows are fixed (wall-clock second, minute,
 * UTC day) [INF: TikTok does not say whether they slide].
 */
import { TikTokApiError } from './envelope.ts';

export interface AppRateLimits {
  qps: number;
  qpm: number;
  qpd: number;
}

/** Tiers of the Rate limits page; every app starts at Basic. */
export const TIERS = {
  basic: { qps: 10, qpm: 600, qpd: 864_000 },
  advanced: { qps: 20, qpm: 1_200, qpd: 1_728_000 },
  premium: { qps: 30, qpm: 1_800, qpd: 2_592_000 },
  ultimate: { qps: 50, qpm: 3_000, qpd: 4_320_000 },
} as const satisfies Record<string, AppRateLimits>;

const QPM_BLOCK_MS = 5 * 60_000;

interface Counters {
  second: number;
  inSecond: number;
  minute: number;
  inMinute: number;
  day: number;
  inDay: number;
  blockedUntil: number;
  /** Which limit set the block: a QPM block starts over at each call inside it, a QPD one ends at 00:00 UTC. */
  blockedBy?: 'qpm' | 'qpd';
}

export function throttled(): TikTokApiError {
  return new TikTokApiError(40100, 'Requests made too frequently. Please slow down the request rate (the app reached its QPS/QPM/QPD limit).');
}

export class AppLimiter {
  readonly #apps = new Map<string, Counters>();
  constructor(private limits: AppRateLimits | undefined, private readonly now: () => number) {}

  set(limits: AppRateLimits | undefined): void {
    this.limits = limits;
    this.#apps.clear();
  }

  /** Counts one call of `appId`; 40100 when a limit is passed or a block is in force. */
  take(appId: string): TikTokApiError | undefined {
    const limits = this.limits;
    if (!limits) return undefined;
    const now = this.now();
    const second = Math.floor(now / 1000);
    const minute = Math.floor(now / 60_000);
    const day = Math.floor(now / 86_400_000);
    const c = this.#apps.get(appId) ?? { second, inSecond: 0, minute, inMinute: 0, day, inDay: 0, blockedUntil: 0 };
    this.#apps.set(appId, c);
    if (c.second !== second) Object.assign(c, { second, inSecond: 0 });
    if (c.minute !== minute) Object.assign(c, { minute, inMinute: 0 });
    if (c.day !== day) Object.assign(c, { day, inDay: 0 });
    c.inSecond++;
    c.inMinute++;
    c.inDay++;
    if (now < c.blockedUntil) {
      if (c.blockedBy === 'qpm') c.blockedUntil = now + QPM_BLOCK_MS;
      return throttled();
    }
    if (c.inDay > limits.qpd) {
      Object.assign(c, { blockedUntil: (day + 1) * 86_400_000, blockedBy: 'qpd' });
      return throttled();
    }
    if (c.inMinute > limits.qpm) {
      Object.assign(c, { blockedUntil: now + QPM_BLOCK_MS, blockedBy: 'qpm' });
      return throttled();
    }
    if (c.inSecond > limits.qps) return throttled();
    return undefined;
  }
}
