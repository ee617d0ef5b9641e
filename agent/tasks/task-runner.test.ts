import type { HubConfigFile } from '../../config/schema.ts';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../../connectors/sdk/connector-error.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect, type Change, type Transaction } from '../store/store.ts';
import { enqueueTask } from './enqueue.ts';
import type { TaskHandler } from './handler.ts';
import { resumeHub } from './hub-state.ts';
import { backoffMs, decideRetry } from './retry-policy.ts';
import { StoreContention } from '../store/store-contention.ts';
import { StoreUnavailable } from '../store/store-unavailable.ts';
import { TaskRunner, type TaskRunnerOptions } from './task-runner.ts';
import type { TaskRecord } from './task-record.ts';

const trigger = { type: 'admin' as const, actor: 'test' };
const silent = { debug() {}, info() {}, warn() {}, error() {} };

function setup(handlers: TaskHandler[], extra: Partial<TaskRunnerOptions> = {}) {
  const store = new MemoryStore();
  const runner = new TaskRunner({ store, handlers, hubs: () => new Map(), connectorFor: () => undefined, log: silent, backoffBaseMs: 5, backoffMaxMs: 20, ...extra });
  return { store, runner };
}
async function until(cond: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 2));
  }
}
/** A memory store whose transactions `refuses()` turns away, as a full disk or an unreachable database would. */
class RefusingStore extends MemoryStore {
  constructor(private readonly refuses: () => boolean) { super(); }
  override transact<R>(fn: (tx: Transaction) => R | Promise<R>): Promise<R> {
    if (this.refuses()) return Promise.reject(new StoreUnavailable('no space left on device', 1));
    return super.transact(fn);
  }
  /** Commits past the refusal (the test's own setup). */
  enqueueDirect<R>(fn: (tx: Transaction) => R | Promise<R>): Promise<R> {
    return super.transact(fn);
  }
}
const taskOf = async (store: MemoryStore, id: string, hub = 'h1') => (await store.get('tasks', hub, id)) as TaskRecord;

