import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { childLogger } from '../../log/logger.ts';
import { ident, isUnreachable } from './sql.ts';

const log = childLogger('store');

/**
 * Schema migrations: plain SQL files in ./migrations, named `NNN-what.sql`, applied in number
 * order, each in its own transaction, and recorded in `<schema>.schema_migrations`.
 *
 * Why plain SQL files rather than a migration tool (node-pg-migrate, knex, Prisma…): the schema
 * is three tables, the migrations are reviewed as the SQL PostgreSQL runs, and the runner below
 * is a page long. A tool would bring a dependency, its own bookkeeping table and lock, a CLI and
 * configuration the product does not need, while we need our own advisory lock anyway (the
 * same lock guards index builds, prepare-schema.ts). Migrations only roll forward (no down
 * files): a release that must undo a change ships a new migration; and each one keeps working
 * with the previous release's code, since replicas are upgraded one at a time.
 *
 * The caller holds the schema's advisory lock (`pg_advisory_lock`, prepare-schema.ts), so
 * several replicas starting at once migrate exactly once: the first applies, the others wait for
 * the lock and then find every version recorded.
 */
export interface Migration {
  /** The file's number, as written ("001"). */
  version: string;
  file: string;
  sql: string;
}

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** The migration files in order; a malformed name or a number used twice is refused. */
export function migrationFiles(dir = MIGRATIONS_DIR): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const m = /^(\d{3,})-[a-z0-9-]+\.sql$/.exec(file);
    if (!m) throw new Error(`store: migration file ${file} must be named NNN-what.sql`);
    if (out.some((o) => Number(o.version) === Number(m[1]))) throw new Error(`store: two migration files numbered ${m[1]}`);
    out.push({ version: m[1]!, file, sql: readFileSync(`${dir}/${file}`, 'utf8') });
  }
  return out.sort((a, b) => Number(a.version) - Number(b.version));
}

/**
 * Creates the schema if needed and applies the migrations it lacks; returns the migrations applied.
 * The caller must hold the schema's advisory lock on `client`'s session.
 *
 * `inTransaction`: the caller has opened a transaction on `client` and commits it: every
 * migration runs in it, with the schema's creation and whatever else the caller writes, so all of
 * it is there or none of it (`hubwarden store migrate` creates a schema already marked as holding
 * its unfinished copy, copy-to-postgres.ts). PostgreSQL's DDL is transactional
 * (https://www.postgresql.org/docs/current/sql-begin.html; each file already runs in one).
 * Nothing is logged as applied then: the caller says so with `logApplied` once its COMMIT
 * succeeded, and `logRolledBack` when it rolled back (a kill or a failure after the migrations
 * ran undoes them, and the log must not have said they were applied).
 */
export async function migrate(client: pg.ClientBase, schema: string, migrations: readonly Migration[] = migrationFiles(), { inTransaction = false } = {}): Promise<Migration[]> {
  const s = ident(schema);
  // Created only when absent: PostgreSQL checks the database's CREATE privilege for CREATE SCHEMA
  // IF NOT EXISTS even when the schema exists, and a role an administrator gave only its own
  // schema (CREATE SCHEMA … AUTHORIZATION, the least a replica needs) was refused at every start
  // (https://www.postgresql.org/docs/current/sql-createschema.html).
  const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  if (exists.rowCount === 0) await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version text PRIMARY KEY, file text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const done = new Set((await client.query<{ version: string }>(`SELECT version FROM ${s}.schema_migrations`)).rows.map((r) => r.version));
  const known = new Set(migrations.map((m) => m.version));
  const newer = [...done].filter((v) => !known.has(v));
  if (newer.length > 0) {
    // A newer release migrated this schema (a rolling upgrade): its migrations keep the previous
    // release working (see above), so this one goes on.
    log.warn('store: the PostgreSQL schema has migrations this release does not know (a newer release applied them)', { schema, versions: newer });
  }
  const applied: Migration[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    if (!inTransaction) await client.query('BEGIN');
    let committing = false;
    try {
      await client.query(`SET LOCAL search_path TO ${s}`);
      await client.query(m.sql);
      await client.query(`INSERT INTO ${s}.schema_migrations (version, file) VALUES ($1, $2)`, [m.version, m.file]);
      committing = !inTransaction;
      if (!inTransaction) await client.query('COMMIT');
    } catch (err) {
      if (!inTransaction) await client.query('ROLLBACK').catch(() => {});
      if (committing && isUnreachable(err)) throw new MigrationOutcomeUnknown(m, err);
      throw new Error(`store: PostgreSQL migration ${m.file} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    applied.push(m);
    // Committed on its own: said now. In the caller's transaction: said by the caller after its COMMIT.
    if (!inTransaction) logApplied(schema, [m]);
  }
  return applied;
}

/**
 * A migration applied in its own transaction (a server's start) whose COMMIT got no answer: it
 * may have committed. Its row in schema_migrations is written in that same transaction, so the
 * next start finds it recorded exactly when it was applied, and applies it only when it was not.
 */
export class MigrationOutcomeUnknown extends Error {
  constructor(readonly migration: Migration, cause: unknown) {
    super(`PostgreSQL migration ${migration.file}: the connection was lost after its COMMIT was sent, so whether it was applied is unknown (${cause instanceof Error ? cause.message : String(cause)}); run it again (a server start or hubwarden store migrate): either reads which migrations schema_migrations records (each is recorded in the transaction that applies it) and applies only the others`, { cause });
    this.name = 'MigrationOutcomeUnknown';
  }
}

/** Says `applied` were applied to `schema`: only once the transaction they ran in has committed. */
export function logApplied(schema: string, applied: readonly Migration[]): void {
  for (const m of applied) log.info('store: PostgreSQL migration applied', { schema, migration: m.file });
}

/** Says the migrations that ran in a transaction that then rolled back were not applied. */
export function logRolledBack(schema: string, ran: readonly Migration[], err: unknown): void {
  if (ran.length === 0) return;
  log.error('store: PostgreSQL migrations rolled back, not applied', { schema, migrations: ran.map((m) => m.file), error: err instanceof Error ? err.message : String(err) });
}

/** Says whether the migrations that ran in a transaction whose COMMIT got no answer were applied is not known. */
export function logCommitUnknown(schema: string, ran: readonly Migration[], err: unknown): void {
  if (ran.length === 0) return;
  log.error('store: PostgreSQL migrations: the COMMIT got no answer, so whether they were applied is unknown (the next start or rerun finds out)', { schema, migrations: ran.map((m) => m.file), error: err instanceof Error ? err.message : String(err) });
}
