import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { childLogger } from '../../log/logger.ts';
import type { CollectionName, RecordOf } from '../collections.ts';
import type { Change, ListRange, Store, Transaction, TransactOptions } from '../store.ts';
import { indexDef, rebuildIndexes, type IndexDef } from './indexes.ts';
import { migrate } from './migrate.ts';
import { Announcer, ChangeFeed } from './notifications.ts';
import { overlayTransaction } from './overlay.ts';
import { filedUnder, Reads, type Query } from './reads.ts';
import { channelOf, checkSchemaName, describeUrl, isRetryable, isUnreachable, lockKeyOf, reasonOf } from './sql.ts';
import { KeyLocks } from './key-locks.ts';
import { dropRecordsBefore } from './retention.ts';
import { Connections } from './connections.ts';
import { ReadSet } from './read-set.ts';
import { LocalQueue } from './local-queue.ts';
import { StoreContention } from '../store-contention.ts';
import { stagedKey, type StagedEntry } from './writes.ts';
import { commitCallFor, commitStaged, type Committer } from './commit.ts';

const log = childLogger('store');

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
  /** Times a transaction is run before a conflict (a read changed, a lock timed out) is given up on. Default 20. */
  maxAttempts?: number;
}

/** The transaction function running in this async context (a `transact` inside it is refused). */
interface TxContext {
  /** Set once the function has returned: late writes are refused. */
  done: boolean;
}

/**
 * `lock_timeout` of a commit (set by `commit_writes`, migrations/004-commit-function.sql, amended by 006): a commit
 * waiting for its locks longer than this gives up (55P03) and runs again. Commits take their
 * locks in one global order and hold them for one call, so a long wait means a stalled holder
 * (a replica paused mid-commit), not a cycle.
 * https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT
 */
export const LOCK_TIMEOUT_MS = 5_000;

const current = new AsyncLocalStorage<TxContext>();

/** A re-run writing more records than this queues on none of them (a bulk write is not a hot record). */
const QUEUED_KEYS_MAX = 64;

