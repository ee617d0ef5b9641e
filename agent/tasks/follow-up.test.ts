import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replanPerson } from '../dispatch/replan-person.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { recordAttempt, type Claimant } from './attempt.ts';
import { ClaimBatch } from './claim-batch.ts';
import { enqueueTask } from './enqueue.ts';
import type { TaskRecord } from './task-record.ts';

/**
 * A task's `followUp` (a change that met it while it ran: enqueue-operation.ts) is durable on
 * the task: it survives an attempt that ends in a retry and a runner that dies mid-attempt (its
 * lease lapses and another replica takes the task), and is queued once, when the task ends.
 */
const trigger = { type: 'scim' as const, idp: 'entra' };

test('a follow-up survives a retry and a lapsed lease, and is queued once when the task ends', async () => {
  const store = new MemoryStore();
  let now = Date.parse('2026-12-03T12:00:00Z');
  const clock = () => now;
  const a: Claimant = { owner: 'replica-a', clock, leaseMs: 30_000, exclusive: false };
  const b: Claimant = { owner: 'replica-b', clock, leaseMs: 30_000, exclusive: false };
  const reconciles = async () => (await collect(store.list('tasks', 'h1'))).filter((t) => t.kind === 'reconcile-person');
  const task = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'invite', payload: {}, idempotencyKey: 'op:invite:sam@example.com', trigger, summary: 'invite sam', now: new Date(now) }));

  // Replica A takes it; while it runs, a change leaves the follow-up on it.
  const first = (await new ClaimBatch(store, a).claim(task))!;
  const followUp = replanPerson({ directoryUserId: 'u-sam', emails: ['sam@example.com'] }, trigger, 're-evaluate sam');
  await store.transact(async (tx) => tx.put('tasks', 'h1', task.id, { ...(await tx.get('tasks', 'h1', task.id))!, followUp }));

  // The attempt ends in a retry: not ended, so nothing is queued yet and the follow-up stays.
  await recordAttempt(store, a, { task: first.task, outcome: { status: 'error', decision: { action: 'backoff', delayMs: 1_000, kind: 'unavailable', message: 'HTTP 503', log: 'warn' } }, audits: [] });
  assert.deepEqual(await reconciles(), []);
  assert.deepEqual((await store.get('tasks', 'h1', task.id))?.followUp, followUp);

  // Replica A takes it again and dies (kill -9: no outcome); its lease lapses and B takes it.
  now += 1_000;
  const second = (await new ClaimBatch(store, a).claim((await store.get('tasks', 'h1', task.id))!))!;
  now += 31_000;
  const third = (await new ClaimBatch(store, b).claim((await store.get('tasks', 'h1', second.task.id))!))!;
  assert.equal(third.interrupted, true);
  assert.deepEqual(third.task.followUp, followUp, 'the lease taken over keeps it');

  // B's attempt completes: the re-plan is queued in that transaction, once.
  await recordAttempt(store, b, { task: third.task, outcome: { status: 'completed', result: {} }, audits: [] });
  const queued: TaskRecord[] = await reconciles();
  assert.equal(queued.length, 1);
  assert.deepEqual(queued[0]!.payload, { directoryUserId: 'u-sam', emails: ['sam@example.com'] });
  assert.equal(queued[0]!.idempotencyKey, 'reconcile:u-sam');
  assert.equal((await store.get('tasks', 'h1', task.id))?.status, 'completed');
});
