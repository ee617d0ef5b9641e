import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresForTests } from '../../test/postgres.ts';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import { heardLines } from '../../test/heard-log.ts';
import { queryAudit } from '../audit/audit-query.ts';
import { copyLowdbToPostgres } from './copy-to-postgres.ts';
import type { CopyStep } from './copy-to-postgres-steps.ts';
import { LowdbStore } from './lowdb-store.ts';
import { PostgresStore } from './postgres/postgres-store.ts';
import { lockKeyOf } from './postgres/sql.ts';
import { migrationFiles } from './postgres/migrate.ts';

declare module './collections.ts' {
  interface Collections {
    migrateWindowItems: { id: string; n: number };
  }
}

const db = await postgresForTests();

/** A lowdb store of `n` records in two partitions. */
async function lowdbOf(t: { after(fn: () => Promise<void>): void }, n: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-migrate-win-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'store.json');
  const store = new LowdbStore(path);
  await store.open();
  await store.transact((tx) => {
    for (let i = 0; i < n; i++) tx.put('migrateWindowItems', i % 2 ? 'hub-a' : 'hub-b', `r${i}`, { id: `r${i}`, n: i });
  });
  await store.close();
  return path;
}

/** The migrate process killed at `step`: the session holding the schema's lock is terminated (its open transaction rolled back by the server), and the run goes no further. */
function killedAt(step: CopyStep, admin: pg.Client, schema: string): (at: CopyStep) => Promise<void> {
  const key = BigInt.asUintN(64, BigInt(lockKeyOf(schema)));
  return async (at) => {
    if (at !== step) return;
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND classid = $1::oid AND objid = $2::oid`,
      [String(key >> 32n), String(key & 0xffffffffn)]);
    throw new Error(`killed at ${step}`);
  };
}

type Line = { level: string; message: string; schema?: string; migration?: string; migrations?: string[] };


describe('hubwarden store migrate: no window between its steps a server or a rerun could fall into', { skip: db.skip }, () => {
  const freshSchema = freshSchemas(db);
  const adminOf = async (t: { after(fn: () => Promise<void>): void }) => {
    const admin = new pg.Client({ connectionString: db.url });
    admin.on('error', () => {});
    await admin.connect();
    t.after(() => admin.end());
    return admin;
  };

  test('a server starting while migrate creates the schema waits for the copy (one line), never opening on the empty store', async (t) => {
    const source = await lowdbOf(t, 40);
    const schema = freshSchema('win_create');
    const lines: string[] = [];
    let told = () => {};
    const waiting = new Promise<'waits'>((resolve) => { told = () => resolve('waits'); });
    const server = new PostgresStore({ url: db.url, schema, onLockWait: (line) => { lines.push(line); told(); } });
    t.after(() => server.close());
    let opening: Promise<void> | undefined;
    const at = async (step: CopyStep) => {
      if (step !== 'schema-created') return;
      opening = server.open();
      opening.catch(() => {});
      const first = await Promise.race([waiting, opening.then(() => 'opened' as const, () => 'refused' as const)]);
      assert.equal(first, 'waits', 'the server waits while migrate creates the schema');
    };
    const report = await copyLowdbToPostgres({ source, url: db.url, schema, at });
    assert.equal(report.records, 40);
    await opening;
    assert.equal(lines.length, 1, 'one line');
    assert.match(lines[0]!, new RegExp(`^store: waiting for schema "${schema}": \`hubwarden store migrate\` is copying a lowdb store into it \\(session \\d+ \\(hubwarden-migrate\\)`));
    assert.equal(await server.count('migrateWindowItems', 'hub-a'), 20, 'opened on the whole copy');
    assert.equal((await queryAudit(server, { action: 'store-migrated' })).total, 1);
  });

  test('a migrate killed while it creates the schema leaves no store there (never an empty unmarked one); run again, it copies', async (t) => {
    const source = await lowdbOf(t, 40);
    const schema = freshSchema('win_killed_create');
    const admin = await adminOf(t);
    const lines = heardLines<Line>(t);
    const applied = () => lines.filter((l) => l.message === 'store: PostgreSQL migration applied' && l.schema === schema).map((l) => l.migration);
    await assert.rejects(copyLowdbToPostgres({ source, url: db.url, schema, at: killedAt('schema-created', admin, schema) }), /killed at schema-created/);
    const { rows } = await admin.query<{ records: string | null }>('SELECT to_regclass($1)::text AS records', [`"${schema}".records`]);
    assert.equal(rows[0]!.records, null, 'no store table is left for a server to open on as an empty store');
    // The migrations ran in the transaction the kill rolled back: the log never said they were applied.
    const files = migrationFiles().map((m) => m.file);
    assert.deepEqual(applied(), [], 'no "applied" line for a rolled-back migration');
    const rolledBack = lines.filter((l) => l.message === 'store: PostgreSQL migrations rolled back, not applied' && l.schema === schema);
    assert.deepEqual(rolledBack.map((l) => [l.level, l.migrations]), [['error', files]]);
    const report = await copyLowdbToPostgres({ source, url: db.url, schema });
    assert.equal(report.records, 40);
    assert.deepEqual(applied(), files, 'said applied once the rerun committed them');
    const server = new PostgresStore({ url: db.url, schema });
    await server.open();
    t.after(() => server.close());
    assert.equal(await server.count('migrateWindowItems', 'hub-b'), 20);
  });

  test('a migrate killed between clearing its mark and writing its audit entry leaves the copy marked; run again, it is copied over and recorded once', async (t) => {
    const source = await lowdbOf(t, 40);
    const schema = freshSchema('win_killed_audit');
    const admin = await adminOf(t);
    await assert.rejects(copyLowdbToPostgres({ source, url: db.url, schema, at: killedAt('mark-cleared', admin, schema) }), /killed at mark-cleared/);
    const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".records WHERE collection = 'migrateWindowItems'`);
    assert.equal(rows[0]!.n, 40, 'the copy was whole when it was killed');
    const early = new PostgresStore({ url: db.url, schema });
    t.after(() => early.close()); // opened only when the window is open
    await assert.rejects(early.open(), /holds a copy by `hubwarden store migrate` that never finished/, 'an unrecorded copy stays marked');
    const report = await copyLowdbToPostgres({ source, url: db.url, schema });
    assert.equal(report.records, 40);
    const server = new PostgresStore({ url: db.url, schema });
    await server.open();
    t.after(() => server.close());
    assert.equal(await server.count('migrateWindowItems', 'hub-a'), 20);
    assert.equal((await queryAudit(server, { action: 'store-migrated' })).total, 1, 'recorded once');
  });
});
