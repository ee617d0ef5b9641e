/**
 * A transaction that met a conflict at commit on every one of its runs (PostgreSQL: what it read
 * kept changing, e.g. a check for updates reading the directory while Okta pushes thousands of
 * users). Nothing of it was written. It is contention, not a fault: a task that meets it is
 * retried after a backoff (agent/tasks/retry-policy.ts) rather than failed.
 */
export class StoreContention extends Error {
  readonly kind = 'conflict' as const;

  constructor(readonly attempts: number, readonly reason: string) {
    super(`store: transaction gave up after ${attempts} conflicts (${reason}); nothing was changed`);
    this.name = 'StoreContention';
  }
}

export function isStoreContention(err: unknown): err is StoreContention {
  return err instanceof StoreContention;
}
