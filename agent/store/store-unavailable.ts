/**
 * A read or transaction refused because the store cannot serve it: lowdb's disk refused a write
 * or an fsync (ENOSPC, EIO…), or PostgreSQL is unreachable. Nothing of it was applied, or it was rolled back before any reader could
 * act on it; except when PostgreSQL's connection went during the commit call (`outcomeUnknown`),
 * where it may have been applied and is not run again. The surfaces map it by `kind` (the connector vocabulary's `unavailable`): SCIM answers
 * 503 with Retry-After and a SCIM error body, the admin API a 503 problem. The store probes the disk
 * and accepts writes again on its own once it can write; `retryAfterSeconds` is that probe period.
 */
export class StoreUnavailable extends Error {
  readonly kind = 'unavailable' as const;

  constructor(
    /** Why, without file paths (it reaches API responses): "ENOSPC while appending to the journal". */
    readonly reason: string,
    readonly retryAfterSeconds: number,
    /** The write may have been applied (PostgreSQL's connection went during the commit): read before retrying. */
    readonly outcomeUnknown = false,
  ) {
    super(`store: unavailable (${reason}); ${outcomeUnknown ? 'it may have been applied: read before retrying' : 'nothing was changed'}, retry in ${retryAfterSeconds} s`);
    this.name = 'StoreUnavailable';
  }
}

export function isStoreUnavailable(err: unknown): err is StoreUnavailable {
  return err instanceof StoreUnavailable;
}
