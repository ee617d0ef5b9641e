import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testUser } from '../grants/grant-fixtures.ts';
import { collect } from '../store/store.ts';
import { recordDesiredChange } from '../outbox.ts';
import { Dispatcher } from './dispatcher.ts';
import { hubOf, owner, recreated } from './test-offboard-hub.ts';

test('offboarding by the email of a deleted leaver, re-created since, is refused (409) naming both ids, audited; nothing queued, the current user keeps the seat', async () => {
  const h = await recreated();
  await assert.rejects(h.api.offboard({ email: 'ann@example.com' }, owner), (e: Error & { kind?: string }) =>
    e.kind === 'conflict' && /directory users u-new, u-old/.test(e.message) && /u-old deleted in the directory at 2026-06-01/.test(e.message) && /directoryUserId/.test(e.message));
  assert.deepEqual((await collect(h.store.list('tasks', ''))).filter((t) => t.kind === 'offboard'), [], 'nothing queued');
  const refusals = (await collect(h.store.list('audit', h.hub.id))).filter((a) => a.action === 'offboard-requested' && a.outcome === 'failed');
  assert.equal(refusals.length, 1, 'the refusal is audited');
  assert.deepEqual(refusals[0]!.detail, { directoryUserIds: ['u-new', 'u-old'], departedUserIds: ['u-old'] });
  assert.equal((await h.store.get('directoryUsers', h.hub.id, 'u-new'))?.offboarded, undefined, 'the current user is not held');
});

test('naming the current user by directoryUserId offboards them: their seat is removed', async () => {
  const h = await recreated();
  const view = await h.api.offboard({ email: 'ann@example.com', directoryUserId: 'u-new' }, owner);
  const done = await h.run((await h.store.get('tasks', '', view.id))!);
  assert.equal(done.status, 'waiting');
  assert.deepEqual(await h.removals(), ['op:remove:m-ann'], 'the seat is removed');
  assert.ok((await h.store.get('directoryUsers', h.hub.id, 'u-new'))?.offboarded, 'held');
});

test('a user created no later than the deleted one (there already when it was created: two people sharing an address) is offboarded by email as before', async () => {
  const h = await recreated('2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z');
  const view = await h.api.offboard({ email: 'ann@example.com' }, owner);
  assert.equal((await h.run((await h.store.get('tasks', '', view.id))!)).status, 'waiting');
  assert.deepEqual(await h.removals(), ['op:remove:m-ann']);
});

test('an IdP that created the new account before deleting the old one (SCIM POST ahead of the DELETE): a user created after the deleted one was, though before its deletion, is refused (409), audited; nothing queued', async () => {
  const h = await recreated('2026-05-31T00:00:00Z', '2020-01-01T00:00:00Z');
  await assert.rejects(h.api.offboard({ email: 'ann@example.com' }, owner), (e: Error & { kind?: string }) =>
    e.kind === 'conflict' && /directory users u-new, u-old/.test(e.message) && /directoryUserId/.test(e.message));
  assert.deepEqual((await collect(h.store.list('tasks', ''))).filter((t) => t.kind === 'offboard'), [], 'nothing queued');
  const refusals = (await collect(h.store.list('audit', h.hub.id))).filter((a) => a.action === 'offboard-requested' && a.outcome === 'failed');
  assert.deepEqual(refusals.map((a) => a.detail), [{ directoryUserIds: ['u-new', 'u-old'], departedUserIds: ['u-old'] }]);
  const view = await h.api.offboard({ email: 'ann@example.com', directoryUserId: 'u-new' }, owner);
  assert.equal((await h.run((await h.store.get('tasks', '', view.id))!)).status, 'waiting', 'named by its id, the current user is offboarded');
  assert.deepEqual(await h.removals(), ['op:remove:m-ann']);
});

test('a deletion record written before the creation time was kept: a user created before the deletion may be the re-creation, so the offboarding by email is refused', async () => {
  const h = await recreated('2026-01-01T00:00:00Z');
  await assert.rejects(h.api.offboard({ email: 'ann@example.com' }, owner), (e: Error & { kind?: string }) => e.kind === 'conflict' && /directory users u-new, u-old/.test(e.message));
  assert.deepEqual((await collect(h.store.list('tasks', ''))).filter((t) => t.kind === 'offboard'), [], 'nothing queued');
  assert.ok((await h.api.offboard({ email: 'ann@example.com', externalId: 'obj-new' }, { type: 'entra-lifecycle' })).id, 'an externalId naming the found user is not refused');
});

