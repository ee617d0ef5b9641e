import { AsyncLocalStorage } from 'node:async_hooks';
import type { CollectionName } from '../collections.ts';
import type { Change, Transaction } from '../store.ts';
import { StoreContention } from '../store-contention.ts';
import { isStoreUnavailable } from '../store-unavailable.ts';
import { commitStaged, type Committer } from './commit.ts';
import { LocalQueue } from './local-queue.ts';
import { overlayTransaction } from './overlay.ts';
import { ReadSet } from './read-set.ts';
import type { Query, Reads } from './reads.ts';
import { isRetryable, reasonOf } from './sql.ts';
import type { FleetTurn, FleetTurns, RecordRef } from './fleet-turn.ts';
import { stagedKey, type StagedEntry } from './writes.ts';

/** The transaction function running in this async context (a `transact` inside it is refused). */
interface TxContext {
  /** Set once the function has returned: late writes are refused. */
  done: boolean;
}

const current = new AsyncLocalStorage<TxContext>();

/** Whether the caller runs inside a transaction function that has not returned yet. */
export const insideTransaction = (): boolean => {
  const ctx = current.getStore();
  return ctx !== undefined && !ctx.done;
};

/** A re-run writing more records than this queues on none of them (a bulk write is not a hot record). */
const QUEUED_KEYS_MAX = 64;

/**
 * Lock timeouts (55P03, each after lock_timeout, postgres-store.ts LOCK_TIMEOUT_MS) after which a
 * transaction is given up on (StoreContention: 503 + Retry-After). A lock held that long is a
 * stalled holder (an operator's open transaction, a paused replica), not a race; run again up to
 * `maxAttempts` times, one SCIM write waited 20 lock timeouts (100 s) while the client timed it
 * out, retried, and its retries took the pool's connections meanwhile.
 */
const LOCK_TIMEOUTS_MAX = 2;

/** Runs lost to a conflict before the next one holds its records' locks throughout (fleet-turn.ts). */
const LOSSES_BEFORE_TURN = 3;

export interface TransactionsOptions {
  reads: Reads;
  /** Where a transaction's reads go: the pool (a transaction holds no connection while it runs). */
  query: Query;
  /** How a commit is made; its `indexes` (this process's definitions) also file the staged records in the overlay. */
  committer: Committer;
  /** Times a function is run before a conflict is given up on (StoreContention). */
  maxAttempts: number;
  /** What a commit changed, once committed (the store's listeners). */
  committed: (changes: readonly Change[]) => void;
  /**
   * What a commit of unknown outcome (its connection went during the call) may have changed, as
   * `remote` changes (no record: read it): the store's `subscribe` listeners, not its durable ones.
   */
  maybeCommitted: (changes: readonly Change[]) => void;
  /** Runs holding their records' locks, for a transaction that keeps losing (absent: never). */
  turns?: FleetTurns;
}

/**
 * The PostgreSQL store's transactions.
 *
 * They check what they read when they commit (optimistic concurrency). While the function runs
 * it holds no connection and no lock: each read is a query on a pooled connection, overlaid with
 * the function's staged writes (the same overlay as MemoryStore's: a staged put is read back, a
 * staged delete hides the record), and noted with its print in the read set (read-set.ts). To
 * commit, one call of `commit_writes` (migrations/006-known-absent-inserts.sql), its
 * own transaction at READ COMMITTED: it takes the locks of everything read and written in one
 * global order (key-locks.ts: no deadlock), prints again what was read and raises if anything
 * differs, writes the staged records and their index entries (writes.ts), and commits as it
 * returns (commit.ts). Re-runs after a conflict queue in this process on the records they write
 * (local-queue.ts). So a transaction commits only if what it read is, at that moment, as it read
 * it: as if it had run alone there. When a read
 * changed (40001), or a lock was waited for too long (55P03), the function runs again from the
 * start, after a short random pause growing with each try, up to `maxAttempts` times: the
 * contract of store.ts (a transaction function may run more than once and must keep no effects
 * outside `tx`). A function that read once and wrote nothing commits nothing (one statement is
 * one snapshot). A read through the store itself (not `tx`) inside a transaction function is a
 * plain read of what is committed.
 */
export class Transactions {
  /** Where this process's re-runs after a conflict queue (local-queue.ts). */
  private readonly queue = new LocalQueue();
  /** Transactions run again after a conflict, since the store opened. */
  reRuns = 0;
  /** Transactions committed, and given up on after their last run conflicted (StoreContention). */
  committed = 0;
  contended = 0;

