import type { HubConfigFile } from '../../config/schema.ts';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../../test/agent-e2e/harness.ts';
import { ConnectorError } from '../../connectors/sdk/connector-error.ts';
import { collect } from '../store/store.ts';
import { StoreUnavailable } from '../store/store-unavailable.ts';
import { enqueueTask } from './enqueue.ts';
import { resumeHub } from './hub-state.ts';
import { TaskRunner } from './task-runner.ts';
import { RefusingStore, setup, silent, taskOf, trigger } from './task-runner-fixtures.ts';

describe('task runner', () => {
  test('runs a task once and records the outcome', async () => {
    let runs = 0;
    const { store, runner } = setup([{ kind: 'k', async run() { runs++; return { status: 'completed', result: 'ok' }; } }]);
    await runner.start();
    const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's' }));
    await until('the task completed', async () => (await taskOf(store, t.id)).status === 'completed');
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
    await until('the task completed', async () => (await taskOf(store, t.id)).status === 'completed');
    assert.equal(runs, 3);
    await runner.stop();
  });

  test('a transient error with a stated wait is run again no sooner than that (its next run time)', async () => {
    const now = Date.parse('2026-01-01T00:00:00.000Z');
    let runs = 0;
    const { store, runner } = setup([{ kind: 'k', async run() { runs++; throw new ConnectorError('unavailable', 'app: HTTP 503', { retryAfterMs: 5 * 60_000 }); } }], { clock: () => now, backoffBaseMs: 250, backoffMaxMs: 300_000 });
    await runner.start();
    const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's', now: new Date(now) }));
    await until('the task waiting', async () => (await taskOf(store, t.id)).status === 'waiting');
    const waiting = await taskOf(store, t.id);
    assert.deepEqual([waiting.waitReason, waiting.nextRunAt, runs], ['backoff', new Date(now + 5 * 60_000).toISOString(), 1]);
    assert.equal(runner.nextDueAt(), now + 5 * 60_000, 'the runner wakes for it then, not before');
    await runner.stop();
  });

  test('invalid-argument fails the task with the reason and audits it', async () => {
    const { store, runner } = setup([{ kind: 'k', async run() { throw new ConnectorError('invalid-argument', 'meta-business: invite x: bad email'); } }]);
    await runner.start();
    const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 'invite x' }));
    await until('the task failed', async () => (await taskOf(store, t.id)).status === 'failed');
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
    await until('the task completed', async () => (await taskOf(store, ids[2]!)).status === 'completed');
    assert.equal((await taskOf(store, ids[0]!)).status, 'waiting');
    assert.equal((await taskOf(store, ids[1]!)).status, 'queued', 'the other invite is held by the scope block');
    await until('every task completed', async () => (await Promise.all(ids.map((id) => taskOf(store, id)))).every((t) => t.status === 'completed'));
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
    await until('the task completed', async () => (await taskOf(store, id)).status === 'completed');
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
    await until('the hub is paused', async () => (await store.get('hubStates', '', 'h1'))?.paused === true);
    const t2 = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'b', trigger, summary: 's' }));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal((await taskOf(store, t.id)).status, 'waiting');
    assert.equal((await taskOf(store, t2.id)).status, 'queued');
    denied = false;
    await store.transact((tx) => resumeHub(tx, 'h1'));
    await until('the task completed', async () => (await taskOf(store, t.id)).status === 'completed' && (await taskOf(store, t2.id)).status === 'completed');
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
    await until('the task finished', async () => ['completed', 'failed'].includes((await taskOf(store, t.id)).status));
    const done = await taskOf(store, t.id);
    assert.deepEqual([done.status, runs], ['completed', 2]);
    await runner.stop();
  });

  test('a connector that cannot be built (no token) pauses the hub instead of wedging the task', async () => {
    let built = 0;
    const { store, runner } = setup([{ kind: 'k', async run() { return { status: 'completed' }; } }], {
      // Configured: a paused hub taken out of the config holds its tasks no longer (task-pump.ts),
      // so with no hubs the task ran again as soon as a read found the pause recorded.
      hubs: () => new Map([['h1', { id: 'h1' } as HubConfigFile]]),
      connectorFor: () => { built++; throw new ConnectorError('unauthenticated', 'hub h1: meta.accessToken is not set'); },
    });
    await runner.start();
    const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's' }));
    await until('the hub is paused', async () => (await store.get('hubStates', '', 'h1'))?.paused === true);
    // A task queued after the pause makes the runner look at the hub again: neither runs.
    const later = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'b', trigger, summary: 's' }));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(built, 1);
    assert.equal((await taskOf(store, t.id)).status, 'waiting');
    assert.equal((await taskOf(store, later.id)).status, 'queued');
    assert.equal((await taskOf(store, t.id)).lease, undefined);
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
    await until('every task completed', async () => (await collect(store.list('tasks', 'h1'))).every((t) => t.status === 'completed'));
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
    await until('the task completed', async () => (await taskOf(store, p.id)).status === 'completed');
    assert.deepEqual(order, ['parent', 'child', 'child', 'parent-again']);
    await runner.stop();
  });

});
