import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { childLogger } from '../../log/logger.ts';
import { describePostgresUrlProblem, postgresUrlProblem } from '../../../config/postgres-url.ts';
import type { CollectionName, RecordOf } from '../collections.ts';
import { assertIndexOf, type Change, type IndexOptions, type ListRange, type Store, type StoreStats, type Transaction, type TransactOptions } from '../store.ts';
import { IndexUpkeep } from './index-upkeep.ts';
import { prepareSchema } from './prepare-schema.ts';
import { MigrationOutcomeUnknown } from './migrate.ts';
import { Announcer, ChangeFeed } from './notifications.ts';
import { filedUnder, Reads, type Query } from './reads.ts';
import { channelOf, checkSchemaName, describeUrl, ident, isUnreachable, lockKeyOf, reasonOf } from './sql.ts';
import { KeyLocks } from './key-locks.ts';
import { dropRecordsBefore } from './retention.ts';
import { Connections } from './connections.ts';
import { storePool } from './pool.ts';
import { commitCallsFor } from './commit-args.ts';
import { FleetTurns } from './fleet-turn.ts';
import { insideTransaction, Transactions } from './transactions.ts';
import { ClockCheck, databaseClock } from './clock-check.ts';

const log = childLogger('store');

export type { PostgresStoreOptions } from './postgres-store-options.ts';
import type { PostgresStoreOptions } from './postgres-store-options.ts';

/**
 * `lock_timeout` of a commit (set by `commit_writes`, migrations/006-known-absent-inserts.sql): a commit
 * waiting for its locks longer than this gives up (55P03) and runs again. Commits take their
 * locks in one global order and hold them for one call, so a long wait means a stalled holder
 * (a replica paused mid-commit), not a cycle.
 * https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT
 */
export const LOCK_TIMEOUT_MS = 5_000;

/**
 * The store on PostgreSQL, shared by several replicas (issue 13). Every read is a query; nothing
 * is cached, so memory does not grow with the data and any replica reads what any other committed
 * (read-your-writes across replicas).
 *
 * Tables (migrations/001-records.sql): `records` (collection, partition, id) → data json, with a
 * `seq` given at first insert and kept on update (insertion order); `index_entries` (name, value,
 * collection, partition, id), written by the store from each index's JavaScript `keysOf`
 * (indexes.ts); `index_definitions`; `schema_migrations`; `store_marks` (migrations/007-store-marks.sql).
 *
 * Transactions check what they read when they commit (optimistic concurrency): how they run,
 * commit and run again is transactions.ts.
 *
 * Changes: after COMMIT, local `subscribe` then `subscribeDurable` listeners get the changes with
 * their records (COMMIT is durability here). Other replicas learn of them by NOTIFY (sent after
 * COMMIT, batched, so only committed changes are announced: notifications.ts): their `subscribe` listeners get
 * `{collection, partition, id, record: undefined, remote: true}` (notifications.ts).
 *
 * Unreachable database: a read or transaction that cannot reach it rejects with
 * `StoreUnavailable` (SCIM answers 503 + Retry-After), `healthy()` turns false (/readyz) and the
 * store probes every `probeMs` until a query succeeds. A COMMIT whose connection drops has an
 * unknown outcome: it rejects with `StoreUnavailable` saying so and is not run again (running it
 * again could apply it twice); its records are reported to `subscribe` listeners here and to other
 * replicas as `remote` changes (they may have changed: read them), never to durable listeners.
 *
 * Records are stored as `json` (the text JSON.stringify wrote), so they read back exactly as on
 * the other stores, object key order included: see migrations/001-records.sql for why not jsonb.
 */
