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

test('an Okta hook naming a login finds that user, not another user whose email equals the login', async () => {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  const hub = testHub();
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'leaver', { ...testUser('leaver', 'jane@example.com'), userName: 'jane@example.com', emails: ['jane.doe@example.com'], email: 'jane.doe@example.com', externalId: '00u1' });
    // Okta keeps logins unique, not primary emails: a colleague's email may equal the leaver's login.
    tx.put('directoryUsers', hub.id, 'colleague', { ...testUser('colleague', 'jane@example.com'), userName: 'jane.smith@example.com', externalId: '00u2' });
  });
  const found = await findPerson(store, [hub], { userName: 'jane@example.com', email: 'jane@example.com', externalId: '00u1' });
  assert.deepEqual(found.map((f) => f.user?.id), ['leaver']);
  const byEmailOnly = await findPerson(store, [hub], { email: 'jane@example.com' });
  assert.deepEqual(byEmailOnly.map((f) => f.user?.id), ['colleague'], 'an email alone still finds by email');
});

test("an Okta hook naming a login does not take another account whose app userName is that login (app username format Email)", async () => {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  const hub = testHub();
  await store.transact((tx) => {
    // The leaver (Okta id 00u-old, login jane@example.com) is not assigned to this hub's app. A
    // colleague's Okta email is jane@example.com (Okta keeps emails non-unique), and the app's
    // username format "Email" sends it as SCIM userName; Okta sends the colleague's id as externalId.
    tx.put('directoryUsers', hub.id, 'colleague', { ...testUser('colleague', 'jane@example.com'), userName: 'jane@example.com', externalId: '00u-colleague' });
  });
  const hook = { type: 'okta-event-hook' as const };
  const found = await findPerson(store, [hub], { userName: 'jane@example.com', email: 'jane@example.com', externalId: '00u-old' }, hook);
  assert.deepEqual(found.map((f) => [f.user?.id, f.emails]), [[undefined, ['jane@example.com']]], 'the colleague is another Okta account');
  const same = await findPerson(store, [hub], { userName: 'jane@example.com', email: 'jane@example.com', externalId: '00u-colleague' }, hook);
  assert.deepEqual(same.map((f) => f.user?.id), ['colleague'], 'the account itself is found by its login');
  const other = await findPerson(store, [hub], { userName: 'jane@example.com', externalId: 'not-the-scim-one' }, { type: 'entra-lifecycle' as const });
  assert.deepEqual(other.map((f) => f.user?.id), ['colleague'], "other triggers' externalId need not be SCIM's: the userName still finds");
});

test('a leaver named by an email with surrounding whitespace or another case (an Entra callout `mail`, an Okta login) is found, and their seats looked up by the normalised email', async () => {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  const hub = testHub();
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u1', { ...testUser('u1', 'ann@example.com'), userName: 'ann.a', emails: ['ann@example.com'], email: 'ann@example.com' });
  });
  const found = await findPerson(store, [hub], { email: ' Ann@Example.com ' });
  assert.deepEqual(found.map((f) => [f.user?.id, f.emails]), [['u1', ['ann@example.com']]]);
  const nobody = await findPerson(store, [hub], { email: ' Zoe@Example.com ' });
  assert.deepEqual(nobody.map((f) => [f.user?.id, f.emails]), [[undefined, ['zoe@example.com']]], 'not in the directory: offboarded by the normalised email');
});

test('a person named by a userName in another Unicode normalization form than the one stored is found (the SCIM server takes the two for one userName)', async () => {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  const hub = testHub();
  const composed = 'jos\u00e9.garcia'; // é as one code point (NFC)
  const decomposed = 'jose\u0301.garcia'; // e + combining acute (NFD)
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u-nfc', { ...testUser('u-nfc', 'jose@example.com'), userName: composed });
    tx.put('directoryUsers', hub.id, 'u-nfd', { ...testUser('u-nfd', 'pepe@example.com'), userName: `pepe.${decomposed}` });
  });
  for (const [asked, id] of [[decomposed, 'u-nfc'], [` ${decomposed.toUpperCase()} `, 'u-nfc'], [`pepe.${composed}`, 'u-nfd'], [composed, 'u-nfc']] as const) {
    const found = await findPerson(store, [hub], { userName: asked });
    assert.deepEqual(found.map((f) => f.user?.id), [id], JSON.stringify(asked));
  }
});
