import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineDirectoryIndexes } from '../../desired-state/directory-records.ts';
import { reconcilePersonHandler } from '../../dispatch/reconcile.ts';
import { replanPerson } from '../../dispatch/replan-person.ts';
import { testHub, testUser } from '../../grants/grant-fixtures.ts';
import { definePersonIndexes } from '../../plan/person-input.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { collect } from '../../store/store.ts';
import { enqueueTask } from '../enqueue.ts';
import type { TaskHandler } from '../handler.ts';
import { TaskRunner } from '../task-runner.ts';
import { defineRunningIndex, followRunning, runningFor } from './running-for-person.ts';

const trigger = { type: 'scim' as const, idp: 'okta' };
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const hub = testHub();
const at = '2026-12-03T12:00:00.000Z';
const removeLee = { kind: 'remove-member', key: 'remove:m-lee', memberId: 'm-lee', role: 'FINANCE_ANALYST', email: 'lee@example.com', directoryUserId: 'u-lee', summary: 'remove lee', effect: 'removal', reason: 'unassigned' };

/** Lee in Finance (FINANCE_ANALYST, no assets) and seated as such: a plan of Lee asks for nothing. */
function seatedLee(): MemoryStore {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  defineRunningIndex(store);
  void store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u-lee', testUser('u-lee', 'lee@example.com'));
    tx.put('directoryGroups', hub.id, 'g-fin', { hubId: hub.id, id: 'g-fin', displayName: 'Finance', members: [{ value: 'u-lee' }], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appMembers', hub.id, 'm-lee', { hubId: hub.id, id: 'm-lee', email: 'lee@example.com', role: 'FINANCE_ANALYST', firstSeenAt: at, lastSeenAt: at });
  });
  return store;
}

const queue = (store: MemoryStore, kind: string, payload: unknown, key: string) =>
  store.transact((tx) => enqueueTask(tx, { hubId: hub.id, kind, payload, idempotencyKey: key, trigger, summary: `${kind} lee`, now: new Date(at) }));

test('the index files an operation task under its person while it runs, and only then', async () => {
  const store = seatedLee();
  const task = await queue(store, 'remove-member', { op: removeLee }, 'op:remove:m-lee');
  await queue(store, 'check-for-updates', {}, 'check');
  assert.deepEqual(await runningFor(store, hub.id, 'u-lee'), [], 'queued: not running');
  await store.transact(async (tx) => tx.put('tasks', hub.id, task.id, { ...(await tx.get('tasks', hub.id, task.id))!, status: 'running' }));
  assert.deepEqual((await runningFor(store, hub.id, 'u-lee')).map((t) => t.id), [task.id]);
  assert.deepEqual(await runningFor(store, 'other-hub', 'u-lee'), [], 'per hub');
  await store.transact(async (tx) => tx.put('tasks', hub.id, task.id, { ...(await tx.get('tasks', hub.id, task.id))!, status: 'completed' }));
  assert.deepEqual(await runningFor(store, hub.id, 'u-lee'), [], 'ended: no longer filed');
});

test('followRunning marks a task still running once, and re-plans the person now for one that ended since it was found', async () => {
  const store = seatedLee();
  const a = await queue(store, 'remove-member', { op: removeLee }, 'op:remove:m-lee');
  const b = await queue(store, 'unassign-asset', { op: { ...removeLee, key: 'unassign:m-lee:act_1' } }, 'op:unassign:m-lee:act_1');
  const earlier = replanPerson({ directoryUserId: 'u-lee' }, trigger, 'an earlier mark');
  await store.transact(async (tx) => {
    tx.put('tasks', hub.id, a.id, { ...a, status: 'running' });
    tx.put('tasks', hub.id, b.id, { ...b, status: 'running', followUp: earlier });
  });
  const found = await runningFor(store, hub.id, 'u-lee');
  assert.equal(found.length, 2);
  await store.transact((tx) => followRunning(tx, { hubId: hub.id, directoryUserId: 'u-lee', running: found, trigger, now: new Date(at) }));
  assert.deepEqual((await store.get('tasks', hub.id, a.id))?.followUp?.payload, { directoryUserId: 'u-lee' });
  assert.equal((await store.get('tasks', hub.id, b.id))?.followUp?.summary, 'an earlier mark', 'a mark already there is kept');
  const reconciles = async () => (await collect(store.list('tasks', hub.id))).filter((t) => t.kind === 'reconcile-person');
  assert.deepEqual(await reconciles(), [], 'nothing queued while they run');

  // One of them ends between the look-up and the transaction: its outcome may postdate the plan.
  await store.transact(async (tx) => tx.put('tasks', hub.id, a.id, { ...(await tx.get('tasks', hub.id, a.id))!, status: 'completed' }));
  await store.transact((tx) => followRunning(tx, { hubId: hub.id, directoryUserId: 'u-lee', running: found, trigger, now: new Date(at) }));
  const queued = await reconciles();
  assert.equal(queued.length, 1);
  assert.deepEqual(queued[0]!.payload, { directoryUserId: 'u-lee' });
});

