import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { testHub, testUser } from '../grants/grant-fixtures.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { findPerson } from './find-person.ts';

test('a person named by email is found when the IdP sent them without emails but with that email as userName (Entra without mail)', async () => {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  const hub = testHub();
  await store.transact((tx) => {
    const { email: _none, ...noMail } = testUser('u1', 'Jane@Example.com');
    tx.put('directoryUsers', hub.id, 'u1', { ...noMail, emails: [] });
    // Someone else whose userName is an email but who has a (different) mailbox: matched by their emails only.
    tx.put('directoryUsers', hub.id, 'u2', { ...testUser('u2', 'bob@example.com'), emails: ['robert@example.com'], email: 'robert@example.com' });
  });
  const found = await findPerson(store, [hub], { email: 'jane@example.com' });
  assert.deepEqual(found.map((f) => [f.user?.id, f.emails]), [['u1', ['jane@example.com']]]);
  const other = await findPerson(store, [hub], { email: 'bob@example.com' });
  assert.deepEqual(other.map((f) => [f.user?.id, f.emails]), [[undefined, ['bob@example.com']]], 'a user with emails is not found by userName');
});
