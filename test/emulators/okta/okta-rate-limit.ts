/**
 * Okta's per-endpoint rate limit as seen by a client: every response carries
 * X-Rate-Limit-Limit / -Remaining / -Reset (epoch seconds), and a request over budget gets
 * 429 E0000047 (Okta "Rate limits" overview). A window starts with the first request after the
 * previous one ended. Without a budget the emulator reports a generous limit and never refuses.
 */
export interface RateLimitOptions {
  /** Requests allowed per window. */
  limit: number;
  windowSeconds?: number;
  /**
   * The clock windows are kept by (epoch ms; default real time): a test whose write-back runs on a
   * movable clock keeps Okta's windows on the same one, so a wait until X-Rate-Limit-Reset by that
   * clock is one by Okta's too.
   */
  now?: () => number;
}

export interface RateLimitVerdict {
  allowed: boolean;
  limit: number;
  remaining: number;
  reset: number;
}

export class OktaRateLimit {
  #options: RateLimitOptions | undefined;
  #windowEnds = 0;
  #used = 0;
  #forced = 0;
  #forcedReset = 0;

  constructor(options?: RateLimitOptions) {
    this.#options = options;
  }

  configure(options: RateLimitOptions | undefined): void {
    this.#options = options;
    this.#windowEnds = 0;
    this.#used = 0;
  }

  /**
   * Okta's clock (epoch ms): the windows, the resets and the `Date` header of every answer (RFC 9110
   * §6.6.1: the origin server's clock) are kept by it. A `now` set behind or ahead of the client's
   * clock is an org whose clock differs from hubwarden's host.
   */
  now(): number {
    return this.#options?.now?.() ?? Date.now();
  }

  throttleNext(count: number, resetInSeconds: number): void {
    this.#forced = count;
    // Reset at the current second when asked for 0, so a client may retry at once.
    this.#forcedReset = Math.floor(this.now() / 1000) + resetInSeconds;
  }

  take(now = this.now()): RateLimitVerdict {
    if (this.#forced > 0) {
      this.#forced--;
      return { allowed: false, limit: this.#options?.limit ?? 600, remaining: 0, reset: this.#forcedReset };
    }
    if (!this.#options) return { allowed: true, limit: 600, remaining: 599, reset: Math.ceil(now / 1000) + 60 };
    const windowMs = (this.#options.windowSeconds ?? 60) * 1000;
    if (now >= this.#windowEnds) {
      this.#windowEnds = now + windowMs;
      this.#used = 0;
    }
    const reset = Math.ceil(this.#windowEnds / 1000);
    if (this.#used >= this.#options.limit) return { allowed: false, limit: this.#options.limit, remaining: 0, reset };
    this.#used++;
    return { allowed: true, limit: this.#options.limit, remaining: this.#options.limit - this.#used, reset };
  }
}