describe('retry table', () => {
  const cases: Array<[ConnectorError, string]> = [
    [new ConnectorError('rate-limited', 'x', { retryAfterMs: 1234, limitScope: 'invite:1' }), 'wait-rate-limit'],
    [new ConnectorError('unavailable', 'x'), 'backoff'],
    [new ConnectorError('unauthenticated', 'x'), 'pause-hub'],
    [new ConnectorError('permission-denied', 'x'), 'pause-hub'],
    [new ConnectorError('invalid-argument', 'x'), 'fail'],
  ];
  for (const [err, action] of cases) test(`${err.kind} → ${action}`, () => assert.equal(decideRetry(err, 1, { baseMs: 100, maxMs: 1000 }).action, action));
  test('rate-limited waits exactly as long as the provider says, in its scope', () => {
    const d = decideRetry(new ConnectorError('rate-limited', 'x', { retryAfterMs: 1234, limitScope: 'invite:1' }), 1, { baseMs: 1, maxMs: 1 });
    assert.deepEqual([d.action === 'wait-rate-limit' && d.delayMs, d.action === 'wait-rate-limit' && d.scope], [1234, 'invite:1']);
  });
  test('unavailable backs off exponentially with jitter, then gives up', () => {
    assert.equal(backoffMs(1, { baseMs: 100, maxMs: 10_000, random: () => 0 }), 50);
    assert.equal(backoffMs(4, { baseMs: 100, maxMs: 10_000, random: () => 1 }), 800);
    assert.equal(backoffMs(30, { baseMs: 100, maxMs: 10_000, random: () => 1 }), 10_000);
    assert.equal(decideRetry(new ConnectorError('unavailable', 'x'), 12, { baseMs: 1, maxMs: 1 }).action, 'fail');
  });
  test('a transient error with a stated wait backs off at least that long, past the backoff cap; a longer backoff still wins', () => {
    // An app that advises waiting minutes after a server fault: retrying within a second hammers it.
    const o = { baseMs: 250, maxMs: 300_000, random: () => 1 };
    const stated = new ConnectorError('unavailable', 'x', { retryAfterMs: 5 * 60_000 });
    for (const attempt of [1, 2, 5]) {
      const d = decideRetry(stated, attempt, o);
      assert.deepEqual([d.action, d.action === 'backoff' && d.delayMs], ['backoff', 5 * 60_000], `attempt ${attempt}`);
    }
    const long = decideRetry(new ConnectorError('unavailable', 'x', { retryAfterMs: 10 * 60_000 }), 1, { baseMs: 1, maxMs: 1 });
    assert.equal(long.action === 'backoff' && long.delayMs, 10 * 60_000, 'not shortened to the backoff cap');
    const short = decideRetry(new ConnectorError('internal', 'x', { retryAfterMs: 10 }), 2, { baseMs: 1_000, maxMs: 10_000, random: () => 1 });
    assert.equal(short.action === 'backoff' && short.delayMs, 2_000, 'the backoff when it is longer');
    assert.equal(decideRetry(stated, 12, o).action, 'fail', 'still gives up after the rule\'s attempts');
    const none = decideRetry(new ConnectorError('unavailable', 'x'), 1, { baseMs: 250, maxMs: 300_000, random: () => 1 });
    assert.equal(none.action === 'backoff' && none.delayMs, 250, 'no stated wait: the backoff alone');
  });
  test('a non-connector error fails as internal', () => assert.equal(decideRetry(new Error('boom'), 1, { baseMs: 1, maxMs: 1 }).kind, 'internal'));
  test('a store transaction that kept meeting conflicts backs off and runs again (contention, not a fault), then gives up', () => {
    const busy = new StoreContention(20, '40001 (store: partition of directoryUsers changed after this transaction read it)');
    const d = decideRetry(busy, 1, { baseMs: 100, maxMs: 1000 });
    assert.deepEqual([d.action, d.kind, 'notApplied' in d], ['backoff', 'conflict', false]);
    assert.equal(decideRetry(busy, 12, { baseMs: 1, maxMs: 1 }).action, 'fail');
  });
  test('a store that refused a handler\'s read or write (unreachable, busy pool) backs off and runs again, not a failed task; then gives up', () => {
    const down = new StoreUnavailable('PostgreSQL unreachable: ECONNREFUSED', 2);
    const d = decideRetry(down, 1, { baseMs: 100, maxMs: 1000 });
    assert.deepEqual([d.action, d.kind, 'notApplied' in d], ['backoff', 'unavailable', false]);
    assert.equal(decideRetry(down, 12, { baseMs: 1, maxMs: 1 }).action, 'fail');
  });
});

describe('enqueue', () => {
  test('the same idempotency key returns the unfinished task; a finished one allows a new task', async () => {
    const store = new MemoryStore();
    const a = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: 1, idempotencyKey: 'key', trigger, summary: 's' }));
    const b = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: 2, idempotencyKey: 'key', trigger, summary: 's' }));
    assert.equal(a.id, b.id);
    assert.equal(await store.count('tasks', 'h1'), 1);
    await store.transact((tx) => tx.put('tasks', 'h1', a.id, { ...a, status: 'running' }));
    const c = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: 3, idempotencyKey: 'key', trigger, summary: 's', reuse: 'unstarted' }));
    assert.notEqual(c.id, a.id, 'a running task is not reused when reuse = unstarted');
  });
});

