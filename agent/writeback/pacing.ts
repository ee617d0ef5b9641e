/**
 * Pacing of write-back calls per identity provider: a token bucket (steady rate, small burst) that
 * a rate-limit signal from the IdP can pause (Okta X-Rate-Limit-Remaining 0 until
 * X-Rate-Limit-Reset, Graph 429 Retry-After). Bulk write-back must not starve the IdP's other
 * consumers, who share the same org-wide limits: group syncs that spent the whole org budget
 * starved other integrations with 429 E0000047 (https://github.com/redhat-cop/group-sync-operator/issues/167;
 * Okta rate limits: https://developer.okta.com/docs/reference/rate-limits/).
 */
export interface WritebackClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: WritebackClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class TokenBucket {
  #tokens: number;
  #last: number;
  #pausedUntil = 0;
  /** Time spent waiting, for the run report. */
  waitedMs = 0;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly clock: WritebackClock,
  ) {
    if (!(ratePerSecond > 0)) throw new Error(`write-back pacing: rate must be positive, got ${ratePerSecond}`);
    this.#tokens = burst;
    this.#last = clock.now();
  }

  /** Waits until a call may go. Callers take one token per HTTP request. */
  async take(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      if (now < this.#pausedUntil) {
        await this.#wait(this.#pausedUntil - now);
        continue;
      }
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.ratePerSecond);
      this.#last = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await this.#wait(Math.ceil(((1 - this.#tokens) / this.ratePerSecond) * 1000));
    }
  }

  /** The IdP said: no more calls for `ms` (Graph Retry-After), by this bucket's clock. */
  pauseFor(ms: number): void {
    this.pauseUntil(this.clock.now() + ms);
  }

  /** The IdP said: no more calls before `epochMs` (Okta X-Rate-Limit-Reset). */
  pauseUntil(epochMs: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, epochMs);
  }

  async #wait(ms: number): Promise<void> {
    this.waitedMs += ms;
    await this.clock.sleep(ms);
  }
}
