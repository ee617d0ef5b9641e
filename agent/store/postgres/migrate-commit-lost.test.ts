/**
 * A server applying migrations at its start (prepare-schema.ts), each in its own transaction with
 * its row in schema_migrations: a COMMIT that got no answer (the connection cut once it was sent)
 * has an unknown outcome, which the start's error says, rather than "migration … failed". The
 * next start re-reads schema_migrations: a migration that committed is recorded there with it, so
 * it is skipped, never applied twice; one that did not is applied then.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { postgresForTests } from '../../../test/postgres.ts';
import { pgProxy } from '../../../test/pg-proxy.ts';
import { freshSchemas } from '../../../test/fresh-schemas.ts';
import { heardLines } from '../../../test/heard-log.ts';
import { migrationFiles } from './migrate.ts';
import { PostgresStore } from './postgres-store.ts';
import { ident } from './sql.ts';

const db = await postgresForTests();
const freshSchema = freshSchemas(db);
const [first] = migrationFiles();

async function recorded(schema: string): Promise<Array<{ version: string; applied_at: Date }>> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<{ version: string; applied_at: Date }>(`SELECT version, applied_at FROM ${ident(schema)}.schema_migrations ORDER BY version`)).rows;
  } finally {
    await client.end();
  }
}

/** Starts a store on `schema` with the connection cut at its first COMMIT (`how`); returns the start's error. */
async function startCutAtCommit(t: { after(fn: () => unknown): void }, schema: string, how: 'loseReplyWhen' | 'cutWhen'): Promise<Error> {
  const proxy = await pgProxy(db.url);
  t.after(() => proxy.close());
  proxy[how]('COMMIT');
  const store = new PostgresStore({ url: proxy.url, schema, poolSize: 2, connectTimeoutMs: 2_000 });
  const err = await store.open().then(() => undefined, (e: unknown) => e);
  await store.close().catch(() => {});
  assert.ok(err instanceof Error, 'the start failed');
  return err;
}

const unknownOutcome = (schema: string) => new RegExp(`^store: cannot open PostgreSQL store .* \\(schema ${schema}\\): PostgreSQL migration ${first!.file}: the connection was lost after its COMMIT was sent, so whether it was applied is unknown \\(Connection terminated unexpectedly\\); run it again \\(a server start or hubwarden store migrate\\): either reads which migrations schema_migrations records \\(each is recorded in the transaction that applies it\\) and applies only the others$`);

describe('a migration at a server\'s start whose COMMIT got no answer', { skip: db.skip }, () => {
  test('committed after all: the start says the outcome is unknown, and the next start does not apply it again', async (t) => {
    const schema = freshSchema('mig-commit-lost');
    const err = await startCutAtCommit(t, schema, 'loseReplyWhen');
    assert.match(err.message, unknownOutcome(schema));
    const before = await recorded(schema);
    assert.deepEqual(before.map((r) => r.version), [first!.version], 'it committed, with its record');

    const lines = heardLines<{ level: string; message: string; schema?: string; migration?: string }>(t);
    const again = new PostgresStore({ url: db.url, schema, poolSize: 2 });
    await again.open();
    t.after(() => again.close());
    const after = await recorded(schema);
    assert.deepEqual(after.map((r) => r.version), migrationFiles().map((m) => m.version), 'every migration recorded once');
    assert.equal(after[0]!.applied_at.getTime(), before[0]!.applied_at.getTime(), 'not applied again');
    const applied = lines.filter((l) => l.schema === schema && l.message === 'store: PostgreSQL migration applied').map((l) => l.migration);
    assert.deepEqual(applied, migrationFiles().slice(1).map((m) => m.file), 'the next start applies only the others');
  });

  test('not committed (the connection cut before the COMMIT reached the server): said unknown too, and the next start applies it', async (t) => {
    const schema = freshSchema('mig-commit-cut');
    const err = await startCutAtCommit(t, schema, 'cutWhen');
    assert.match(err.message, unknownOutcome(schema));
    assert.deepEqual(await recorded(schema), [], 'nothing recorded');

    const lines = heardLines<{ level: string; message: string; schema?: string; migration?: string }>(t);
    const again = new PostgresStore({ url: db.url, schema, poolSize: 2 });
    await again.open();
    t.after(() => again.close());
    assert.deepEqual((await recorded(schema)).map((r) => r.version), migrationFiles().map((m) => m.version));
    const applied = lines.filter((l) => l.schema === schema && l.message === 'store: PostgreSQL migration applied').map((l) => l.migration);
    assert.deepEqual(applied, migrationFiles().map((m) => m.file));
  });
});
