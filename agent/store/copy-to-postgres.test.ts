import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresForTests, testSchema } from '../../test/postgres.ts';
import { assertOneLineError, cli } from '../../test/admin/cli-run.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { queryAudit } from '../audit/audit-query.ts';
import { copyLowdbToPostgres } from './copy-to-postgres.ts';
import { LowdbStore } from './lowdb-store.ts';
import { PostgresStore } from './postgres/postgres-store.ts';
import { lockKeyOf } from './postgres/sql.ts';
import { collect } from './store.ts';

declare module './collections.ts' {
  interface Collections {
    migrateTestItems: { id: string; n: number; nested?: { b: number; a: string[] } };
    migrateTestOther: { id: string };
  }
}

const db = await postgresForTests();
const trigger = { type: 'admin' as const, actor: 'test' };

/** A lowdb store with records in two partitions (numeric-looking ids, deletes, replaces) and an archived audit log. */
async function lowdbWithData(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-migrate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'store.json');
  const store = new LowdbStore(path);
  await store.open();
  for (const id of ['z', '20', '3', 'a', 'gone', 'back\\slash']) await store.transact((tx) => tx.put('migrateTestItems', 'hub-a', id, { id, n: Number(id) || 0, nested: { b: 2, a: ['x', id] } }));
  await store.transact((tx) => tx.delete('migrateTestItems', 'hub-a', 'gone'));
  await store.transact((tx) => tx.delete('migrateTestItems', 'hub-a', 'back\\slash'));
  await store.transact((tx) => tx.put('migrateTestItems', 'hub-a', 'nul\u0000and\\', { id: 'x', n: 5 }));
  await store.transact((tx) => tx.put('migrateTestItems', 'hub-a', '20', { id: '20', n: 21 })); // replaced: keeps its place
  for (let i = 0; i < 250; i++) await store.transact((tx) => tx.put('migrateTestItems', 'hub-b', `b${i}`, { id: `b${i}`, n: i }));
  for (let i = 0; i < 30; i++) {
    await store.transact((tx) => appendAudit(tx, { hubId: i % 2 ? 'hub-a' : 'hub-b', trigger, action: 'invite', subject: { email: `p${i}@example.com` }, why: `invite ${i}`, outcome: 'ok' }));
  }
  await store.close();
  return path;
}

