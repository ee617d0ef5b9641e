import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../../connectors/sdk/connector-error.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { enqueueTask } from './enqueue.ts';
import type { TaskHandler } from './handler.ts';
import { TaskRunner } from './task-runner.ts';
import { until } from '../../test/agent-e2e/harness.ts';

const trigger = { type: 'admin' as const, actor: 'test' };
const silent = { debug() {}, info() {}, warn() {}, error() {} };

test('a handler that stops when the runner asks it to (AbortSignal) is handed back, not failed', async () => {
  // As the check for updates does (read-app.ts: signal.throwIfAborted()): stopped by a
  // shutdown, it is no failure of the app, and runs again at the next start (docs/architecture.md,
  // "Start-up and shutdown").
  let listening = false;
  const handler: TaskHandler = {
    kind: 'reads',
    async run(_task, ctx) {
      await new Promise((resolve) => { ctx.signal.addEventListener('abort', resolve, { once: true }); listening = true; });
      ctx.signal.throwIfAborted();
      return { status: 'completed' };
    },
  };
  const store = new MemoryStore();
  const runner = new TaskRunner({ store, handlers: [handler], hubs: () => new Map(), connectorFor: () => undefined, log: silent });
  await runner.start();
  const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'reads', payload: {}, idempotencyKey: 'a', trigger, summary: 'read the app' }));
  let stopped = false;
  try {
    await until('the handler running, listening for the stop', () => listening);
    assert.equal((await store.get('tasks', 'h1', t.id))?.status, 'running');
    // The grace only bounds a failing run: the stop returns once the handler has ended.
    await runner.stop(15_000);
    stopped = true;
  } finally {
    // A failing run (the handler never started) ends here, not at the file's timeout.
    if (!stopped) await runner.stop(0);
  }
  const after = (await store.get('tasks', 'h1', t.id))!;
  assert.equal(after.status, 'queued', 'queued again, to run at the next start');
  assert.equal(after.lastError, undefined);
  assert.equal(after.lease, undefined);
  assert.deepEqual((await collect(store.list('audit', 'h1'))).filter((e) => e.outcome === 'failed'), [], 'no failure audited');
});

test('a task that runs while its hub is paused and is refused the credential again fails once, no tight loop', async () => {
  // The check for updates runs on a paused hub (its success is how the hub resumes); with the
  // token still invalid it pauses the hub again. Before, its outcome (waiting, "hub paused", no
  // run time) was due at once and it ran again at once: Graph calls, a failed run and audit
  // entries in a loop until the token was fixed.
  let runs = 0;
  let denied = true;
  const handler: TaskHandler = {
    kind: 'check', runsWhilePaused: true,
    async run() { runs++; if (denied) throw new ConnectorError('unauthenticated', 'token expired'); return { status: 'completed' }; },
  };
  const store = new MemoryStore();
  const runner = new TaskRunner({ store, handlers: [handler], hubs: () => new Map(), connectorFor: () => undefined, log: silent });
  await runner.start();
  try {
    const ask = () => store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'check', payload: {}, idempotencyKey: 'c', trigger, summary: 'check for updates' }));
    const first = await ask();
    await until('the hub paused', async () => (await store.get('hubStates', '', 'h1'))?.paused === true);
    await until('the check recorded failed', async () => (await store.get('tasks', 'h1', first.id))?.status === 'failed');
    // No tight loop: the runner has nothing due now nor running (a check due again at once would
    // run again and again, and the runner would never be idle; the bound then ends the run).
    await until('the runner idle: nothing due now nor running', () => runner.running === 0 && !((runner.nextDueAt() ?? Infinity) <= Date.now()));
    assert.equal(runs, 1, 'ran once');
    assert.equal((await store.get('tasks', 'h1', first.id))?.status, 'failed');
    assert.equal((await store.get('hubStates', '', 'h1'))?.paused, true, 'the hub stays paused');
    // The owner fixes the token and asks for a check: a new one runs.
    denied = false;
    const second = await ask();
    assert.notEqual(second.id, first.id);
    await until('the second check completed', async () => (await store.get('tasks', 'h1', second.id))?.status === 'completed');
    assert.equal((await store.get('tasks', 'h1', second.id))?.status, 'completed');
    assert.equal(runs, 2);
  } finally {
    await runner.stop();
  }
});
