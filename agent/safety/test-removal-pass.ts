import type { HubConfigFile } from '../../config/schema.ts';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { completeImport, testGroup, testHub, testSeat, testUser } from '../grants/grant-fixtures.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { defineHeldIndexes } from './held-indexes.ts';
import { MemoryStore } from '../store/memory-store.ts';
import type { Store } from '../store/store.ts';
import type { TaskContext } from '../tasks/handler.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import { applyOutcome } from '../tasks/task-transitions.ts';
import { applyRemovalsHandler } from './apply-removals.ts';
import { parentsOf } from '../tasks/parent-tasks.ts';

/**
 * One apply-removals pass of `phase` at `now`, as the task runner makes it (enqueued under `key`,
 * run, its outcome recorded), so the removal-pass tests share one way to run a pass.
 */
export async function removalPass(store: Store, hub: HubConfigFile, phase: 'settle' | 'deprovision', key: string, now: Date): Promise<TaskRecord> {
  const task = await store.transact((tx) => enqueueTask(tx, { hubId: hub.id, kind: 'apply-removals', payload: { phase }, idempotencyKey: key, summary: 'apply removals', trigger: { type: 'scim' }, now }));
  const ctx = { store, hub, now: () => now, audit: () => {}, interrupted: false } as unknown as TaskContext;
  const outcome = await applyRemovalsHandler.run(task, ctx);
  return store.transact((tx) => applyOutcome(tx, { ...task, status: 'running', attempts: 1 }, outcome, now));
}

/** A memory store with the directory and person indexes a removal pass reads. */
export function removalStore(): MemoryStore {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  defineHeldIndexes(store);
  return store;
}

/** The brake tests' safety settings: 20 % of a hub's people in a 60-minute window. */
export const BRAKE_SAFETY = { removalThresholdPercent: 20, removalWindowMinutes: 60, confirmDeprovisioning: false, settleSeconds: 0 };

/**
 * `count` people invited (pending, sent by hubwarden) through "Meta Advertisers", active or already
 * deactivated in the directory, an owner in "Meta Admins" and one other member: `count + 2` people.
 */
export async function hubWithInvites(count: number, active: boolean, at: string) {
  const store = removalStore();
  const hub = testHub({ safety: BRAKE_SAFETY });
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u-admin', testUser('u-admin', 'owner@example.com'));
    const invited: string[] = [];
    for (let i = 0; i < count; i++) {
      tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`, active));
      invited.push(`u-${i}`);
      tx.put('appInvites', hub.id, `inv-${i}`, { hubId: hub.id, id: `inv-${i}`, email: `p${i}@example.com`, role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
    }
    tx.put('directoryGroups', hub.id, 'g1', testGroup('g1', 'Meta Advertisers', invited, at));
    tx.put('directoryGroups', hub.id, 'g2', testGroup('g2', 'Meta Admins', ['u-admin'], at));
    tx.put('appMembers', hub.id, 'm-admin', testSeat('m-admin', 'owner@example.com', 'ADMIN', at));
    tx.put('appMembers', hub.id, 'm-other', testSeat('m-other', 'other@example.com', 'EMPLOYEE', at));
    tx.put('appImports', hub.id, hub.id, completeImport(at));
  });
  return { store, hub };
}

/**
 * Oscar an active owner (u-oscar, seat m-oscar in "Meta Admins"), and each of `leavers` (nina,
 * jane) deactivated with an EMPLOYEE seat (m-nina, m-jane) in "Meta Advertisers"; the import
 * complete. A removal store with the task parent index (removalStore + `tasks.parent`).
 */
export async function leaversHub(hub: HubConfigFile, leavers: ReadonlyArray<'nina' | 'jane'>, at: string): Promise<MemoryStore> {
  const store = removalStore();
  store.defineIndex('tasks', 'tasks.parent', parentsOf);
  await store.transact(async (tx) => {
    tx.put('directoryUsers', hub.id, 'u-oscar', testUser('u-oscar', 'oscar@example.com'));
    tx.put('directoryGroups', hub.id, 'g-admins', testGroup('g-admins', 'Meta Admins', ['u-oscar'], at));
    tx.put('appMembers', hub.id, 'm-oscar', testSeat('m-oscar', 'oscar@example.com', 'ADMIN', at));
    for (const who of leavers) {
      tx.put('directoryUsers', hub.id, `u-${who}`, testUser(`u-${who}`, `${who}@example.com`, false));
      tx.put('appMembers', hub.id, `m-${who}`, testSeat(`m-${who}`, `${who}@example.com`, 'EMPLOYEE', at));
    }
    tx.put('directoryGroups', hub.id, 'g-ads', testGroup('g-ads', 'Meta Advertisers', leavers.map((w) => `u-${w}`), at));
    tx.put('appImports', hub.id, hub.id, completeImport(at));
  });
  return store;
}