export class PostgresStore implements Store {
  readonly schema: string;
  /** Several replicas share the schema (store.ts `shared`). */
  readonly shared = true;
  /** This replica's id in NOTIFY payloads (its own notifications are not reported back as remote). */
  readonly origin = randomUUID();
  private readonly url: string;
  private readonly o: Required<Omit<PostgresStoreOptions, 'url' | 'schema' | 'busyWaitMs' | 'answerTimeoutMs' | 'unfinishedCopy' | 'schemaPrepared' | 'clock' | 'onLockWait'>>;
  private readonly unfinishedCopy: 'open' | 'refuse';
  private readonly schemaPrepared: boolean;
  private readonly onLockWait: (line: string) => void;
  private readonly reads: Reads;
  /** Advisory lock of migrations and index builds. */
  private readonly lockKey: string;
  /** Advisory lock keys of records, partitions, collections, indexes and values (key-locks.ts). */
  private readonly keys: KeyLocks;
  private readonly channel: string;
  /** The pool, and whether the database answers (connections.ts). */
  private readonly db: Connections;
  private feed: ChangeFeed | null = null;
  /** Tells other replicas what this one committed (notifications.ts). */
  private readonly announcer: Announcer;
  private state: 'new' | 'opening' | 'open' | 'closing' | 'closed' = 'new';
  /** The index definitions, kept built (index-upkeep.ts). */
  private readonly indexes: IndexUpkeep;
  private listeners = new Set<(changes: readonly Change[]) => void>();
  private durableListeners = new Set<(changes: readonly Change[]) => void>();
  private missedListeners = new Set<() => void>();
  private inflight = new Set<Promise<unknown>>();
  /** Runs transaction functions until they commit (transactions.ts). */
  private readonly transactions: Transactions;
  private readonly clockCheck: ClockCheck; // this replica's clock against the database's

  constructor(options: PostgresStoreOptions) {
    this.url = options.url;
    this.schema = checkSchemaName(options.schema ?? 'hubwarden');
    this.o = {
      poolSize: options.poolSize ?? 10,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      probeMs: options.probeMs ?? 2_000,
      maxAttempts: options.maxAttempts ?? 20,
      idleMs: options.idleMs ?? 30_000,
    };
    this.unfinishedCopy = options.unfinishedCopy ?? 'refuse';
    this.schemaPrepared = options.schemaPrepared === true;
    this.onLockWait = options.onLockWait ?? ((line) => log.warn(line, { schema: this.schema }));
    this.reads = new Reads(this.schema);
    this.db = new Connections({
      url: this.url, schema: this.schema, poolSize: this.o.poolSize, probeMs: this.o.probeMs,
      ...(options.busyWaitMs !== undefined ? { busyWaitMs: options.busyWaitMs } : {}),
      ...(options.answerTimeoutMs !== undefined ? { answerTimeoutMs: options.answerTimeoutMs } : {}),
      assertOpen: () => this.assertOpen(), isOpen: () => this.state === 'open',
    });
    this.lockKey = lockKeyOf(this.schema);
    this.indexes = new IndexUpkeep({ schema: this.schema, lockKey: this.lockKey, db: this.db });
    this.keys = new KeyLocks(this.schema);
    this.channel = channelOf(this.schema);
    this.announcer = new Announcer({ channel: this.channel, origin: this.origin, send: (text, values) => this.db.query(text, values) });
    this.clockCheck = new ClockCheck({ dbNow: () => databaseClock(this.db), ...(options.clock ? { clock: options.clock } : {}) });
    this.transactions = new Transactions({
      reads: this.reads,
      query: this.pooled,
      committer: { db: this.db, keys: this.keys, indexes: this.indexes.defs, commitCalls: commitCallsFor(ident(this.schema)), announcer: this.announcer },
      maxAttempts: this.o.maxAttempts,
      // A turn holds a connection for its whole run: not the only one a pool of one has.
      turns: this.o.poolSize >= 2 ? new FleetTurns(this.db, this.keys) : undefined,
      committed: (changes) => {
        this.notify(this.listeners, changes);
        this.notify(this.durableListeners, changes);
      },
      // A commit whose answer was lost may have applied: listeners re-read its records (remote-like).
      maybeCommitted: (changes) => this.notify(this.listeners, changes),
    });
  }

