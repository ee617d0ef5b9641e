import type pg from 'pg';
import { migrate } from './migrate.ts';
import { readCopyMark, unfinishedCopyMessage } from './copy-mark.ts';
import { ignoreClientError } from './connections.ts';
import type { IndexUpkeep } from './index-upkeep.ts';
import { takeSchemaLock } from './lock-wait.ts';

export interface PrepareSchemaOptions {
  schema: string;
  /** The schema's advisory lock key (sql.ts `lockKeyOf`). */
  lockKey: string;
  /** 'open': `hubwarden store migrate`, which starts an unfinished copy over (copy-mark.ts). */
  unfinishedCopy: 'open' | 'refuse';
  indexes: IndexUpkeep;
  /** Told once, with who holds it, when the schema's lock is taken and this open waits for it (lock-wait.ts). */
  waiting: (line: string) => void;
}

/**
 * What `PostgresStore.open` does under the schema's advisory lock, on one connection of `pool`:
 * creates the schema and applies the migrations it lacks (migrate.ts), refuses a schema holding
 * an unfinished copy, and builds the indexes whose definition is new or changed
 * (index-upkeep.ts). Under the lock, replicas starting together do each of these once.
 */
export async function prepareSchema(pool: pg.Pool, { schema, lockKey, unfinishedCopy, indexes, waiting }: PrepareSchemaOptions): Promise<void> {
  const client = await pool.connect();
  client.on('error', ignoreClientError);
  // Released without the session lock: unlocked, or the connection is closed (which unlocks).
  let unlocked = false;
  try {
    // The pool's sessions give up a lock wait after lock_timeout (pool.ts); opening waits for
    // the schema's lock and the migrations' table locks as long as it takes. This session is
    // not pooled again (released as failed below), so the lifted bound reaches no request.
    await client.query('SET lock_timeout = 0');
    await takeSchemaLock(client, schema, lockKey, waiting);
    try {
      await migrate(client, schema);
      // A copy cut off half-way is not a store: running on it would serve part of the
      // people, grants and tasks as if the rest were gone (copy-mark.ts).
      const copying = unfinishedCopy === 'refuse' ? await readCopyMark(client, schema) : undefined;
      if (copying) throw new Error(unfinishedCopyMessage(schema, copying));
      await indexes.check(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [lockKey]).then(() => (unlocked = true), () => {});
    }
  } finally {
    client.removeListener('error', ignoreClientError);
    client.release(new Error(unlocked ? 'lock_timeout lifted for the migrations' : 'closed while holding the migration lock'));
  }
}
