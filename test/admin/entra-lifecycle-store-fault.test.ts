import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import type { ResumeCall } from '../../scim-server/hooks/graph-resume.ts';
import type { HookEventRecord } from '../../scim-server/hooks/hook-event-record.ts';
import { FakeAgent } from './fake-agent.ts';
import { storeThatGoesDown } from './failing-store.test-double.ts';
import { entraHookConfig } from './test-server.ts';

/**
 * The store refusing writes (a database failover) just after Graph accepted the resume: the
 * process must neither exit (an unhandled rejection ends a Node process) nor record the resume,
 * which happened, as failed.
 */
async function resumeWithStoreDown(refusals: number) {
  const { store, goDown } = storeThatGoesDown(refusals);
  await store.open();
  const agent = new FakeAgent();
  const task = await agent.offboard({ email: 'raj@example.com' }, { type: 'entra-lifecycle', idp: 'entra' });
  agent.finish(task.id, 'completed');
  const record: HookEventRecord = {
    id: 'tpr-f', source: 'entra-lifecycle', idp: 'entra', receivedAt: new Date().toISOString(), expiresAt: '2099-01-01T00:00:00Z', state: 'waiting', taskIds: [task.id],
    callout: { workflowId: 'wf-1', taskId: 'task-offboard', taskProcessingResultId: 'tpr-f', action: 'offboard', person: { email: 'raj@example.com' } },
  };
  await store.transact((tx) => tx.put('hookEvents', 'entra-lifecycle', 'tpr-f', record));
  const calls: string[] = [];
  const resume: ResumeCall = async (_idp, target) => {
    calls.push(target.taskProcessingResultId);
    goDown(); // accepted by Graph; the store goes down now
  };
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const alive = setInterval(() => undefined, 1000); // the hook waits on unref'd timers
  try {
    const hook = createEntraLifecycleRouter({ config: entraHookConfig(), agent, store, resume, pollIntervalMs: 5 });
    await hook.settled();
    await new Promise((r) => setTimeout(r, 50));
    hook.stop();
  } finally {
    clearInterval(alive);
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(calls, ['tpr-f'], 'resumed once');
  assert.deepEqual(unhandled.map(String), [], 'no unhandled rejection (it would end the server)');
  return store.get('hookEvents', 'entra-lifecycle', 'tpr-f');
}

test('Entra: the store refusing writes for a moment right after a resume: the resume is recorded once it is back', async () => {
  const after = await resumeWithStoreDown(2);
  assert.equal(after?.state, 'done');
  assert.equal(after?.outcome, 'resumed completed');
});

test('Entra: the store refusing writes for good right after a resume neither ends the process nor records the resume as failed', async () => {
  const after = await resumeWithStoreDown(Number.POSITIVE_INFINITY);
  assert.doesNotMatch(after?.outcome ?? '', /resume failed/, 'the resume did not fail');
});