  stats(): StoreStats {
    const t = this.transactions;
    const pool = this.db.pool;
    return {
      committed: t.committed,
      reRuns: t.reRuns,
      contended: t.contended,
      ...(pool ? { connections: { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } } : {}),
    };
  }

  /** The database URL without its password, for messages. */
  get where(): string {
    return `${describeUrl(this.url)} (schema ${this.schema})`;
  }

  /**
   * Connects, creates the schema and applies the migrations it lacks, builds the indexes defined
   * so far whose definition is new or changed, and starts listening for other replicas' changes.
   * Migrations and index builds run under the schema's advisory lock: replicas starting together
   * do them once.
   */
  async open(): Promise<void> {
    if (this.state !== 'new') throw new Error(`store: PostgreSQL store ${this.where} is already ${this.state}`);
    this.state = 'opening';
    const urlProblem = postgresUrlProblem(this.url);
    if (urlProblem) {
      // node-postgres would read the password's rest as the database or drop it, and connect to
      // the user name as a host, or throw a bare "Invalid URL": refused here, saying what to fix.
      this.state = 'closed';
      throw new Error(`store: cannot open PostgreSQL store ${this.where}: ${describePostgresUrlProblem('its URL', urlProblem)}`);
    }
    const pool = storePool(this.url, this.o, this.db);
    this.db.pool = pool;
    try {
      if (!this.schemaPrepared) await prepareSchema(pool, { schema: this.schema, lockKey: this.lockKey, unfinishedCopy: this.unfinishedCopy, indexes: this.indexes, waiting: this.onLockWait });
      this.feed = new ChangeFeed({
        connect: () => new pg.Client({ connectionString: this.url, connectionTimeoutMillis: this.o.connectTimeoutMs, keepAlive: true, application_name: 'hubwarden-listen' }),
        channel: this.channel,
        origin: this.origin,
        onChanges: (changes) => this.notify(this.listeners, changes),
        onResumed: () => this.notify(this.missedListeners, []),
      });
      await this.feed.start();
    } catch (err) {
      this.state = 'closed';
      await this.feed?.stop();
      await pool.end().catch(() => {});
      // A migration whose COMMIT got no answer is said as such (which one, and that a start
      // again is safe), not as an unreachable database: it may be applied.
      const why = !(err instanceof MigrationOutcomeUnknown) && isUnreachable(err) ? `cannot reach the database: ${reasonOf(err)}` : err instanceof Error ? err.message : String(err);
      throw new Error(`store: cannot open PostgreSQL store ${this.where}: ${why}`);
    }
    this.state = 'open';
    await this.clockCheck.start();
    log.debug('store opened', { kind: 'postgres', url: describeUrl(this.url), schema: this.schema });
  }

  /** Whether the database takes writes (false while it is unreachable or read-only, before open and after close). */
  healthy(): boolean {
    return this.state === 'open' && this.db.unavailable === null && this.db.readOnly === null;
  }

  private probing: Promise<void> | undefined;
  private probedAt = 0;

  /**
   * Asks the database now (/readyz). `healthy()` only knows what the last query met: after 30 s
   * without one the pool holds no connection, so an outage since then was noticed by nobody and
   * the replica kept saying ready. One probe at a time and at most one a second, however often
   * /readyz is asked; an unreachable answer marks the store unavailable (and starts the probe that
   * notices its return), a read-only one (`Connections.readOnly`) too, until a probe finds it takes writes. A busy pool is load, not an outage.
   */
  async reachableNow(): Promise<boolean> {
    if (this.state !== 'open' || this.db.unavailable) return false;
    if (!this.probing && Date.now() - this.probedAt >= 1_000) {
      this.probedAt = Date.now();
      this.probing = this.db.query<{ ro: string }>("SELECT current_setting('transaction_read_only') AS ro").then((rows) => this.db.noteWritable(rows[0]?.ro !== 'on'), () => {}).finally(() => { this.probing = undefined; });
    }
    await this.probing;
    return this.healthy();
  }

