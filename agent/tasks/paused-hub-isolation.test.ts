import type { HubConfigFile } from '../../config/schema.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import type { CollectionName, RecordOf } from '../store/collections.ts';
import { enqueueTask } from './enqueue.ts';
import { pauseHub, resumeHub } from './hub-state.ts';
import { TaskRunner } from './task-runner.ts';
import { until } from '../../test/agent-e2e/harness.ts';

const trigger = { type: 'admin' as const, actor: 'test' };
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A memory store that counts the task records read per hub (what the runner's pump reads). */
class CountingStore extends MemoryStore {
  readonly taskReads = new Map<string, number>();
  override async getMany<C extends CollectionName>(collection: C, partition: string, ids: readonly string[]): Promise<Array<Readonly<RecordOf<C>> | undefined>> {
    if (collection === 'tasks') this.taskReads.set(partition, (this.taskReads.get(partition) ?? 0) + ids.length);
    return super.getMany(collection, partition, ids);
  }
}

/**
 * Two hubs on one runner. Hub `a` is paused (its token was refused) with a backlog of queued
 * invites; hub `b` works on. A paused hub's tasks stay indexed (they run at the resume), and every
 * pass of the pump read the whole backlog's records again, a batch per claim-ahead room, only to
 * skip each one as paused: hub `b`'s every task started after a pass over hub `a`'s thousands of
 * records (on PostgreSQL a round trip per batch), for as long as the token stayed unfixed.
 */
test('a paused hub\'s queued backlog is not read again on every pass that runs another hub\'s tasks', async () => {
  const store = new CountingStore();
  const hubs = new Map([['a', { id: 'a' } as HubConfigFile], ['b', { id: 'b' } as HubConfigFile]]);
  const ran: string[] = [];
  const checks: string[] = [];
  const runner = new TaskRunner({
    store, hubs: () => hubs, connectorFor: () => undefined, log: silent, concurrencyPerHub: 4, backoffBaseMs: 5, backoffMaxMs: 20,
    handlers: [
      { kind: 'k', async run(task) { ran.push(`${task.hubId}:${(task.payload as { n: number }).n}`); return { status: 'completed' }; } },
      // The check for updates runs while its hub is paused (its success resumes it).
      { kind: 'check', runsWhilePaused: true, async run(task) { checks.push(task.hubId); return { status: 'completed' }; } },
    ],
  });
  const backlog = 3000;
  await store.transact(async (tx) => {
    await pauseHub(tx, 'a', 'the token was refused', 'unauthenticated', new Date());
    for (let n = 0; n < backlog; n++) await enqueueTask(tx, { hubId: 'a', kind: 'k', payload: { n }, idempotencyKey: `a-${n}`, trigger, summary: `a ${n}`, scope: 'app' });
  });
  await runner.start();
  // Hub b's tasks, one after another: each one's change wakes a pass of the pump.
  const passes = 20;
  for (let n = 0; n < passes; n++) {
    await store.transact((tx) => enqueueTask(tx, { hubId: 'b', kind: 'k', payload: { n }, idempotencyKey: `b-${n}`, trigger, summary: `b ${n}`, scope: 'app' }));
    await until(`hub b's task ${n} ran`, async () => ran.includes(`b:${n}`));
  }
  assert.equal(ran.filter((r) => r.startsWith('a:')).length, 0, 'nothing of the paused hub ran');
  const readOfA = store.taskReads.get('a') ?? 0;
  // One pass may read a claim-ahead batch before it learns the hub is paused; not the backlog per pass.
  assert.ok(readOfA <= 2 * 4 * 2 * 2, `the paused hub's task records read ${readOfA} times over ${passes} passes of hub b (backlog ${backlog})`);

  // A task that runs while paused is still found and run, and the backlog runs at the resume.
  await store.transact((tx) => enqueueTask(tx, { hubId: 'a', kind: 'check', payload: {}, idempotencyKey: 'check-a', trigger, summary: 'check a', scope: 'app' }));
  await until('hub a\'s check ran while it was paused', async () => checks.includes('a'));
  await store.transact((tx) => resumeHub(tx, 'a'));
  await until('hub a\'s backlog ran after the resume', async () => ran.filter((r) => r.startsWith('a:')).length === backlog, 20_000);
  await runner.stop();
});