/**
 * The store on PostgreSQL, shared by several replicas (issue 13). Every read is a query; nothing
 * is cached, so memory does not grow with the data and any replica reads what any other committed
 * (read-your-writes across replicas).
 *
 * Tables (migrations/001-records.sql): `records` (collection, partition, id) → data json, with a
 * `seq` given at first insert and kept on update (insertion order); `index_entries` (name, value,
 * collection, partition, id), written by the store from each index's JavaScript `keysOf`
 * (indexes.ts); `index_definitions`; `schema_migrations`.
 *
 * Transactions check what they read when they commit (optimistic concurrency). While the
 * function runs it holds no connection and no lock: each read is a query on a pooled connection,
 * overlaid with the function's staged writes (the same overlay as MemoryStore's: a staged put is
 * read back, a staged delete hides the record), and noted with its print in the read set
 * (read-set.ts). To commit, one call of `commit_writes` (migrations/004-commit-function.sql, amended by 006), its
 * own transaction at READ COMMITTED: it takes the locks of everything read and written in one
 * global order (key-locks.ts: no deadlock), prints again what was read and raises if anything
 * differs, writes the staged records and their index entries (writes.ts), and commits as it
 * returns. Re-runs after a conflict queue in this process on the records they write
 * (local-queue.ts). So a transaction commits only
 * if what it read is, at that moment, as it read it: as if it had run alone there. When a read
 * changed (40001), or a lock was waited for too long (55P03), the function runs again from the
 * start, after a short random pause growing with each try, up to `maxAttempts` times: the
 * contract of store.ts (a transaction function may run more than once and must keep no effects
 * outside `tx`). A function that read once and wrote nothing commits nothing (one statement is
 * one snapshot). A read through the store itself (not `tx`) inside a transaction function is a
 * plain read of what is committed.
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
 * again could apply it twice).
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
  private readonly o: Required<Omit<PostgresStoreOptions, 'url' | 'schema'>>;
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
  private readonly indexes = new Map<string, IndexDef>();
  /** Indexes defined (or redefined) since they were last checked against the database. */
  private unchecked = new Set<string>();
  private checking: Promise<void> | null = null;
  private listeners = new Set<(changes: readonly Change[]) => void>();
  private durableListeners = new Set<(changes: readonly Change[]) => void>();
  private inflight = new Set<Promise<unknown>>();
  /** The commit of a transaction: one call (migrations/004-commit-function.sql, amended by 006). */
  private readonly commitCall: string;
  /** What commits need of this store (commit.ts). */
  private readonly committer: Committer;
  /** Where this process's re-runs after a conflict queue (local-queue.ts). */
  private readonly queue = new LocalQueue();
  /** Transactions run again after a conflict, since open (tests and metrics). */
  retries = 0;

  constructor(options: PostgresStoreOptions) {
    this.url = options.url;
    this.schema = checkSchemaName(options.schema ?? 'hubwarden');
    this.o = {
      poolSize: options.poolSize ?? 10,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      probeMs: options.probeMs ?? 2_000,
      maxAttempts: options.maxAttempts ?? 20,
    };
    this.reads = new Reads(this.schema);
    this.db = new Connections({
      url: this.url, schema: this.schema, poolSize: this.o.poolSize, probeMs: this.o.probeMs,
      assertOpen: () => this.assertOpen(), isOpen: () => this.state === 'open',
    });
    this.commitCall = commitCallFor(this.schema);
    this.lockKey = lockKeyOf(this.schema);
    this.keys = new KeyLocks(this.schema);
    this.channel = channelOf(this.schema);
    this.announcer = new Announcer({ channel: this.channel, origin: this.origin, send: (text, values) => this.db.query(text, values) });
    this.committer = { db: this.db, keys: this.keys, indexes: this.indexes, commitCall: this.commitCall, announcer: this.announcer };
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
    const pool = new pg.Pool({
      connectionString: this.url,
      max: this.o.poolSize,
      connectionTimeoutMillis: this.o.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'hubwarden',
    });
    // Every store query is a key or key-range lookup. On small tables, and with the row estimates
    // of `unnest` parameters, the planner picks sequential scans and hash or merge joins (measured:
    // a seq scan of index_entries to delete 2,500 stale keys), so the store's sessions steer it
    // to index scans and nested loops (commit_writes turns hash joins back on for its set
    // comparisons).
    // The statements are prepared once per connection (sql.ts `named`), and each plan is the
    // same whatever the parameters: generic plans, not one planned again per call. PostgreSQL's
    // default re-plans with the parameters' values while a custom plan looks cheaper
    // (https://www.postgresql.org/docs/current/runtime-config-query.html#GUC-PLAN-CACHE-MODE), and the
    // statements of commit_writes are planned with the session's setting too: a CPU profile of
    // the SCIM import showed PostgreSQL's planner (get_relation_info, copyObject, expression
    // walkers) high in its CPU, and forcing generic plans took the import from 268-328 to 303-379
    // writes/s (alternating runs on a noisy 2-core machine).
    // Set per session, first thing on each new connection (pg runs a client's queries in order);
    // not as a startup option, which connection poolers such as PgBouncer refuse.
    pool.on('connect', (client) => this.db.prepare(client, 'SET enable_seqscan = off; SET enable_hashjoin = off; SET enable_mergejoin = off; SET plan_cache_mode = force_generic_plan'));
    // An idle connection that fails (server restart, network) must not crash the process.
    pool.on('error', (err) => this.db.markUnavailable(err));
    this.db.pool = pool;
    try {
      const client = await pool.connect();
      client.on('error', onClientError);
      // Released without the session lock: unlocked, or the connection is closed (which unlocks).
      let unlocked = false;
      try {
        await client.query('SELECT pg_advisory_lock($1::bigint)', [this.lockKey]);
        try {
          await migrate(client, this.schema);
          await this.checkIndexes(client);
        } finally {
          await client.query('SELECT pg_advisory_unlock($1::bigint)', [this.lockKey]).then(() => (unlocked = true), () => {});
        }
      } finally {
        client.removeListener('error', onClientError);
        client.release(unlocked ? undefined : new Error('closed while holding the migration lock'));
      }
      this.feed = new ChangeFeed({
        connect: () => new pg.Client({ connectionString: this.url, connectionTimeoutMillis: this.o.connectTimeoutMs, keepAlive: true, application_name: 'hubwarden-listen' }),
        channel: this.channel,
        origin: this.origin,
        onChanges: (changes) => this.notify(this.listeners, changes),
      });
      await this.feed.start();
    } catch (err) {
      this.state = 'closed';
      await this.feed?.stop();
      await pool.end().catch(() => {});
      const why = isUnreachable(err) ? `cannot reach the database: ${reasonOf(err)}` : err instanceof Error ? err.message : String(err);
      throw new Error(`store: cannot open PostgreSQL store ${this.where}: ${why}`);
    }
    this.state = 'open';
    log.debug('store opened', { kind: 'postgres', url: describeUrl(this.url), schema: this.schema });
  }

  /** Whether the database answers (false while it is unreachable, before open and after close). */
  healthy(): boolean {
    return this.state === 'open' && this.db.unavailable === null;
  }

  /** Why the store cannot work now (for /readyz; no password, no host), or undefined. */
  unavailableReason(): string | undefined {
    if (this.state !== 'open') return `the store is ${this.state === 'new' || this.state === 'opening' ? 'not open yet' : 'closed'}`;
    const down = this.db.unavailable;
    return down ? `PostgreSQL unreachable since ${down.since}: ${down.reason}; retrying every ${this.o.probeMs / 1000} s` : undefined;
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
    await this.indexesChecked();
    const def = this.indexes.get(index);
    return (await this.reads.lookup(this.pooled, collection, index, value)).filter((r) => filedUnder(def, r.data, r.partition, value)).map((r) => r.data as RecordOf<C>);
  }

  /**
   * As `lookup`, each record cut to `fields` by the database (reads.ts `lookupPrinted`). The index
   * entries are taken as they are: the fields left out may be the ones the record is filed by, so
   * it is not filed again by this process's definition as `lookup` does during a rolling upgrade.
   */
  async lookupFields<C extends CollectionName, F extends keyof RecordOf<C> & string>(collection: C, index: string, value: string, fields: readonly F[]): Promise<Array<Readonly<Pick<RecordOf<C>, F>>>> {
    await this.indexesChecked();
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

  defineIndex<C extends CollectionName>(collection: C, index: string, keysOf: (record: RecordOf<C>, partition: string) => string[]): void {
    this.indexes.set(index, indexDef(index, collection, keysOf));
    this.unchecked.add(index);
  }

  /** Builds the indexes defined since the last check whose definition is new or changed. */
  private async checkIndexes(client: pg.ClientBase): Promise<void> {
    const names = [...this.unchecked];
    const defs = names.map((n) => this.indexes.get(n)!);
    const built = await rebuildIndexes(client, this.schema, this.lockKey, defs);
    for (const n of names) if (this.indexes.get(n)?.hash === defs.find((d) => d.name === n)?.hash) this.unchecked.delete(n);
    if (built.length > 0) log.debug('store: PostgreSQL indexes rebuilt', { schema: this.schema, indexes: built });
  }

  /** Waits until every index defined so far is built (an index defined after open is built on first use). */
  private async indexesChecked(): Promise<void> {
    while (this.unchecked.size > 0) {
      if (!this.checking) {
        this.checking = (async () => {
          const client = await this.db.connect();
          client.on('error', onClientError);
          let failed: unknown;
          try {
            await this.checkIndexes(client);
          } catch (err) {
            failed = err;
            throw isUnreachable(err) ? this.db.unavailableError(err) : err;
          } finally {
            client.removeListener('error', onClientError);
            client.release(failed !== undefined && isUnreachable(failed) ? (failed as Error) : undefined);
          }
        })().finally(() => (this.checking = null));
      }
      await this.checking;
    }
  }

  // ---- transactions ------------------------------------------------------------------------

  transact<R>(fn: (tx: Transaction) => R | Promise<R>, options?: TransactOptions): Promise<R> {
    const ctx = current.getStore();
    if (ctx && !ctx.done) return Promise.reject(new Error('store: transact called inside a transaction (its writes would not be part of the outer one); stage through the outer tx'));
    try {
      this.assertOpen('open-only');
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.runTransaction(fn, (options?.writes ?? []).map(([c, p, id]) => stagedKey(c, p, id)));
    this.inflight.add(run);
    const forget = () => this.inflight.delete(run);
    run.then(forget, forget);
    return run;
  }

  /**
   * Runs the function until it commits, is refused, or has met a conflict `maxAttempts` times: a
   * read found changed at COMMIT (40001), a lock waited for past lock_timeout (55P03), or a
   * deadlock (40P01, which the commit's lock order rules out among transactions of this store)
   * runs the function again, after a random pause of 0-10 ms doubling up to 0-1 s.
   */
  private async runTransaction<R>(fn: (tx: Transaction) => R | Promise<R>, willWrite: string[]): Promise<R> {
    await this.indexesChecked();
    // The first run queues on the records the caller said it will write (TransactOptions.writes).
    let queueOn: string[] = willWrite.slice(0, QUEUED_KEYS_MAX);
    for (let attempt = 1; ; attempt++) {
      const release = queueOn.length > 0 ? await this.queue.take(queueOn) : undefined;
      let outcome: Awaited<ReturnType<typeof this.attempt<R>>>;
      try {
        outcome = await this.attempt(fn);
      } finally {
        release?.();
      }
      if (outcome.ok) {
        if (outcome.changes.length > 0) {
          this.notify(this.listeners, outcome.changes);
          this.notify(this.durableListeners, outcome.changes);
        }
        return outcome.result;
      }
      const err = outcome.error;
      if (isRetryable(err) && attempt < this.o.maxAttempts) {
        this.retries++;
        queueOn = outcome.wrote.length <= QUEUED_KEYS_MAX ? outcome.wrote : [];
        // A re-run that queues here waits its turn there; one that does not backs off at random.
        if (queueOn.length === 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(1_000, 5 * 2 ** attempt)));
        continue;
      }
      if (isRetryable(err)) {
        throw new StoreContention(attempt, reasonOf(err));
      }
      throw err;
    }
  }

  /** `wrote`, when it failed: the keys of the records it would have written (LocalQueue). */
  private async attempt<R>(fn: (tx: Transaction) => R | Promise<R>): Promise<{ ok: true; result: R; changes: Change[] } | { ok: false; error: unknown; wrote: string[] }> {
    const ctx: TxContext = { done: false };
    const staged = new Map<string, StagedEntry>();
    const readSet = new ReadSet();
    let result: R;
    try {
      result = await current.run(ctx, () => fn(this.transaction(ctx, staged, readSet)));
    } catch (err) {
      return { ok: false, error: err, wrote: [] };
    } finally {
      ctx.done = true;
    }
    const committed = await commitStaged(this.committer, staged, readSet);
    return committed.ok ? { ok: true, result, changes: committed.changes } : committed;
  }

  /** The `tx` of one attempt: reads on pooled connections, overlaid with its staged writes (overlay.ts). */
  private transaction(ctx: TxContext, staged: Map<string, StagedEntry>, readSet: ReadSet): Transaction {
    return overlayTransaction({
      reads: this.reads,
      indexes: this.indexes,
      query: this.pooled,
      staged,
      ended: () => ctx.done,
      readSet,
    });
  }

  // ---- notifications -----------------------------------------------------------------------

  subscribe(listener: (changes: readonly Change[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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
    await this.announcer.flushed();
    this.state = 'closed';
    this.db.stop();
    await this.feed?.stop();
    await this.db.pool?.end().catch(() => {});
  }
}

function onClientError(): void {
  // Reported by the query that was running; this only keeps the process alive.
}