describe('task runner', () => {
  test('runs a task once and records the outcome', async () => {
    let runs = 0;
    const { store, runner } = setup([{ kind: 'k', async run() { runs++; return { status: 'completed', result: 'ok' }; } }]);
    await runner.start();
    const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's' }));
    await until(async () => (await taskOf(store, t.id)).status === 'completed');
    await runner.idle();
    assert.equal(runs, 1);
    assert.equal((await taskOf(store, t.id)).attempts, 1);
    assert.equal(await store.get('taskKeys', 'h1', 'a'), undefined, 'the key is released when the task finishes');
    await runner.stop();
  });

  test('unavailable retries with backoff until it succeeds', async () => {
    let runs = 0;
    const { store, runner } = setup([{ kind: 'k', async run() { if (++runs < 3) throw new ConnectorError('unavailable', 'meta-business: 503'); return { status: 'completed' }; } }]);
    await runner.start();
    const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's' }));
    await until(async () => (await taskOf(store, t.id)).status === 'completed');
    assert.equal(runs, 3);
    await runner.stop();
  });

  test('a transient error with a stated wait is run again no sooner than that (its next run time)', async () => {
    const now = Date.parse('2026-01-01T00:00:00.000Z');
    let runs = 0;
    const { store, runner } = setup([{ kind: 'k', async run() { runs++; throw new ConnectorError('unavailable', 'app: HTTP 503', { retryAfterMs: 5 * 60_000 }); } }], { clock: () => now, backoffBaseMs: 250, backoffMaxMs: 300_000 });
    await runner.start();
    const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's', now: new Date(now) }));
    await until(async () => (await taskOf(store, t.id)).status === 'waiting');
    const waiting = await taskOf(store, t.id);
    assert.deepEqual([waiting.waitReason, waiting.nextRunAt, runs], ['backoff', new Date(now + 5 * 60_000).toISOString(), 1]);
    assert.equal(runner.nextDueAt(), now + 5 * 60_000, 'the runner wakes for it then, not before');
    await runner.stop();
  });

  test('invalid-argument fails the task with the reason and audits it', async () => {
    const { store, runner } = setup([{ kind: 'k', async run() { throw new ConnectorError('invalid-argument', 'meta-business: invite x: bad email'); } }]);
    await runner.start();
    const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 'invite x' }));
    await until(async () => (await taskOf(store, t.id)).status === 'failed');
    assert.deepEqual((await taskOf(store, t.id)).lastError, { kind: 'invalid-argument', message: 'meta-business: invite x: bad email' });
    assert.ok((await collect(store.list('audit', 'h1'))).some((e) => e.outcome === 'failed' && e.taskId === t.id));
    await runner.stop();
  });

  test('a rate limit holds only its own scope, for as long as the provider says', async () => {
    const calls: string[] = [];
    let limited = true;
    const { store, runner } = setup([{ kind: 'k', async run(task) {
      const p = task.payload as { name: string };
      calls.push(p.name);
      if (task.scope === 'invite:1' && limited) { limited = false; throw new ConnectorError('rate-limited', 'limit', { retryAfterMs: 150, limitScope: 'invite:1' }); }
      return { status: 'completed' };
    } }], { concurrencyPerHub: 1 });
    await runner.start();
    const started = Date.now();
    const ids = await store.transact(async (tx) => {
      const out: string[] = [];
      for (const name of ['i1', 'i2', 'other']) out.push((await enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: { name }, idempotencyKey: name, trigger, summary: name, scope: name === 'other' ? 'app' : 'invite:1' })).id);
      return out;
    });
    await until(async () => (await taskOf(store, ids[2]!)).status === 'completed');
    assert.equal((await taskOf(store, ids[0]!)).status, 'waiting');
    assert.equal((await taskOf(store, ids[1]!)).status, 'queued', 'the other invite is held by the scope block');
    await until(async () => (await Promise.all(ids.map((id) => taskOf(store, id)))).every((t) => t.status === 'completed'));
    assert.ok(Date.now() - started >= 140, 'waited for the retry-after');
    assert.deepEqual(calls.slice(0, 2), ['i1', 'other']);
    assert.deepEqual(calls.slice(2).sort(), ['i1', 'i2'], 'each invite ran once more after the block, no extra calls');
    await runner.stop();
  });

  test('attempts that certainly changed nothing (notApplied) are counted; one with an unknown outcome is not', async () => {
    const errors = [
      new ConnectorError('rate-limited', 'limit', { retryAfterMs: 5, limitScope: 's', notApplied: true }),
      new ConnectorError('unavailable', '5xx: may have landed'),
      new ConnectorError('rate-limited', 'limit again', { retryAfterMs: 5, limitScope: 's', notApplied: true }),
    ];
    const seen: Array<number | undefined> = [];
    const { store, runner } = setup([{ kind: 'k', async run(task) {
      seen.push(task.attemptsRefused ?? 0);
      const err = errors.shift();
      if (err) throw err;
      return { status: 'completed' };
    } }]);
    await runner.start();
    const id = await store.transact(async (tx) => (await enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'k', trigger, summary: 'k', scope: 's' })).id);
    await until(async () => (await taskOf(store, id)).status === 'completed');
    assert.deepEqual(seen, [0, 1, 1, 2], 'attempt n saw the refusals before it');
    assert.equal((await taskOf(store, id)).attempts, 4);
    await runner.stop();
  });

  test('unauthenticated pauses the hub; its tasks wait until it resumes', async () => {
    let denied = true;
    // A configured hub: one taken out of the config holds its tasks no longer (task-pump.ts).
    const { store, runner } = setup([{ kind: 'k', async run() { if (denied) throw new ConnectorError('unauthenticated', 'token expired'); return { status: 'completed' }; } }],
      { hubs: () => new Map([['h1', { id: 'h1' } as HubConfigFile]]) });
    await runner.start();
    const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's' }));
    await until(async () => (await store.get('hubStates', '', 'h1'))?.paused === true);
    const t2 = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'b', trigger, summary: 's' }));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal((await taskOf(store, t.id)).status, 'waiting');
    assert.equal((await taskOf(store, t2.id)).status, 'queued');
    denied = false;
    await store.transact((tx) => resumeHub(tx, 'h1'));
    await until(async () => (await taskOf(store, t.id)).status === 'completed' && (await taskOf(store, t2.id)).status === 'completed');
    await runner.stop();
  });

  test('a handler whose store read met an outage (StoreUnavailable) runs again once it passes, and the task completes', async () => {
    let runs = 0;
    const { store, runner } = setup([{ kind: 'k', async run() {
      if (++runs === 1) throw new StoreUnavailable('PostgreSQL unreachable: ECONNRESET', 1);
      return { status: 'completed' };
    } }]);
    await runner.start();
    const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's' }));
    await until(async () => ['completed', 'failed'].includes((await taskOf(store, t.id)).status));
    const done = await taskOf(store, t.id);
    assert.deepEqual([done.status, runs], ['completed', 2]);
    await runner.stop();
  });

  test('a connector that cannot be built (no token) pauses the hub instead of wedging the task', async () => {
    const { store, runner } = setup([{ kind: 'k', async run() { return { status: 'completed' }; } }], {
      connectorFor: () => { throw new ConnectorError('unauthenticated', 'hub h1: meta.accessToken is not set'); },
    });
    await runner.start();
    const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's' }));
    await until(async () => (await store.get('hubStates', '', 'h1'))?.paused === true);
    assert.equal((await taskOf(store, t.id)).status, 'waiting');
    assert.equal((await taskOf(store, t.id)).lease, undefined);
    await runner.stop();
  });

  test('an attempt whose lease another runner took over (its renewals failed until it lapsed) is aborted, not left calling beside the new one', async () => {
    let aborted: unknown;
    let started = false;
    const { store, runner } = setup([{ kind: 'k', run: (_t, ctx) => new Promise((resolve, reject) => {
      started = true;
      setTimeout(() => resolve({ status: 'completed' }), 2_500).unref(); // a call that ends on its own
      ctx.signal.addEventListener('abort', () => {
        aborted = ctx.signal.reason;
        reject(ctx.signal.reason);
      });
    }) }], { leaseMs: 150 });
    await runner.start();
    try {
      const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's' }));
      await until(() => started);
      // Another replica took the task once the lease lapsed.
      await store.transact(async (tx) => {
        const cur = (await tx.get('tasks', 'h1', t.id))!;
        tx.put('tasks', 'h1', t.id, { ...cur, attempts: cur.attempts + 1, lease: { owner: 'other-replica', until: new Date(Date.now() + 60_000).toISOString() } });
      });
      await until(() => aborted !== undefined, 2_000);
      assert.match(String(aborted), /lease was taken over/);
      await new Promise((r) => setTimeout(r, 100));
      const after = await taskOf(store, t.id);
      assert.deepEqual([after.status, after.attemptsEnded, after.lastError], ['running', 0, undefined], 'the aborted attempt recorded no outcome over the new one');
    } finally {
      await runner.stop(0);
    }
  });

  test('an expired lease is taken again and the attempt is marked interrupted', async () => {
    const seen: boolean[] = [];
    const { store, runner } = setup([{ kind: 'k', async run(_t, ctx) { seen.push(ctx.interrupted); return { status: 'completed' }; } }], { reclaimLeasesOnStart: false });
    const t = await store.transact(async (tx) => {
      const task = await enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's' });
      const crashed = { ...task, status: 'running' as const, attempts: 1, lease: { owner: 'dead-runner', until: new Date(Date.now() + 80).toISOString() } };
      tx.put('tasks', 'h1', task.id, crashed);
      return crashed;
    });
    await runner.start();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal((await taskOf(store, t.id)).status, 'running', 'not taken before the lease expires');
    await until(async () => (await taskOf(store, t.id)).status === 'completed');
    assert.deepEqual(seen, [true]);
    await runner.stop();
  });

  test('a task left running under our own lease (outcome and hand-back refused) runs again once the lease lapses, marked interrupted', async () => {
    // The store refuses the next `refuse` transactions (disk full, database unreachable), then recovers.
    let refuse = 0;
    const store = new RefusingStore(() => { if (refuse === 0) return false; refuse--; return true; });
    const seen: boolean[] = [];
    const handler: TaskHandler = { kind: 'k', async run(_t, ctx) {
      seen.push(ctx.interrupted);
      if (seen.length === 1) refuse = 2; // the outcome's commit, then releaseAfterFailure's
      return { status: 'completed' };
    } };
    // Longer than the second a refused hand-back holds the task (lease.ts), so the wait is the lease's.
    const runner = new TaskRunner({ store, handlers: [handler], hubs: () => new Map(), connectorFor: () => undefined, log: silent, leaseMs: 1_500 });
    await runner.start();
    const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's' }));
    await until(() => seen.length === 1 && refuse === 0);
    const stuck = await taskOf(store, t.id);
    assert.deepEqual([stuck.status, stuck.lease?.owner], ['running', runner.owner], 'left running under our own lease');
    await until(async () => (await taskOf(store, t.id)).status === 'completed', 5_000);
    assert.ok(Date.now() >= Date.parse(stuck.lease!.until), 'not taken again before the lease lapsed');
    await new Promise((r) => setTimeout(r, 300)); // no further attempt
    const done = await taskOf(store, t.id);
    assert.deepEqual(seen, [false, true], 'exactly one more attempt, marked interrupted');
    assert.deepEqual([done.status, done.attempts, done.attemptsEnded, done.lease], ['completed', 2, 2, undefined]);
    await runner.stop();
  });

  test('while the store refuses writes, a due task is tried about once a second, not in a tight loop', async () => {
    let down = true;
    let refused = 0;
    const store = new RefusingStore(() => { if (down) refused++; return down; });
    const runs: number[] = [];
    const runner = new TaskRunner({ store, handlers: [{ kind: 'k', async run() { runs.push(1); return { status: 'completed' }; } }], hubs: () => new Map(), connectorFor: () => undefined, log: silent });
    await runner.start();
    await store.enqueueDirect((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's' }));
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(refused <= 4, `${refused} refused transactions in half a second`);
    down = false;
    await until(async () => (await collect(store.list('tasks', 'h1'))).every((t) => t.status === 'completed'));
    assert.equal(runs.length, 1);
    await runner.stop();
  });

  test('a parent waits for its children, then runs again', async () => {
    const order: string[] = [];
    const { store, runner } = setup([
      { kind: 'parent', async run(task, ctx) {
        if (task.attempts > 1) { order.push('parent-again'); return { status: 'completed' }; }
        order.push('parent');
        return { status: 'waiting', reason: 'children', commit: async (tx) => { for (const n of [1, 2]) await ctx.enqueueChild(tx, { hubId: 'h1', kind: 'child', payload: n, idempotencyKey: `c${n}`, trigger, summary: 'c' }); } };
      } },
      { kind: 'child', async run() { order.push('child'); return { status: 'completed' }; } },
    ]);
    await runner.start();
    const p = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'parent', payload: {}, idempotencyKey: 'p', trigger, summary: 'p' }));
    await until(async () => (await taskOf(store, p.id)).status === 'completed');
    assert.deepEqual(order, ['parent', 'child', 'child', 'parent-again']);
    await runner.stop();
  });

  test('stop hands back the lease of a task still running', async () => {
    const { store, runner } = setup([{ kind: 'slow', async run() { await new Promise((r) => setTimeout(r, 500)); return { status: 'completed' }; } }]);
    await runner.start();
    const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'slow', payload: {}, idempotencyKey: 'a', trigger, summary: 's' }));
    await until(async () => (await taskOf(store, t.id)).status === 'running');
    await runner.stop(20);
    const after = await taskOf(store, t.id);
    assert.equal(after.status, 'queued');
    assert.equal(after.lease, undefined);
    assert.ok(after.attempts > after.attemptsEnded, 'the next attempt will know it was interrupted');
  });
});

