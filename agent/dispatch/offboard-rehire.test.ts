import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAgentApi } from '../agent-api.ts';
import { testHub, testUser } from '../grants/grant-fixtures.ts';
import { collect } from '../store/store.ts';
import { findPerson } from './find-person.ts';
import { at, hubOf, owner } from './test-offboard-hub.ts';

/** A leaver (u-old, deactivated by the IdP) and their rehire (u-new, active) share an email; the seat is the rehire's (SOLE_ACTIVE). */
async function rehired(oldActive = false, newActive = true) {
  const h = await hubOf(1, 'immediate', false);
  await h.store.transact((tx) => {
    tx.put('directoryUsers', h.hub.id, 'u-old', { ...testUser('u-old', 'ann@example.com'), active: oldActive, externalId: 'obj-old' });
    tx.put('directoryUsers', h.hub.id, 'u-new', { ...testUser('u-new', 'ann@example.com'), active: newActive, externalId: 'obj-new' });
    tx.put('appMembers', h.hub.id, 'm-ann', { hubId: h.hub.id, id: 'm-ann', email: 'ann@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('memberMatches', h.hub.id, 'm-ann', { hubId: h.hub.id, memberId: 'm-ann', outcome: 'onboarded', manual: false, directoryUserId: 'u-new', at });
  });
  return h;
}

test("offboarding by an email that names a leaver and their active rehire is refused (409), audited with both ids; the rehire's seat stays", async () => {
  const h = await rehired();
  await assert.rejects(h.api.offboard({ email: 'ann@example.com' }, owner), (e: Error & { kind?: string }) =>
    e.kind === 'conflict' && /u-new, u-old/.test(e.message) && /directoryUserId/.test(e.message));
  assert.deepEqual((await collect(h.store.list('tasks', ''))).filter((t) => t.kind === 'offboard'), [], 'nothing queued');
  const refusals = (await collect(h.store.list('audit', h.hub.id))).filter((a) => a.action === 'offboard-requested' && a.outcome === 'failed');
  assert.equal(refusals.length, 1, 'the refusal is audited');
  assert.equal((await h.store.get('directoryUsers', h.hub.id, 'u-new'))?.offboarded, undefined, 'the rehire is not held');
});

test('offboarding the leaver by directory user id queues an offboarding of them only: the seat matched to the rehire is held, not removed', async () => {
  const h = await rehired();
  const view = await h.api.offboard({ email: 'ann@example.com', directoryUserId: 'u-old' }, owner);
  const task = await h.store.get('tasks', '', view.id);
  assert.ok(task);
  const done = await h.run(task);
  assert.equal(done.status, 'completed');
  assert.deepEqual(await h.removals(), [], "the rehire's seat stays");
  assert.equal((await h.store.get('directoryUsers', h.hub.id, 'u-new'))?.offboarded, undefined, 'the rehire is not held');
  await assert.rejects(h.api.offboard({ email: 'zoe@example.com', directoryUserId: 'u-old' }, owner), (e: Error & { kind?: string }) => e.kind === 'not-found', 'the id must carry the email');
});

test('an email naming only inactive accounts is offboarded as before (harmless), and an offboarding queued before the rehire came fails when it runs', async () => {
  const h = await rehired(false, false);
  const view = await h.api.offboard({ email: 'ann@example.com' }, owner);
  assert.ok(view.id);
  const late = await rehired(false, false);
  const queued = await late.store.get('tasks', '', (await late.api.offboard({ email: 'ann@example.com' }, owner)).id);
  await late.store.transact((tx) => tx.put('directoryUsers', late.hub.id, 'u-new', { ...testUser('u-new', 'ann@example.com'), externalId: 'obj-new' }));
  const ran = await late.run(queued!);
  assert.equal(ran.status, 'failed');
  assert.deepEqual(await late.removals(), [], "the rehire's seat stays");
});

test('a Lifecycle Workflows callout naming the leaver by object id finds the leaver only, though the rehire was given their UPN', async () => {
  const h = await rehired();
  await h.store.transact((tx) => {
    tx.put('directoryUsers', h.hub.id, 'u-old', { ...testUser('u-old', 'ann@example.com'), userName: 'ann@example.com', active: false, externalId: 'obj-old' });
    tx.put('directoryUsers', h.hub.id, 'u-new', { ...testUser('u-new', 'ann@example.com'), userName: 'ann@example.com', externalId: 'obj-new' });
  });
  const found = await findPerson(h.store, [h.hub], { email: 'ann@example.com', userName: 'ann@example.com', externalId: 'obj-old' }, { type: 'entra-lifecycle' });
  assert.deepEqual(found.map((f) => f.user?.id), ['u-old']);
});

test("a refusal names the person's directory users on the other hubs too: an id is one hub's, so offboarding the one it gave left the leaver's seat on another hub", async () => {
  const h = await rehired();
  const other = testHub({ id: 'hub-b' });
  await h.store.transact((tx) => tx.put('directoryUsers', other.id, 'u-b', { ...testUser('u-b', 'ann@example.com'), hubId: other.id, active: false, externalId: 'obj-old' }));
  const api = createAgentApi({ store: h.store, hubs: () => new Map([[h.hub.id, h.hub], [other.id, other]]), connectorFor: () => undefined, clock: () => Date.parse(at) });
  await assert.rejects(api.offboard({ email: 'ann@example.com' }, owner), (e: Error & { kind?: string }) =>
    e.kind === 'conflict' && /u-new, u-old/.test(e.message) && /hub hub-b: directory user u-b/.test(e.message) && /one offboarding per hub/.test(e.message));
});

test('an offboarding whose directoryUserId names nobody with the email is refused (404) and audited as failed, with who asked; nothing queued', async () => {
  const h = await rehired();
  const asked = { ...owner, reason: 'left the agency' };
  await assert.rejects(h.api.offboard({ email: 'zoe@example.com', directoryUserId: 'u-old' }, asked), (e: Error & { kind?: string }) => e.kind === 'not-found');
  assert.deepEqual((await collect(h.store.list('tasks', ''))).filter((t) => t.kind === 'offboard'), [], 'nothing queued');
  const refusals = (await collect(h.store.list('audit', ''))).filter((a) => a.action === 'offboard-requested');
  assert.equal(refusals.length, 1, 'the refusal is audited once');
  assert.equal(refusals[0]!.outcome, 'failed');
  assert.deepEqual(refusals[0]!.subject, { email: 'zoe@example.com', directoryUserId: 'u-old' });
  assert.equal(refusals[0]!.trigger.actor, owner.actor);
  assert.match(refusals[0]!.why, /^offboard directory user u-old from every hub: refused, no directory user u-old with this email on any hub \(reason: "left the agency"\)$/);
});
