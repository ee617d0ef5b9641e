import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../../connectors/sdk/connector-error.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { enqueueTask } from './enqueue.ts';
import type { TaskHandler } from './handler.ts';
import { TaskRunner } from './task-runner.ts';
import { until } from '../../test/agent-e2e/harness.ts';

const trigger = { type: 'admin' as const, actor: 'test' };
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A handler whose first call is throttled with `error`; every call is recorded by the task's name. */
function throttledOnce(error: ConnectorError, calls: string[]): TaskHandler {
  let throttled = false;
  return {
    kind: 'k',
    async run(task) {
      calls.push((task.payload as { name: string }).name);
      if (!throttled) { throttled = true; throw error; }
      return { status: 'completed' };
    },
  };
}

const runnerOn = (store: MemoryStore, handler: TaskHandler) =>
  new TaskRunner({ store, handlers: [handler], hubs: () => new Map(), connectorFor: () => undefined, log: silent, concurrencyPerHub: 1 });

async function enqueueInvites(store: MemoryStore, names: string[]): Promise<string[]> {
  return store.transact(async (tx) => {
    const ids: string[] = [];
    for (const name of names) ids.push((await enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: { name }, idempotencyKey: name, trigger, summary: name, scope: 'invite:1' })).id);
    return ids;
  });
}

describe('rate-limit blocks', () => {
  test('a block on the app scope holds the invite scope too (Meta code 4 / 613 on an invite)', async () => {
    // The app-level limit counts every call of the app, invites included
    // (https://developers.facebook.com/docs/graph-api/overview/rate-limiting); an invite that
    // runs into it must not let the other invites go on calling into the throttle.
    const calls: string[] = [];
    const store = new MemoryStore();
    const runner = runnerOn(store, throttledOnce(new ConnectorError('rate-limited', 'app throttled [613]', { retryAfterMs: 200, limitScope: 'app' }), calls));
    await runner.start();
    const started = Date.now();
    const ids = await enqueueInvites(store, ['i1', 'i2']);
    await until('the first task waits', async () => (await store.get('tasks', 'h1', ids[0]!))?.status === 'waiting');
    await sleep(80);
    assert.deepEqual(calls, ['i1'], 'the second invite waits for the app block');
    assert.equal((await store.get('tasks', 'h1', ids[1]!))?.status, 'queued');
    await until('every task completed', async () => (await Promise.all(ids.map((id) => store.get('tasks', 'h1', id)))).every((t) => t?.status === 'completed'));
    assert.ok(Date.now() - started >= 190, 'ran again only after the wait Meta asked for');
    await runner.stop();
  });

  test('a block survives a restart: queued tasks of the scope still wait for it', async () => {
    // Meta's invite limit: "you should resume 24 hours later"
    // (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users).
    const calls: string[] = [];
    const store = new MemoryStore();
    const handler = throttledOnce(new ConnectorError('rate-limited', 'invite limit [17]', { retryAfterMs: 24 * 3_600_000, limitScope: 'invite:1' }), calls);
    const first = runnerOn(store, handler);
    await first.start();
    const ids = await enqueueInvites(store, ['i1', 'i2', 'i3']);
    await until('the first task waits', async () => (await store.get('tasks', 'h1', ids[0]!))?.status === 'waiting');
    await first.stop();
    const second = runnerOn(store, handler);
    await second.start();
    await sleep(80);
    assert.deepEqual(calls, ['i1'], 'no invite calls into the blocked scope after the restart');
    assert.deepEqual((await Promise.all(ids.map((id) => store.get('tasks', 'h1', id)))).map((t) => t?.status), ['waiting', 'queued', 'queued']);
    assert.ok((second.nextDueAt() ?? 0) > Date.now() + 23 * 3_600_000, 'the runner wakes when the block ends');
    await second.stop();
  });
});

test('waiting out a rate limit spends none of the attempts a transient error is allowed', async () => {
  // The retry table gives `internal` 3 attempts; three waits for a throttle (TikTok's 40100, Meta's
  // code 4) before it must not leave the first internal error none.
  const errors = [
    ...[1, 2, 3].map(() => new ConnectorError('rate-limited', 'throttled', { retryAfterMs: 5, limitScope: 'app' })),
    new ConnectorError('internal', 'unexpected answer'),
  ];
  const store = new MemoryStore();
  const runner = new TaskRunner({
    store, hubs: () => new Map(), connectorFor: () => undefined, log: silent, backoffBaseMs: 5, backoffMaxMs: 20,
    handlers: [{ kind: 'k', async run() { const err = errors.shift(); if (err) throw err; return { status: 'completed' }; } }],
  });
  await runner.start();
  const [id] = await enqueueInvites(store, ['i1']);
  await until('the task finished', async () => ['completed', 'failed'].includes((await store.get('tasks', 'h1', id!))?.status ?? ''));
  const t = (await store.get('tasks', 'h1', id!))!;
  assert.equal(t.status, 'completed', t.lastError?.message);
  assert.equal(t.attempts, 5);
  await runner.stop();
});
