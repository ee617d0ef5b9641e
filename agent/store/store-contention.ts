/**
 * A transaction that met a conflict at commit on every one of its runs (PostgreSQL: what it read
 * kept changing, e.g. a check for updates reading the directory while Okta pushes thousands of
 * users). Nothing of it was written. It is contention, not a fault: a task that meets it is
 * retried after a backoff (agent/tasks/retry-policy.ts) rather than failed.
 */
export class StoreContention extends Error {
  readonly kind = 'conflict' as const;
  /**
   * What a caller of the HTTP surfaces is told (SCIM, the admin API, the dashboard: 503 with
   * Retry-After): nothing about the request itself conflicts, so the same request can go again.
   */
  readonly answer = 'hubwarden is busy with other changes to the same records; nothing was changed, retry';
  readonly retryAfterSeconds = 1;

  constructor(readonly attempts: number, readonly reason: string) {
    super(`store: transaction gave up after ${attempts} conflicts (${reason}); nothing was changed`);
    this.name = 'StoreContention';
  }
}

export function isStoreContention(err: unknown): err is StoreContention {
  return err instanceof StoreContention;
}