test('an offboarding queued before the re-created user arrived fails when it runs; once the deletion record is retired the email names the current user alone', async () => {
  const h = await recreated();
  await h.store.transact((tx) => tx.delete('directoryUsers', h.hub.id, 'u-new'));
  const queued = await h.store.get('tasks', '', (await h.api.offboard({ email: 'ann@example.com' }, owner)).id);
  await h.store.transact((tx) => tx.put('directoryUsers', h.hub.id, 'u-new', { ...testUser('u-new', 'ann@example.com'), created: '2026-09-01T00:00:00Z' }));
  const ran = await h.run(queued!);
  assert.equal(ran.status, 'failed');
  assert.deepEqual(await h.removals(), [], "the current user's seat stays");

  const later = await recreated();
  await later.store.transact((tx) => tx.delete('departedUsers', later.hub.id, 'u-old'));
  assert.ok((await later.api.offboard({ email: 'ann@example.com' }, owner)).id, 'retired (retire-departed.ts): the rule ends with the record');
});

test('an Okta hook or Lifecycle Workflows offboarding naming the current user by externalId is not refused', async () => {
  const h = await recreated();
  assert.ok((await h.api.offboard({ email: 'ann@example.com', externalId: 'obj-new' }, { type: 'entra-lifecycle' })).id);
});

test('a user created after the DELETE was accepted but before the dispatcher recorded it (its outbox waited) counts as created since the deletion: refused', async () => {
  const h = await hubOf(1, 'immediate', false);
  // The DELETE accepted now (the outbox entry's time), the user with the same email created a
  // second later (the same provisioning cycle), the entry dispatched a minute after the DELETE.
  const deleted = Date.now();
  await h.store.transact((tx) => {
    recordDesiredChange(tx, { hubId: h.hub.id, trigger: { type: 'scim', idp: 'entra' }, changes: [{ kind: 'user-deleted', userId: 'u-old', userName: 'ann@example.com', emails: ['ann@example.com'] }] });
    tx.put('directoryUsers', h.hub.id, 'u-new', { ...testUser('u-new', 'ann@example.com'), created: new Date(deleted + 1_000).toISOString() });
  });
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  await new Dispatcher({ store: h.store, hubs: () => new Map([[h.hub.id, h.hub]]), log: silent, windowMs: 50, clock: () => deleted + 60_000 }).drain();
  assert.ok(await h.store.get('departedUsers', h.hub.id, 'u-old'), 'the deletion is recorded');
  await assert.rejects(h.api.offboard({ email: 'ann@example.com' }, owner), (e: Error & { kind?: string }) => e.kind === 'conflict' && /directory users u-new, u-old/.test(e.message));
  assert.deepEqual((await collect(h.store.list('tasks', ''))).filter((t) => t.kind === 'offboard'), [], 'nothing queued');
});

test("the deletion's change carries the deleted user's creation time to its record: a user the IdP created before the DELETE, after the deleted one, is refused", async () => {
  const h = await hubOf(1, 'immediate', false);
  const deleted = Date.now();
  await h.store.transact((tx) => {
    tx.put('directoryUsers', h.hub.id, 'u-new', { ...testUser('u-new', 'ann@example.com'), created: new Date(deleted - 3_600_000).toISOString() });
    recordDesiredChange(tx, { hubId: h.hub.id, trigger: { type: 'scim', idp: 'okta' }, changes: [{ kind: 'user-deleted', userId: 'u-old', userName: 'ann@example.com', emails: ['ann@example.com'], created: '2020-01-01T00:00:00.000Z' }] });
  });
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  await new Dispatcher({ store: h.store, hubs: () => new Map([[h.hub.id, h.hub]]), log: silent, windowMs: 50, clock: () => deleted + 1_000 }).drain();
  assert.equal((await h.store.get('departedUsers', h.hub.id, 'u-old'))?.created, '2020-01-01T00:00:00.000Z');
  await assert.rejects(h.api.offboard({ email: 'ann@example.com' }, owner), (e: Error & { kind?: string }) => e.kind === 'conflict' && /directory users u-new, u-old/.test(e.message));
});
