import { childLogger } from '../../log/logger.ts';
import type { Change } from '../store.ts';
import type pg from 'pg';
import type { Connections } from './connections.ts';
import type { RecordRef } from './fleet-turn.ts';
import type { IndexDef } from './indexes.ts';
import { commitLocks, type KeyLocks } from './key-locks.ts';
import type { Announcer } from './notifications.ts';
import type { ReadSet } from './read-set.ts';
import { encodeKey, isRefusedByServer, isUnreachable } from './sql.ts';
import { commitParams, type CommitCalls } from './commit-args.ts';
import { filedValues, stagedWrites, TOMBSTONE, type StagedEntry } from './writes.ts';
import { callInParts, PartsFailed, PART_RECORDS, type Row } from './commit-parts.ts';

const log = childLogger('store');

/** What a commit needs of its store (postgres-store.ts). */
export interface Committer {
  db: Connections;
  keys: KeyLocks;
  indexes: ReadonlyMap<string, IndexDef>;
  /** The calls of `commit_writes` (commit-args.ts). */
  commitCalls: CommitCalls;
  announcer: Announcer;
}

/** `wrote`, when it failed: the records it would have written (its re-run queues on them). */
/**
 * `discard`, on a turn's connection (fleet-turn.ts) left unusable (lost, silent, or inside a
 * failed transaction): the turn must end it rather than send it more (FleetTurn.end).
 */
export type CommitOutcome = { ok: true; changes: Change[] } | { ok: false; error: unknown; wrote: RecordRef[]; discard?: Error };

/** What made a commit fail: a commit in parts wraps its first failure (PartsFailed), a one-call commit throws it. */
const causeOf = (failed: unknown): unknown => (failed instanceof PartsFailed ? failed.error : failed);

/**
 * Commits what one run of a transaction function staged, if what it read is unchanged: one call
 * of `commit_writes`, its own transaction (postgres-store.ts says how transactions work). The
 * changes it made are announced to other replicas once it committed. `turn`: the connection of a
 * run holding its records' locks (fleet-turn.ts), which the call goes on and which stays the
 * turn's; otherwise one from the pool.
 */
export async function commitStaged(c: Committer, staged: Map<string, StagedEntry>, readSet: ReadSet, turn?: pg.PoolClient): Promise<CommitOutcome> {
  // Built only when the commit fails (a commit that succeeds needs no list of what it wrote).
  const wrote = () => [...staged.values()].map(({ collection, partition, id }) => ({ collection, partition, id }));
  if (readSet.changed) return { ok: false, error: Object.assign(new Error(`store: ${readSet.changed} changed while this transaction read it`), { code: '40001' }), wrote: wrote() };
  // One read statement saw one snapshot: a function that read once and wrote nothing is done.
  if (staged.size === 0 && readSet.statements <= 1) return { ok: true, changes: [] };

  const entries = [...staged.values()];
  // A big commit goes in parts (commit-parts.ts): its writes' arrays are built part by part.
  const inParts = entries.length > PART_RECORDS;
  let writes = inParts ? undefined : stagedWrites(entries, c.indexes);
  const locks = commitLocks(c.keys, readSet, entries, writes?.filed ?? filedValues(entries, c.indexes));
  const client = turn ?? await c.db.connect();
  let destroy: Error | undefined;
  const onError = (err: Error) => c.db.markUnavailable(err);
  client.on('error', onError);
  try {
    // One call, one round trip, its own transaction: the locks in key order (key-locks.ts), the
    // check of what was read, the writes (migrations/006-known-absent-inserts.sql). A big commit:
    // the same in parts, in one transaction (commit-parts.ts).
    const call = async (plain: boolean): Promise<Row[]> => {
      if (inParts) return callInParts({ client, calls: c.commitCalls, timed: (text, prepared) => c.db.timed(text, prepared), indexes: c.indexes }, entries, locks, readSet.checkValues(), plain);
      writes ??= stagedWrites(entries, c.indexes, plain);
      const { text, values } = commitParams(c.commitCalls, [locks.keys, locks.exclusive, ...readSet.checkValues(), ...writes.values] as unknown[][]);
      return (await client.query<Row>(c.db.timed(text), values)).rows;
    };
    let rows: Row[];
    try {
      rows = await call(true);
    } catch (failed) {
      const err = causeOf(failed);
      // 23505 unique_violation from a plain insert: an entry or record was stored after all (an
      // index key function changed under the same name while two releases run, indexes.ts). The
      // call rolled back; made again with ON CONFLICT throughout, it takes the locks and checks
      // the reads afresh.
      // Not on a connection left inside the failed transaction (commit-parts.ts `discard`).
      if ((err as { code?: unknown }).code !== '23505' || (failed instanceof PartsFailed && failed.discard)) throw failed;
      log.warn('store: a plain insert met a stored row; commit made again comparing stored rows', { collections: [...new Set(entries.map((e) => e.collection))] });
      writes = undefined;
      rows = await call(false);
    }
    const changes: Change[] = [];
    const existed = new Set(rows.map((r) => `${r.collection}\u0000${r.partition}\u0000${r.id}`));
    for (const e of staged.values()) {
      const deleting = e.record === TOMBSTONE || e.record === undefined;
      if (deleting && !existed.has(`${e.collection}\u0000${encodeKey(e.partition)}\u0000${encodeKey(e.id)}`)) continue;
      changes.push({ collection: e.collection, partition: e.partition, id: e.id, record: deleting ? undefined : e.record });
    }
    c.db.markAvailable();
    c.db.noteWritable(true);
    c.announcer.announce(changes.map((ch) => [ch.collection, ch.partition, ch.id] as const));
    return { ok: true, changes };
  } catch (failed) {
    // A commit in parts that failed before its COMMIT was sent did not commit.
    const committing = !(failed instanceof PartsFailed) || failed.committing;
    const err = causeOf(failed);
    // Left inside its failed transaction (commit-parts.ts): not given back to the pool as it is.
    if (failed instanceof PartsFailed && failed.discard) destroy = failed.discard;
    if (isUnreachable(err)) {
      destroy = err as Error;
      c.db.markUnavailable(err);
      // The call may have committed before the connection went: the outcome is unknown. Other
      // replicas are told its records may have changed (a notification is a hint to read them
      // again; one for a commit that did not happen costs a read), so a cache they keep from
      // notifications does not go on as if nothing changed.
      if (committing) c.announcer.announce(wrote().map((r) => [r.collection, r.partition, r.id] as const));
      return { ok: false, error: c.db.unavailableError(err, committing), wrote: wrote(), ...(turn ? { discard: destroy } : {}) };
    }
    // It rolled back (an implicit transaction). A server that cannot take writes now (a standby
    // after a failover, a full disk) is an outage to the caller (503, a task's backoff), not a bug.
    return { ok: false, error: isRefusedByServer(err) ? c.db.refusedError(err) : err, wrote: wrote(), ...(turn && destroy ? { discard: destroy } : {}) };
  } finally {
    client.removeListener('error', onError);
    if (!turn) client.release(destroy); // a discarded connection ends its session (a turn's: when the turn ends)
  }
}
