/**
 * A leaver action sent again after its offboarding completed (an Okta Workflows card retried, a
 * Lifecycle Workflows callout run again, `hubwarden offboard` typed twice) is the same request
 * (RFC 9110 §9.2.2): answered with the finished task (admin API 200 `alreadyDone`), no second
 * offboarding queued and nothing audited again (agent/dispatch/offboard-repeat.ts). Re-activated
 * in the IdP or invited again since, it is new work and acts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listeningForSuite } from '../../connectors/sdk/test-listening.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { at, hubOf, owner } from '../../agent/dispatch/test-offboard-hub.ts';
import { collect } from '../../agent/store/store.ts';
import { TASK_KEY_INDEX, taskKeyOf, type TaskRecord } from '../../agent/tasks/task-record.ts';
import { updateTask } from '../../agent/tasks/enqueue.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { serveRouters, TEST_ENV, testConfig } from './test-server.ts';
import { cli } from './cli-run.ts';

const headers = { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}`, 'content-type': 'application/json' };

/** A hub whose p0 (u-0, seat m-0) was offboarded by `owner`, the offboarding completed. */
async function offboarded() {
  const h = await hubOf(5, 'immediate');
  h.store.defineIndex('tasks', TASK_KEY_INDEX, (t, hubId) => [taskKeyOf(hubId, t.idempotencyKey)]);
  const parents = async () => (await collect(h.store.list('tasks', ''))).filter((t) => t.kind === 'offboard');
  const audit = async () => collect(h.store.list('audit', ''));
  const first = await h.api.offboard({ email: 'p0@example.com' }, owner);
  assert.equal((await h.run((await h.store.get('tasks', '', first.id))!)).status, 'waiting');
  // The removal ran: the seat is gone from the app, the child completed; the parent runs again.
  await h.store.transact(async (tx) => {
    for await (const c of tx.list('tasks', h.hub.id)) if (c.parentId === first.id) await updateTask(tx, c, { status: 'completed' });
    tx.delete('appMembers', h.hub.id, 'm-0');
  });
  const done = await h.run({ ...(await h.store.get('tasks', '', first.id))!, status: 'queued' } as TaskRecord);
  assert.equal(done.status, 'completed');
  assert.equal((await h.store.get('directoryUsers', h.hub.id, 'u-0'))?.offboarded?.by, owner.actor);
  return { ...h, first, parents, audit };
}

describe('a leaver action repeated after its offboarding completed', () => {
  test('the same request again: the finished task, no second offboarding, no audit entry', async () => {
    const h = await offboarded();
    const before = (await h.audit()).length;
    const again = await h.api.offboard({ email: 'p0@example.com' }, owner);
    assert.equal(again.id, h.first.id);
    assert.equal(again.status, 'completed');
    assert.equal((await h.parents()).length, 1, 'no second offboarding');
    assert.equal((await h.audit()).length, before, 'nothing audited again');
  });

  test('another caller asking the same: the finished task, one already-done entry saying who asked', async () => {
    const h = await offboarded();
    const workflow: Trigger = { type: 'admin', actor: 'admin-token:okta-workflows', reason: 'User Deactivated' };
    const again = await h.api.offboard({ email: 'p0@example.com' }, workflow);
    assert.equal(again.id, h.first.id);
    assert.equal((await h.parents()).length, 1);
    const asked = (await h.audit()).filter((a) => a.action === 'offboard-requested' && a.trigger.actor === workflow.actor);
    assert.deepEqual(asked.map((a) => [a.outcome, a.taskId]), [['already-done', h.first.id]]);
  });

  test('re-activated in the IdP since (the hold ended): a new offboarding, which holds them again', async () => {
    const h = await offboarded();
    await h.store.transact(async (tx) => {
      const { offboarded: _o, ...user } = (await tx.get('directoryUsers', h.hub.id, 'u-0'))!;
      tx.put('directoryUsers', h.hub.id, 'u-0', { ...user, active: true, version: user.version + 2, lastModified: at });
    });
    const again = await h.api.offboard({ email: 'p0@example.com' }, owner);
    assert.notEqual(again.id, h.first.id);
    assert.equal(again.status, 'queued');
    assert.equal((await h.run((await h.store.get('tasks', '', again.id))!)).status, 'completed');
    assert.ok((await h.store.get('directoryUsers', h.hub.id, 'u-0'))?.offboarded, 'held again');
  });

  test('invited again since (a pending invite under their email): a new offboarding, which cancels it', async () => {
    const h = await offboarded();
    await h.store.transact((tx) => {
      tx.put('appInvites', h.hub.id, 'i-9', { hubId: h.hub.id, id: 'i-9', email: 'p0@example.com', role: 'EMPLOYEE', status: 'pending', createdAt: at, sentByHubwarden: false, resendCount: 0, lastSeenAt: at });
    });
    const again = await h.api.offboard({ email: 'p0@example.com' }, owner);
    assert.notEqual(again.id, h.first.id);
    assert.equal((await h.run((await h.store.get('tasks', '', again.id))!)).status, 'waiting');
    const children = (await collect(h.store.list('tasks', h.hub.id))).filter((t) => t.parentId === again.id);
    assert.deepEqual(children.map((c) => c.kind), ['cancel-invite']);
  });

  test('a failed offboarding asked again acts again', async () => {
    const h = await offboarded();
    await h.store.transact(async (tx) => { await updateTask(tx, (await tx.get('tasks', '', h.first.id))!, { status: 'failed' }); });
    const again = await h.api.offboard({ email: 'p0@example.com' }, owner);
    assert.notEqual(again.id, h.first.id);
  });
});

const world = await offboarded();
describe('admin API: POST /people/{email}/offboard repeated after it completed', () => {
  const server = listeningForSuite(() => serveRouters([['/api/v1', createAdminRouter({ config: testConfig(), agent: world.api })]]));
  test('200 with alreadyDone, the finished task, nothing queued', async () => {
    const res = await fetch(`${server.url}/api/v1/people/p0%40example.com/offboard`, { method: 'POST', headers, body: JSON.stringify({ reason: 'User Deactivated' }) });
    assert.equal(res.status, 200, await res.clone().text());
    const body = await res.json();
    assert.equal(body.alreadyDone, true);
    assert.equal(body.taskId, world.first.id);
    assert.equal(body.task.status, 'completed');
    assert.match(body.detail, /nothing was queued again/);
    assert.equal((await world.parents()).length, 1);
  });
  test('CLI: hubwarden offboard again says it was already done; nothing queued', async () => {
    const run = await cli(['offboard', 'p0@example.com', '--no-wait', '--url', server.url, '--token', TEST_ENV.ADMIN_TOKEN]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`offboarding of p0@example\\.com already done: task ${world.first.id} completed, nothing queued again`));
    assert.equal((await world.parents()).length, 1);
  });
});
