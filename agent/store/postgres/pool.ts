import pg from 'pg';
import type { Connections } from './connections.ts';
import { LOCK_TIMEOUT_MS } from './postgres-store.ts';

/**
 * The pool of a PostgreSQL store's connections, with the session settings every store query is
 * planned under (postgres-store.ts opens it).
 */
export function storePool(url: string, o: { poolSize: number; connectTimeoutMs: number; idleMs: number }, db: Connections): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: o.poolSize,
    connectionTimeoutMillis: o.connectTimeoutMs,
    idleTimeoutMillis: o.idleMs,
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
  // lock_timeout: a read waiting for a lock another session holds (an operator's `LOCK TABLE` in
  // an open transaction) gave up only at the answer timeout (60 s), its session left queued
  // behind the lock after the connection was dropped; now PostgreSQL ends the wait (55P03) and
  // the request is refused with 503 + Retry-After (connections.ts). Opening the schema and
  // building indexes wait as long as it takes: they lift it (prepare-schema.ts, indexes.ts).
  // https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT
  pool.on('connect', (client) => db.prepare(client, `SET enable_seqscan = off; SET enable_hashjoin = off; SET enable_mergejoin = off; SET plan_cache_mode = force_generic_plan; SET lock_timeout = '${LOCK_TIMEOUT_MS}ms'`));
  // An idle connection that fails (server restart, network) must not crash the process.
  pool.on('error', (err) => db.markUnavailable(err));
  return pool;
}