describe('hubwarden store migrate (lowdb → PostgreSQL)', { skip: db.skip }, () => {
  const schemas: Array<() => Promise<void>> = [];
  after(async () => {
    for (const drop of schemas) await drop();
  });
  const freshSchema = () => {
    const s = testSchema(db.url, 'migrate');
    schemas.push(s.drop);
    return s.schema;
  };

  test('copies every record in order, archived audit entries included, and verifies counts and checksums', async (t) => {
    const source = await lowdbWithData(t);
    const schema = freshSchema();
    const report = await copyLowdbToPostgres({ source, url: db.url, schema, batch: 64 });
    assert.equal(report.records, 5 + 250 + 30 + report.collections.filter((c) => !['migrateTestItems', 'audit'].includes(c.name)).reduce((n, c) => n + c.records, 0));
    assert.deepEqual(report.collections.find((c) => c.name === 'migrateTestItems')?.records, 255);
    assert.deepEqual(report.collections.find((c) => c.name === 'audit')?.records, 30);

    const target = new PostgresStore({ url: db.url, schema });
    await target.open();
    t.after(() => target.close());
    assert.deepEqual((await collect(target.list('migrateTestItems', 'hub-a'))).map((r) => r.id), ['z', '20', '3', 'a', 'x'], 'insertion order, numeric-looking ids included');
    assert.deepEqual(await target.get('migrateTestItems', 'hub-a', 'z'), { id: 'z', n: 0, nested: { b: 2, a: ['x', 'z'] } });
    assert.equal((await target.get('migrateTestItems', 'hub-a', '20'))?.n, 21);
    assert.equal(await target.get('migrateTestItems', 'hub-a', 'gone'), undefined);
    assert.equal(await target.count('migrateTestItems', 'hub-b'), 250);
    const audit = await queryAudit(target, { hubId: 'hub-a', limit: 2 });
    assert.equal(audit.total, 15);
    assert.deepEqual(audit.items.map((e) => e.why), ['invite 29', 'invite 27'], 'the audit log reads newest first as before');

    // The migration itself is audited in the target, after (and so outside) the verification.
    const migrated = await queryAudit(target, { action: 'store-migrated' });
    assert.equal(migrated.total, 1);
    const entry = migrated.items[0]!;
    assert.equal(entry.seq, report.audit.seq);
    assert.equal(entry.trigger.type, 'cli');
    assert.match(entry.trigger.actor ?? '', /hubwarden store migrate/);
    assert.equal(entry.outcome, 'ok');
    assert.match(entry.why, new RegExp(`copied ${report.records} record\\(s\\) from the lowdb store .*store\\.json into schema "${schema}" at postgres://127\\.0\\.0\\.1:5432/test; counts and checksums verified`));
    assert.deepEqual(entry.detail?.collections, report.collections.map((c) => ({ name: c.name, records: c.records, sha256: c.checksum })));
    assert.equal(entry.detail?.source, source);
    assert.equal(entry.detail?.checksumsVerified, true);
    assert.ok(!JSON.stringify(entry).includes('postgres@'), 'nothing of the URL\'s credentials (not even the user name)');
    assert.equal(await target.count('audit', ''), 1, 'the entry is the one record the copy added beside what it verified');
  });

  test('large records go in batches bounded by their size, not only by count, and keep their order', async (t) => {
    // One batch is one commit call whose JSON texts travel as one text[] parameter: 30 records of
    // 14 MB in one batch ran Node out of heap (a fatal abort). Here in small: 70 KB records, 200 KB batches.
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-migrate-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const source = join(dir, 'store.json');
    const store = new LowdbStore(source);
    await store.open();
    const big = (i: number) => ({ id: `g${i}`, n: i, nested: { b: i, a: Array.from({ length: 10_000 }, (_, k) => `m${k}`) } });
    for (let i = 0; i < 10; i++) await store.transact((tx) => tx.put('migrateTestItems', 'hub-g', `g${i}`, big(i)));
    await store.close();
    const schema = freshSchema();
    const copied: number[] = [];
    const report = await copyLowdbToPostgres({ source, url: db.url, schema, batchBytes: 200_000, progress: (n) => { copied.push(n); } });
    assert.deepEqual(copied.slice(0, 3), [3, 6, 9], 'a batch ends once it holds about batchBytes of JSON');
    assert.equal(copied.at(-1), report.records);
    const target = new PostgresStore({ url: db.url, schema });
    await target.open();
    t.after(() => target.close());
    assert.deepEqual((await collect(target.list('migrateTestItems', 'hub-g'))).map((r) => r.id), Array.from({ length: 10 }, (_, i) => `g${i}`));
    assert.deepEqual(await target.get('migrateTestItems', 'hub-g', 'g7'), big(7));
  });

  test('a key with a lone surrogate (PostgreSQL text would store U+FFFD: two keys as one) is refused, naming the record', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-migrate-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const source = join(dir, 'store.json');
    const store = new LowdbStore(source);
    await store.open();
    for (const id of ['a\ud800', 'a\ud801']) await store.transact((tx) => tx.put('migrateTestItems', 'hub-s', id, { id: 'x\ud800', n: 1 }));
    await store.close();
    await assert.rejects(copyLowdbToPostgres({ source, url: db.url, schema: freshSchema() }),
      /^Error: migrateTestItems record "a\\ud800" in partition "hub-s" has a key that is not Unicode text \(a lone surrogate\).*nothing was lost: keep running on the lowdb store/);
  });

  test('refuses a schema that already holds records, and leaves it as it was', async (t) => {
    const source = await lowdbWithData(t);
    const schema = freshSchema();
    await copyLowdbToPostgres({ source, url: db.url, schema });
    const count = async () => {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        return Number((await client.query(`SELECT count(*) AS n FROM "${schema}".records`)).rows[0].n);
      } finally {
        await client.end();
      }
    };
    // The server then ran on PostgreSQL and took a write the lowdb files do not have; the
    // operator runs migrate again (the runbook once more): refused, and told to keep the schema,
    // never to drop it and copy again (that would lose the write).
    const server = new PostgresStore({ url: db.url, schema });
    await server.open();
    await server.transact((tx) => tx.put('migrateTestOther', 'hub-o', 'since', { id: 'since' }));
    await server.close();
    const before = await count();
    const refused = await copyLowdbToPostgres({ source, url: db.url, schema }).then(() => assert.fail('copied over a store'), (err: Error) => err.message);
    assert.match(refused, /^the previous copy into schema "\w+" completed: it copied \d+ record\(s\) from .*, was verified and recorded \(store-migrated audit entry at \S+\), and the schema holds \d+ record\(s\) now \(a server that ran on it since may have written some the lowdb store does not have\); nothing was copied, .*keep the schema, point the config at it and start the server \(or pass another --schema to copy again\)$/);
    assert.doesNotMatch(refused, /DROP SCHEMA/, 'a schema that may hold writes the lowdb store lacks is never to be dropped');
    assert.equal(await count(), before);
  });

  test('two migrates into one schema at once: one copies, the other waits for it and refuses; the schema holds one store', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-migrate-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const other = join(dir, 'store.json');
    const store = new LowdbStore(other);
    await store.open();
    for (let i = 0; i < 200; i++) await store.transact((tx) => tx.put('migrateTestOther', 'hub-o', `o${i}`, { id: `o${i}` }));
    await store.close();
    const schema = freshSchema();
    // Small batches: each copy takes many transactions, so without the lock they interleave.
    const results = await Promise.allSettled([
      copyLowdbToPostgres({ source: await lowdbWithData(t), url: db.url, schema, batch: 20 }),
      copyLowdbToPostgres({ source: other, url: db.url, schema, batch: 20 }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    assert.equal(won.length, 1, `exactly one copy succeeds: ${results.map((r) => r.status === 'rejected' ? String(r.reason) : 'ok').join(' | ')}`);
    assert.match(String(lost[0]?.reason), /the previous copy into schema "\w+" completed: .*nothing was copied/);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    t.after(() => client.end());
    const { rows } = await client.query<{ collection: string; n: number }>(`SELECT collection, count(*)::int AS n FROM "${schema}".records GROUP BY collection ORDER BY 1`);
    // Plus the one store-migrated entry the winner appended after its verification.
    // Either copy may win; the one without an audit log of its own gains one with that entry.
    const copied = new Map(won[0]!.value.collections.map((c) => [c.name, c.records]));
    copied.set('audit', (copied.get('audit') ?? 0) + 1);
    const expected = [...copied].map(([collection, n]) => ({ collection, n })).sort((a, b) => (a.collection < b.collection ? -1 : 1));
    assert.deepEqual([...rows].sort((a, b) => (a.collection < b.collection ? -1 : 1)), expected, 'only the copy that succeeded is in the schema, and its audit entry');
  });

  test('a record another process writes into the schema while the copy runs fails verification, naming its collection', async (t) => {
    const source = await lowdbWithData(t);
    for (const [collection, expected] of [
      ['migrateTestOther', /verification failed for migrateTestOther \(copied 0, read back 1: a collection the lowdb store does not have\); keep running on the lowdb store/],
      ['migrateTestItems', /verification failed for migrateTestItems \(copied 255, read back 256: records the copy did not write\); keep running on the lowdb store/],
    ] as const) {
      const schema = freshSchema();
      // A server already running on the schema (it created it): it takes no lock to write.
      const replica = new PostgresStore({ url: db.url, schema });
      await replica.open();
      t.after(() => replica.close());
      let written = false;
      const progress = async () => {
        if (written) return;
        written = true;
        await replica.transact((tx) => tx.put(collection, 'hub-c', 'extra', { id: 'extra', n: 0 }));
      };
      await assert.rejects(copyLowdbToPostgres({ source, url: db.url, schema, batch: 64, progress }), expected);
      assert.ok(written);
    }
  });

  test('a verified copy whose audit entry the database refuses says the copy is whole and stays marked; run again once it is accepted, it is recorded', async (t) => {
    const source = await lowdbWithData(t);
    const schema = freshSchema();
    // The schema made ready (empty) with a trigger refusing the store-migrated entry only.
    const prepared = new PostgresStore({ url: db.url, schema });
    await prepared.open();
    await prepared.close();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    t.after(() => client.end());
    await client.query(`CREATE FUNCTION "${schema}".refuse_migrated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF NEW.collection = 'audit' AND NEW.data::jsonb->>'action' = 'store-migrated' THEN RAISE EXCEPTION 'audit entry refused by the test'; END IF;
      RETURN NEW; END $$`);
    await client.query(`CREATE TRIGGER refuse_migrated BEFORE INSERT ON "${schema}".records FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse_migrated()`);
    await assert.rejects(copyLowdbToPostgres({ source, url: db.url, schema }),
      new RegExp(`^Error: copied and verified \\d+ record\\(s\\) into schema "${schema}", but the store-migrated audit entry could not be written \\(.*audit entry refused by the test.*\\); the schema stays marked as an unfinished copy \\(no server opens on it\\): run migrate again to copy it over and have it recorded, or DROP SCHEMA "${schema}" CASCADE$`));
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM "${schema}".records WHERE collection = 'migrateTestItems'`);
    assert.equal(rows[0].n, 5 + 250, 'the copy itself is in place');
    await assert.rejects(new PostgresStore({ url: db.url, schema }).open(), /holds a copy by `hubwarden store migrate` that never finished/, 'unrecorded, so still marked');
    await client.query(`DROP TRIGGER refuse_migrated ON "${schema}".records`);
    await copyLowdbToPostgres({ source, url: db.url, schema });
    const { rows: recorded } = await client.query(`SELECT count(*)::int AS n FROM "${schema}".records WHERE collection = 'audit' AND data->>'action' = 'store-migrated'`);
    assert.equal(recorded[0].n, 1);
  });

  /** A copy whose lock session drops after its first batch (as a network cut or a killed psql would): it fails half-way. */
  async function cutCopy(t: { after(fn: () => Promise<void>): void }, source: string, schema: string): Promise<number> {
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    t.after(() => admin.end());
    const key = BigInt.asUintN(64, BigInt(lockKeyOf(schema)));
    let cut = false;
    const progress = async () => {
      if (cut) return;
      cut = true;
      const { rowCount } = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND classid = $1::oid AND objid = $2::oid`,
        [String(key >> 32n), String(key & 0xffffffffn)]);
      assert.equal(rowCount, 1, 'the session holding the schema\'s lock');
    };
    await assert.rejects(copyLowdbToPostgres({ source, url: db.url, schema, batch: 20, progress }));
    assert.ok(cut);
    return Number((await admin.query(`SELECT count(*) AS n FROM "${schema}".records`)).rows[0].n);
  }

  test('a copy cut off half-way leaves the schema marked: no store opens on it, and migrate run again starts it over', async (t) => {
    const source = await lowdbWithData(t);
    const schema = freshSchema();
    const half = await cutCopy(t, source, schema);
    assert.ok(half > 0, 'part of the store was copied');
    // A server started on it now (the lock is free): refused, saying what to do.
    const server = new PostgresStore({ url: db.url, schema });
    await assert.rejects(server.open(), new RegExp(`^Error: store: cannot open PostgreSQL store .*: schema "${schema}" holds a copy by \`hubwarden store migrate\` that never finished \\(started \\S+ from .*store\\.json\\); run \`hubwarden store migrate --to <url> --schema ${schema}\` again \\(it starts the copy over when every record there is at a key the lowdb store holds\\), or reset with DROP SCHEMA "${schema}" CASCADE and keep running on the lowdb store$`));
    // Run again: the half copy is this store's own, so it starts over and verifies.
    const report = await copyLowdbToPostgres({ source, url: db.url, schema, batch: 64 });
    assert.ok(report.records > half);
    const target = new PostgresStore({ url: db.url, schema });
    await target.open();
    t.after(() => target.close());
    assert.equal(await target.count('migrateTestItems', 'hub-b'), 250);
    assert.deepEqual((await collect(target.list('migrateTestItems', 'hub-a'))).map((r) => r.id), ['z', '20', '3', 'a', 'x'], 'insertion order as in the lowdb store');
    assert.equal((await queryAudit(target, { action: 'store-migrated' })).total, 1);
  });

  test('migrate run again after the lowdb store changed meanwhile (it keeps running while the operator retries) starts over and copies the store as it is now', async (t) => {
    const source = await lowdbWithData(t);
    const schema = freshSchema();
    await cutCopy(t, source, schema);
    const lowdb = new LowdbStore(source);
    await lowdb.open();
    await lowdb.transact((tx) => tx.put('migrateTestItems', 'hub-b', 'b0', { id: 'b0', n: 1000 })); // copied before the cut, changed since
    await lowdb.transact((tx) => tx.put('migrateTestItems', 'hub-b', 'b250', { id: 'b250', n: 250 })); // new since
    await lowdb.close();
    const report = await copyLowdbToPostgres({ source, url: db.url, schema, batch: 64 });
    const target = new PostgresStore({ url: db.url, schema });
    await target.open();
    t.after(() => target.close());
    assert.equal(await target.count('migrateTestItems', 'hub-b'), 251);
    assert.deepEqual(await target.get('migrateTestItems', 'hub-b', 'b0'), { id: 'b0', n: 1000 }, 'the record as the store holds it now');
    assert.ok(report.records > 251);
  });

  test('migrate run again on an unfinished copy beside a record the lowdb store lacks refuses, and deletes nothing', async (t) => {
    const source = await lowdbWithData(t);
    const schema = freshSchema();
    await cutCopy(t, source, schema);
    const other = new PostgresStore({ url: db.url, schema, unfinishedCopy: 'open' });
    await other.open();
    await other.transact((tx) => tx.put('migrateTestOther', 'hub-o', 'kept', { id: 'kept' }));
    await other.close();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    t.after(() => client.end());
    const count = async () => Number((await client.query(`SELECT count(*) AS n FROM "${schema}".records`)).rows[0].n);
    const before = await count();
    await assert.rejects(copyLowdbToPostgres({ source, url: db.url, schema }),
      new RegExp(`the target schema "${schema}" holds an unfinished copy and 1 record\\(s\\) at keys this lowdb store does not hold \\(first: migrateTestOther, partition "hub-o", id "kept"\\); nothing was deleted or copied`));
    assert.equal(await count(), before);
    await assert.rejects(new PostgresStore({ url: db.url, schema }).open(), /holds a copy by `hubwarden store migrate` that never finished/, 'still marked');
  });

  test('a schema a server opened (its indexes recorded) but wrote nothing in: the next server start finds the copied records through its indexes', async (t) => {
    const source = await lowdbWithData(t);
    const schema = freshSchema();
    const byN = (r: { n: number }) => [String(r.n)];
    // A server started on the schema before the migration (the config pointed at it too early):
    // it built its indexes, empty, and recorded their definitions; it wrote no record.
    const early = new PostgresStore({ url: db.url, schema });
    early.defineIndex('migrateTestItems', 'migrateTestByN', byN);
    await early.open();
    await early.close();
    await copyLowdbToPostgres({ source, url: db.url, schema });
    const server = new PostgresStore({ url: db.url, schema });
    server.defineIndex('migrateTestItems', 'migrateTestByN', byN);
    await server.open();
    t.after(() => server.close());
    assert.deepEqual((await server.lookup('migrateTestItems', 'migrateTestByN', '21')).map((r) => r.id).sort(), ['20', 'b21'], 'hub-a\'s 20 (replaced) and hub-b\'s b21');
    assert.deepEqual((await server.lookup('migrateTestItems', 'migrateTestByN', '7')).map((r) => r.id), ['b7']);
  });

  test('an archived audit entry that fails its checksum: refused before anything is created, or with --accept-loss left out, listed and audited', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-migrate-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const source = join(dir, 'store.json');
    const store = new LowdbStore(source, { archiveSegmentBytes: 2_000 }); // several segments
    await store.open();
    for (let i = 0; i < 20; i++) await store.transact((tx) => appendAudit(tx, { hubId: 'hub-a', trigger, action: 'invite', subject: { email: `p${i}@example.com` }, why: `invite ${i}`, outcome: 'ok' }));
    await store.close();
    // A flipped byte in an older segment (bit rot): no journal holds that entry any more.
    const segment = join(dir, 'store.json.archive', 'audit-000001.log');
    const bytes = await readFile(segment, 'utf8');
    assert.ok(bytes.includes('p1@example.com') && (await readdir(join(dir, 'store.json.archive'))).filter((f) => f.startsWith('audit-')).length > 1);
    await writeFile(segment, bytes.replace('p1@example.com', 'p1@example.org'));

    const schema = freshSchema();
    await assert.rejects(copyLowdbToPostgres({ source, url: db.url, schema }),
      /^Error: 1 line\(s\) of the lowdb store's archive \(audit log, finished tasks\) fail their checksum and cannot be read \(first: \S*audit-000001\.log line 2\); a copy would leave them out\. .*--accept-loss.* Nothing was copied or created$/);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    t.after(() => client.end());
    assert.equal((await client.query('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [schema])).rows[0].n, 0, 'no schema created');

    const report = await copyLowdbToPostgres({ source, url: db.url, schema, acceptLoss: true });
    assert.deepEqual(report.skipped.map((l) => l.replace(dir, '<dir>')), ['<dir>/store.json.archive/audit-000001.log line 2']);
    assert.equal(report.collections.find((c) => c.name === 'audit')?.records, 19);
    assert.match(report.audit.why, /; 1 damaged archive line\(s\) left out \(--accept-loss\)$/);
    assert.deepEqual(report.audit.detail?.damagedArchiveLinesLeftOut, report.skipped);
  });

  test('refuses while the server holds the lowdb store (its lock)', async (t) => {
    const source = await lowdbWithData(t);
    // a live process other than this one holds the lock, as a running server would (store-lock.ts)
    await writeFile(`${source}.lock`, String(process.ppid));
    await assert.rejects(copyLowdbToPostgres({ source, url: db.url, schema: freshSchema() }), /is in use by process \d+/);
  });
});

// Needs no database: the source is checked before anything is opened or created.
test('store migrate: refuses a path with no lowdb store there, and creates nothing (neither a store file nor a schema)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-migrate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const source = join(dir, 'mistyped.json');
  // A database that could be reached would only make a wrong answer worse: an empty schema.
  const url = db.skip ? 'postgres://postgres@127.0.0.1:1/test' : db.url;
  const schema = testSchema(url, 'migrate_missing');
  t.after(() => (db.skip ? undefined : schema.drop()));
  await assert.rejects(copyLowdbToPostgres({ source, url, schema: schema.schema }), /no lowdb store at .*mistyped\.json: neither its snapshot nor a journal is there; .*Nothing was copied or created/);
  assert.deepEqual(await readdir(dir), []);
  if (!db.skip) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      assert.equal((await client.query('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [schema.schema])).rows[0].n, 0);
    } finally {
      await client.end();
    }
  }
});

test('hubwarden store migrate with a --path where no store is: exit 1 and one line, the password not in it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-migrate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const run = await cli(['store', 'migrate', '--to', 'env:HW_MIGRATE_URL', '--path', join(dir, 'typo.json')], { HW_MIGRATE_URL: 'postgres://hubwarden:Pa55word@127.0.0.1:1/test' });
  assertOneLineError(run, 1, /^hubwarden: store migrate: no lowdb store at \S*typo\.json/);
  assert.doesNotMatch(run.stderr, /Pa55word/);
  assert.deepEqual(await readdir(dir), []);
});
