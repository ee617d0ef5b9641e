import type { RateLimitState } from './hub-model.ts';

/**
 * How much later a block must end than the one told to be told again (RateLimitBook `onBlock`).
 * Meta gives a wait in whole minutes (`estimated_time_to_regain_access`,
 * https://developers.facebook.com/docs/graph-api/overview/rate-limiting), so readings of one
 * block differ by up to a minute as it counts down; an end a minute or more later is the block
 * grown ("continued calls extend the block"), worth telling the other replicas.
 */
export const MATERIAL_EXTENSION_MS = 60_000;

/**
 * Rate-limit bookkeeping a connector keeps from response headers and throttling errors. Scopes are
 * provider words: `app`, an ad account id, `invite:<businessId>`. The connector reports the state
 * (`rateLimits()`) and refuses calls into a blocked scope instead of extending the block
 * (Meta: "continued calls extend the block", https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
 */
export class RateLimitBook {
  readonly #usage = new Map<string, number>();
  readonly #blocked = new Map<string, number>();
  /** The end last passed to `onBlock`, per scope. */
  readonly #told = new Map<string, number>();
  /**
   * `onBlock`: told of a block this instance found itself (a throttling error, a usage header),
   * not of one it was told of (`blockUntil`), so the agent can share it with the other replicas.
   * Each telling is a store write every replica hears of, so a block is told when it is new (none
   * told or passed in is still in force) or ends at least MATERIAL_EXTENSION_MS later than the
   * one told: a usage header repeats the block on every answer, its end a few seconds later each
   * time as the clock moves on.
   */
  constructor(private readonly now: () => number = Date.now, private readonly onBlock?: (scope: string, untilMs: number) => void) {}

  /** Record a usage percentage seen for a scope (the latest reading wins). */
  noteUsage(scope: string, percent: number): void {
    if (Number.isFinite(percent)) this.#usage.set(scope, percent);
  }

  /** Record that a scope is blocked for `ms` from now (keeps the later of two blocks). */
  block(scope: string, ms: number): void {
    const until = this.now() + Math.max(0, ms);
    if (!this.#keep(scope, until) || !this.onBlock) return;
    const told = this.#told.get(scope);
    if (told !== undefined && told > this.now() && until - told < MATERIAL_EXTENSION_MS) return;
    this.#told.set(scope, until);
    try {
      this.onBlock(scope, until);
    } catch {
      // Sharing the block is best effort: this instance holds it anyway.
    }
  }

  /** Record that a scope is blocked until `untilMs` (epoch ms; keeps the later of two blocks), as told by the agent. */
  blockUntil(scope: string, untilMs: number): void {
    this.#keep(scope, Math.max(this.now(), untilMs));
    // The agent holds this block already (it came from the store): the same block found here by
    // a header is not new, and is told only if it ends materially later.
    if (untilMs > (this.#told.get(scope) ?? 0)) this.#told.set(scope, untilMs);
  }

  #keep(scope: string, until: number): boolean {
    if ((this.#blocked.get(scope) ?? 0) >= until) return false;
    this.#blocked.set(scope, until);
    return true;
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
