import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { defineDirectoryIndexes, foldName, INDEX } from '../desired-state/directory-records.ts';
import { defineStandingIndexes, INVITE_BY_EMAIL, MEMBER_BY_EMAIL } from '../standing/standing.ts';
import { emailKey } from './email-key.ts';

const at = '2026-12-01T00:00:00.000Z';

test('every email index files a record under emailKey of its email, so any spelling differing by whitespace, case or Unicode form finds it', async () => {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  defineStandingIndexes(store);
  await store.transact((tx) => {
    tx.put('directoryUsers', 'h', 'u1', { hubId: 'h', id: 'u1', userName: 'ann', active: true, emails: [' Ann@Example.com'], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appMembers', 'h', 'm1', { hubId: 'h', id: 'm1', email: 'ANN@example.com ', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appInvites', 'h', 'i1', { hubId: 'h', id: 'i1', email: '\tann@EXAMPLE.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
    // José: decomposed ("e" + U+0301) from the IdP, precomposed (U+00E9) in the app's listings.
    tx.put('directoryUsers', 'h', 'u2', { hubId: 'h', id: 'u2', userName: 'jose', active: true, emails: ['Jose\u0301@Example.com'], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appMembers', 'h', 'm2', { hubId: 'h', id: 'm2', email: 'jos\u00e9@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appInvites', 'h', 'i2', { hubId: 'h', id: 'i2', email: 'JOS\u00c9@example.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
  });
  for (const spelled of ['jos\u00e9@example.com', ' jose\u0301@EXAMPLE.com', 'JOSE\u0301@example.com']) {
    const key = `h\u0000${emailKey(spelled)}`;
    assert.deepEqual((await store.lookup('directoryUsers', INDEX.userByEmail, key)).map((u) => u.id), ['u2'], spelled);
    assert.deepEqual((await store.lookup('appMembers', MEMBER_BY_EMAIL, key)).map((m) => m.id), ['m2'], spelled);
    assert.deepEqual((await store.lookup('appInvites', INVITE_BY_EMAIL, key)).map((i) => i.id), ['i2'], spelled);
  }
  for (const spelled of ['ann@example.com', ' Ann@Example.COM ']) {
    const key = `h\u0000${emailKey(spelled)}`;
    assert.deepEqual((await store.lookup('directoryUsers', INDEX.userByEmail, key)).map((u) => u.id), ['u1'], spelled);
    assert.deepEqual((await store.lookup('appMembers', MEMBER_BY_EMAIL, key)).map((m) => m.id), ['m1'], spelled);
    assert.deepEqual((await store.lookup('appInvites', INVITE_BY_EMAIL, key)).map((i) => i.id), ['i1'], spelled);
  }
});

test('emailKey folds the Unicode form (NFC) as userNames are folded (foldName), and leaves ASCII as trim and lower-case did', () => {
  assert.equal(emailKey('Jose\u0301@Example.com'), 'jos\u00e9@example.com');
  assert.equal(emailKey(' jos\u00e9@example.com\t'), 'jos\u00e9@example.com');
  assert.equal(emailKey('Ann@Example.COM '), 'ann@example.com');
  for (const e of ['Jose\u0301@x.example', 'Ann@X.example']) assert.equal(emailKey(e), foldName(e.trim()));
});