  constructor(private readonly o: TransactionsOptions) {}

  /**
   * Runs the function until it commits, is refused, or has met a conflict `maxAttempts` times: a
   * read found changed at COMMIT (40001), a lock waited for past lock_timeout (55P03), or a
   * deadlock (40P01, which the commit's lock order rules out among transactions of this store)
   * runs the function again, after a random pause of 0-10 ms doubling up to 0-1 s.
   * After LOSSES_BEFORE_TURN conflicts, a re-run takes its records' locks before it reads and
   * holds them until it commits (fleet-turn.ts), so another replica cannot keep winning.
   * `willWrite`: the records the caller said it will write.
   */
  async run<R>(fn: (tx: Transaction) => R | Promise<R>, willWrite: RecordRef[]): Promise<R> {
    // The first run queues on the records the caller said it will write (TransactOptions.writes).
    let queueOn: RecordRef[] = willWrite.slice(0, QUEUED_KEYS_MAX);
    let lockTimeouts = 0;
    for (let attempt = 1; ; attempt++) {
      const release = queueOn.length > 0 ? await this.queue.take(queueOn.map((r) => stagedKey(r.collection, r.partition, r.id))) : undefined;
      let outcome: Awaited<ReturnType<typeof this.attempt<R>>>;
      let turn: FleetTurn | undefined;
      try {
        if (attempt > LOSSES_BEFORE_TURN && queueOn.length > 0 && this.o.turns) turn = await this.o.turns.take(queueOn);
        outcome = await this.attempt(fn, turn);
      } catch (err) {
        outcome = { ok: false, error: err, wrote: queueOn }; // the turn's locks were not granted
      } finally {
        // A commit that left the turn's connection unusable: ended, not sent the unlock (which
        // would wait behind a timed-out commit for another answer timeout).
        await turn?.end(outcome! && !outcome.ok ? outcome.discard : undefined);
        release?.();
      }
      if (outcome.ok) {
        this.committed++;
        if (outcome.changes.length > 0) this.o.committed(outcome.changes);
        return outcome.result;
      }
      const err = outcome.error;
      if (isStoreUnavailable(err) && err.outcomeUnknown && outcome.wrote.length > 0) {
        this.o.maybeCommitted(outcome.wrote.map(({ collection, partition, id }) => ({ collection: collection as CollectionName, partition, id, record: undefined, remote: true as const })));
      }
      if ((err as { code?: unknown } | null)?.code === '55P03') lockTimeouts++;
      if (isRetryable(err) && attempt < this.o.maxAttempts && lockTimeouts < LOCK_TIMEOUTS_MAX) {
        this.reRuns++;
        queueOn = outcome.wrote.length <= QUEUED_KEYS_MAX ? outcome.wrote : [];
        // A re-run that queues here waits its turn there; one that does not backs off at random.
        if (queueOn.length === 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(1_000, 5 * 2 ** attempt)));
        continue;
      }
      if (isRetryable(err)) {
        this.contended++;
        throw new StoreContention(attempt, reasonOf(err));
      }
      throw err;
    }
  }

  /** `wrote`, when it failed: the records it would have written (its re-run queues on them). */
  private async attempt<R>(fn: (tx: Transaction) => R | Promise<R>, turn?: FleetTurn): Promise<{ ok: true; result: R; changes: Change[] } | { ok: false; error: unknown; wrote: RecordRef[]; discard?: Error }> {
    const ctx: TxContext = { done: false };
    const staged = new Map<string, StagedEntry>();
    const readSet = new ReadSet();
    let result: R;
    try {
      result = await current.run(ctx, () => fn(this.transaction(ctx, staged, readSet, turn?.query ?? this.o.query)));
    } catch (err) {
      return { ok: false, error: err, wrote: [] };
    } finally {
      ctx.done = true;
    }
    const committed = await commitStaged(this.o.committer, staged, readSet, turn?.client);
    return committed.ok ? { ok: true, result, changes: committed.changes } : committed;
  }

  /** The `tx` of one attempt: reads on pooled connections, overlaid with its staged writes (overlay.ts). */
  private transaction(ctx: TxContext, staged: Map<string, StagedEntry>, readSet: ReadSet, query: Query): Transaction {
    return overlayTransaction({ reads: this.o.reads, indexes: this.o.committer.indexes, query, staged, ended: () => ctx.done, readSet });
  }
}
