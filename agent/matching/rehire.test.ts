import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planHub, planPerson } from '../plan/plan-hub.ts';
import { standingOfUser } from '../standing/standing.ts';
import type { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { enqueueTask, updateTask } from '../tasks/enqueue.ts';
import { replanPerson } from '../dispatch/replan-person.ts';
import { operationHandler } from '../tasks/operations/operation-handler.ts';
import type { TaskContext } from '../tasks/handler.ts';
import { enqueueOperation } from '../tasks/operations/enqueue-operation.ts';
import { heldByAnotherSinceQueued } from '../tasks/operations/forced-removal.ts';
import type { Operation } from '../plan/operation.ts';
import { REMOVAL_IN_FLIGHT, SOLE_ACTIVE } from './match-members.ts';
import { EMAIL, fakeConnector, groups, h, hub, hubStore, leaverThenRehire, NOW, queueRemoval, rematch, removalDone, runTasks, silent, trigger, user, type FakeApp } from './rehire-fixtures.ts';

/**
 * A person leaves and is rehired with the same email (rehire-fixtures.ts): two directory users,
 * u1 and u2, with one email. Before, matching found two directory users for the seat's email and
 * left it disputed until an owner matched it by hand.
 */
const matchOf = async (store: MemoryStore) => {
  const m = await store.get('memberMatches', h, 'm-a');
  return { outcome: m?.outcome, directoryUserId: m?.directoryUserId, candidates: m?.candidates, reason: m?.reason };
};
const planOf = async (store: MemoryStore, id: string) => {
  const r = await planPerson(store, hub, { directoryUserIds: [id], emails: [EMAIL] }, { now: new Date(NOW) });
  return r.operations.filter((o) => o.email === EMAIL).map((o) => `${o.kind}:${o.directoryUserId}`);
};
const hubPlanOf = async (store: MemoryStore) => (await planHub(store, hub, { now: new Date(NOW) })).operations.filter((o) => o.email === EMAIL).map((o) => `${o.kind}:${o.directoryUserId}`);

describe('a rehire: two directory users with one email, one of them active', () => {
  test('(a) deactivated first, removal queued, then the rehire created: the seat is removed as planned, then the rehire invited once', async () => {
    const store = await leaverThenRehire();
    assert.deepEqual(await matchOf(store), { outcome: 'onboarded', directoryUserId: 'u1', candidates: undefined, reason: REMOVAL_IN_FLIGHT });
    // The removal's re-plan before its call still asks for it; the rehire gets nothing yet (no invite, not the old seat).
    assert.deepEqual(await planOf(store, 'u1'), ['remove-member:u1']);
    assert.deepEqual(await planOf(store, 'u2'), ['remove-member:u1']);
    assert.deepEqual(await hubPlanOf(store), ['remove-member:u1']);
    assert.equal((await standingOfUser(store, h, 'u2', NOW)).standing, 'none');
    // The removal runs as a task: its outcome queues the rehire's re-plan, which invites them at
    // once, with no check for updates (before, the invite waited for the next one, daily).
    const app = await runTasks(store);
    assert.deepEqual(app.calls, ['remove m-a', 'invite a@x.com']);
    const audit = (await collect(store.list('audit', h))).find((a) => a.action === 'invite');
    assert.match(audit?.trigger.detail ?? '', /the seat m-a of directory user u1 \(a@x\.com\) was removed \(task .+\); directory user u2 is the one active with that email/);
    assert.equal((await store.get('memberMatches', h, 'invite:inv-1'))?.directoryUserId, 'u2');
    // A check for updates' re-plan of the hub (or of the rehire) after it plans no second invite.
    await store.transact((tx) => enqueueTask(tx, { hubId: h, kind: 'reconcile-hub', payload: {}, idempotencyKey: 'reconcile-hub', trigger: { type: 'schedule' }, summary: 're-plan the hub', now: new Date(NOW) }));
    await store.transact((tx) => enqueueTask(tx, { hubId: h, ...replanPerson({ directoryUserId: 'u2' }, trigger, 're-evaluate u2'), now: new Date(NOW) }));
    await runTasks(store, app);
    assert.deepEqual(app.calls, ['remove m-a', 'invite a@x.com'], 'exactly one invite');
    assert.deepEqual(await hubPlanOf(store), []);
  });

  test('(a) the rehire\'s invite, planned by a check for updates while the removal\'s re-plan is queued, is sent once', async () => {
    const store = await leaverThenRehire();
    // The removal is done and recorded, with the rehire's re-plan queued; a hub re-plan is queued too.
    const app: FakeApp = { calls: [] };
    const removal = (await collect(store.list('tasks', h))).find((t) => t.kind === 'remove-member')!;
    const ctx = { store, hub, connector: fakeConnector(app), log: silent, now: () => new Date(NOW), audit: () => {}, interrupted: false } as unknown as TaskContext;
    const outcome = await operationHandler('remove-member').run({ ...removal, status: 'running', attempts: 1 }, ctx);
    await store.transact(async (tx) => {
      await outcome.commit?.(tx);
      await updateTask(tx, removal, { status: 'completed' }, new Date(NOW));
    });
    assert.deepEqual(app.calls, ['remove m-a']);
    const replans = (await collect(store.list('tasks', h))).filter((t) => t.kind === 'reconcile-person');
    assert.deepEqual(replans.map((t) => [t.payload, t.trigger.type]), [[{ directoryUserId: 'u2' }, 'agent']]);
    await store.transact((tx) => enqueueTask(tx, { hubId: h, kind: 'reconcile-hub', payload: {}, idempotencyKey: 'reconcile-hub', trigger: { type: 'schedule' }, summary: 're-plan the hub', now: new Date(NOW) }));
    await runTasks(store, app);
    assert.deepEqual(app.calls, ['remove m-a', 'invite a@x.com'], 'exactly one invite');
    assert.equal((await collect(store.list('tasks', h))).filter((t) => t.kind === 'invite').length, 1);
  });

  test('no re-plan is queued when no one else active holds the email, or when the removal failed', async () => {
    const store = await hubStore();
    await store.transact((tx) => { tx.put('directoryUsers', h, 'u1', user('u1', false)); });
    await queueRemoval(store);
    await runTasks(store);
    assert.deepEqual((await collect(store.list('tasks', h))).filter((t) => t.kind === 'reconcile-person'), [], 'no rehire');
    const failing = await hubStore();
    await failing.transact((tx) => { tx.put('directoryUsers', h, 'u1', user('u1', false)); });
    await queueRemoval(failing);
    await failing.transact((tx) => { tx.put('directoryUsers', h, 'u2', user('u2')); });
    await groups(failing, ['u1', 'u2']);
    await rematch(failing);
    await runTasks(failing, { calls: [], fail: true });
    const tasks = await collect(failing.list('tasks', h));
    assert.equal(tasks.find((t) => t.kind === 'remove-member')?.status, 'failed');
    assert.deepEqual(tasks.filter((t) => t.kind === 'reconcile-person'), [], 'the seat is still the leaver\'s');
  });

  test('(b) the rehire created while the leaver is still active (disputed), then the leaver deactivated: the seat goes to the rehire, nothing removed', async () => {
    const store = await hubStore();
    await store.transact((tx) => { tx.put('directoryUsers', h, 'u2', user('u2')); });
    await groups(store, ['u1', 'u2']);
    await rematch(store);
    assert.deepEqual(await matchOf(store), { outcome: 'unmatched', directoryUserId: undefined, candidates: ['u1', 'u2'], reason: undefined });
    await store.transact((tx) => { tx.put('directoryUsers', h, 'u1', user('u1', false)); });
    assert.deepEqual(await planOf(store, 'u1'), []);
    await rematch(store);
    assert.deepEqual(await matchOf(store), { outcome: 'onboarded', directoryUserId: 'u2', candidates: undefined, reason: SOLE_ACTIVE });
    const audit = (await collect(store.list('audit', h))).filter((a) => a.action === 'member-match-changed');
    assert.match(audit.at(-1)!.why, /matched to directory user u2 \(matched by email; the other directory users with it are deactivated\), was disputed between directory users u1, u2/);
    // The rehire's seat now, governed by their groups (their team's asset), and removed by no one.
    assert.deepEqual(await planOf(store, 'u1'), ['assign-asset:u2']);
    assert.deepEqual(await planOf(store, 'u2'), ['assign-asset:u2']);
    assert.deepEqual(await hubPlanOf(store), ['assign-asset:u2']);
    assert.equal((await standingOfUser(store, h, 'u2', NOW)).standing, 'onboarded');
    // A forced removal for the leaver (an offboarding's) would not take the rehire's seat either.
    const forced: Operation = { kind: 'remove-member', key: 'remove:m-a', memberId: 'm-a', role: 'EMPLOYEE', effect: 'removal', reason: 'deactivated', email: EMAIL, directoryUserId: 'u1', summary: 'remove a@x.com' };
    assert.match(await heldByAnotherSinceQueued(store, h, forced) ?? '', /now belongs to a@x.com \(directory user u2/);
  });

  test('two or more active directory users with the email stay disputed (a deactivated third one aside); one left active takes it; an owner\'s hand match wins', async () => {
    const store = await hubStore();
    await store.transact((tx) => {
      tx.put('directoryUsers', h, 'u2', user('u2'));
      tx.put('directoryUsers', h, 'u3', user('u3', false));
    });
    await groups(store, ['u1', 'u2']);
    await rematch(store);
    assert.deepEqual((await matchOf(store)).candidates, ['u1', 'u2', 'u3']);
    assert.deepEqual(await hubPlanOf(store), []);
    await store.transact((tx) => { tx.put('directoryUsers', h, 'u1', user('u1', false)); });
    await rematch(store);
    assert.deepEqual(await matchOf(store), { outcome: 'onboarded', directoryUserId: 'u2', candidates: undefined, reason: SOLE_ACTIVE });
    // An owner says the seat is the deactivated u1's: that stands (and so the seat is removed as theirs).
    await store.transact((tx) => { tx.put('matchDecisions', h, 'm-a', { hubId: h, memberId: 'm-a', outcome: 'onboarded', manual: true, directoryUserId: 'u1', at: NOW }); });
    await rematch(store);
    const m = await store.get('memberMatches', h, 'm-a');
    assert.deepEqual([m?.outcome, m?.directoryUserId, m?.manual], ['onboarded', 'u1', true]);
    assert.deepEqual(await hubPlanOf(store), ['remove-member:u1']);
  });

  test('deleted variant: the leaver deleted with the removal queued, then the rehire created: still the leaver\'s seat until removed', async () => {
    const store = await hubStore();
    await store.transact((tx) => {
      tx.delete('directoryUsers', h, 'u1');
      tx.put('departedUsers', h, 'u1', { hubId: h, directoryUserId: 'u1', userName: EMAIL, emails: [EMAIL], at: NOW });
    });
    const op = await queueRemoval(store);
    assert.equal(op.reason, 'deleted');
    await store.transact((tx) => { tx.put('directoryUsers', h, 'u2', user('u2')); });
    await groups(store, ['u2']);
    await rematch(store);
    assert.deepEqual(await matchOf(store), { outcome: 'onboarded', directoryUserId: 'u1', candidates: undefined, reason: REMOVAL_IN_FLIGHT });
    assert.deepEqual(await planOf(store, 'u1'), ['remove-member:u1']);
    assert.deepEqual(await planOf(store, 'u2'), ['remove-member:u1']);
    assert.deepEqual(await hubPlanOf(store), ['remove-member:u1']);
    await removalDone(store);
    assert.deepEqual(await hubPlanOf(store), ['invite:u2']);
  });

  test('a leaver action\'s forced removal queued (offboarded, still active over SCIM), then the rehire created: the seat stays the leaver\'s and the removal runs', async () => {
    const store = await hubStore();
    await store.transact((tx) => { tx.put('directoryUsers', h, 'u1', { ...user('u1'), offboarded: { at: NOW, by: 'okta-workflows' } }); });
    const forced: Operation = { kind: 'remove-member', key: 'remove:m-a', memberId: 'm-a', role: 'EMPLOYEE', effect: 'removal', reason: 'deactivated', email: EMAIL, directoryUserId: 'u1', summary: 'remove a@x.com (EMPLOYEE) from the business: offboarded' };
    await store.transact((tx) => enqueueOperation(tx, { hub, op: forced, trigger: { type: 'okta-workflows' }, force: true, now: new Date(NOW) }));
    await store.transact((tx) => { tx.put('directoryUsers', h, 'u2', user('u2')); });
    await groups(store, ['u1', 'u2']);
    await rematch(store);
    assert.deepEqual(await matchOf(store), { outcome: 'onboarded', directoryUserId: 'u1', candidates: undefined, reason: REMOVAL_IN_FLIGHT });
    assert.equal(await heldByAnotherSinceQueued(store, h, forced), undefined);
    assert.deepEqual(await planOf(store, 'u2'), ['remove-member:u1']);
    // Once it ran, the rehire (the one active user with the email) is invited at once.
    assert.deepEqual((await runTasks(store)).calls, ['remove m-a', 'invite a@x.com']);
  });

  test('no removal in flight: the deactivated leaver\'s seat goes to the rehire (audited), and is not removed', async () => {
    const store = await hubStore();
    await store.transact((tx) => {
      tx.put('directoryUsers', h, 'u1', user('u1', false));
      tx.put('directoryUsers', h, 'u2', user('u2'));
    });
    await groups(store, ['u2']);
    await rematch(store);
    assert.deepEqual(await matchOf(store), { outcome: 'onboarded', directoryUserId: 'u2', candidates: undefined, reason: SOLE_ACTIVE });
    assert.deepEqual(await hubPlanOf(store), ['assign-asset:u2']);
  });
  // An exempted seat keeps who its person is (write-back says `exempted` on that directory user,
  // an offboarding holds the seat as another's): its passing from the leaver to the rehire is a
  // change of owner like any other, audited. It was skipped as "only an exemption changed".
  test('an exempted seat passing from the deactivated leaver to the rehire is audited', async () => {
    const store = await hubStore();
    await store.transact((tx) => {
      tx.put('exemptions', h, 'm-a', { hubId: h, memberId: 'm-a', reason: 'agency contract', by: 'owner@example.com', at: NOW });
      tx.put('memberMatches', h, 'm-a', { hubId: h, memberId: 'm-a', outcome: 'exempted', manual: true, directoryUserId: 'u1', at: NOW });
      tx.put('directoryUsers', h, 'u1', user('u1', false));
      tx.put('directoryUsers', h, 'u2', user('u2'));
    });
    await groups(store, ['u2']);
    await rematch(store);
    assert.deepEqual(await matchOf(store), { outcome: 'exempted', directoryUserId: 'u2', candidates: undefined, reason: SOLE_ACTIVE });
    const audit = (await collect(store.list('audit', h))).filter((a) => a.action === 'member-match-changed');
    assert.equal(audit.length, 1, JSON.stringify(audit.map((a) => a.why)));
    assert.match(audit[0]!.why, /a@x\.com: exempted \(directory user u2\), was exempted \(directory user u1\)/);
    assert.equal(audit[0]!.subject?.directoryUserId, 'u2');
    // Exempting or un-exempting the same person's seat is not a change of owner: audited by the exemption's own entries.
    await store.transact((tx) => tx.delete('exemptions', h, 'm-a'));
    await rematch(store);
    assert.equal((await collect(store.list('audit', h))).filter((a) => a.action === 'member-match-changed').length, 1);
  });
});