  /** Why the store cannot work now (for /readyz; no password, no host), or undefined. */
  unavailableReason(): string | undefined {
    if (this.state !== 'open') return `the store is ${this.state === 'new' || this.state === 'opening' ? 'not open yet' : 'closed'}`;
    const down = this.db.unavailable ?? this.db.readOnly;
    return down ? `PostgreSQL ${down === this.db.unavailable ? 'unreachable' : 'takes no write'} since ${down.since}: ${down.reason}; ${down === this.db.unavailable ? `retrying every ${this.o.probeMs / 1000} s` : 'asked again at each /readyz and write'}` : undefined;
  }

  // ---- reads -------------------------------------------------------------------------------

  async get<C extends CollectionName>(collection: C, partition: string, id: string): Promise<Readonly<RecordOf<C>> | undefined> {
    return (await this.reads.get(this.pooled, collection, partition, id)) as RecordOf<C> | undefined;
  }

  async getMany<C extends CollectionName>(collection: C, partition: string, ids: readonly string[]): Promise<Array<Readonly<RecordOf<C>> | undefined>> {
    return (await this.reads.getMany(this.pooled, collection, partition, ids)).map((r) => r.data as RecordOf<C> | undefined);
  }

  async hasMany(collection: CollectionName, partition: string, ids: readonly string[]): Promise<boolean[]> {
    return (await this.reads.hasMany(this.pooled, collection, partition, ids)).map((print) => print !== null);
  }

  list<C extends CollectionName>(collection: C, partition: string, range?: ListRange): AsyncIterable<Readonly<RecordOf<C>>> {
    const q = this.pooled;
    const rows = this.reads.list(() => q, collection, partition, range);
    return (async function* () {
      for await (const row of rows) yield row.data as RecordOf<C>;
    })();
  }

  async partitions(collection: CollectionName): Promise<string[]> {
    return this.reads.partitions(this.pooled, collection);
  }

  async count(collection: CollectionName, partition: string): Promise<number> {
    return this.reads.count(this.pooled, collection, partition);
  }

  async lookup<C extends CollectionName>(collection: C, index: string, value: string): Promise<Array<Readonly<RecordOf<C>>>> {
    const def = assertIndexOf(this.indexes.defs.get(index), collection, index);
    await this.indexes.ready();
    return (await this.reads.lookup(this.pooled, collection, index, value)).filter((r) => filedUnder(def, r.data, r.partition, value)).map((r) => r.data as RecordOf<C>);
  }

  /**
   * As `lookup`, each record cut to `fields` by the database (reads.ts `lookupPrinted`). The index
   * entries are taken as they are: the fields left out may be the ones the record is filed by, so
   * it is not filed again by this process's definition as `lookup` does during a rolling upgrade.
   */
  async lookupFields<C extends CollectionName, F extends keyof RecordOf<C> & string>(collection: C, index: string, value: string, fields: readonly F[]): Promise<Array<Readonly<Pick<RecordOf<C>, F>>>> {
    assertIndexOf(this.indexes.defs.get(index), collection, index);
    await this.indexes.ready();
    return (await this.reads.lookupPrinted(this.pooled, collection, index, value, fields)).found.map((r) => r.data as Pick<RecordOf<C>, F>);
  }

  /**
   * Newest first (insertion order backwards), page by page, one partition or all of them. `newer`
   * is not needed: the database orders across partitions itself.
   */
  newestFirst<C extends CollectionName>(collection: C, partition?: string): AsyncIterable<Readonly<RecordOf<C>>> {
    const q = this.pooled;
    return this.reads.newestFirst(() => q, collection, partition) as AsyncIterable<Readonly<RecordOf<C>>>;
  }

