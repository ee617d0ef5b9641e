import type { HubConfigFile } from '../../config/schema.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../../connectors/sdk/connector-error.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { enqueueTask } from './enqueue.ts';
import { resumeHub } from './hub-state.ts';
import { TaskRunner } from './task-runner.ts';
import type { TaskRecord } from './task-record.ts';
import { until } from '../../test/agent-e2e/harness.ts';

const trigger = { type: 'admin' as const, actor: 'test' };
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The runner claims a hub's tasks ahead of its call permits (CLAIM_AHEAD): while one calls, the
 * next holds its lease and waits for the permit. When the call in flight is refused the
 * credential and pauses the hub, the task waiting for the permit went on to call the app
 * anyway: a paused hub still acting (with a permission refused on one object, its change landed).
 */
test('a task claimed ahead does not call the app once the hub was paused while it waited for a permit', async () => {
  const store = new MemoryStore();
  const calls: string[] = [];
  let denied = true;
  const runner = new TaskRunner({
    store, hubs: () => new Map([['h1', { id: 'h1' } as HubConfigFile]]), // configured: one taken out of the config holds its tasks no longer (task-pump.ts)
    connectorFor: () => undefined, log: silent, concurrencyPerHub: 1, backoffBaseMs: 5, backoffMaxMs: 20,
    handlers: [{ kind: 'k', async run(task) {
      const name = (task.payload as { name: string }).name;
      calls.push(name);
      await new Promise((r) => setTimeout(r, 20));
      if (denied && name === 'a') throw new ConnectorError('permission-denied', 'the token lost business_management');
      return { status: 'completed' };
    } }],
  });
  await runner.start();
  const ids = await store.transact(async (tx) => {
    const out: string[] = [];
    for (const name of ['a', 'b']) out.push((await enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: { name }, idempotencyKey: name, trigger, summary: name, scope: 'app' })).id);
    return out;
  });
  await until('the hub is paused', async () => (await store.get('hubStates', '', 'h1'))?.paused === true);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(calls, ['a'], 'b made no call while the hub was paused');
  const b = (await store.get('tasks', 'h1', ids[1]!)) as TaskRecord;
  assert.notEqual(b.status, 'completed');
  denied = false;
  await store.transact((tx) => resumeHub(tx, 'h1'));
  await until('every task completed', async () => (await Promise.all(ids.map((id) => store.get('tasks', 'h1', id)))).every((t) => t?.status === 'completed'));
  assert.equal(calls.filter((c) => c === 'b').length, 1, 'b ran once, after the resume');
  await runner.stop();
});
