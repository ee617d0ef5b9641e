/**
 * A journal removed from under a running store (its data folder deleted, the file unlinked or
 * renamed over) still takes writes and fdatasyncs without an error, into an inode no restart
 * finds. The store must not acknowledge such a write: it refuses it (StoreUnavailable, readiness
 * failing), and once the folder is there again its probe writes back every acknowledged write.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LowdbStore } from './lowdb-store.ts';
import { collect } from './store.ts';
import { isStoreUnavailable } from './store-unavailable.ts';

declare module './collections.ts' {
  interface Collections {
    removedTestItems: { id: string };
    removedTestArchived: { id: string };
  }
}

const PROBE_MS = 30;

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const root = await mkdtemp(join(tmpdir(), 'hubwarden-removed-'));
  const dir = join(root, 'data');
  await mkdir(dir);
  const path = join(dir, 'store.json');
  // A tiny checkpoint threshold: every commit rotates the journal, so a record lives in the journal
  // only until the archive is synced and the old journal dropped.
  const store = new LowdbStore(path, { probeMs: PROBE_MS, checkpointBytes: 1, archived: ['removedTestArchived'] });
  await store.open();
  t.after(async () => {
    await store.close().catch(() => {});
    await rm(root, { recursive: true, force: true });
  });
  const put = (id: string) => store.transact((tx) => tx.put('removedTestItems', 'h', id, { id }));
  const ids = async (s: LowdbStore) => (await collect(s.list('removedTestItems', 'h'))).map((r) => r.id);
  /** Opens a copy of the files as they are now, as a restart after a crash at this instant would. */
  const restart = async () => {
    await store.settled(); // a copy taken mid-checkpoint, file by file, is no state a crash leaves
    const image = join(root, `image-${Date.now()}`);
    await cp(dir, image, { recursive: true, filter: (src) => !src.endsWith('.lock') });
    const again = new LowdbStore(join(image, 'store.json'));
    await again.open();
    try {
      const archived: string[] = [];
      for await (const r of again.newestFirst('removedTestArchived', 'h')) archived.push(r.id);
      return { items: await ids(again), archived };
    } finally {
      await again.close();
    }
  };
  const resumed = async () => {
    for (let i = 0; i < 200 && !store.healthy(); i++) await new Promise((r) => setTimeout(r, PROBE_MS));
    await store.settled();
  };
  return { dir, path, store, put, ids, restart, resumed };
}

describe('lowdb store: files removed while running', () => {
  test('the journal unlinked while open: the next write is refused, not acknowledged into a file no restart finds; the probe writes everything back', async (t) => {
    const { path, store, put, ids, restart, resumed } = await setup(t);
    await put('a');
    await store.settled();
    await unlink(`${path}.journal`);
    await assert.rejects(put('b'), (err: unknown) => isStoreUnavailable(err) && /removed from its folder/.test(err.reason) && /ENOENT/.test(err.reason));
    assert.deepEqual(await ids(store), ['a'], 'the refused write is rolled back in memory');
    assert.equal(store.healthy(), false);
    assert.match(store.unavailableReason() ?? '', /ENOENT while appending to the journal \(the journal file was removed/);
    await resumed();
    assert.equal(store.healthy(), true, 'the folder is there: the probe writes fresh files and writes resume');
    await put('c');
    assert.deepEqual((await restart()).items, ['a', 'c'], 'every acknowledged write, and only those, after a crash');
  });

  test('the data folder removed while open: writes are refused, and stay refused once it is back (the archive went with it): no write is acknowledged into a removed file', async (t) => {
    const { dir, store, put, ids, restart } = await setup(t);
    await put('a');
    await store.settled();
    await rm(dir, { recursive: true, force: true });
    await assert.rejects(put('b'), (err: unknown) => isStoreUnavailable(err) && /removed from its folder/.test(err.reason));
    await assert.rejects(put('c'), isStoreUnavailable, 'refused while the folder is gone');
    assert.deepEqual(await ids(store), ['a']);
    await mkdir(dir);
    await new Promise((r) => setTimeout(r, PROBE_MS * 5));
    await store.settled();
    // Resuming would append archived records to a segment no restart finds, and drop the journal
    // that holds them at the next checkpoint.
    const archivedWrite = await store.transact((tx) => tx.put('removedTestArchived', 'h', 'x', { id: 'x' })).then(() => 'acknowledged', (err: unknown) => (isStoreUnavailable(err) ? 'refused' : String(err)));
    await store.settled();
    await new Promise((r) => setTimeout(r, PROBE_MS * 2));
    await store.settled();
    if (archivedWrite === 'acknowledged') assert.deepEqual((await restart()).archived, ['x'], 'an acknowledged archived write survives a restart');
    else assert.equal(archivedWrite, 'refused');
    assert.equal(store.healthy(), false);
  });
});
