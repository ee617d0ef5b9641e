import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { testHub, testUser } from '../grants/grant-fixtures.ts';
import { recordDesiredChange } from '../outbox.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect, type Change, type Transaction } from '../store/store.ts';
import { Dispatcher } from './dispatcher.ts';
import { roundTrips } from '../store/round-trips.test-double.ts';
import type { TaskLog } from '../tasks/handler.ts';

const silent: TaskLog = { debug() {}, info() {}, warn() {}, error() {} };
const trigger = { type: 'scim' as const, idp: 'okta' };
const at = '2026-01-01T00:00:00Z';

function setup(connectorFor?: () => undefined, log = silent) {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  const hub = testHub();
  const dispatcher = new Dispatcher({ store, hubs: () => new Map([[hub.id, hub]]), log, windowMs: 50, connectorFor });
  const group = (id: string, displayName: string, members: string[]) =>
    ({ hubId: hub.id, id, displayName, members: members.map((value) => ({ value })), scim: {}, created: at, lastModified: at, version: 1 });
  return { store, hub, dispatcher, group };
}

test('outbox entries are planned at dispatch: the invites are queued in the transaction that deletes the entries, each person once, audited with the trigger', async () => {
  const { store, hub, dispatcher, group } = setup();
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u1', testUser('u1', 'jane@example.com'));
    tx.put('directoryUsers', hub.id, 'u2', testUser('u2', 'bob@example.com'));
    tx.put('directoryUsers', hub.id, 'u3', testUser('u3', 'eve@example.com'));
    tx.put('directoryGroups', hub.id, 'g2', group('g2', 'Meta Admins', ['u1', 'u2']));
    tx.put('directoryGroups', hub.id, 'g3', group('g3', 'Everyone', ['u3']));
    recordDesiredChange(tx, { hubId: hub.id, trigger, changes: [{ kind: 'group-members', groupId: 'g1', displayName: 'Meta Advertisers', added: [], removed: ['u1'] }] });
    recordDesiredChange(tx, { hubId: hub.id, trigger, changes: [{ kind: 'group-members', groupId: 'g2', displayName: 'Meta Admins', added: ['u1', 'u2'], removed: [] }] });
    recordDesiredChange(tx, { hubId: hub.id, trigger, changes: [{ kind: 'group-members', groupId: 'g3', displayName: 'Everyone', added: ['u3'], removed: [] }] });
    recordDesiredChange(tx, { hubId: 'unknown-hub', trigger, changes: [{ kind: 'user-created', userId: 'u9' }] });
  });
  await dispatcher.drain();
  assert.equal((await store.partitions('outbox')).length, 0, 'every entry consumed');
  const tasks = await collect(store.list('tasks', hub.id));
  assert.deepEqual(tasks.map((t) => `${t.kind} ${(t.payload as { op: { email: string; role: string } }).op.email} ${(t.payload as { op: { role: string } }).op.role}`).sort(),
    ['invite bob@example.com ADMIN', 'invite jane@example.com ADMIN'], 'Eve is in no mapped group; no reconcile task in between');
  assert.ok(tasks.every((t) => t.status === 'queued' && t.trigger.idp === 'okta'));
  const audit = await collect(store.list('audit', hub.id));
  assert.equal(audit.length, 3);
  assert.ok(audit.every((e) => e.action === 'desired-state-change' && /scim from okta/.test(e.why)));

  // Planned again (another change to Jane): the same queued invite, not a second one.
  await store.transact((tx) => recordDesiredChange(tx, { hubId: hub.id, trigger, changes: [{ kind: 'user-updated', userId: 'u1', attributes: ['title'] }] }));
  await dispatcher.drain();
  assert.equal(await store.count('tasks', hub.id), 2);
});

