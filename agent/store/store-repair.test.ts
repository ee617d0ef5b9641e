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
