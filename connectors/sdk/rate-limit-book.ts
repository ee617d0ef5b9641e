import type { RateLimitState } from './hub-model.ts';

/**
 * Rate-limit bookkeeping a connector keeps from response headers and throttling errors. Scopes are
 * provider words: `app`, an ad account id, `invite:<businessId>`. The connector reports the state
 * (`rateLimits()`) and refuses calls into a blocked scope instead of extending the block
 * (Meta: "continued calls extend the block", https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
 */
export class RateLimitBook {
  readonly #usage = new Map<string, number>();
  readonly #blocked = new Map<string, number>();
  constructor(private readonly now: () => number = Date.now) {}

  /** Record a usage percentage seen for a scope (the latest reading wins). */
  noteUsage(scope: string, percent: number): void {
    if (Number.isFinite(percent)) this.#usage.set(scope, percent);
  }

  /** Record that a scope is blocked for `ms` from now (keeps the later of two blocks). */
  block(scope: string, ms: number): void {
    const until = this.now() + Math.max(0, ms);
    if ((this.#blocked.get(scope) ?? 0) < until) this.#blocked.set(scope, until);
  }

  /** Record that a scope is blocked until `untilMs` (epoch ms; keeps the later of two blocks). */
  blockUntil(scope: string, untilMs: number): void {
    this.block(scope, untilMs - this.now());
  }

  /** Milliseconds left on a scope's block, 0 when free. */
  remainingMs(scope: string): number {
    const until = this.#blocked.get(scope);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left <= 0) {
      this.#blocked.delete(scope);
      return 0;
    }
    return left;
  }

  state(): RateLimitState {
    const blockedUntil: Record<string, number> = {};
    for (const [scope] of this.#blocked) {
      if (this.remainingMs(scope) > 0) blockedUntil[scope] = this.#blocked.get(scope)!;
    }
    return { usagePercent: Object.fromEntries(this.#usage), blockedUntil };
  }
}

/** `12 min`, `24 h`, `40 s`: a wait in words for messages. */
export function formatWait(ms: number): string {
  if (ms >= 2 * 3_600_000) return `${Math.ceil(ms / 3_600_000)} h`;
  if (ms >= 60_000) return `${Math.ceil(ms / 60_000)} min`;
  return `${Math.ceil(ms / 1000)} s`;
}
