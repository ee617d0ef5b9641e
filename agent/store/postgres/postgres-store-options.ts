/** What `new PostgresStore(options)` takes (postgres-store.ts). */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (the password is never logged). */
  url: string;
  /** The schema holding the store's tables (created and migrated at open). Default `hubwarden`. */
  schema?: string;
  /** Connections in the pool (transactions hold one each while they run). Default 10. */
  poolSize?: number;
  /** How long to wait for a connection before the database counts as unreachable. Default 5 s. */
  connectTimeoutMs?: number;
  /** While the database is unreachable, how often to try it (default 2 s; also the Retry-After). */
  probeMs?: number;
  /** How long a read or transaction waits for a pooled connection while all are busy before it is refused (StoreUnavailable). Default 60 s. */
  busyWaitMs?: number;
  /** How long a read or commit waits for PostgreSQL's answer before its connection counts as lost (connections.ts ANSWER_TIMEOUT_MS, 60 s). */
  answerTimeoutMs?: number;
  /** Times a transaction is run before a conflict (a read changed, a lock timed out) is given up on. Default 20. */
  maxAttempts?: number;
  /** Opens on a schema holding an unfinished copy (copy-mark.ts): `hubwarden store migrate` only, which starts it over. */
  unfinishedCopy?: 'open';
  /**
   * The caller has created and migrated the schema and holds its advisory lock (`hubwarden store
   * migrate`, copy-to-postgres.ts): open leaves the schema as it is, as preparing it would wait
   * for that lock. No index may be defined on such a store (building one takes the lock too).
   */
  schemaPrepared?: true;
  /** Where the line goes when open waits for the schema's lock held by another session (lock-wait.ts). Default: a warning in the log. */
  onLockWait?: (line: string) => void;
  /** How long a pooled connection may stay idle before it is closed. Default 30 s. */
  idleMs?: number;
  /** This replica's clock, compared with the database's (clock-check.ts); tests skew it. Default Date.now. */
  clock?: () => number;
}
