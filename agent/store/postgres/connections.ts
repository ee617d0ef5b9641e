import pg from 'pg';
import { childLogger } from '../../log/logger.ts';
import { StoreUnavailable } from '../store-unavailable.ts';
import { describeUrl, detailOf, isConnectionRefused, isPoolTimeout, isRefusedByServer, isUnreachable, named, reasonOf } from './sql.ts';

const log = childLogger('store');

/** How long a transaction waits for a pooled connection while all are busy before it gives up. */
export const BUSY_WAIT_MS = 60_000;

/**
 * How long a store query (a read, a commit, a NOTIFY) waits for PostgreSQL's answer before its
 * connection counts as lost. A path that goes silent (a failover that moved the server's address,
 * a NAT or proxy that dropped the flow without a reset) raises no error: TCP keepalive only
 * probes idle connections, and unacknowledged data is retried for about 15 minutes
 * (tcp_retries2, https://www.kernel.org/doc/html/latest/networking/ip-sysctl.html), so a SCIM
 * request or a task waited that long, or for good. The store's longest statements (a first
 * check's commit of tens of thousands of records, lock waits bounded by lock_timeout) take
 * seconds; migrations and index builds at start-up are not bounded by this.
 */
export const ANSWER_TIMEOUT_MS = 60_000;

export interface ConnectionsOptions {
  url: string;
  schema: string;
  poolSize: number;
  /** While the database is unreachable, how often to try it (also the Retry-After). */
  probeMs: number;
  /** How long a caller waits for a pooled connection while all are busy (default BUSY_WAIT_MS). */
  busyWaitMs?: number;
  /** How long a read or commit waits for the database's answer (default ANSWER_TIMEOUT_MS). */
  answerTimeoutMs?: number;
  /** Throws unless the store takes work now. */
  assertOpen: () => void;
  isOpen: () => boolean;
}

/**
 * The PostgreSQL store's pool, and whether the database answers: a query or connection that
 * cannot reach it marks the store unavailable (`StoreUnavailable`: SCIM answers 503 +
 * Retry-After, /readyz turns false) and probes every `probeMs` until a query succeeds. A pool
 * whose connections are all busy is load, not an outage: callers wait (bounded).
 */
export class Connections {
  pool: pg.Pool | null = null;
  /** Since when, and why, the database does not answer (null: it does). */
  unavailable: { reason: string; since: string } | null = null;
  /**
   * Since when, and why, the database answers and takes no write (null: it takes them): a standby
   * reached after a failover, `default_transaction_read_only` on. `SELECT 1` answers there, so
   * without this /readyz and `hubwarden_store_up` said ready while every write got 503. Set by a
   * commit refused with SQLSTATE 25006 and by the /readyz probe; cleared by a commit taken or the
   * probe finding `transaction_read_only` off.
   */
  readOnly: { reason: string; since: string } | null = null;
  private probe: NodeJS.Timeout | null = null;

  constructor(private readonly o: ConnectionsOptions) {}

  /**
   * The session settings each new connection runs first (`prepare`), awaited before the
   * connection is used: a query sent while they run would be queued by node-postgres, which it
   * deprecates ("Calling client.query() when the client is already executing a query").
   */
  private readonly setUp = new WeakMap<pg.PoolClient, Promise<unknown>>();

  /** Runs `sql` on a new connection before anything else (the pool's `connect` event). */
  prepare(client: pg.PoolClient, sql: string): void {
    this.setUp.set(client, client.query(sql).catch(() => {}));
  }

  /**
   * `text` as a statement whose answer is waited for at most `answerTimeoutMs`: then pg fails it
   * with "Query read timeout" (https://node-postgres.com/apis/client, query_timeout), which counts
   * as unreachable (sql.ts), so its connection is discarded. `prepared`: a named statement (sql.ts `named`).
   */
  timed(text: string, prepared = true): pg.QueryConfig {
    // pg reads `query_timeout` from the query's config (lib/client.js); @types/pg lists it only on the client's.
    const config: pg.QueryConfig & { query_timeout: number } = { ...(prepared ? named(text) : { text }), query_timeout: this.o.answerTimeoutMs ?? ANSWER_TIMEOUT_MS };
    return config;
  }

