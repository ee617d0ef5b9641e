/**
 * An offboarding's approval superseded by a join (agent/dispatch/offboard-brake.ts), over the
 * admin API and the CLI, which decide by id alone: an approver who read the approval with two
 * removals and approves that id after another offboarding of the same person found a third is
 * answered 409 naming the approval that replaced it, and nothing is removed; the new approval,
 * approved, removes all three once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { collect } from '../../agent/store/store.ts';
import { at, hubOf, twoTokens } from '../../agent/dispatch/test-offboard-hub.ts';
import { serveRouters, testConfig, TEST_ENV, type TestServer } from './test-server.ts';
import { assertOneLineError, cli } from './cli-run.ts';

describe('an approval superseded by a joined offboarding, over the admin API and the CLI', () => {
  let world: Awaited<ReturnType<typeof hubOf>> & Awaited<ReturnType<typeof twoTokens>>;
  let server: TestServer;
  let read: string;
  const post = (path: string, body: unknown) => fetch(`${server.url}/api/v1${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const get = async (path: string) => (await fetch(`${server.url}/api/v1${path}`, { headers: { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` } })).json();

  before(async () => {
    world = await twoTokens(10);
    const { store, hub, scoped, everyHub, offboardAs } = world;
    server = await serveRouters([['/api/v1', createAdminRouter({ config: testConfig(), agent: world.api })]]);
    // Two seats when the approver reads the approval; a third (an invite) when the second offboarding runs.
    await store.transact((tx) => tx.put('appMembers', hub.id, 'm-2b', { hubId: hub.id, id: 'm-2b', email: 'p2@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at }));
    await offboardAs('p2@example.com', scoped);
    const { items } = await get('/approvals') as { items: Array<{ id: string; status: string; operations: unknown[] }> };
    const pending = items.filter((a) => a.status === 'pending');
    assert.equal(pending.length, 1);
    assert.equal(pending[0]!.operations.length, 2, 'the approver reads two removals');
    read = pending[0]!.id;
    await store.transact((tx) => tx.put('appInvites', hub.id, 'i-2', { hubId: hub.id, id: 'i-2', email: 'p2@example.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at }));
    await offboardAs('p2@example.com', everyHub);
  });
  after(() => server?.close());

  const queuedRemovals = async () => (await collect(world.store.list('tasks', world.hub.id))).filter((t) => t.kind === 'remove-member' || t.kind === 'cancel-invite').map((t) => t.idempotencyKey).sort();

  test('approving the id read is 409 naming the new approval, and removes nothing; rejecting it too', async () => {
    const { items } = await get('/approvals') as { items: Array<{ id: string; status: string; supersededBy?: string; operations: unknown[] }> };
    const next = items.find((a) => a.status === 'pending')!;
    assert.deepEqual(items.filter((a) => a.status === 'pending').map((a) => a.id), [next.id], 'the superseded one is not listed as pending');
    assert.equal(next.operations.length, 3, 'the new approval lists all three');
    assert.deepEqual(items.find((a) => a.id === read), { ...items.find((a) => a.id === read), status: 'superseded', supersededBy: next.id });
    for (const decision of ['approve', 'reject']) {
      const res = await post(`/approvals/${read}/${decision}`, { reason: 'read it: two seats of p2' });
      assert.equal(res.status, 409, decision);
      const problem = await res.json() as { detail: string };
      assert.match(problem.detail, new RegExp(`superseded by approval "${next.id}"`));
    }
    assert.deepEqual(await queuedRemovals(), ['op:remove:m-0', 'op:remove:m-1'], 'nothing removed');
  });

  test('the CLI approving the id read exits non-zero with one line naming the new approval', async () => {
    const next = (await world.api.approvals(world.hub.id)).find((a) => a.status === 'pending')!;
    assertOneLineError(await cli(['approve', read, '--reason', 'read it', '--url', server.url, '--token', TEST_ENV.ADMIN_TOKEN]), 1,
      new RegExp(`approval "${read}" was superseded by approval "${next.id}".*\\(HTTP 409\\)`));
    assert.deepEqual(await queuedRemovals(), ['op:remove:m-0', 'op:remove:m-1']);
  });

  test('approving the new approval removes all three, once', async () => {
    const next = (await world.api.approvals(world.hub.id)).find((a) => a.status === 'pending')!;
    const res = await post(`/approvals/${next.id}/approve`, { reason: 'read all three' });
    assert.equal(res.status, 200);
    assert.equal((await res.json() as { status: string }).status, 'approved');
    const removals = await queuedRemovals();
    assert.equal(removals.length, 5, JSON.stringify(removals));
    assert.equal(new Set(removals).size, 5, 'each queued once');
  });
});
