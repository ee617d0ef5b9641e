import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { CutOffStore } from '../store/cut-off-store.test-double.ts';
import { keepLease, takeLease, type Claimant } from './attempt.ts';
import { enqueueTask } from './enqueue.ts';
import { TaskRunner } from './task-runner.ts';
import type { TaskRecord } from './task-record.ts';

/**
 * A lease whose renewals the store does not take (this replica cut off from PostgreSQL while its
 * handler still reaches the app) lapses, and another replica may then take the task and call the
 * app for it. The attempt holding the lapsed lease must stop by then, not call on beside the new
 * one until a renewal lands (which, cut off, may be never).
 */
const trigger = { type: 'admin' as const, actor: 'test' };

async function claimed(store: CutOffStore, c: Claimant): Promise<TaskRecord> {
  return store.transact(async (tx) => {
    const q = await enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'k1', trigger, summary: 'k', scope: 'app' });
    const t = takeLease(q, c);
    tx.put('tasks', 'h1', t.id, t);
    return t;
  });
}

test('an attempt whose lease lapsed unrenewed (the store refused every renewal) is stopped when it lapses', async () => {
  const store = new CutOffStore();
  const c: Claimant = { owner: 'replica-a', clock: Date.now, leaseMs: 200, exclusive: false };
  const task = await claimed(store, c);
  store.refuse = true;
  let lostAt: number | undefined;
  const renew = keepLease(store, task, c, () => undefined, () => (lostAt ??= Date.now()));
  try {
    const until = Date.parse(task.lease!.until);
    await new Promise((r) => setTimeout(r, 900));
    assert.ok(lostAt !== undefined, 'the attempt went on calling after its lease lapsed, while another replica may hold the task');
    assert.ok(lostAt >= until - 5, `stopped ${until - lostAt} ms before its lease lapsed`);
    // Generous: a loaded CI machine may run the timer late; the point is it stops, near the lapse.
    assert.ok(lostAt <= until + 400, `stopped ${lostAt - until} ms after its lease lapsed`);
  } finally {
    renew.stop();
  }
});

test('an attempt whose renewals land keeps its lease for as long as it runs', async () => {
  const store = new CutOffStore();
  const c: Claimant = { owner: 'replica-a', clock: Date.now, leaseMs: 400, exclusive: false };
  const task = await claimed(store, c);
  let lost = false;
  const renew = keepLease(store, task, c, () => undefined, () => (lost = true));
  try {
    await new Promise((r) => setTimeout(r, 1_200)); // three lease lengths
    assert.equal(lost, false);
    const now = await store.get('tasks', 'h1', task.id);
    assert.ok(Date.parse(now!.lease!.until) > Date.now(), 'renewed');
  } finally {
    renew.stop();
  }
});

test('a renewal that fails once, then lands, keeps the attempt', async () => {
  const store = new CutOffStore();
  const c: Claimant = { owner: 'replica-a', clock: Date.now, leaseMs: 600, exclusive: false };
  const task = await claimed(store, c);
  let lost = false;
  const renew = keepLease(store, task, c, () => undefined, () => (lost = true));
  try {
    store.refuse = true;
    await new Promise((r) => setTimeout(r, 280)); // the first renewal (at 200 ms) is refused
    store.refuse = false;
    await new Promise((r) => setTimeout(r, 1_200));
    assert.equal(lost, false);
  } finally {
    renew.stop();
  }
});

test('a claimed task whose lease is lost while it waits for a call permit never starts its handler', async () => {
  // Claims run ahead of the call permits (runner-defaults.ts CLAIM_AHEAD): a task may hold its
  // lease while another task of the hub holds the one permit. Its lease is renewed meanwhile; a
  // renewal that finds it taken (another replica took it after a lapse, or it was cancelled)
  // aborts the attempt, and the handler must then not start (with an aborted signal it could
  // still call the app beside the new owner).
  const store = new MemoryStore();
  const started: string[] = [];
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((r) => (releaseFirst = r));
  const handler = {
    kind: 'call',
    async run(t: TaskRecord) {
      started.push(t.idempotencyKey);
      if (t.idempotencyKey === 'first') await firstHeld;
      return { status: 'completed' as const };
    },
  };
  const warnings: string[] = [];
  const log = { debug() {}, info() {}, warn: (m: string) => void warnings.push(m), error() {} };
  const runner = new TaskRunner({ store, handlers: [handler], hubs: () => new Map(), connectorFor: () => undefined, log, concurrencyPerHub: 1, leaseMs: 90 });
  await runner.start();
  try {
    await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'call', payload: {}, idempotencyKey: 'first', trigger, summary: 'first', scope: 'app' }));
    const second = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'call', payload: {}, idempotencyKey: 'second', trigger, summary: 'second', scope: 'app' }));
    const end = Date.now() + 3_000;
    while ((await store.get('tasks', 'h1', second.id))?.status !== 'running') {
      if (Date.now() > end) throw new Error('the second task was never claimed');
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.deepEqual(started, ['first'], 'the second waits for the permit');
    // Another replica takes the task (its lease lapsed there): this runner's next renewal finds it gone.
    await store.transact(async (tx) => {
      const t = (await tx.get('tasks', 'h1', second.id))!;
      tx.put('tasks', 'h1', t.id, { ...t, lease: { owner: 'replica-b', until: new Date(Date.now() + 60_000).toISOString() } });
    });
    // Until a renewal (every 30 ms) has found it taken, however late a loaded machine runs it.
    const seen = Date.now() + 5_000;
    while (!warnings.some((w) => w.includes(second.id) && /lease was taken over/.test(w))) {
      if (Date.now() > seen) throw new Error(`no renewal found the lease taken: ${warnings.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    releaseFirst();
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(started, ['first'], 'the handler of the task whose lease was lost did not start');
    assert.equal((await store.get('tasks', 'h1', second.id))?.lease?.owner, 'replica-b', 'the new owner keeps it');
  } finally {
    releaseFirst();
    await runner.stop(500);
  }
});
