/**
 * `hubwarden store migrate`: the connection lost once the final COMMIT (the one clearing the copy
 * mark and writing the store-migrated audit entry, copy-to-postgres-steps.ts `finishCopy`) was
 * sent. The run says the outcome is unknown; the rerun says which state it found: a recorded copy
 * (nothing to do) or a copy still marked (started over, and said so).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresForTests } from '../../test/postgres.ts';
import { pgProxy } from '../../test/pg-proxy.ts';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import { heardLines } from '../../test/heard-log.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { queryAudit } from '../audit/audit-query.ts';
import { copyLowdbToPostgres } from './copy-to-postgres.ts';
import { LowdbStore } from './lowdb-store.ts';
import { PostgresStore } from './postgres/postgres-store.ts';

declare module './collections.ts' {
  interface Collections {
    migrateFinishItems: { id: string; n: number };
  }
}

const db = await postgresForTests();
const freshSchema = freshSchemas(db);

async function lowdbOf(t: { after(fn: () => Promise<void>): void }, n: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-migrate-finish-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'store.json');
  const store = new LowdbStore(path);
  await store.open();
  await store.transact((tx) => {
    for (let i = 0; i < n; i++) tx.put('migrateFinishItems', 'hub-a', `r${i}`, { id: `r${i}`, n: i });
  });
  await store.close();
  return path;
}

/** A migrate whose final COMMIT loses its answer (`loseReplyWhen`: it committed) or is cut before the server reads it (`cutWhen`: it did not). */
async function finishCut(t: { after(fn: () => Promise<void>): void }, source: string, schema: string, how: 'loseReplyWhen' | 'cutWhen'): Promise<string> {
  const proxy = await pgProxy(db.url);
  t.after(() => proxy.close());
  const err = await copyLowdbToPostgres({ source, url: proxy.url, schema, at: (step) => { if (step === 'mark-cleared') proxy[how]('COMMIT'); } })
    .then(() => assert.fail('the copy finished'), (e: Error) => e.message);
  return err;
}

const unknown = (schema: string) => new RegExp(`^copied and verified 30 record\\(s\\) into schema "${schema}", but the connection was lost once the COMMIT that clears its copy mark and writes its store-migrated audit entry was sent, so whether the copy is recorded is unknown \\(Connection terminated unexpectedly\\); run migrate again: it reads the schema and says which \\(recorded: the copy is finished, nothing to do; still marked: it copies over and records it\\)$`);