  /**
   * Retention of a collection that only grows (the audit log, finished tasks), as on the lowdb
   * store: deletes its records written before `cutoffMs`, oldest first, in batches of 5,000 rows
   * (each its own transaction, so a first prune of a big backlog holds no long lock), with their
   * index entries. Returns how many records were deleted. No change notifications are sent (as
   * lowdb's archive drop).
   */
  async dropArchivedBefore(collection: string, cutoffMs: number, batch = 5_000): Promise<number> {
    this.assertOpen();
    return dropRecordsBefore(this.db, this.schema, collection, cutoffMs, batch);
  }

  // ---- indexes -----------------------------------------------------------------------------

  defineIndex<C extends CollectionName>(collection: C, index: string, keysOf: (record: RecordOf<C>, partition: string) => string[], options?: IndexOptions): void {
    this.indexes.define(collection, index, keysOf, options);
  }

  // ---- transactions ------------------------------------------------------------------------

  transact<R>(fn: (tx: Transaction) => R | Promise<R>, options?: TransactOptions): Promise<R> {
    if (insideTransaction()) return Promise.reject(new Error('store: transact called inside a transaction (its writes would not be part of the outer one); stage through the outer tx'));
    try {
      this.assertOpen('open-only');
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.indexes.ready().then(() => this.transactions.run(fn, (options?.writes ?? []).map(([collection, partition, id]) => ({ collection, partition, id }))));
    this.inflight.add(run);
    const forget = () => this.inflight.delete(run);
    run.then(forget, forget);
    return run;
  }

  // ---- notifications -----------------------------------------------------------------------

  subscribe(listener: (changes: readonly Change[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  subscribeMissed(listener: () => void): () => void {
    this.missedListeners.add(listener);
    return () => this.missedListeners.delete(listener);
  }

  /** This replica's clock minus the database's in ms at the last check (clock-check.ts); undefined before open. */
  clockSkewMs(): number | undefined {
    return this.clockCheck.skewMs;
  }

  /** Whether the change feed is listening now (store.ts `hearsChanges`). */
  hearsChanges(): boolean {
    return this.feed?.listening() ?? false;
  }

  subscribeDurable(listener: (changes: readonly Change[]) => void): () => void {
    this.durableListeners.add(listener);
    return () => this.durableListeners.delete(listener);
  }

  private notify(listeners: ReadonlySet<(changes: readonly Change[]) => void>, changes: readonly Change[]): void {
    for (const l of listeners) {
      try {
        l(changes);
      } catch (err) {
        // A listener only wakes workers; its failure must not undo or hide a committed change.
        log.error('store: a change listener failed', { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  // ---- connections -------------------------------------------------------------------------

  /**
   * Where a read goes: the pool (a transaction holds no connection while its function runs). One
   * function, so the reads made through it are batched together (reads.ts, read-batch.ts).
   */
  private readonly pooled: Query = (text, values) => this.db.query(text, values);

  /** Refuses work unless open (running transactions may finish while the store closes). */
  private assertOpen(closing: 'closing-ok' | 'open-only' = 'closing-ok'): void {
    if (this.state === 'open' || (this.state === 'closing' && closing === 'closing-ok')) return;
    throw new Error(`store: PostgreSQL store ${this.where} is ${this.state === 'new' || this.state === 'opening' ? 'not open yet' : 'closed'}`);
  }

  /** Refuses new transactions, waits for the running ones, then closes the connections. */
  async close(): Promise<void> {
    if (this.state !== 'open') {
      if (this.state === 'new') this.state = 'closed';
      return;
    }
    this.state = 'closing';
    await Promise.allSettled([...this.inflight]);
    await this.announcer.close();
    this.state = 'closed';
    this.clockCheck.stop();
    this.db.stop();
    await this.feed?.stop();
    await this.db.pool?.end().catch(() => {});
  }
}