  /** A query on any pooled connection (a read, or a NOTIFY). */
  async query<Row extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]> {
    try {
      const rows = await this.withClient(async (client) => (await client.query<Row>(this.timed(text), values)).rows);
      this.markAvailable();
      return rows;
    } catch (err) {
      if (isUnreachable(err)) {
        this.markUnavailable(err);
        throw this.unavailableError(err);
      }
      if (isRefusedByServer(err)) throw this.refusedError(err);
      // 55P03: a lock the read needs is held by another session past lock_timeout (pool.ts).
      // The database answers (not marked unavailable); the request comes back (503 + Retry-After).
      if ((err as { code?: unknown } | null)?.code === '55P03') throw new StoreUnavailable(`PostgreSQL: ${reasonOf(err)}, held by another session`, Math.ceil(this.o.probeMs / 1000));
      throw err;
    }
  }

  /**
   * Runs `fn` on a pooled connection (busy pool: waits; unreachable: StoreUnavailable). A
   * connection whose work failed unreachable is discarded: its session is gone or unusable.
   */
  async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    client.on('error', ignoreClientError);
    let failed: unknown;
    try {
      return await fn(client);
    } catch (err) {
      failed = err;
      throw err;
    } finally {
      client.removeListener('error', ignoreClientError);
      client.release(failed !== undefined && isUnreachable(failed) ? (failed as Error) : undefined);
    }
  }

  /** A pooled connection, its session settings applied (the caller adds an error listener while it holds it). */
  async connect(): Promise<pg.PoolClient> {
    this.o.assertOpen();
    const started = Date.now();
    for (;;) {
      try {
        const client = await this.pool!.connect();
        // pg-pool stops listening for a checked-out client's errors; its caller listens once it
        // has it. Until then (a new connection's settings still running) a connection lost raised
        // an 'error' event nobody listened to, and the process crashed. Lost, the settings' query
        // fails and so does the caller's first query on it.
        client.on('error', ignoreClientError);
        try {
          await this.setUp.get(client);
        } finally {
          client.removeListener('error', ignoreClientError);
        }
        return client;
      } catch (err) {
        // pg-pool says "timeout exceeded when trying to connect" both when the database does not
        // answer and when every pooled connection stayed busy for connectTimeoutMs. A busy pool
        // is load, not an outage: wait on (bounded), and never mark the store unavailable for it.
        // Given up on, it is StoreUnavailable (not marking the store unavailable): a plain Error
        // reached SCIM as a 500 "internal error" and failed the task that met it, where the
        // caller should come back (503 + Retry-After, a task's backoff) once the load passes.
        if (this.busy() && isPoolTimeout(err)) {
          const waitMs = this.o.busyWaitMs ?? BUSY_WAIT_MS;
          if (Date.now() - started < waitMs) continue;
          throw new StoreUnavailable(`all ${this.o.poolSize} PostgreSQL connections stayed busy for ${waitMs / 1000} s; raise store.poolSize, or lower the work per replica`, Math.ceil(this.o.probeMs / 1000));
        }
        // A database that answered and would not open a session (a rotated password, a dropped
        // role, pg_hba.conf): no new connection works either, so the store is unavailable as
        // when unreachable (/readyz turns false, requests get 503 + Retry-After) until one does.
        if (isUnreachable(err) || isConnectionRefused(err)) {
          this.markUnavailable(err);
          throw this.unavailableError(err);
        }
        throw err;
      }
    }
  }

  /** Every pooled connection is taken (the pool cannot open another): waiting means load. */
  private busy(): boolean {
    const pool = this.pool!;
    return pool.totalCount >= this.o.poolSize && pool.idleCount === 0;
  }

  unavailableError(err: unknown, committing = false): StoreUnavailable {
    const reason = committing ? `the connection was lost during COMMIT, whether it was applied is unknown: ${reasonOf(err)}` : `PostgreSQL unreachable: ${reasonOf(err)}`;
    return new StoreUnavailable(reason, Math.ceil(this.o.probeMs / 1000), committing);
  }

  /** The database answered, and refused the statement for a reason of its own (sql.ts `isRefusedByServer`): it rolled back. */
  refusedError(err: unknown): StoreUnavailable {
    if ((err as { code?: unknown } | null)?.code === '25006') this.noteWritable(false);
    log.warn('store: PostgreSQL refused a statement; the request is refused (503) and nothing was changed', { schema: this.o.schema, error: detailOf(err) });
    return new StoreUnavailable(`PostgreSQL refused it: ${reasonOf(err)}`, Math.ceil(this.o.probeMs / 1000));
  }

  markUnavailable(err: unknown): void {
    if (!this.o.isOpen() || !(isUnreachable(err) || isConnectionRefused(err))) return;
    if (!this.unavailable) {
      // `reason` reaches /readyz: classified only. PostgreSQL's own text (role, database, client
      // address) goes to the log, redacted as every log line is.
      this.unavailable = { reason: reasonOf(err), since: new Date().toISOString() };
      log.error('store: PostgreSQL is unreachable or refuses connections; requests are refused until it answers', { url: describeUrl(this.o.url), schema: this.o.schema, error: detailOf(err) });
    }
    if (!this.probe) {
      this.probe = setInterval(() => {
        this.pool!.query('SELECT 1').then(
          () => this.markAvailable(),
          () => {},
        );
      }, this.o.probeMs);
      this.probe.unref();
    }
  }

  markAvailable(): void {
    if (this.probe) clearInterval(this.probe);
    this.probe = null;
    if (this.unavailable) {
      this.unavailable = null;
      log.info('store: PostgreSQL answers again', { schema: this.o.schema });
    }
  }

  /** Whether the database takes writes now, as a commit or the /readyz probe found (`readOnly`). */
  noteWritable(writable: boolean): void {
    if (writable) {
      if (this.readOnly) log.info('store: PostgreSQL takes writes again', { schema: this.o.schema });
      this.readOnly = null;
    } else if (!this.readOnly && this.o.isOpen()) {
      this.readOnly = { reason: reasonOf({ code: '25006' }), since: new Date().toISOString() };
      log.error('store: PostgreSQL answers but takes no write (a standby, or default_transaction_read_only); writes are refused until it takes them', { url: describeUrl(this.o.url), schema: this.o.schema });
    }
  }

  /** Stops probing (the store is closing). */
  stop(): void {
    if (this.probe) clearInterval(this.probe);
    this.probe = null;
  }
}

/** An error on a connection in use is reported by the query that was running; this only keeps the process alive. */
export function ignoreClientError(): void {}