describe('leaseless tasks', () => {
  test('one commit per run; a request folded in while it runs makes it run again with the newer state', async () => {
    let release: (() => void) | undefined;
    const seen: unknown[] = [];
    const handler: TaskHandler = {
      kind: 'replan', local: true, leaseless: true,
      async run(task, ctx) {
        seen.push((await ctx.store.get('tasks', task.hubId, task.id))?.status);
        if (seen.length === 1) await new Promise<void>((r) => (release = r));
        return { status: 'completed', result: { run: seen.length } };
      },
    };
    const { store, runner } = setup([handler]);
    let commits = 0;
    store.subscribe((changes) => { if (changes.some((c) => c.collection === 'tasks')) commits++; });
    await runner.start();
    const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'replan', payload: {}, idempotencyKey: 'p', trigger, summary: 's', reuse: 'unstarted' }));
    await until(() => release !== undefined);
    assert.equal((await taskOf(store, t.id)).status, 'queued', 'no lease written before the run');
    // A newer request for the same person arrives while the first run is planning.
    const again = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'replan', payload: {}, idempotencyKey: 'p', trigger, summary: 's', reuse: 'unstarted' }));
    assert.equal(again.id, t.id);
    assert.equal(again.revision, 1);
    commits = 0;
    release!();
    await until(async () => (await taskOf(store, t.id)).status === 'completed');
    await runner.stop();
    assert.equal(seen.length, 2, 'the run that read the older state ran again');
    assert.deepEqual((await taskOf(store, t.id)).result, { run: 2 });
    assert.equal((await taskOf(store, t.id)).attempts, 1, 'only the recorded run counts');
    assert.equal(commits, 1, 'the stale run recorded nothing; the second recorded attempt and outcome in one commit');
  });
});

