import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../store/memory-store.ts';
import '../desired-state/directory-records.ts';
import { Keyring } from './keyring.ts';
import { newKeyOverRecords } from './new-key-check.ts';

test('a key file created over a store that holds records is warned of; at a first start, or loaded, it is not', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-key-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'hubwarden.key');
  const created = await Keyring.load(path);
  assert.equal(created.created, true);
  const loaded = await Keyring.load(path);
  assert.equal(loaded.created, false);

  const empty = new MemoryStore();
  assert.equal(await newKeyOverRecords(created, empty, path), undefined, 'a first start: nothing to warn of');

  const inUse = new MemoryStore();
  await inUse.transact((tx) => tx.put('directoryUsers', 'meta-main', 'u1', { hubId: 'meta-main', id: 'u1', userName: 'a@x.com', active: true, emails: ['a@x.com'], scim: {}, created: '', lastModified: '', version: 1 }));
  const warning = await newKeyOverRecords(created, inUse, path);
  assert.match(String(warning), /created a new key file at .*hubwarden\.key, but the store already holds records/);
  assert.match(String(warning), /every replica must read the same key/);
  assert.equal(await newKeyOverRecords(loaded, inUse, path), undefined, 'the key file was there: no warning');
});
