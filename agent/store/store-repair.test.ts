/**
 * `hubwarden store repair --accept-loss` lists every record change it drops: a damaged journal
 * line is dropped whatever commit number it claims (the number is part of what was damaged).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LowdbStore } from './lowdb-store.ts';
import { collect } from './store.ts';
import { repairStore } from './store-repair.ts';

declare module './collections.ts' {
  interface Collections {
    repairTestItems: { id: string; n: number };
  }
}

test('a damaged journal line whose commit number itself changed (to one already kept) is listed as dropped, not passed over as kept', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-repair-'));
  const path = join(dir, 'store.json');
  const store = new LowdbStore(path);
  t.after(async () => {
    await store.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  await store.open();
  // Six acknowledged commits (k0..k5), journal lines 2..7, left as a kill -9 leaves them.
  for (let i = 0; i < 6; i++) await store.transact((tx) => tx.put('repairTestItems', 'h', `k${i}`, { id: `k${i}`, n: i }));
  await store.settled();

  const journal = `${path}.journal`;
  const lines = (await readFile(journal, 'utf8')).split('\n');
  assert.match(lines[4]!, /^\{"seq":4,/);
  lines[4] = lines[4]!.replace('"seq":4', '"seq":1'); // commit 4 (k3): its number flipped; the checksum now fails
  await writeFile(journal, lines.join('\n'));

  const repaired = await repairStore(path);
  assert.deepEqual(repaired.dropped, [
    `${journal} line 5: commit 1: put repairTestItems/h/k3`,
    `${journal} line 6: commit 5: put repairTestItems/h/k4`,
    `${journal} line 7: commit 6: put repairTestItems/h/k5`,
  ]);

  const after = new LowdbStore(path);
  await after.open();
  t.after(() => after.close());
  assert.deepEqual((await collect(after.list('repairTestItems', 'h'))).map((r) => r.id), ['k0', 'k1', 'k2']);
});

/** The archive segment's lines once `ready` says so (the archive is written in the background). */
async function archivedLines(segment: string, ready: (lines: string[]) => boolean): Promise<string[]> {
  for (let i = 0; ; i++) {
    const lines = (await readFile(segment, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
    if (ready(lines) || i === 100) return lines;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('after a repair, commits are numbered past every commit the archive already holds: a crash before one is archived does not lose its archived records', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-repair-'));
  const path = join(dir, 'store.json');
  const stores: LowdbStore[] = [];
  const opened = async () => {
    const s = new LowdbStore(path);
    stores.push(s);
    await s.open();
    return s;
  };
  t.after(async () => {
    for (const s of stores) await s.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  const finished = (id: string) => ({ id, hubId: 'h', kind: 'test', status: 'completed', completedAt: '2026-01-01T00:00:00.000Z' }) as never;
  const ids = async (s: LowdbStore) => (await collect(s.newestFirst('finishedTasks', 'h'))).map((r) => (r as { id: string }).id).sort();

  // Two plain commits, then six each archiving a finished task (t0..t5, commits 3 to 8: archived
  // once durable), left as a kill -9 leaves them; then commit 2 is damaged on disk.
  const first = await opened();
  for (let i = 0; i < 2; i++) await first.transact((tx) => tx.put('repairTestItems', 'h', `k${i}`, { id: `k${i}`, n: i }));
  for (let i = 0; i < 6; i++) await first.transact((tx) => tx.put('finishedTasks', 'h', `t${i}`, finished(`t${i}`)));
  await first.settled();
  const segment = join(`${path}.archive`, 'finishedTasks-000001.log');
  await archivedLines(segment, (l) => l.length === 6);
  const journal = `${path}.journal`;
  const lines = (await readFile(journal, 'utf8')).split('\n');
  assert.match(lines[2]!, /^\{"seq":2,/);
  lines[2] = lines[2]!.replace('"n":1', '"n":7'); // commit 2: its checksum now fails
  await writeFile(journal, lines.join('\n'));
  const repaired = await repairStore(path); // keeps commit 1; the archive keeps t0..t5
  assert.equal(repaired.dropped.length, 7);

  // A commit after the repair archives a finished task; the process is killed after the commit is
  // durable and before the archive line is written (the archive is written after the journal).
  const third = await opened();
  await third.transact((tx) => tx.put('finishedTasks', 'h', 'after', finished('after')));
  await third.settled();
  const archived = (await archivedLines(segment, (l) => l.some((x) => x.includes('"after"')))).filter((l) => !l.includes('"after"'));
  await writeFile(segment, `${archived.join('\n')}\n`);

  const fourth = await opened();
  assert.deepEqual(await ids(fourth), ['after', 't0', 't1', 't2', 't3', 't4', 't5'], 'the task finished after the repair is archived from the journal at the next start');
});
