/**
 * An approval a later pass withdrew (its removals no longer planned: agent/safety/withdraw-approval.ts),
 * over the admin API and the CLI: listed `withdrawn` with why, approving or rejecting it is a 409
 * naming why, and nothing is removed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { createAgentApi } from '../../agent/agent-api.ts';
import { completeImport, testGroup, testHub, testSeat, testUser } from '../../agent/grants/grant-fixtures.ts';
import { removalPass, removalStore } from '../../agent/safety/test-removal-pass.ts';
import { collect } from '../../agent/store/store.ts';
import { serveRouters, testConfig, TEST_ENV, type TestServer } from './test-server.ts';
import { assertOneLineError, cli } from './cli-run.ts';

const NOW = new Date('2026-12-04T01:00:00Z');
const at = NOW.toISOString();

describe('a withdrawn approval, over the admin API and the CLI', () => {
  const store = removalStore();
  const hub = testHub({ safety: { removalThresholdPercent: 20, removalWindowMinutes: 60, confirmDeprovisioning: false } });
  let server: TestServer;
  let id: string;
  const auth = () => ['--url', server.url, '--token', TEST_ENV.ADMIN_TOKEN];
  const post = (path: string, body: unknown) => fetch(`${server.url}/api/v1${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const removals = async () => (await collect(store.list('tasks', hub.id))).filter((t) => t.kind === 'remove-member').length;

  before(async () => {
    const group = (ids: number[]) => testGroup('g1', 'Meta Advertisers', ids.map((i) => `u-${i}`), at);
    await store.transact((tx) => {
      for (let i = 0; i < 8; i++) {
        tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`, true));
        tx.put('appMembers', hub.id, `m-${i}`, testSeat(`m-${i}`, `p${i}@example.com`, 'EMPLOYEE', at));
      }
      tx.put('directoryGroups', hub.id, 'g1', group([3, 4, 5, 6, 7]));
      tx.put('appMembers', hub.id, 'm-admin', testSeat('m-admin', 'owner@example.com', 'ADMIN', at));
      tx.put('appMembers', hub.id, 'm-x', testSeat('m-x', 'other@example.com', 'EMPLOYEE', at));
      tx.put('appImports', hub.id, hub.id, completeImport(at));
    });
    assert.equal((await removalPass(store, hub, 'settle', 'apply-removals:settle:0', NOW)).status, 'needs-approval');
    await store.transact((tx) => tx.put('directoryGroups', hub.id, 'g1', group([0, 1, 2, 3, 4, 5, 6, 7])));
    assert.equal((await removalPass(store, hub, 'settle', 'apply-removals:settle:1', NOW)).status, 'completed');
    id = (await collect(store.list('approvals', hub.id)))[0]!.id;
    const api = createAgentApi({ store, hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, clock: () => NOW.getTime() + 60_000 });
    server = await serveRouters([['/api/v1', createAdminRouter({ config: testConfig(), agent: api })]]);
  });
  after(() => server?.close());

  test('listed withdrawn with why; approving or rejecting it is 409 naming why, nothing removed', async () => {
    const { items } = await (await fetch(`${server.url}/api/v1/approvals`, { headers: { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` } })).json() as { items: Array<{ id: string; status: string; withdrawnBecause?: string }> };
    assert.deepEqual(items.map((a) => [a.id, a.status, a.withdrawnBecause]), [[id, 'withdrawn', 'no longer planned: the directory or config changed']]);
    for (const decision of ['approve', 'reject']) {
      const res = await post(`/approvals/${id}/${decision}`, { reason: 'read it: three leavers' });
      assert.equal(res.status, 409, decision);
      assert.match((await res.json() as { detail: string }).detail, new RegExp(`approval "${id}" was withdrawn before anyone decided it \\(no longer planned: the directory or config changed\\); nothing was run`));
    }
    assert.equal(await removals(), 0);
  });

  test('the CLI lists it withdrawn with why, and approving it exits non-zero with one line', async () => {
    const list = await cli(['approvals', ...auth()]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${id}.*withdrawn.*withdrawn: no longer planned: the directory or config changed \\(it asked: this run would`));
    assertOneLineError(await cli(['approve', id, '--reason', 'read it', ...auth()]), 1, new RegExp(`approval "${id}" was withdrawn before anyone decided it.*\\(HTTP 409\\)`));
    assert.equal(await removals(), 0);
  });
});
