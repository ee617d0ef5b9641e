/**
 * The one failure limiter of every surface that takes a credential: SCIM (budget per hub AND
 * client address), the admin API and the dashboard's token sign-in (one budget per client address,
 * shared by both: they take the same admin tokens). The composition root builds one and hands it to
 * all three, so a guesser cannot spend one budget on the API and a fresh one on the sign-in form.
 *
 * Callers check the credential FIRST and call `fail` only for a wrong one: a valid credential is
 * never refused because of anyone's failures, and a request that succeeds costs nothing here. So
 * five wrong tokens sent through a shared reverse proxy cannot lock the identity provider out. The
 * limit answers a guesser 429 (RFC 6585 §4) with Retry-After; what keeps a token from being guessed
 * is its length (generated tokens are 32 random bytes), not this counter.
 *
 * The client address is `req.ip`, which follows `server.trustProxy` (express's 'trust proxy'):
 * X-Forwarded-For counts only when the peer is a trusted proxy.
 */
export interface FailureBudget {
  /** Wrong credentials allowed per key within `windowMs`; the next one is answered 429. */
  maxFailures: number;
  windowMs: number;
}

export type FailureScope = 'scim' | 'admin';

/** SCIM clients are machines with a configured token: five misses a minute is already a misconfiguration. */
export const SCIM_FAILURES: FailureBudget = { maxFailures: 5, windowMs: 60_000 };
/** Admin tokens are typed by people too (the sign-in form): ten per ten minutes. */
export const ADMIN_FAILURES: FailureBudget = { maxFailures: 10, windowMs: 10 * 60_000 };

/** Keys kept at most; the least recently failed key is forgotten first (bounded memory under a flood). */
const MAX_KEYS = 10_000;

export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly budgets: Record<FailureScope, FailureBudget>;

  constructor(budgets: Partial<Record<FailureScope, FailureBudget>> = {}, private readonly now: () => number = Date.now) {
    this.budgets = { scim: budgets.scim ?? SCIM_FAILURES, admin: budgets.admin ?? ADMIN_FAILURES };
  }

  budget(scope: FailureScope): FailureBudget {
    return this.budgets[scope];
  }

  /**
   * Counts one wrong credential for `key` and returns the seconds the caller must wait (answer
   * 429 with Retry-After), or 0 while it is still within its budget (answer 401).
   */
  fail(scope: FailureScope, key: string): number {
    const { maxFailures, windowMs } = this.budgets[scope];
    const now = this.now();
    const id = `${scope}\u0000${key}`;
    const recent = (this.failures.get(id) ?? []).filter((t) => t > now - windowMs);
    this.failures.delete(id);
    const over = recent.length >= maxFailures;
    // Past the budget the oldest failure is kept, not extended: the window ends when it ends.
    if (!over) recent.push(now);
    this.failures.set(id, recent);
    if (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value!);
    if (!over) return 0;
    return Math.max(1, Math.ceil((recent[recent.length - maxFailures] + windowMs - now) / 1000));
  }
}

/** SCIM failures are counted per hub and client address: one hub's bad client never touches another hub. */
export const scimFailureKey = (hubId: string, address: string) => `${hubId}\u0000${address}`;

/** The client address of a request as express resolves it under `trust proxy` (`req.ip`). */
export function clientAddress(req: { ip?: string; socket?: { remoteAddress?: string } }): string {
  return req.ip ?? req.socket?.remoteAddress ?? 'unknown';
}
