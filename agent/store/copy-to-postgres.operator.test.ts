import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresForTests } from '../../test/postgres.ts';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import { copyLowdbToPostgres } from './copy-to-postgres.ts';
import { LowdbStore } from './lowdb-store.ts';
import { PostgresStore } from './postgres/postgres-store.ts';

declare module './collections.ts' {
  interface Collections {
    migrateOperatorItems: { id: string; n: number; note: string };
  }
}

const db = await postgresForTests();

/** A lowdb store of `n` records in two partitions. */
async function lowdbOf(t: { after(fn: () => Promise<void>): void }, n: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-migrate-op-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'store.json');
  const store = new LowdbStore(path);
  await store.open();
  await store.transact((tx) => {
    for (let i = 0; i < n; i++) tx.put('migrateOperatorItems', i % 2 ? 'hub-a' : 'hub-b', `r${i}`, { id: `r${i}`, n: i, note: `record ${i}` });
  });
  await store.close();
  return path;
}

async function until(what: string, ok: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('hubwarden store migrate, as an operator meets it', { skip: db.skip }, () => {
  const freshSchema = freshSchemas(db);

  test('a key too long for PostgreSQL to index is named, with what it means, not only the index row size', async (t) => {
    const source = await lowdbOf(t, 5);
    const id = randomBytes(3_000).toString('base64'); // 4,000 bytes that do not compress: past the 2,704 a btree entry holds
    const store = new LowdbStore(source);
    await store.open();
    await store.transact((tx) => tx.put('migrateOperatorItems', 'hub-long', id, { id, n: 0, note: 'long' }));
    await store.close();
    const schema = freshSchema('op-long-key');
    await assert.rejects(copyLowdbToPostgres({ source, url: db.url, schema }), (err: Error) => {
      assert.equal(err.message, `migrateOperatorItems record ${JSON.stringify(`${id.slice(0, 60)}…`)} (4000 bytes) in partition "hub-long" has a key longer than PostgreSQL can index (${(err.cause as Error).message}), so a PostgreSQL store cannot hold it; nothing was lost: keep running on the lowdb store (the copy stops here, and schema "${schema}" stays marked as an unfinished copy: no server opens on it; DROP SCHEMA "${schema}" CASCADE to reset it)`);
      assert.match((err.cause as Error).message, /^index row size \d+ exceeds btree .*"records_pkey"$/);
      return true;
    });
  });

  test('a server started on the schema while the copy runs says it waits for the copy (not a silent hang), then opens on the verified copy', async (t) => {
    const source = await lowdbOf(t, 300);
    const schema = freshSchema('migrate_wait');
    const lines: string[] = [];
    const server = new PostgresStore({ url: db.url, schema, onLockWait: (line) => lines.push(line) });
    t.after(() => server.close());
    let opening: Promise<void> | undefined;
    let opened = false;
    const progress = async () => {
      if (opening) return;
      opening = server.open().then(() => { opened = true; });
      opening.catch(() => {});
      await until('the line saying the server waits', () => lines.length > 0);
      assert.equal(opened, false, 'the server waits for the copy');
    };
    const report = await copyLowdbToPostgres({ source, url: db.url, schema, batch: 50, progress });
    assert.equal(report.records, 300);
    await opening;
    assert.equal(lines.length, 1, 'one line');
    assert.match(lines[0]!, new RegExp(`^store: waiting for schema "${schema}": \`hubwarden store migrate\` is copying a lowdb store into it \\(session \\d+ \\(hubwarden-migrate\\), connected \\S+\\); this server opens once the copy is verified, and refuses to open if it is not$`));
    assert.equal(await server.count('migrateOperatorItems', 'hub-a'), 150, 'opened on the whole copy');
  });

  test('a copy whose content differs (same count) fails verification by checksum, and no server opens on it', async (t) => {
    const source = await lowdbOf(t, 120);
    const schema = freshSchema('migrate_corrupt');
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    t.after(() => admin.end());
    // After the last batch, one record's content changes in the target: as a bad disk or a
    // faulty proxy would leave it. The counts still match.
    const progress = async (copied: number) => {
      if (copied < 120) return;
      const { rowCount } = await admin.query(`UPDATE "${schema}".records SET data = '{"id":"r7","n":7,"note":"record 8"}'::json WHERE collection = 'migrateOperatorItems' AND id = 'r7'`);
      assert.equal(rowCount, 1);
    };
    await assert.rejects(copyLowdbToPostgres({ source, url: db.url, schema, batch: 40, progress }),
      /^Error: verification failed for migrateOperatorItems \(copied 120, read back 120, checksums differ\); keep running on the lowdb store; the schema stays marked/);
    await assert.rejects(new PostgresStore({ url: db.url, schema }).open(), /holds a copy by `hubwarden store migrate` that never finished/);
  });
});
