/**
 * Retrying a failed task through the dashboard (`/ui/api/v1/hubs/{hubId}/tasks/{taskId}/retry`):
 * the hub's owner and a global administrator may (the hub's health, listing its failed tasks, is
 * theirs); a manager, a collaborator and the owner of another hub get 403, and nothing reaches the
 * agent. The retry is audited as the person signed in.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessStore, directoryGroup, directoryUser, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { SessionStore } from './session-store.ts';
import { dashboardCaller, dashboardConfig, serveDashboard, signedIn } from './web-fixtures.ts';

const config = dashboardConfig('task-retry-roles', `
  - id: acme-ads
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    teams:
      - { group: Acme Owners, hubRole: owner, appRole: ADMIN }
      - { group: Acme Managers, hubRole: manager, appRole: EMPLOYEE }
      - { group: Acme Helpers, hubRole: collaborator, appRole: EMPLOYEE }
  - id: beta-shop
    connector: meta-business
    meta: { businessId: "2222222222" }
    teams: [{ group: Beta Owners, hubRole: owner, appRole: ADMIN }]
`);

describe('retrying a failed task in the dashboard', () => {
  let server: TestServer;
  let agent: FakeAgent;
  let failed = '';
  const sessions = new SessionStore(new MemoryStore());
  const call = dashboardCaller(() => server);
  const retry = (email: string, admin = false) => async () => call(await signedIn(sessions, email, { admin }), 'POST', `/ui/api/v1/hubs/acme-ads/tasks/${failed}/retry`, { reason: 'Meta fixed the account' });
  const retries = () => agent.calls.filter((c) => c.method === 'retryTask');

  before(async () => {
    agent = new FakeAgent();
    failed = (await agent.checkForUpdates('acme-ads', { type: 'schedule' })).id;
    agent.finish(failed, 'failed');
    agent.calls.length = 0;
    const store = await accessStore();
    await seedDirectory(store, [
      directoryUser('acme-ads', 'a-olivia', ['olivia@acme.example']),
      directoryUser('acme-ads', 'a-max', ['max@acme.example']),
      directoryUser('acme-ads', 'a-eve', ['eve@acme.example']),
      directoryUser('beta-shop', 'b-bea', ['bea@beta.example']),
    ], [
      directoryGroup('acme-ads', 'g-owners', 'Acme Owners', ['a-olivia']),
      directoryGroup('acme-ads', 'g-managers', 'Acme Managers', ['a-max']),
      directoryGroup('acme-ads', 'g-helpers', 'Acme Helpers', ['a-eve']),
      directoryGroup('beta-shop', 'g-beta', 'Beta Owners', ['b-bea']),
    ]);
    server = await serveDashboard({ config, agent, store, sessions });
  });
  after(() => server.close());

  test('a manager, a collaborator and another hub\'s owner get 403, and nothing reaches the agent', async () => {
    for (const email of ['max@acme.example', 'eve@acme.example', 'bea@beta.example']) {
      const res = await retry(email)();
      assert.equal(res.status, 403, email);
    }
    assert.deepEqual(retries(), []);
  });

  test('the owner retries it (202), audited as the person signed in; a second click answers alreadyDone and queues nothing', async () => {
    const res = await retry('olivia@acme.example')();
    assert.equal(res.status, 202);
    const again = await retry('olivia@acme.example')();
    assert.equal(again.status, 200);
    assert.equal((await again.json() as { alreadyDone: boolean }).alreadyDone, true);
    const [first] = retries();
    assert.deepEqual(first!.args.slice(0, 2), ['acme-ads', failed]);
    const trigger = first!.args[2] as Trigger;
    assert.deepEqual({ type: trigger.type, actor: trigger.actor, reason: trigger.reason }, { type: 'dashboard', actor: 'olivia@acme.example', reason: 'Meta fixed the account' });
  });
});