/**
 * A store shared with another replica, as the runner sees it: what `asReplica` commits reaches
 * this process's listeners only as `remote` changes, without the record (Change.remote).
 */
class SharedStore extends MemoryStore {
  private muted = false;
  private readonly mine = new Set<(changes: readonly Change[]) => void>();
  override subscribe(listener: (changes: readonly Change[]) => void): () => void {
    const l = (changes: readonly Change[]) => { if (!this.muted) listener(changes); };
    this.mine.add(listener);
    const off = super.subscribe(l);
    return () => { this.mine.delete(listener); off(); };
  }
  async asReplica<R>(fn: (tx: Transaction) => R | Promise<R>, touched: Array<[collection: Change['collection'], partition: string, id: string]>): Promise<R> {
    this.muted = true;
    let result: R;
    try {
      result = await this.transact(fn);
    } finally {
      this.muted = false;
    }
    const remote: Change[] = touched.map(([collection, partition, id]) => ({ collection, partition, id, record: undefined, remote: true }));
    for (const l of this.mine) l(remote);
    return result;
  }
}

describe('changes committed by another replica (remote, without the record)', () => {
  test('a task another replica queued is read and run; a remote change is never taken for a deletion', async (t) => {
    const store = new SharedStore();
    let runs = 0;
    const runner = new TaskRunner({ store, handlers: [{ kind: 'k', async run() { runs++; return { status: 'completed' }; } }], hubs: () => new Map(), connectorFor: () => undefined, log: silent });
    await runner.start();
    t.after(() => runner.stop());
    // Queued far in the future here; another replica then makes it due now.
    const later = new Date(Date.now() + 3_600_000);
    const task = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's', runAt: later.toISOString() }));
    await runner.idle();
    assert.equal(runs, 0);
    await store.asReplica(async (tx) => tx.put('tasks', 'h1', task.id, { ...(await tx.get('tasks', 'h1', task.id))!, nextRunAt: undefined } as TaskRecord), [['tasks', 'h1', task.id]]);
    await until(async () => (await taskOf(store, task.id)).status === 'completed');
    assert.equal(runs, 1, 'the remote change was read again, and the task ran once');

    // A task the other replica enqueued (this process never saw its record).
    const other = await store.asReplica((tx) => enqueueTask(tx, { hubId: 'h2', kind: 'k', payload: {}, idempotencyKey: 'b', trigger, summary: 's' }), []);
    await store.asReplica(() => undefined, [['tasks', 'h2', other.id]]);
    await until(async () => (await taskOf(store, other.id, 'h2')).status === 'completed');
    assert.equal(runs, 2);
  });
});