test('a group move dispatched as two halves never removes at once: the removal waits for the settle window', async () => {
  const { store, hub, dispatcher, group } = setup();
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u1', testUser('u1', 'jane@example.com'));
    tx.put('directoryGroups', hub.id, 'g2', group('g2', 'Meta Admins', []));
    tx.put('directoryGroups', hub.id, 'g1', group('g1', 'Meta Advertisers', []));
    tx.put('appMembers', hub.id, 'm-jane', { hubId: hub.id, id: 'm-jane', email: 'jane@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', hub.id, 'm-boss', { hubId: hub.id, id: 'm-boss', email: 'boss@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at }); // Jane is not the last admin
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
    recordDesiredChange(tx, { hubId: hub.id, trigger, changes: [{ kind: 'group-members', groupId: 'g2', displayName: 'Meta Admins', added: [], removed: ['u1'] }] });
  });
  await dispatcher.drain(); // the first half alone: Jane is in no group
  await store.transact((tx) => {
    tx.put('directoryGroups', hub.id, 'g1', group('g1', 'Meta Advertisers', ['u1']));
    recordDesiredChange(tx, { hubId: hub.id, trigger, changes: [{ kind: 'group-members', groupId: 'g1', displayName: 'Meta Advertisers', added: ['u1'], removed: [] }] });
  });
  await dispatcher.drain();
  const tasks = await collect(store.list('tasks', hub.id));
  assert.equal(tasks.filter((t) => t.kind === 'remove-member' || t.kind === 'change-member-role').length, 0, 'no removal or downgrade queued');
  const settle = tasks.filter((t) => t.kind === 'apply-removals');
  assert.equal(settle.length, 1);
  assert.equal(settle[0]!.status, 'waiting');
  assert.equal(settle[0]!.waitReason, 'settle');
});

test('people who cannot be planned at dispatch get reconcile tasks (retried like any task), the hub\'s problem is logged once, and the outbox moves on', async () => {
  const warnings: string[] = [];
  const { store, hub, dispatcher, group } = setup(() => { throw new Error('no access token configured'); }, { ...silent, warn: (m: string) => void warnings.push(m) });
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u1', testUser('u1', 'jane@example.com'));
    tx.put('directoryUsers', hub.id, 'u2', testUser('u2', 'bob@example.com'));
    tx.put('directoryGroups', hub.id, 'g1', group('g1', 'Meta Advertisers', ['u1', 'u2']));
    recordDesiredChange(tx, { hubId: hub.id, trigger, changes: [{ kind: 'group-members', groupId: 'g1', displayName: 'Meta Advertisers', added: ['u1', 'u2'], removed: [] }] });
  });
  await dispatcher.drain();
  assert.equal((await store.partitions('outbox')).length, 0);
  const tasks = await collect(store.list('tasks', hub.id));
  assert.deepEqual(tasks.map((t) => t.kind), ['reconcile-person', 'reconcile-person']);
  assert.deepEqual(tasks.map((t) => (t.payload as { directoryUserId: string }).directoryUserId).sort(), ['u1', 'u2']);
  assert.ok(tasks.every((t) => t.nextRunAt !== undefined), 'after the dispatch window');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /no access token configured/);
});

test('when planning at dispatch throws while staging its operations, nothing of it is written and the same entries become reconcile tasks', async () => {
  // A store whose transactions refuse to stage invite tasks: a stand-in for a bug in applyPlan.
  class RefusingInvites extends MemoryStore {
    override transact<R>(fn: (tx: Transaction) => R | Promise<R>): Promise<R> {
      return super.transact((tx) => fn({ ...tx, get: tx.get, list: tx.list, lookup: tx.lookup, count: tx.count, partitions: tx.partitions, delete: tx.delete,
        put: (c, p, id, r) => {
          if (c === 'tasks' && (r as { kind?: string }).kind === 'invite') throw new Error('cannot stage an invite');
          tx.put(c, p, id, r);
        } } as Transaction));
    }
  }
  const errors: string[] = [];
  const store = new RefusingInvites();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  const hub = testHub();
  const dispatcher = new Dispatcher({ store, hubs: () => new Map([[hub.id, hub]]), log: { ...silent, error: (m: string) => void errors.push(m) } });
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u1', testUser('u1', 'jane@example.com'));
    tx.put('directoryGroups', hub.id, 'g1', { hubId: hub.id, id: 'g1', displayName: 'Meta Advertisers', members: [{ value: 'u1' }], scim: {}, created: at, lastModified: at, version: 1 });
    recordDesiredChange(tx, { hubId: hub.id, trigger, changes: [{ kind: 'group-members', groupId: 'g1', displayName: 'Meta Advertisers', added: ['u1'], removed: [] }] });
  });
  await dispatcher.drain();
  assert.equal((await store.partitions('outbox')).length, 0, 'the entry was consumed');
  assert.deepEqual((await collect(store.list('tasks', hub.id))).map((t) => t.kind), ['reconcile-person']);
  assert.equal((await collect(store.list('audit', hub.id))).filter((e) => e.action === 'desired-state-change').length, 1, 'audited once, by the transaction that was written');
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /cannot stage an invite/);
});

