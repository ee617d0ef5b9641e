/**
 * A person leaves and is rehired with the same email: the IdP deactivates (Okta: SCIM PATCH
 * `active` false, RFC 7643 §4.1.1) or deletes (Entra may, RFC 7644 §3.6) the first account, u1,
 * and creates a second, u2, with the same email. The hub, store and steps the rehire tests share
 * (matching's, agent/matching/rehire.test.ts, and My access's, scim-server/web/rehire-my-access.test.ts).
 */
import assert from 'node:assert/strict';
import { defineDirectoryIndexes, type DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { testHub, testUser } from '../grants/grant-fixtures.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { defineHeldIndexes } from '../safety/held-indexes.ts';
import { planPerson } from '../plan/plan-hub.ts';
import { defineStandingIndexes } from '../standing/standing.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { updateTask } from '../tasks/enqueue.ts';
import { ConnectorError } from '../../connectors/sdk/connector-error.ts';
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import { reconcileHubHandler, reconcilePersonHandler } from '../dispatch/reconcile.ts';
import { operationHandlers } from '../tasks/operations/operation-handler.ts';
import { TaskRunner } from '../tasks/task-runner.ts';
import { enqueueOperation } from '../tasks/operations/enqueue-operation.ts';
import type { Operation } from '../plan/operation.ts';
import { rematchHub } from './hub-matching.ts';

export const hub = testHub();
export const h = hub.id;
export const NOW = '2026-12-06T12:00:00.000Z';
export const EMAIL = 'a@x.com';
export const trigger = { type: 'scim' as const };

/** Created at NOW, when the tests queue the leaver's removal: a removal queued before (or as) the rehire's account came counts as in flight (removal-in-flight.ts). */
export const user = (id: string, active = true): DirectoryUserRecord => ({ ...testUser(id, EMAIL, active), created: NOW, lastModified: NOW, version: 2 });

/** The hub: an owner, and u1 (a@x.com, in Meta Advertisers) holding seat m-a (EMPLOYEE), matched to them. */
export async function hubStore(): Promise<MemoryStore> {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  defineHeldIndexes(store);
  defineStandingIndexes(store);
  await store.open();
  await store.transact((tx) => {
    tx.put('appImports', h, h, { hubId: h, id: h, complete: true, completedAt: NOW });
    tx.put('directoryUsers', h, 'u-owner', testUser('u-owner', 'owner@example.com'));
    tx.put('directoryUsers', h, 'u1', user('u1'));
    tx.put('appMembers', h, 'm-owner', { hubId: h, id: 'm-owner', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: NOW, lastSeenAt: NOW });
    tx.put('appMembers', h, 'm-a', { hubId: h, id: 'm-a', email: EMAIL, role: 'EMPLOYEE', firstSeenAt: NOW, lastSeenAt: NOW });
    tx.put('memberMatches', h, 'm-owner', { hubId: h, memberId: 'm-owner', outcome: 'onboarded', manual: false, directoryUserId: 'u-owner', at: NOW });
    tx.put('memberMatches', h, 'm-a', { hubId: h, memberId: 'm-a', outcome: 'onboarded', manual: false, directoryUserId: 'u1', at: NOW });
  });
  await groups(store, ['u1']);
  return store;
}

/** The mapped groups: the owner an admin, `advertisers` in Meta Advertisers. */
export async function groups(store: MemoryStore, advertisers: string[]): Promise<void> {
  await store.transact((tx) => {
    tx.put('directoryGroups', h, 'g-admins', { hubId: h, id: 'g-admins', displayName: 'Meta Admins', members: [{ value: 'u-owner' }], scim: {}, created: NOW, lastModified: NOW, version: 1 });
    tx.put('directoryGroups', h, 'g-adv', { hubId: h, id: 'g-adv', displayName: 'Meta Advertisers', members: advertisers.map((value) => ({ value })), scim: {}, created: NOW, lastModified: NOW, version: 1 });
  });
}

export const rematch = (store: MemoryStore) => store.transact((tx) => rematchHub(tx, h, NOW, { trigger }));

/** u1's removal of the seat, as their plan makes it, queued as the deprovisioning pass queues it. */
export async function queueRemoval(store: MemoryStore): Promise<Operation> {
  const r = await planPerson(store, hub, { directoryUserIds: ['u1'], emails: [EMAIL] }, { now: new Date(NOW) });
  const op = r.operations.find((o) => o.kind === 'remove-member' && o.memberId === 'm-a');
  assert.ok(op, 'the leaver\'s plan removes the seat');
  await store.transact((tx) => enqueueOperation(tx, { hub, op, trigger, now: new Date(NOW) }));
  return op;
}

/** The removal ran: the app no longer lists the seat (snapshot-update.ts), and its task ended. */
export async function removalDone(store: MemoryStore): Promise<void> {
  const task = (await collect(store.list('tasks', h))).find((t) => t.kind === 'remove-member');
  await store.transact(async (tx) => {
    tx.delete('appMembers', h, 'm-a');
    tx.delete('memberMatches', h, 'm-a');
    if (task) await updateTask(tx, task, { status: 'completed' }, new Date(NOW));
  });
}

/** The app, as the tasks call it: what was called, in order (`fail`: every removal refused). */
export interface FakeApp { calls: string[]; fail?: boolean }
export const silent = { debug() {}, info() {}, warn() {}, error() {} };

export const fakeConnector = (app: FakeApp) => ({
    id: 'fake',
    removeMember: async (id: string) => {
      if (app.fail) throw new ConnectorError('invalid-argument', 'refused', { notApplied: true });
      app.calls.push(`remove ${id}`);
      return 'done' as const;
    },
    invite: async (i: { email: string }) => { app.calls.push(`invite ${i.email}`); return { result: 'done' as const, inviteId: 'inv-1' }; },
  }) as unknown as HubConnector;

/** Runs the queued tasks until none is left to run. */
export async function runTasks(store: MemoryStore, app: FakeApp = { calls: [] }): Promise<FakeApp> {
  const handlers = [...operationHandlers, reconcilePersonHandler, reconcileHubHandler];
  const runner = new TaskRunner({ store, handlers, hubs: () => new Map([[h, hub]]), connectorFor: () => fakeConnector(app), log: silent, clock: () => Date.parse(NOW), backoffMaxMs: 0 });
  await runner.start();
  try {
    await runner.idle();
  } finally {
    await runner.stop();
  }
  return app;
}

/**
 * Order (a): u1 deactivated, their removal queued, then the rehire u2 created into the group;
 * matched. `deleted`: u1 deleted instead (its departed record keeps its email, RFC 7644 §3.6).
 */
export async function leaverThenRehire({ deleted = false } = {}): Promise<MemoryStore> {
  const store = await hubStore();
  await store.transact((tx) => {
    if (!deleted) return tx.put('directoryUsers', h, 'u1', user('u1', false));
    tx.delete('directoryUsers', h, 'u1');
    tx.put('departedUsers', h, 'u1', { hubId: h, directoryUserId: 'u1', userName: EMAIL, emails: [EMAIL], at: NOW });
  });
  await queueRemoval(store);
  await store.transact((tx) => { tx.put('directoryUsers', h, 'u2', user('u2')); });
  await groups(store, deleted ? ['u2'] : ['u1', 'u2']);
  await rematch(store);
  return store;
}
