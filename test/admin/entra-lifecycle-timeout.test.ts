import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '../../agent/api.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import type { ResumeCall } from '../../scim-server/hooks/graph-resume.ts';
import { FakeAgent } from './fake-agent.ts';
import { entraHookConfig } from './test-server.ts';

test('Entra: tasks that do not finish within the wait (default 3 h, the longest callback timeout) are resumed failed once, and the audit log says why', async () => {
  // "Launch and wait" with no resume before the callback timeout (PT5M to PT3H) marks the task
  // failed (https://learn.microsoft.com/entra/id-governance/lifecycle-workflow-extensibility): hubwarden
  // stops waiting at the longest one and answers failed rather than never.
  const alive = setInterval(() => undefined, 1000);
  const agent = new FakeAgent();
  agent.pollsUntilDone = Number.POSITIVE_INFINITY;
  const task = await agent.offboard({ email: 'raj@example.com' }, { type: 'entra-lifecycle', idp: 'entra' });
  const store = new MemoryStore();
  await store.open();
  await store.transact((tx) => tx.put('hookEvents', 'entra-lifecycle', 'tpr-slow', {
    id: 'tpr-slow', source: 'entra-lifecycle', idp: 'entra', receivedAt: new Date().toISOString(), expiresAt: '2099-01-01T00:00:00Z', state: 'waiting', taskIds: [task.id],
    callout: { workflowId: 'wf-1', taskId: 'task-offboard', taskProcessingResultId: 'tpr-slow', action: 'offboard', person: { email: 'raj@example.com' } },
  }));
  const resumes: Array<[string, string]> = [];
  const resume: ResumeCall = async (_idp, target, status) => { resumes.push([target.taskProcessingResultId, status]); };
  const hook = createEntraLifecycleRouter({ config: entraHookConfig(), agent, store, resume, pollIntervalMs: 5, maxWaitMs: 80 });
  try {
    await hook.settled();
  } finally {
    hook.stop();
    clearInterval(alive);
  }
  assert.deepEqual(resumes, [['tpr-slow', 'failed']]);
  assert.equal((await agent.findTask(task.id))?.status, 'running', 'the tasks were still running');
  const record = await store.get('hookEvents', 'entra-lifecycle', 'tpr-slow');
  assert.equal(record?.state, 'failed');
  const entries = (await collect(store.list('audit', ''))) as AuditEntry[];
  const resumed = entries.filter((e) => e.action === 'lifecycle-resume');
  assert.equal(resumed.length, 1);
  assert.match(resumed[0]!.why, /with failed: .*did not finish within/);
});

test('Entra: the wait is counted from the callout\'s receipt, not from the process that takes it up again (a restart does not wait another 3 h)', async () => {
  // The callback timeout (PT5M to PT3H) runs from the callout; once it has passed the workflow has
  // marked the task failed (https://learn.microsoft.com/entra/id-governance/lifecycle-workflow-extensibility).
  // A callout received 10 minutes ago, with a wait of one minute, taken up after a restart: its
  // tasks still running, it is resumed failed at once, not after a further minute.
  const alive = setInterval(() => undefined, 1000);
  const agent = new FakeAgent();
  agent.pollsUntilDone = Number.POSITIVE_INFINITY;
  const task = await agent.offboard({ email: 'raj@example.com' }, { type: 'entra-lifecycle', idp: 'entra' });
  const store = new MemoryStore();
  await store.open();
  await store.transact((tx) => tx.put('hookEvents', 'entra-lifecycle', 'tpr-old', {
    id: 'tpr-old', source: 'entra-lifecycle', idp: 'entra', receivedAt: new Date(Date.now() - 10 * 60_000).toISOString(), expiresAt: '2099-01-01T00:00:00Z', state: 'waiting', taskIds: [task.id],
    callout: { workflowId: 'wf-1', taskId: 'task-offboard', taskProcessingResultId: 'tpr-old', action: 'offboard', person: { email: 'raj@example.com' } },
  }));
  const resumes: Array<[string, string]> = [];
  const resume: ResumeCall = async (_idp, target, status) => { resumes.push([target.taskProcessingResultId, status]); };
  const hook = createEntraLifecycleRouter({ config: entraHookConfig(), agent, store, resume, pollIntervalMs: 5, maxWaitMs: 60_000 });
  const started = Date.now();
  try {
    await Promise.race([hook.settled(), new Promise((r) => setTimeout(r, 5000))]);
  } finally {
    hook.stop();
    await hook.settled();
    clearInterval(alive);
  }
  assert.ok(Date.now() - started < 5000, 'resumed within the callout\'s wait, counted from its receipt 10 minutes ago');
  assert.deepEqual(resumes, [['tpr-old', 'failed']]);
  const entries = (await collect(store.list('audit', ''))) as AuditEntry[];
  assert.match(entries.find((e) => e.action === 'lifecycle-resume')!.why, /did not finish within 1 min of the callout's receipt/);
});
