import type pg from 'pg';
import { commitParams, type CommitCalls } from './commit-args.ts';
import type { IndexDef } from './indexes.ts';
import type { LockBatch } from './key-locks.ts';
import { isUnreachable } from './sql.ts';
import { stagedWrites, type StagedEntry } from './writes.ts';

/** Records per part of a commit made in parts; commits of more records than this go in parts. */
export const PART_RECORDS = 5_000;
/** The first part is smaller: the database starts on it sooner, and later parts are built while it writes. */
const FIRST_PART_RECORDS = 1_000;

export type Row = { collection: string; partition: string; id: string };

/** What a commit in parts needs: its connection, its statements and how to bound each (Connections.timed). */
export interface PartsCall {
  client: pg.PoolClient;
  calls: CommitCalls;
  timed: (text: string, prepared?: boolean) => pg.QueryConfig;
  indexes: ReadonlyMap<string, IndexDef>;
}

/**
 * A commit in parts failed: `error` is the first failure; `committing` is true once COMMIT was
 * sent (its outcome is then unknown if the connection went). `discard`: the connection may still
 * be inside the failed transaction (its ROLLBACK was not sent, or failed), so it must not go back
 * to the pool: ended, its session ends and PostgreSQL rolls the transaction back.
 */
export class PartsFailed extends Error {
  constructor(readonly error: unknown, readonly committing: boolean, readonly discard?: Error) {
    super('store: a commit in parts failed');
  }
}

/**
 * A big commit (a first check for updates puts 35,000 records) made as several calls of
 * `commit_writes` in ONE explicit transaction on one connection, so that Node builds the next
 * part's arguments (each record's JSON, its index entries) while the database writes the part
 * before: the one-call commit built all of them first (about 150 ms for 35,000 records) and the
 * database waited. The first call takes every lock of the commit and checks every read, as the
 * one-call commit does (the locks were computed from all the staged records, writes.ts
 * filedValues); each later call has no locks or checks and writes its part. The transaction's
 * advisory locks are held until COMMIT, so what was checked cannot change before the last part
 * is written. A failure of any part rolls all back: nothing is half written.
 *
 * A part is sent once the one before it is answered (node-postgres deprecates queueing queries on
 * a client that is executing one), and built before that answer is awaited.
 */
export async function callInParts(o: PartsCall, entries: readonly StagedEntry[], locks: LockBatch, checks: unknown[][], plain: boolean): Promise<Row[]> {
  const { client } = o;
  let committing = false;
  let sent: Promise<pg.QueryResult<Row>> | undefined;
  try {
    await client.query(o.timed('BEGIN', false));
    const rows: Row[] = [];
    for (let at = 0; at < entries.length;) {
      // Built while the part before it is written.
      const first = at === 0;
      const end = at + (first ? FIRST_PART_RECORDS : PART_RECORDS);
      const part = stagedWrites(entries.slice(at, end), o.indexes, plain);
      at = end;
      const { text, values } = commitParams(o.calls, [first ? locks.keys : [], first ? locks.exclusive : [], ...(first ? checks : checks.map(() => [])), ...part.values] as unknown[][]);
      if (sent) rows.push(...(await sent).rows);
      sent = client.query<Row>(o.timed(text), values);
      // Kept from an unhandled rejection while the next part is built; awaited above or below.
      sent.catch(() => {});
    }
    if (sent) rows.push(...(await sent).rows);
    committing = true;
    await client.query(o.timed('COMMIT', false));
    return rows;
  } catch (error) {
    if (committing) throw new PartsFailed(error, committing);
    // A connection that is lost or silent (a part's answer timed out, its query still running
    // there) gets no ROLLBACK: node-postgres would queue it behind that query, and the commit would
    // wait a second answer timeout before failing. The caller ends the connection instead.
    if (isUnreachable(error)) throw new PartsFailed(error, false, error as Error);
    let discard: Error | undefined;
    await sent?.catch(() => {}); // a part still being written when the next one failed to build
    await client.query(o.timed('ROLLBACK', false)).catch((err: Error) => (discard = err));
    throw new PartsFailed(error, false, discard);
  }
}