describe('store migrate: the final COMMIT got no answer', { skip: db.skip }, () => {
  test('it committed: the run says unknown; the rerun says the copy completed and there is nothing to do, and changes nothing', async (t) => {
    const source = await lowdbOf(t, 30);
    const schema = freshSchema('finish-lost');
    assert.match(await finishCut(t, source, schema, 'loseReplyWhen'), unknown(schema));
    const rerun = await copyLowdbToPostgres({ source, url: db.url, schema }).then(() => assert.fail('copied again'), (e: Error) => e.message);
    assert.match(rerun, new RegExp(`^the previous copy into schema "${schema}" completed: it copied 30 record\\(s\\) from ${source.replace(/[.\\/]/g, '\\$&')}, was verified and recorded \\(store-migrated audit entry at \\S+\\), and the schema holds 31 record\\(s\\) now .*; nothing was copied, and there is nothing left to do for that copy: keep the schema, point the config at it and start the server \\(or pass another --schema to copy again\\)$`));
    assert.doesNotMatch(rerun, /DROP SCHEMA/);
    const server = new PostgresStore({ url: db.url, schema });
    await server.open();
    t.after(() => server.close());
    assert.equal(await server.count('migrateFinishItems', 'hub-a'), 30);
    assert.equal((await queryAudit(server, { action: 'store-migrated' })).total, 1, 'recorded once');
  });

  test('it did not commit: the run says unknown; the rerun says the previous copy did not finish, starts it over and records it once', async (t) => {
    const source = await lowdbOf(t, 30);
    const schema = freshSchema('finish-cut');
    assert.match(await finishCut(t, source, schema, 'cutWhen'), unknown(schema));
    const early = new PostgresStore({ url: db.url, schema });
    t.after(() => early.close());
    await assert.rejects(early.open(), /holds a copy by `hubwarden store migrate` that never finished/, 'still marked');
    const lines = heardLines<{ level: string; message: string; schema?: string }>(t);
    const report = await copyLowdbToPostgres({ source, url: db.url, schema });
    assert.equal(report.records, 30);
    assert.equal(report.startedOver?.source, source, 'the rerun found the earlier run\'s mark');
    assert.deepEqual(lines.filter((l) => l.schema === schema && l.level === 'warn').map((l) => l.message),
      [`store: the previous copy into schema "${schema}" (started ${report.startedOver!.startedAt} from ${source}) did not finish (the schema still holds its mark): starting it over`]);
    const server = new PostgresStore({ url: db.url, schema });
    await server.open();
    t.after(() => server.close());
    assert.equal(await server.count('migrateFinishItems', 'hub-a'), 30);
    assert.equal((await queryAudit(server, { action: 'store-migrated' })).total, 1, 'recorded once');
  });

  test('a schema a server created and wrote into (no copy recorded there, none marked) is refused as a store in use, and left as it was', async (t) => {
    const schema = freshSchema('finish-none');
    const server = new PostgresStore({ url: db.url, schema });
    await server.open();
    t.after(() => server.close());
    await server.transact((tx) => tx.put('migrateFinishItems', 'hub-s', 'since', { id: 'since', n: 1 }));
    const refused = await copyLowdbToPostgres({ source: await lowdbOf(t, 3), url: db.url, schema }).then(() => assert.fail('copied over a store'), (e: Error) => e.message);
    assert.equal(refused, `the target schema "${schema}" already holds 1 record(s); migrate copies only into an empty schema (a migrate already filled it, or a server runs on it; no copy is unfinished there, and either may hold writes the lowdb store does not have: keep the schema, point the config at it, or pass another --schema to copy again); nothing was copied`);
    assert.equal(await server.count('migrateFinishItems', 'hub-s'), 1);
    assert.equal(await server.count('migrateFinishItems', 'hub-a'), 0);
  });

  // PostgreSQL's json operators (`data->>'action'`) refuse a \u0000 or a lone surrogate anywhere in
  // the value; json stores both, and an audit entry may hold them (a name as an app sent it).
  const oddAudit = { hubId: 'hub-a', trigger: { type: 'admin' as const, actor: 'test' }, action: 'invite', subject: { email: 'nul\u0000@example.com', name: 'half \ud800 pair' }, why: 'odd text', outcome: 'ok' as const };

  test('a rerun over a recorded copy whose audit log holds a NUL and a lone surrogate says the copy completed (not a bare PostgreSQL error)', async (t) => {
    const source = await lowdbOf(t, 3);
    const store = new LowdbStore(source);
    await store.open();
    await store.transact((tx) => appendAudit(tx, oddAudit));
    await store.close();
    const schema = freshSchema('finish-odd');
    assert.equal((await copyLowdbToPostgres({ source, url: db.url, schema })).records, 4);
    const rerun = await copyLowdbToPostgres({ source, url: db.url, schema }).then(() => assert.fail('copied again'), (e: Error) => e.message);
    assert.match(rerun, new RegExp(`^the previous copy into schema "${schema}" completed: it copied 4 record\\(s\\) from \\S+, was verified and recorded .*nothing left to do for that copy`));
  });

  test('a schema a server wrote an audit entry holding a NUL into is refused as a store in use, in those words', async (t) => {
    const schema = freshSchema('finish-odd-none');
    const server = new PostgresStore({ url: db.url, schema });
    await server.open();
    t.after(() => server.close());
    await server.transact((tx) => appendAudit(tx, oddAudit));
    const refused = await copyLowdbToPostgres({ source: await lowdbOf(t, 3), url: db.url, schema }).then(() => assert.fail('copied over a store'), (e: Error) => e.message);
    assert.match(refused, new RegExp(`^the target schema "${schema}" already holds 1 record\\(s\\); migrate copies only into an empty schema`));
  });

  test('a first run is not said to start anything over', async (t) => {
    const report = await copyLowdbToPostgres({ source: await lowdbOf(t, 3), url: db.url, schema: freshSchema('finish-first') });
    assert.equal(report.startedOver, undefined);
  });
});
