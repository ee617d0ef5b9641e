import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import type { ResumeCall } from '../../scim-server/hooks/graph-resume.ts';
import type { HookEventRecord } from '../../scim-server/hooks/hook-event-record.ts';
import { FakeAgent } from './fake-agent.ts';
import { storeThatGoesDown } from './failing-store.test-double.ts';
import { until } from '../agent-e2e/harness.ts';
import { entraHookConfig } from './test-server.ts';

/**
 * The store refusing writes (a database failover) just after the offboarding was started, when the
 * callout's `waiting` state is written: the offboarding runs, so the workflow must not be resumed
 * with `failed`; it is resumed with the outcome of the offboarding once it can be followed.
 */
async function offboardWithStoreDown(refusals: number, leaseMs?: number) {
  const { store, goDown } = storeThatGoesDown(refusals);
  await store.open();
  const agent = new FakeAgent();
  const offboard = agent.offboard.bind(agent);
  agent.offboard = async (person, trigger) => {
    const task = await offboard(person, trigger);
    goDown(); // the offboarding is queued; the store goes down now
    return task;
  };
  // Accepted before a restart, not yet acted on: the next process starts the action.
  const record: HookEventRecord = {
    id: 'tpr-w', source: 'entra-lifecycle', idp: 'entra', receivedAt: new Date().toISOString(), expiresAt: '2099-01-01T00:00:00Z', state: 'processing',
    callout: { workflowId: 'wf-1', taskId: 'task-offboard', taskProcessingResultId: 'tpr-w', action: 'offboard', person: { email: 'raj@example.com' } },
  };
  await store.transact((tx) => tx.put('hookEvents', 'entra-lifecycle', 'tpr-w', record));
  const statuses: string[] = [];
  const resume: ResumeCall = async (_idp, _target, status) => {
    statuses.push(status);
  };
  const alive = setInterval(() => undefined, 1000); // the hook waits on unref'd timers
  try {
    const hook = createEntraLifecycleRouter({ config: entraHookConfig(), agent, store, resume, pollIntervalMs: 5, leaseMs });
    await hook.settled();
    // Left to the lease: taken again once it lapses (not awaited by settled).
    await until('the callout resumed once taken again', () => statuses.length > 0);
    await hook.settled();
    hook.stop();
  } finally {
    clearInterval(alive);
  }
  return { statuses, after: await store.get('hookEvents', 'entra-lifecycle', 'tpr-w'), agent };
}

test('Entra: the store refusing the write of "waiting" for a moment after the offboarding started: resumed completed, not failed', async () => {
  const { statuses, after } = await offboardWithStoreDown(1);
  assert.deepEqual(statuses, ['completed'], 'resumed once, with the outcome of the offboarding');
  assert.equal(after?.state, 'done');
  assert.equal(after?.outcome, 'resumed completed');
});

test('Entra: the store refusing the write of "waiting" past every retry: not resumed failed; taken again by this process once its lease lapses, then resumed completed', async () => {
  const { statuses, after, agent } = await offboardWithStoreDown(8, 150);
  assert.deepEqual(statuses, ['completed'], 'never resumed failed for the offboarding that runs; resumed once');
  assert.equal(after?.state, 'done');
  assert.equal(after?.outcome, 'resumed completed');
  assert.equal(agent.writes().filter((c) => c.method === 'offboard').length, 2, 'started again by the taker (the agent answers with the task queued)');
});
