/**
 * A task looked up by id (`GET /tasks/{id}`, the dashboard, a retry's repeat) is read by key: in
 * memory by hub and id, in the archive through the archive's id lookup (lowdb: archive.ts
 * findById) or by key (memory, PostgreSQL). An id nobody has costs the same bounded work however
 * many finished tasks the archive holds: a hub manager naming unknown ids cannot make the server
 * read the whole archive on every request.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import { postgresForTests } from '../../test/postgres.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { PostgresStore } from '../store/postgres/postgres-store.ts';
import { nodeFiles, type StoreFiles } from '../store/store-files.ts';
import type { Store } from '../store/store.ts';
import { findTaskAnywhere } from './task-query.ts';
import type { TaskRecord } from './task-record.ts';

const db = await postgresForTests();
const freshSchema = freshSchemas(db);

const ARCHIVED = 600;

function finished(n: number, hubId = n % 2 ? 'h1' : 'h2'): TaskRecord {
  const at = new Date(Date.UTC(2026, 5, 1, 0, 0, n)).toISOString();
  return {
    id: `t${String(n).padStart(5, '0')}`, hubId, kind: 'invite', status: 'completed', idempotencyKey: `k${n}`, payload: { n }, summary: `invite ${n}`,
    trigger: { type: 'admin', actor: 'test' }, attempts: 1, attemptsEnded: 1, createdAt: at, updatedAt: at, completedAt: at, runAfter: at,
  } as unknown as TaskRecord;
}

/** Fills the archive (finishedTasks) with ARCHIVED tasks of two hubs, and keeps one live task. */
async function fill(store: Store): Promise<void> {
  for (let from = 0; from < ARCHIVED; from += 20) {
    await store.transact((tx) => {
      for (let n = from; n < from + 20; n++) tx.put('finishedTasks', finished(n).hubId, finished(n).id, finished(n));
    });
  }
  await store.transact((tx) => tx.put('tasks', 'h1', 'live', { ...finished(9_999, 'h1'), id: 'live', status: 'queued' } as TaskRecord));
}

/**
 * The store, counting every record it hands out by listing or paging (`list`, `newestFirst`):
 * a lookup by key reads none of them.
 */
function countingListings(store: Store): { store: Store; listed: () => number } {
  let listed = 0;
  const counted = new Proxy(store, {
    get(t, name) {
      const value = Reflect.get(t, name) as unknown;
      if (typeof value !== 'function') return value;
      if (name === 'list' || name === 'newestFirst') {
        return (...args: unknown[]) => (async function* () {
          for await (const r of value.apply(t, args) as AsyncIterable<unknown>) {
            listed++;
            yield r;
          }
        })();
      }
      return value.bind(t);
    },
  });
  return { store: counted, listed: () => listed };
}

async function lookups(store: Store, listed: () => number): Promise<void> {
  assert.equal((await findTaskAnywhere(store, 'live'))?.status, 'queued', 'a task in memory');
  const known = await findTaskAnywhere(store, finished(123).id);
  assert.deepEqual([known?.id, known?.hubId], [finished(123).id, 'h1'], 'an archived task, with its hub (the route checks it)');
  assert.equal(await findTaskAnywhere(store, 'no-such-task'), undefined);
  assert.equal(await findTaskAnywhere(store, 't99999'), undefined);
  assert.equal(listed(), 0, `lookups by id list or page through no records (the archive holds ${ARCHIVED})`);
}

describe('a task looked up by id reads by key, never the whole archive', () => {
  test('memory store: finished tasks are found by key', async () => {
    const inner = new MemoryStore();
    await inner.open();
    await fill(inner);
    const { store, listed } = countingListings(inner);
    await lookups(store, listed);
  });

  test('lowdb store: an unknown id reads no archive segment, a known one the segment holding it; the id hashes follow new writes and retention', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-task-lookup-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    let archiveReads = 0;
    const files: StoreFiles = { ...nodeFiles, read: (path) => ((archiveReads += path.includes('.archive') ? 1 : 0), nodeFiles.read(path)) };
    const path = join(dir, 'store.json');
    const opened = new LowdbStore(path, { files, archiveSegmentBytes: 8_000 });
    await opened.open();
    await fill(opened);
    await opened.close();
    const inner = new LowdbStore(path, { files, archiveSegmentBytes: 8_000 });
    await inner.open();
    const segments = (await nodeFiles.list(`${path}.archive`)).filter((f) => f.startsWith('finishedTasks-')).length;
    assert.ok(segments >= 10, `the archive spans many segments (${segments})`);
    const { store, listed } = countingListings(inner);
    archiveReads = 0;
    assert.equal(await findTaskAnywhere(store, 'warm-up'), undefined);
    assert.equal(archiveReads, segments, `the first lookup reads each segment once to hash its ids (${archiveReads} reads)`);
    archiveReads = 0;
    await lookups(store, listed);
    assert.equal(archiveReads, 1, 'the known archived id reads the one segment holding it; the unknown ids read none');
    archiveReads = 0;
    for (let i = 0; i < 50; i++) assert.equal(await findTaskAnywhere(store, `unknown-${i}`), undefined);
    assert.equal(archiveReads, 0, '50 unknown ids: no archive read at all');
    // A task archived after the hashes were built is found; a newer copy of an id wins.
    await inner.transact((tx) => tx.put('finishedTasks', 'h1', 'later', { ...finished(1, 'h1'), id: 'later', summary: 'first' }));
    await inner.transact((tx) => tx.put('finishedTasks', 'h1', 'later', { ...finished(1, 'h1'), id: 'later', summary: 'second' }));
    assert.equal((await findTaskAnywhere(store, 'later'))?.summary, 'second');
    // Retention drops whole segments: their tasks are no longer found (and not read for).
    assert.ok((await inner.dropArchivedBefore('finishedTasks', Date.now() + 60_000)) > 0);
    archiveReads = 0;
    assert.equal(await findTaskAnywhere(store, finished(123).id), undefined, 'dropped by retention');
    assert.equal(archiveReads, 0);
    assert.equal((await findTaskAnywhere(store, 'later'))?.summary, 'second', 'the segment being written is kept');
    await inner.close();
  });

  describe('PostgreSQL store', { skip: db.skip }, () => {
    test('finished tasks are found by key in each hub partition', async () => {
      const inner = new PostgresStore({ url: db.url, schema: freshSchema('task-lookup'), poolSize: 3 });
      await inner.open();
      try {
        await fill(inner);
        const { store, listed } = countingListings(inner);
        await lookups(store, listed);
      } finally {
        await inner.close();
      }
    });
  });
});
