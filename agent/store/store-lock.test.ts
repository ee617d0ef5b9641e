import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockStore } from './store-lock.ts';

/**
 * Two containers on one volume: each server is pid 1 in its own pid namespace, so a lock naming
 * pid 1 says nothing about whether its holder lives. The lock names its host, and another host's
 * lock is judged by how recently its holder renewed it.
 */
async function folder(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-lock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'store.json');
}

test('a live lock of another host naming this very pid (two containers, both pid 1) is refused, naming the host, and left as it was', async (t) => {
  const path = await folder(t);
  const theirs = `${process.pid} container-b`;
  await writeFile(`${path}.lock`, theirs);
  await assert.rejects(lockStore(path, { staleMs: 60_000 }), /in use by process \d+ on host container-b \(another container on the same data\?\)/);
  assert.equal(await readFile(`${path}.lock`, 'utf8'), theirs);
});

test('another host\'s lock not renewed for the stale time is taken over; released at close', async (t) => {
  const path = await folder(t);
  await writeFile(`${path}.lock`, '1 container-gone');
  const past = new Date(Date.now() - 120_000);
  await utimes(`${path}.lock`, past, past);
  const release = await lockStore(path, { staleMs: 60_000 });
  assert.equal(await readFile(`${path}.lock`, 'utf8'), `${process.pid} ${hostname()}`);
  await release();
  await assert.rejects(stat(`${path}.lock`), /ENOENT/);
});

test('the holder renews its lock, so other hosts see it live', async (t) => {
  const path = await folder(t);
  const release = await lockStore(path, { heartbeatMs: 20 });
  t.after(release);
  const past = new Date(Date.now() - 120_000);
  await utimes(`${path}.lock`, past, past);
  await new Promise((r) => setTimeout(r, 150));
  const age = Date.now() - (await stat(`${path}.lock`)).mtimeMs;
  assert.ok(age < 5_000, `renewed ${age} ms ago`);
});