test('an entry naming more people than one transaction plans is taken in slices, its progress kept on the entry; audited once when done', async () => {
  const { store, hub } = setup();
  const dispatcher = new Dispatcher({ store, hubs: () => new Map([[hub.id, hub]]), log: silent, peoplePerTransaction: 100 });
  const ids = Array.from({ length: 250 }, (_, i) => `u${i}`);
  await store.transact((tx) => {
    for (const id of ids) tx.put('directoryUsers', hub.id, id, testUser(id, `${id}@example.com`));
    tx.put('directoryGroups', hub.id, 'g1', { hubId: hub.id, id: 'g1', displayName: 'Meta Advertisers', members: ids.map((value) => ({ value })), scim: {}, created: at, lastModified: at, version: 1 });
    recordDesiredChange(tx, { hubId: hub.id, trigger, changes: [{ kind: 'group-members', groupId: 'g1', displayName: 'Meta Advertisers', added: ids, removed: [] }] });
  });
  const progress: Array<number | undefined> = [];
  store.subscribe((changes) => { for (const c of changes) if (c.collection === 'outbox') progress.push((c.record as { dispatchedPeople?: number } | undefined)?.dispatchedPeople ?? -1); });
  await dispatcher.drain();
  assert.deepEqual(progress, [100, 200, -1], 'two slices recorded on the entry, then it is deleted');
  assert.equal((await collect(store.list('tasks', hub.id))).filter((t) => t.kind === 'invite').length, 250);
  const audits = (await collect(store.list('audit', hub.id))).filter((e) => e.action === 'desired-state-change');
  assert.equal(audits.length, 1);
  assert.equal(audits[0]!.detail?.people, 250);
});

test('an outbox entry another replica committed (a remote change, without the record) wakes the dispatcher', async () => {
  const { store, hub, dispatcher, group } = setup();
  const listeners: Array<(changes: readonly Change[]) => void> = [];
  const subscribe = store.subscribe.bind(store);
  let muted = false;
  store.subscribe = (l) => { listeners.push(l); return subscribe((c) => { if (!muted) l(c); }); };
  dispatcher.start();
  await new Promise((r) => setTimeout(r, 20)); // its first drain (at start) found nothing
  muted = true; // as if another replica committed it: this process is told only that the outbox changed
  const entry = await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u1', testUser('u1', 'jane@example.com'));
    tx.put('directoryGroups', hub.id, 'g2', group('g2', 'Meta Admins', ['u1']));
    return recordDesiredChange(tx, { hubId: hub.id, trigger, changes: [{ kind: 'group-members', groupId: 'g2', displayName: 'Meta Admins', added: ['u1'], removed: [] }] })!;
  });
  muted = false;
  for (const l of listeners) l([{ collection: 'outbox', partition: hub.id, id: entry.id, record: undefined, remote: true }]);
  const end = Date.now() + 3_000;
  while ((await store.count('outbox', hub.id)) > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  await dispatcher.stop();
  assert.equal(await store.count('outbox', hub.id), 0, 'the entry was dispatched');
  assert.deepEqual((await collect(store.list('tasks', hub.id))).map((t) => t.kind), ['invite']);
});

test('on a store shared by replicas, an outbox entry whose notification never came is dispatched by the poll', async (t) => {
  // A MemoryStore that says it is shared; `quiet` commits without telling the listeners (a
  // notification lost while another replica's feed reconnected).
  class QuietSharedStore extends MemoryStore {
    readonly shared = true;
    quiet = false;
    override subscribe(listener: (changes: readonly Change[]) => void): () => void {
      return super.subscribe((changes) => { if (!this.quiet) listener(changes); });
    }
  }
  const store = new QuietSharedStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  const hub = testHub();
  const dispatcher = new Dispatcher({ store, hubs: () => new Map([[hub.id, hub]]), log: silent, pollMs: 50 });
  dispatcher.start();
  t.after(() => dispatcher.stop());
  await new Promise((r) => setTimeout(r, 20));
  store.quiet = true;
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u1', testUser('u1', 'jane@example.com'));
    recordDesiredChange(tx, { hubId: hub.id, trigger, changes: [{ kind: 'user-created', userId: 'u1' }] });
  });
  store.quiet = false;
  const end = Date.now() + 2_000;
  while ((await store.partitions('outbox')).length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(await store.partitions('outbox'), [], 'the poll found and dispatched the entry');
});

test('a pushed person\'s invite is queued in few round trips: the plan is made while the outbox entry is read again', async () => {
  const { store: memory, hub, group } = setup();
  await memory.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u1', testUser('u1', 'jane@example.com'));
    tx.put('directoryGroups', hub.id, 'g1', group('g1', 'Meta Advertisers', ['u1']));
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
    recordDesiredChange(tx, { hubId: hub.id, trigger, changes: [{ kind: 'group-members', groupId: 'g1', displayName: 'Meta Advertisers', added: ['u1'], removed: [] }] });
  });
  const { store, count } = roundTrips(memory);
  const dispatcher = new Dispatcher({ store, hubs: () => new Map([[hub.id, hub]]), log: silent, windowMs: 50 });
  await dispatcher.drain();
  const tasks = await collect(memory.list('tasks', hub.id));
  assert.deepEqual(tasks.map((t) => `${t.kind} ${(t.payload as { op: { email: string } }).op.email}`), ['invite jane@example.com']);
  // Listing the outbox, its entry read again while the person is planned, their emails, the
  // task keys, and the listing that finds nothing more. One read after another, it was twelve.
  assert.equal(count(), 5);
});
