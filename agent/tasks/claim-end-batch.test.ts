import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultyFiles } from '../store/faulty-files.test-double.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import { isStoreUnavailable } from '../store/store-unavailable.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { until } from '../../test/agent-e2e/harness.ts';
import type { Transaction } from '../store/store.ts';
import type { Claimant } from './attempt.ts';
import { ClaimBatch } from './claim-batch.ts';
import { EndBatch } from './end-batch.ts';
import { enqueueTask } from './enqueue.ts';
import type { TaskRecord } from './task-record.ts';

/** Claims and attempt ends taken together per loop iteration (claim-batch.ts, end-batch.ts). */
const trigger = { type: 'admin' as const, actor: 'test' };
const claimant: Claimant = { owner: 'runner-a', clock: Date.now, leaseMs: 60_000, exclusive: true };

/** A MemoryStore that counts its transactions (each a commit on the durable stores). */
function countingStore(): { store: MemoryStore; transactions: () => number } {
  const store = new MemoryStore();
  let n = 0;
  const transact = store.transact.bind(store);
  store.transact = ((fn: (tx: Transaction) => unknown) => {
    n++;
    return transact(fn);
  }) as typeof store.transact;
  return { store, transactions: () => n };
}

async function queued(store: MemoryStore, n: number): Promise<TaskRecord[]> {
  return store.transact(async (tx) => {
    const out: TaskRecord[] = [];
    for (let i = 0; i < n; i++) out.push(await enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: i, idempotencyKey: `k${i}`, trigger, summary: `task ${i}` }));
    return out;
  });
}

describe('ClaimBatch', () => {
  test('claims asked for in one loop iteration are one transaction; a task asked for twice is claimed once', async () => {
    const { store, transactions } = countingStore();
    const tasks = await queued(store, 5);
    const before = transactions();
    const claims = new ClaimBatch(store, claimant);
    const got = await Promise.all([...tasks.map((t) => claims.claim(t)), claims.claim(tasks[0]!)]);
    assert.equal(transactions() - before, 1);
    assert.deepEqual(got.slice(0, 5).map((c) => c?.task.status), ['running', 'running', 'running', 'running', 'running']);
    assert.equal(got[5], undefined, 'the second ask for the same task is not a second claim');
    for (const t of tasks) {
      const stored = (await store.get('tasks', 'h1', t.id))!;
      assert.equal(stored.lease?.owner, 'runner-a');
      assert.equal(stored.attempts, 1);
    }
    // Already running under our lease: not claimable again.
    assert.equal(await claims.claim(tasks[1]!), undefined);
  });

  test('a transaction that fails fails every claim in it, and none is taken', async () => {
    const store = new MemoryStore();
    const tasks = await queued(store, 3);
    const failing = Object.create(store) as MemoryStore;
    failing.transact = (() => Promise.reject(new Error('injected: the store refused the commit'))) as typeof store.transact;
    const claims = new ClaimBatch(failing, claimant);
    const got = await Promise.allSettled(tasks.map((t) => claims.claim(t)));
    for (const r of got) assert.match(String((r as PromiseRejectedResult).reason), /injected/);
    for (const t of tasks) assert.equal((await store.get('tasks', 'h1', t.id))!.status, 'queued');
  });
});

describe('EndBatch', () => {
  test('ends reported in one loop iteration are one transaction; one whose commit throws fails alone', async () => {
    const { store, transactions } = countingStore();
    const tasks = await queued(store, 4);
    const claims = new ClaimBatch(store, claimant);
    const running = (await Promise.all(tasks.map((t) => claims.claim(t)))).map((c) => c!.task);
    const ends = new EndBatch(store, claimant);
    let before = transactions();
    await Promise.all(running.slice(0, 2).map((task) => ends.end({ task, outcome: { status: 'completed', result: { ok: task.payload } }, audits: [] })));
    assert.equal(transactions() - before, 1, 'two ends, one commit');
    for (const t of running.slice(0, 2)) assert.equal((await store.get('tasks', 'h1', t.id))!.status, 'completed');

    before = transactions();
    const [bad, good] = await Promise.allSettled([
      ends.end({ task: running[2]!, outcome: { status: 'completed', commit: () => { throw new Error('injected: this handler\'s commit failed'); } }, audits: [] }),
      ends.end({ task: running[3]!, outcome: { status: 'completed', commit: (tx) => tx.put('heldNotes', 'h1', 'note', { key: 'note', at: 'now' }) }, audits: [] }),
    ]);
    assert.match(String((bad as PromiseRejectedResult).reason), /injected/);
    assert.equal(good.status, 'fulfilled');
    // The batch rolled back whole, then each was recorded on its own: the good one landed once.
    assert.equal((await store.get('tasks', 'h1', running[3]!.id))!.status, 'completed');
    assert.ok(await store.get('heldNotes', 'h1', 'note'));
    assert.equal((await store.get('tasks', 'h1', running[2]!.id))!.status, 'running', 'the failed end wrote nothing');
    assert.equal(transactions() - before, 3, 'the batch, then each on its own');
  });
});

describe('ClaimBatch and EndBatch on a full disk (lowdb)', () => {
  test('claims and ends refused by ENOSPC reject with StoreUnavailable and write nothing; after the disk recovers they land', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-batch-enospc-'));
    const files = new FaultyFiles();
    const store = new LowdbStore(join(dir, 'store.json'), { files, probeMs: 50 });
    await store.open();
    t.after(async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    });
    const tasks = await store.transact(async (tx) => [
      await enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: 0, idempotencyKey: 'k0', trigger, summary: 'task 0' }),
      await enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: 1, idempotencyKey: 'k1', trigger, summary: 'task 1' }),
    ]);
    const claims = new ClaimBatch(store, claimant);
    const ends = new EndBatch(store, claimant);
    const recovered = async () => {
      files.heal();
      await until('the store healthy again (its probe retried)', () => store.healthy());
      assert.ok(store.healthy());
    };

    files.inject({ op: 'write', code: 'ENOSPC', path: '.journal', afterBytes: 10 });
    const refusedClaims = await Promise.allSettled(tasks.map((task) => claims.claim(task)));
    for (const r of refusedClaims) assert.ok(isStoreUnavailable((r as PromiseRejectedResult).reason), String((r as PromiseRejectedResult).reason));
    for (const task of tasks) assert.equal((await store.get('tasks', 'h1', task.id))!.status, 'queued', 'no lease was taken');

    await recovered();
    const running = (await Promise.all(tasks.map((task) => claims.claim(task)))).map((c) => c!.task);
    files.inject({ op: 'write', code: 'ENOSPC', path: '.journal', afterBytes: 10 });
    const refusedEnds = await Promise.allSettled(running.map((task) => ends.end({ task, outcome: { status: 'completed' }, audits: [] })));
    for (const r of refusedEnds) assert.ok(isStoreUnavailable((r as PromiseRejectedResult).reason), String((r as PromiseRejectedResult).reason));
    for (const task of running) assert.equal((await store.get('tasks', 'h1', task.id))!.status, 'running', 'no outcome was recorded');

    await recovered();
    await Promise.all(running.map((task) => ends.end({ task, outcome: { status: 'completed' }, audits: [] })));
    for (const task of running) assert.equal((await store.get('tasks', 'h1', task.id))!.status, 'completed');
  });
});
