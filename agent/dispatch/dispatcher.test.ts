import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testHub } from '../grants/grant-fixtures.ts';
import { recordDesiredChange } from '../outbox.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { Dispatcher } from './dispatcher.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

test('outbox entries become one reconcile per person (a group move is one), deleted in the same transaction, audited with the trigger', async () => {
  const store = new MemoryStore();
  const hub = testHub();
  const dispatcher = new Dispatcher({ store, hubs: () => new Map([[hub.id, hub]]), log: silent, windowMs: 50 });
  const trigger = { type: 'scim' as const, idp: 'okta' };
  await store.transact((tx) => {
    recordDesiredChange(tx, { hubId: hub.id, trigger, changes: [{ kind: 'group-members', groupId: 'g1', displayName: 'Meta Advertisers', added: [], removed: ['u1'] }] });
    recordDesiredChange(tx, { hubId: hub.id, trigger, changes: [{ kind: 'group-members', groupId: 'g2', displayName: 'Meta Admins', added: ['u1', 'u2'], removed: [] }] });
    recordDesiredChange(tx, { hubId: hub.id, trigger, changes: [{ kind: 'group-members', groupId: 'g3', displayName: 'Everyone', added: ['u3'], removed: [] }] });
    recordDesiredChange(tx, { hubId: 'unknown-hub', trigger, changes: [{ kind: 'user-created', userId: 'u9' }] });
  });
  await dispatcher.drain();
  assert.equal(store.partitions('outbox').length, 0, 'every entry consumed');
  const tasks = [...store.list('tasks', hub.id)];
  assert.deepEqual(tasks.map((t) => (t.payload as { directoryUserId: string }).directoryUserId).sort(), ['u1', 'u2']);
  assert.ok(tasks.every((t) => t.kind === 'reconcile-person' && t.nextRunAt !== undefined && t.trigger.idp === 'okta'));
  const audit = [...store.list('audit', hub.id)];
  assert.equal(audit.length, 3);
  assert.ok(audit.every((e) => e.action === 'desired-state-change' && /scim from okta/.test(e.why)));

  // A change arriving while the person's reconcile is still queued joins it.
  await store.transact((tx) => recordDesiredChange(tx, { hubId: hub.id, trigger, changes: [{ kind: 'user-updated', userId: 'u1', attributes: ['title'] }] }));
  await dispatcher.drain();
  assert.equal(store.count('tasks', hub.id), 2);
});
