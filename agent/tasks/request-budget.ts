/**
 * A hub's request budget: a token bucket of `perSecond` tasks that call the app, with bursts up
 * to `burst` (concurrency and request budget per hub). Keeps one hub's backlog
 * from spending the app's whole rate allowance at once.
 */
export class RequestBudget {
  #tokens: number;
  #last: number;
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly clock: () => number,
  ) {
    this.#tokens = burst;
    this.#last = clock();
  }

  #refill(): void {
    const now = this.clock();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
  }

  /** Takes a token if one is there. */
  take(): boolean {
    if (!Number.isFinite(this.perSecond)) return true;
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there. */
  waitMs(): number {
    if (!Number.isFinite(this.perSecond)) return 0;
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.perSecond) * 1000);
  }
}
