import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '../../agent/api.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import type { ResumeCall } from '../../scim-server/hooks/graph-resume.ts';
import type { HookEventRecord } from '../../scim-server/hooks/hook-event-record.ts';
import { createOktaHookRouter } from '../../scim-server/hooks/okta.ts';
import { FakeAgent } from './fake-agent.ts';
import { entraHookConfig, testConfig } from './test-server.ts';

/** Yesterday's date (`YYYY-MM-DDT`): events' `published` relative to the test's clock, since one older than a week is not acted on (okta-event.ts outOfWindow). */
const DAY = new Date(Date.now() - 86_400_000).toISOString().slice(0, 11);

/**
 * The audit log records every change hubwarden makes or declines (who, what, why, outcome), hooks'
 * decisions too: they were kept only in hookEvents records (swept after 7 days) and in logs.
 */
const entraConfig = () => entraHookConfig('actions: { task-offboard: offboard }');

const audit = async (store: MemoryStore) => (await collect(store.list('audit', ''))) as AuditEntry[];

/** Accepted callouts not yet acted on (as after a restart): the router picks them up at start. */
function callout(id: string, taskId: string, email: string): HookEventRecord {
  return {
    id, source: 'entra-lifecycle', idp: 'entra', receivedAt: new Date().toISOString(), expiresAt: '2099-01-01T00:00:00Z', state: 'processing',
    callout: { workflowId: 'wf-1', taskId, taskProcessingResultId: id, action: taskId === 'task-offboard' ? 'offboard' : 'unlisted', person: { email } },
  };
}

function oktaEvent(id: string, email: string, failed = false): HookEventRecord {
  return {
    id, source: 'okta', idp: 'okta', receivedAt: new Date().toISOString(), expiresAt: '2099-01-01T00:00:00Z', published: `${DAY}10:00:00Z`, state: 'processing',
    event: { eventType: 'user.lifecycle.deactivate', person: { email, userName: email }, actor: 'admin@example.com', ...(failed ? { failed: true } : {}) },
  };
}

async function runEntra(records: HookEventRecord[], resume: ResumeCall) {
  // The wait for the tasks polls on unref'd timers (a server's socket keeps a real process up).
  const alive = setInterval(() => undefined, 1000);
  const store = new MemoryStore();
  await store.open();
  await store.transact((tx) => { for (const r of records) tx.put('hookEvents', 'entra-lifecycle', r.id, r); });
  const hook = createEntraLifecycleRouter({ config: entraConfig(), agent: new FakeAgent(), store, resume, pollIntervalMs: 5 });
  await hook.settled();
  hook.stop();
  clearInterval(alive);
  return store;
}

describe('hook decisions in the audit log', () => {
  test('Okta: an event whose outcome is not SUCCESS is audited as skipped; an agent refusal as failed', async () => {
    const store = new MemoryStore();
    await store.open();
    await store.transact((tx) => {
      tx.put('hookEvents', 'okta', 'f-1', oktaEvent('f-1', 'jane@example.com', true));
      tx.put('hookEvents', 'okta', 'g-1', oktaEvent('g-1', 'ghost@example.com'));
    });
    const hook = createOktaHookRouter({ config: testConfig(), agent: new FakeAgent(), store });
    await hook.settled();
    hook.stop();
    const entries = await audit(store);
    const failedEvent = entries.find((e) => e.trigger.detail?.endsWith('f-1'));
    assert.ok(failedEvent, 'the ignored event is audited');
    assert.equal(failedEvent.outcome, 'skipped');
    assert.equal(failedEvent.action, 'offboard');
    assert.deepEqual(failedEvent.trigger, { type: 'okta-event-hook', idp: 'okta', actor: 'admin@example.com', detail: 'user.lifecycle.deactivate f-1' });
    assert.equal(failedEvent.subject?.email, 'jane@example.com');
    assert.match(failedEvent.why, /outcome\.result is not SUCCESS/);
    const refused = entries.find((e) => e.trigger.detail?.endsWith('g-1'));
    assert.ok(refused, 'the agent refusal is audited');
    assert.equal(refused.outcome, 'failed');
    assert.match(refused.why, /no directory user with email ghost@example.com/);
    assert.equal(refused.detail?.eventId, 'g-1');
  });

  test('Entra: an unlisted workflow task is audited as refused, with the resume that told the workflow', async () => {
    const store = await runEntra([callout('tpr-u', 'cte-unknown', 'jane@example.com')], async () => undefined);
    const entries = await audit(store);
    const refused = entries.find((e) => e.action === 'lifecycle-task');
    assert.ok(refused, 'the refusal is audited');
    assert.equal(refused.outcome, 'skipped');
    assert.deepEqual(refused.trigger, { type: 'entra-lifecycle', idp: 'entra', actor: 'workflow:wf-1', detail: 'task cte-unknown result tpr-u' });
    assert.match(refused.why, /not in identityProviders\.entra\.lifecycleWorkflows\.actions/);
    const resumed = entries.find((e) => e.action === 'lifecycle-resume');
    assert.ok(resumed, 'the resume is audited');
    assert.equal(resumed.outcome, 'ok');
    assert.equal(resumed.detail?.operationStatus, 'failed');
    assert.equal(resumed.detail?.taskProcessingResultId, 'tpr-u');
  });

  test('Entra: an agent refusal and a failed resume are audited as failed; a completed one as ok', async () => {
    const store = await runEntra([callout('tpr-g', 'task-offboard', 'ghost@example.com'), callout('tpr-ok', 'task-offboard', 'raj@example.com')], async (_idp, target) => {
      if (target.taskProcessingResultId === 'tpr-g') throw Object.assign(new Error('403 Forbidden: the app is not authorized to resume'), { statusCode: 403 });
    });
    const entries = await audit(store);
    const refused = entries.find((e) => e.action === 'offboard' && e.trigger.detail?.endsWith('tpr-g'));
    assert.ok(refused, 'the agent refusal is audited');
    assert.equal(refused.outcome, 'failed');
    assert.equal(refused.subject?.email, 'ghost@example.com');
    assert.match(refused.why, /no directory user with email ghost@example.com/);
    const failedResume = entries.find((e) => e.action === 'lifecycle-resume' && e.trigger.detail?.endsWith('tpr-g'));
    assert.equal(failedResume?.outcome, 'failed');
    assert.match(failedResume?.why ?? '', /403 Forbidden/);
    const resumed = entries.find((e) => e.action === 'lifecycle-resume' && e.trigger.detail?.endsWith('tpr-ok'));
    assert.equal(resumed?.outcome, 'ok');
    assert.equal(resumed?.detail?.operationStatus, 'completed');
  });
});