test('a reconcile-person that plans nothing while a removal call is in flight leaves a re-plan that invites the person after it', async () => {
  const store = seatedLee();
  let release!: () => void;
  const inFlight = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const calling = new Promise<void>((r) => (started = r));
  // The removal's call, held open; its outcome records the seat gone, as recordInSnapshot does.
  const removal: TaskHandler = {
    kind: 'remove-member',
    async run() {
      started();
      await inFlight;
      return { status: 'completed', commit: (tx) => tx.delete('appMembers', hub.id, 'm-lee') };
    },
  };
  const parkedInvite: TaskHandler = { kind: 'invite', async run() { return { status: 'waiting', reason: 'parked', until: '2999-01-01T00:00:00.000Z' }; } };
  const runner = new TaskRunner({ store, handlers: [removal, reconcilePersonHandler, parkedInvite], hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, log: silent });
  await runner.start();
  try {
    await queue(store, 'remove-member', { op: removeLee }, 'op:remove:m-lee');
    await calling;
    // Lee is re-added (still in Finance here): the plan still sees the seat, so it asks for nothing.
    await store.transact((tx) => enqueueTask(tx, { hubId: hub.id, ...replanPerson({ directoryUserId: 'u-lee' }, trigger, 're-evaluate lee'), now: new Date(at) }));
    await waitFor(async () => (await collect(store.list('tasks', hub.id))).some((t) => t.kind === 'reconcile-person' && t.status === 'completed'));
    assert.equal((await collect(store.list('tasks', hub.id))).filter((t) => t.kind === 'invite').length, 0, 'no invite while the seat is on record');
    release();
    await runner.idle();
  } finally {
    release();
    await runner.stop();
  }
  const invites = (await collect(store.list('tasks', hub.id))).filter((t) => t.kind === 'invite');
  assert.equal(invites.length, 1, 'the re-plan after the removal invites Lee');
  assert.equal((invites[0]!.payload as { op: { role: string } }).op.role, 'FINANCE_ANALYST');
});

test('a removal recorded between a reconcile-person\'s read of the seat and its commit: the person is re-planned after it, not folded into the finishing task', async () => {
  const store = seatedLee();
  let release!: () => void;
  const inFlight = new Promise<void>((r) => (release = r));
  const removal: TaskHandler = {
    kind: 'remove-member',
    async run() {
      await inFlight;
      return { status: 'completed', commit: (tx) => tx.delete('appMembers', hub.id, 'm-lee') };
    },
  };
  const parkedInvite: TaskHandler = { kind: 'invite', async run() { return { status: 'waiting', reason: 'parked', until: '2999-01-01T00:00:00.000Z' }; } };
  const runner = new TaskRunner({ store, handlers: [removal, reconcilePersonHandler, parkedInvite], hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, log: silent });
  // The re-plan reads Lee's seat by email; right after that read the removal ends and is recorded,
  // before the re-plan commits: its plan (nothing to do) is stale by then.
  let armed = false;
  const lookup = store.lookup.bind(store);
  store.lookup = (async (collection: string, index: string, value: string) => {
    const rows = await lookup(collection as 'appMembers', index, value);
    if (armed && index === 'appMembers.email') {
      armed = false;
      release();
      await waitFor(async () => (await store.get('appMembers', hub.id, 'm-lee')) === undefined);
    }
    return rows;
  }) as typeof store.lookup;
  await runner.start();
  try {
    const remove = await queue(store, 'remove-member', { op: removeLee }, 'op:remove:m-lee');
    await waitFor(async () => (await store.get('tasks', hub.id, remove.id))?.status === 'running');
    armed = true;
    await store.transact((tx) => enqueueTask(tx, { hubId: hub.id, ...replanPerson({ directoryUserId: 'u-lee' }, trigger, 're-evaluate lee'), now: new Date(at) }));
    await waitFor(async () => (await collect(store.list('tasks', hub.id))).some((t) => t.kind === 'invite'));
    await runner.idle();
  } finally {
    release();
    await runner.stop();
  }
  const tasks = await collect(store.list('tasks', hub.id));
  assert.equal(armed, false, 'the removal ended between the read and the commit');
  const reconciles = tasks.filter((t) => t.kind === 'reconcile-person');
  assert.deepEqual(reconciles.map((t) => [t.idempotencyKey.replace(/:after:.*/, ':after:…'), t.status]), [['reconcile:u-lee', 'completed'], ['reconcile:u-lee:after:…', 'completed']], 'the first plan was stale; a second re-planned');
  assert.equal(tasks.filter((t) => t.kind === 'invite').length, 1, 'Lee is invited after the removal');
});

async function waitFor(probe: () => Promise<boolean>): Promise<void> {
  for (let n = 0; n < 500; n++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('timed out');
}
