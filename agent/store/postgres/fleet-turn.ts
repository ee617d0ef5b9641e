import type pg from 'pg';
import type { Connections } from './connections.ts';
import { commitLocks, type KeyLocks } from './key-locks.ts';
import { ReadSet } from './read-set.ts';
import type { Query } from './reads.ts';
import { isUnreachable } from './sql.ts';

/** A record a transaction writes. */
export interface RecordRef {
  collection: string;
  partition: string;
  id: string;
}

/**
 * A run holding its records' locks: its reads (`query`) and its commit go on `client`, then `end`
 * gives them back. Its reads take no pooled connection: commits of other transactions of this
 * process waiting for its locks may hold every one of those until their lock timeout.
 */
export interface FleetTurn {
  client: pg.PoolClient;
  query: Query;
  /**
   * Unlocks and gives the connection back. `discard`: the commit found it unusable (commit.ts
   * CommitOutcome); then, as after a read on it that could not be answered, it is ended, which
   * ends its session and its locks: an unlock sent on it would wait behind the query that timed
   * out for another answer timeout, holding up this process's next turn meanwhile.
   */
  end(discard?: Error): Promise<void>;
}

/**
 * The way out of starvation across replicas. Transactions check at COMMIT what they read
 * (transactions.ts), and this process queues its own re-runs of one record (local-queue.ts), but
 * two replicas' queues race: the replica that just committed a record starts its next run on it
 * first, so the other can lose to it run after run until it gives up (seen: 20 lost runs of one
 * read-modify-write of a record that two replicas updated 50 times each).
 *
 * A run that has lost several times takes, before it reads, the locks its commit would take for
 * the records it writes (key-locks.ts: shared on their collections and partitions, exclusive on
 * them), as session-level advisory locks on a connection of its own, and commits on that same
 * connection: the commit's transaction-level locks on the same keys are its own session's, so they
 * are granted at once (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS),
 * while every other writer of those records waits. What it read of them cannot change before it
 * commits. Waiting for them is bounded like the commit's (lock_timeout 5 s, then it runs again);
 * a wait in a cycle with another commit is a deadlock PostgreSQL breaks (40P01, run again).
 *
 * The run's reads go on that connection too (`FleetTurn.query`): commits of this process that
 * wait for its locks hold pooled connections meanwhile, up to the whole pool. One turn at a time
 * per process, so turns never hold more than one of the pool's connections between them.
 */
export class FleetTurns {
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly db: Connections, private readonly keys: KeyLocks) {}

  async take(records: readonly RecordRef[]): Promise<FleetTurn> {
    const before = this.last;
    let done!: () => void;
    this.last = new Promise<void>((resolve) => (done = resolve));
    await before;
    let client: pg.PoolClient | undefined;
    // A connection lost while the turn holds it (the database restarted, a proxy cut it) must not
    // be an unhandled 'error' event: the turn's commit then fails (unreachable, run again) and
    // `end` discards the connection, whose locks went with its session.
    const lost = (err: Error) => this.db.markUnavailable(err);
    try {
      client = await this.db.connect();
      client.on('error', lost);
      const locks = commitLocks(this.keys, new ReadSet(), records, new Map());
      // Inside a transaction only for SET LOCAL: session-level locks outlive its COMMIT (and a
      // ROLLBACK), so a failure below unlocks them all before the connection goes back.
      await client.query(this.db.timed('BEGIN', false));
      await client.query(this.db.timed("SET LOCAL lock_timeout = '5s'", false));
      await client.query(
        this.db.timed('SELECT CASE WHEN l.x THEN pg_advisory_lock(l.k) ELSE pg_advisory_lock_shared(l.k) END FROM unnest($1::bigint[], $2::boolean[]) WITH ORDINALITY AS l(k, x, o) ORDER BY l.o', false),
        [locks.keys, locks.exclusive],
      );
      await client.query(this.db.timed('COMMIT', false));
    } catch (err) {
      try {
        if (client && isUnreachable(err)) {
          // Lost, or silent (a timed-out query stays the connection's active one): ended, as `end`
          // ends one, not sent a ROLLBACK and an unlock that would each wait behind it for another
          // answer timeout while this process's next turn waits for this one.
          client.removeListener('error', lost);
          client.release(err as Error);
        } else {
          await this.giveBack(client, lost, err);
        }
      } finally {
        done();
      }
      // As a read or commit that cannot reach the database: StoreUnavailable (503, a task's
      // backoff), not the driver's own error answered as a bug.
      if (!isUnreachable(err)) throw err;
      this.db.markUnavailable(err);
      throw this.db.unavailableError(err);
    }
    const held = client;
    let broken: Error | undefined;
    const query: Query = async (text, values) => {
      try {
        return (await held.query(this.db.timed(text), values)).rows;
      } catch (err) {
        if (!isUnreachable(err)) throw err;
        broken ??= err as Error;
        this.db.markUnavailable(err);
        throw this.db.unavailableError(err);
      }
    };
    return {
      client: held,
      query,
      end: async (discard?: Error) => {
        try {
          const unusable = discard ?? broken;
          if (unusable) {
            held.removeListener('error', lost);
            held.release(unusable);
          } else {
            await this.giveBack(held, lost);
          }
        } finally {
          done();
        }
      },
    };
  }

  /** Unlocks everything the session holds and returns the connection (ends it when that fails). */
  private async giveBack(client: pg.PoolClient | undefined, lost: (err: Error) => void, failed?: unknown): Promise<void> {
    if (!client) return;
    try {
      // Bounded too: after a query that timed out, the next waits behind it on that connection.
      if (failed !== undefined) await client.query(this.db.timed('ROLLBACK', false)).catch(() => {});
      await client.query(this.db.timed('SELECT pg_advisory_unlock_all()', false));
      client.removeListener('error', lost);
      client.release();
    } catch (err) {
      client.removeListener('error', lost);
      client.release(err as Error); // a discarded connection ends its session, and its locks
    }
  }
}
