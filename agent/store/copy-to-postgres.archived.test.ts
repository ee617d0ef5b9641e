import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresForTests, testSchema } from '../../test/postgres.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { queryAudit } from '../audit/audit-query.ts';
import { pruneFinishedTasks } from '../tasks/prune.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import { copyLowdbToPostgres } from './copy-to-postgres.ts';
import { LowdbStore } from './lowdb-store.ts';
import { PostgresStore } from './postgres/postgres-store.ts';

// The archived collections (the audit log, finished tasks) as `store migrate` copies them: the
// age each record had in the lowdb store, and the keys of audit entries.
const db = await postgresForTests();
const trigger = { type: 'admin' as const, actor: 'test' };
const DAY = 86_400_000;

function finished(id: string, completedAt: string): TaskRecord {
  return { id, hubId: 'hub-a', kind: 'invite', status: 'completed', idempotencyKey: `k-${id}`, payload: {}, summary: id, trigger, attempts: 1, attemptsEnded: 1, createdAt: completedAt, updatedAt: completedAt, completedAt } as unknown as TaskRecord;
}

describe('hubwarden store migrate: archived records', { skip: db.skip }, () => {
  const schemas: Array<() => Promise<void>> = [];
  after(async () => {
    for (const drop of schemas) await drop();
  });
  const freshSchema = () => {
    const s = testSchema(db.url, 'migrate_arch');
    schemas.push(s.drop);
    return s.schema;
  };
  const newDir = async (t: { after(fn: () => Promise<void>): void }) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-migrate-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };

  test('each archived record keeps its age: retention prunes on PostgreSQL what was due on lowdb, never a newer one', async (t) => {
    const source = join(await newDir(t), 'store.json');
    const now = Date.now();
    const old = new Date(now - 40 * DAY).toISOString();
    let store = new LowdbStore(source, { archiveSegmentBytes: 2_000 });
    await store.open();
    for (let i = 0; i < 12; i++) await store.transact((tx) => tx.put('finishedTasks', 'hub-a', `old${i}`, finished(`old${i}`, old)));
    for (let i = 0; i < 4; i++) await store.transact((tx) => appendAudit(tx, { hubId: 'hub-a', trigger, action: 'invite', subject: { email: `p${i}@example.com` }, why: `old ${i}`, outcome: 'ok', at: old }));
    await store.close();
    // The segments were written 40 days ago (what lowdb's own retention goes by: archive.ts dropSegmentsBefore).
    const folder = `${source}.archive`;
    for (const f of await readdir(folder)) await utimes(join(folder, f), new Date(now - 40 * DAY), new Date(now - 40 * DAY));
    store = new LowdbStore(source, { archiveSegmentBytes: 2_000 });
    await store.open();
    await store.transact((tx) => tx.put('finishedTasks', 'hub-a', 'new', finished('new', new Date(now - DAY).toISOString())));
    // A clock set ahead when it finished: never written_at in the future.
    await store.transact((tx) => tx.put('finishedTasks', 'hub-a', 'ahead', finished('ahead', new Date(now + 400 * DAY).toISOString())));
    await store.transact((tx) => tx.put('migrateArchTestItems', 'hub-a', 'plain', { id: 'plain' }));
    await store.close();

    const schema = freshSchema();
    const started = Date.now();
    const report = await copyLowdbToPostgres({ source, url: db.url, schema, batch: 5 });
    assert.equal(report.collections.find((c) => c.name === 'finishedTasks')?.records, 14);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    t.after(() => client.end());
    const writtenAt = async (collection: string, id: string) => {
      const { rows } = await client.query<{ ms: number }>(`SELECT (extract(epoch FROM written_at) * 1000)::float8 AS ms FROM "${schema}".records WHERE collection = $1 AND id = $2`, [collection, id]);
      assert.equal(rows.length, 1, `${collection} ${id} copied`);
      return rows[0]!.ms;
    };
    assert.ok(Math.abs((await writtenAt('finishedTasks', 'old0')) - (now - 40 * DAY)) < 1_000, 'an old finished task: written when it finished');
    assert.ok(Math.abs((await writtenAt('finishedTasks', 'new')) - (now - DAY)) < 1_000);
    assert.ok((await writtenAt('finishedTasks', 'ahead')) <= Date.now(), 'never in the future');
    assert.ok((await writtenAt('migrateArchTestItems', 'plain')) >= started - 1_000, 'a record whose age is unknown: the time of the copy');
    const { rows: audit } = await client.query<{ why: string; ms: number }>(`SELECT data->>'why' AS why, (extract(epoch FROM written_at) * 1000)::float8 AS ms FROM "${schema}".records WHERE collection = 'audit' AND data->>'action' = 'invite'`);
    assert.equal(audit.length, 4);
    for (const a of audit) assert.ok(Math.abs(a.ms - (now - 40 * DAY)) < 1_000, `${a.why}: written at its entry's time`);

    // store.taskRetentionDays 30: the old ones go, as they would have on lowdb; the others stay.
    const target = new PostgresStore({ url: db.url, schema });
    await target.open();
    t.after(() => target.close());
    await pruneFinishedTasks(target, now - 30 * DAY);
    const { rows: left } = await client.query<{ id: string }>(`SELECT id FROM "${schema}".records WHERE collection = 'finishedTasks' ORDER BY seq`);
    assert.deepEqual(left.map((r) => r.id), ['new', 'ahead']);
  });

  test('audit entries of one hub sharing a seq (the clock went back across a restart) are copied both, under keys that survive a retry', async (t) => {
    const source = join(await newDir(t), 'store.json');
    const store = new LowdbStore(source);
    await store.open();
    const first = await store.transact((tx) => appendAudit(tx, { hubId: 'hub-a', trigger, action: 'invite', subject: { email: 'a@example.com' }, why: 'before the restart', outcome: 'ok' }));
    // What the next process put after a restart with its clock set back: the same seq, its own mark.
    await store.transact((tx) => tx.put('audit', 'hub-a', `${first.seq}.0123456789ab`, { ...first, why: 'after the restart', at: new Date().toISOString() }));
    await store.close();

    const schema = freshSchema();
    const report = await copyLowdbToPostgres({ source, url: db.url, schema });
    assert.equal(report.collections.find((c) => c.name === 'audit')?.records, 2);
    const target = new PostgresStore({ url: db.url, schema });
    await target.open();
    t.after(() => target.close());
    assert.deepEqual((await queryAudit(target, { hubId: 'hub-a' })).items.map((e) => e.why).sort(), ['after the restart', 'before the restart']);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    t.after(() => client.end());
    const { rows } = await client.query<{ id: string }>(`SELECT id FROM "${schema}".records WHERE collection = 'audit' AND partition = 'hub-a' ORDER BY seq`);
    assert.equal(new Set(rows.map((r) => r.id)).size, 2);
    for (const r of rows) assert.ok(r.id.startsWith(`${first.seq}.`), `${r.id}: the entry's seq, then a mark`);
    // The same keys on every run (a copy started over strikes off its own records by key).
    const again = freshSchema();
    await copyLowdbToPostgres({ source, url: db.url, schema: again });
    const { rows: second } = await client.query<{ id: string }>(`SELECT id FROM "${again}".records WHERE collection = 'audit' AND partition = 'hub-a' ORDER BY seq`);
    assert.deepEqual(second, rows);
  });
});

declare module './collections.ts' {
  interface Collections {
    migrateArchTestItems: { id: string };
  }
}
