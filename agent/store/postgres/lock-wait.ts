import type pg from 'pg';

/** The application_name `hubwarden store migrate` gives the session holding the schema's lock while it copies. */
export const MIGRATE_APPLICATION = 'hubwarden-migrate';

/**
 * Takes the schema's advisory lock on `client`'s session, waiting for it as long as it takes, but
 * saying why first when another session holds it. A server started while `hubwarden store
 * migrate` copied into its schema waited for the copy in silence (for a large store, minutes with
 * no line), which read as a hang; now `waiting` gets one line naming the holder. The holder is
 * found in pg_locks: a lock on one bigint key shows its high 32 bits as classid, its low 32 bits
 * as objid and objsubid 1 (https://www.postgresql.org/docs/current/view-pg-locks.html), and
 * application_name in pg_stat_activity is visible to every role
 * (https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-ACTIVITY-VIEW).
 */
export async function takeSchemaLock(client: pg.ClientBase, schema: string, lockKey: string, waiting: (line: string) => void): Promise<void> {
  const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [lockKey]);
  if (rows[0]?.ok) return;
  waiting(describeWait(schema, await holderOf(client, lockKey)));
  await client.query('SELECT pg_advisory_lock($1::bigint)', [lockKey]);
}

interface Holder { pid: number; application: string; since: string | null }

async function holderOf(client: pg.ClientBase, lockKey: string): Promise<Holder | undefined> {
  const key = BigInt.asUintN(64, BigInt(lockKey));
  const { rows } = await client.query<{ pid: number; application: string | null; since: Date | null }>(
    `SELECT l.pid, a.application_name AS application, a.backend_start AS since
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid = $1::oid AND l.objid = $2::oid
      LIMIT 1`,
    [String(key >> 32n), String(key & 0xffffffffn)],
  ).catch(() => ({ rows: [] as Array<{ pid: number; application: string | null; since: Date | null }> }));
  const r = rows[0];
  return r ? { pid: r.pid, application: r.application ?? '', since: r.since ? r.since.toISOString() : null } : undefined;
}

function describeWait(schema: string, holder: Holder | undefined): string {
  const who = holder ? `session ${holder.pid}${holder.application ? ` (${holder.application})` : ''}${holder.since ? `, connected ${holder.since}` : ''}` : 'another session';
  if (holder?.application === MIGRATE_APPLICATION) {
    return `store: waiting for schema "${schema}": \`hubwarden store migrate\` is copying a lowdb store into it (${who}); this server opens once the copy is verified, and refuses to open if it is not`;
  }
  return `store: waiting for schema "${schema}"'s lock, held by ${who}: another replica applying migrations or building an index, or \`hubwarden store migrate\` copying into it; this server opens once it is released`;
}
