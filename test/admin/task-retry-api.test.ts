import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAgentApi } from '../../agent/agent-api.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { Operation } from '../../agent/plan/operation.ts';
import type { TaskRecord } from '../../agent/tasks/task-record.ts';
import { listeningForSuite } from '../../connectors/sdk/test-listening.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { serveRouters, TEST_ENV, testConfig } from './test-server.ts';

/**
 * `POST /hubs/{hubId}/tasks/{taskId}/retry` over the real agent (agent/tasks/retry-task.ts): an
 * owner's retry of a failed app change queues it once, marks the failed task, audits it; a task
 * that is not failed is a 409, another hub's a 404, a repeat queues nothing.
 */
const config = testConfig();
const store = new MemoryStore();
const agent = createAgentApi({ store, hubs: () => new Map(config.file.hubs.map((h) => [h.id, h])), connectorFor: () => undefined, clock: () => Date.now() });
const AT = new Date(Date.now() - 3_600_000).toISOString();
const invite = (email: string): Operation => ({ kind: 'invite', key: `invite:${email}`, email, role: 'EMPLOYEE', effect: 'grant', reason: 'assigned', directoryUserId: `u-${email}`, summary: `invite ${email}` } as Operation);
const removal = (memberId: string): Operation => ({ kind: 'remove-member', key: `remove:${memberId}`, memberId, role: 'EMPLOYEE', effect: 'removal', reason: 'unassigned', summary: `remove ${memberId}` } as Operation);
const task = (id: string, hubId: string, status: TaskRecord['status'], op: Operation): TaskRecord => ({
  id, hubId, kind: op.kind, status, idempotencyKey: `op:${op.key}`, payload: { op }, summary: op.summary, trigger: { type: 'schedule' },
  attempts: 1, attemptsEnded: 1, createdAt: AT, updatedAt: AT,
  ...(status === 'failed' ? { lastError: { kind: 'invalid-argument', message: 'refused [100]', providerCode: '100' } } : {}),
});

describe('retrying a failed task (admin API, real agent)', () => {
  const server = listeningForSuite(async () => {
    await store.transact((tx) => {
      for (const t of [
        task('t-failed', 'acme-ads', 'failed', invite('ana@example.com')),
        task('t-done', 'acme-ads', 'completed', invite('bo@example.com')),
        task('t-beta', 'beta-shop', 'failed', invite('cy@example.com')),
        { ...task('t-forced', 'acme-ads', 'failed', removal('9001')), payload: { op: removal('9001'), force: true } },
      ]) tx.put('tasks', t.hubId, t.id, t);
    });
    return serveRouters([['/api/v1', createAdminRouter({ config, agent })]]);
  });
  const post = (path: string, body: unknown = { reason: 'Meta fixed the account' }) => fetch(`${server.url}/api/v1${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}`, 'content-type': 'application/json', 'user-agent': 'hubwarden-cli/test' }, body: JSON.stringify(body),
  });
  const queuedFor = async (hubId: string, key: string) => {
    const found: string[] = [];
    for await (const t of store.list('tasks', hubId)) if (t.idempotencyKey === key && t.status === 'queued') found.push(t.id);
    return found;
  };

  test('a task view is `retryable` exactly where the route queues it: the failed invite, not a forced removal (409) nor a completed task', async () => {
    const list = await fetch(`${server.url}/api/v1/tasks?hubId=acme-ads`, { headers: { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` } });
    const { items } = await list.json() as { items: Array<{ id: string; retryable?: true }> };
    assert.deepEqual(items.filter((t) => t.retryable).map((t) => t.id), ['t-failed']);
    const forced = await post('/hubs/acme-ads/tasks/t-forced/retry');
    assert.equal(forced.status, 409);
    assert.match((await forced.json() as { detail: string }).detail, /an owner's or an offboarding's decision/);
    assert.deepEqual(await queuedFor('acme-ads', 'op:remove:9001'), []);
  });

  test('a failed task is queued again once (202 with Location), marked with who, when and why, and audited; a repeat queues nothing (200 alreadyDone)', async () => {
    const first = await post('/hubs/acme-ads/tasks/t-failed/retry');
    assert.equal(first.status, 202);
    const body = await first.json() as { taskId: string; task: { status: string }; retried: { id: string; status: string; retry: { by: string; reason: string; taskId: string } } };
    assert.equal(first.headers.get('location'), `/api/v1/tasks/${body.taskId}`);
    assert.equal(body.task.status, 'queued');
    assert.equal(body.retried.id, 't-failed');
    assert.equal(body.retried.status, 'failed', 'its history kept');
    assert.equal(body.retried.retry.reason, 'Meta fixed the account');
    assert.equal(body.retried.retry.taskId, body.taskId);
    const again = await post('/hubs/acme-ads/tasks/t-failed/retry', { reason: 'clicked twice' });
    assert.equal(again.status, 200);
    const repeat = await again.json() as { alreadyDone: boolean; taskId: string; retried: { retry: { reason: string } } };
    assert.equal(repeat.alreadyDone, true);
    assert.equal(repeat.taskId, body.taskId);
    assert.equal(repeat.retried.retry.reason, 'Meta fixed the account', 'the first retry\'s reason kept');
    assert.equal((await queuedFor('acme-ads', 'op:invite:ana@example.com')).length, 1, 'queued once');
    const audit = (await agent.audit({ hubId: 'acme-ads', action: 'retry-task' })).items;
    assert.equal(audit.length, 1, 'audited once');
    assert.equal(audit[0]!.outcome, 'ok');
    assert.equal(audit[0]!.subject?.email, 'ana@example.com');
    assert.match(audit[0]!.why, /retried failed task t-failed \(invite ana@example\.com: refused \[100\]\).*reason: "Meta fixed the account"/);
  });

  test('a task that is not failed is a 409; another hub\'s task and an unknown one a 404; nothing is queued', async () => {
    const done = await post('/hubs/acme-ads/tasks/t-done/retry');
    assert.equal(done.status, 409);
    assert.match((await done.json() as { detail: string }).detail, /is completed; only a failed task is retried/);
    for (const path of ['/hubs/acme-ads/tasks/t-beta/retry', '/hubs/acme-ads/tasks/no-such-task/retry', '/hubs/no-such-hub/tasks/t-failed/retry']) {
      assert.equal((await post(path)).status, 404, path);
    }
    assert.equal((await queuedFor('beta-shop', 'op:invite:cy@example.com')).length, 0);
    assert.equal((await queuedFor('acme-ads', 'op:invite:bo@example.com')).length, 0);
  });

  test('a reason is required; GET answers 405 with Allow', async () => {
    const none = await post('/hubs/acme-ads/tasks/t-beta/retry', {});
    assert.equal(none.status, 400);
    assert.match((await none.json() as { detail: string }).detail, /body\.reason: expected a reason/);
    const get = await fetch(`${server.url}/api/v1/hubs/acme-ads/tasks/t-failed/retry`, { headers: { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` } });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST, OPTIONS');
  });
});
