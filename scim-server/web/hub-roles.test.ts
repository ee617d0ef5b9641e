/**
 * Hub roles in the dashboard, enforced by the server: sessions as OIDC sign-in starts them
 * (admin or not, with the person's email), hub roles from a seeded directory, the agent a fake
 * that records every call. The browser test (test/browser/hub-roles.test.ts) does the same
 * against the real agent and the Meta emulator.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessStore, directoryGroup, directoryUser, SEEDED_AT as at, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { SessionStore } from './session-store.ts';
import { dashboardCaller, dashboardConfig, serveDashboard, signedIn } from './web-fixtures.ts';

// The usual server block: boss@acme.example the one global administrator by email (an
// administrator's session is re-checked against the config's list on every request).
const config = dashboardConfig('hub-roles', `
  - id: acme-ads
    label: Acme Ads
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    teams:
      - { group: Acme Owners, hubRole: owner, appRole: ADMIN }
      - { group: Acme Managers, hubRole: manager, appRole: EMPLOYEE }
      - { group: Sales, appRole: EMPLOYEE }
  - id: beta-shop
    connector: meta-business
    meta: { businessId: "2222222222" }
    teams: [{ group: Beta Sales, appRole: EMPLOYEE }]
`);

/** Every read and action of hub beta-shop the dashboard offers: the owner of acme-ads gets 403 on each. */
export const OTHER_HUB_ROUTES: Array<[method: 'GET' | 'POST', path: string, body?: unknown]> = [
  ['GET', '/ui/hubs/beta-shop'], ['GET', '/ui/hubs/beta-shop?tab=settings'], ['GET', '/ui/hubs/beta-shop?tab=assets'],
  ['GET', '/ui/charts/hubs/beta-shop/standing.svg'],
  ['GET', '/ui/api/v1/hubs/beta-shop'], ['GET', '/ui/api/v1/hubs/beta-shop/members'], ['GET', '/ui/api/v1/hubs/beta-shop/members?status=onboarded'],
  ['GET', '/ui/api/v1/hubs/beta-shop/members/2001'], ['GET', '/ui/api/v1/hubs/beta-shop/plan'],
  ['POST', '/ui/api/v1/hubs/beta-shop/members/2001/match', { directoryUserId: 'b-olivia' }], ['POST', '/ui/api/v1/hubs/beta-shop/members/2001/unmatch', {}],
  ['POST', '/ui/api/v1/hubs/beta-shop/members/2001/exempt', { reason: 'mine now' }], ['POST', '/ui/api/v1/hubs/beta-shop/members/2001/unexempt', {}],
  ['POST', '/ui/api/v1/hubs/beta-shop/members/2001/remove', {}], ['POST', '/ui/api/v1/hubs/beta-shop/check-for-updates', {}],
  ['GET', '/ui/api/v1/tasks?hubId=beta-shop'], ['GET', '/ui/api/v1/tasks/{betaTask}'],
  ['GET', '/ui/api/v1/reports?hubId=beta-shop'], ['POST', '/ui/api/v1/reports/r-beta/apply', { memberIds: 'all' }],
  ['GET', '/ui/api/v1/approvals?hubId=beta-shop'], ['POST', '/ui/api/v1/approvals/a-1/approve', { reason: 'role check' }], ['POST', '/ui/api/v1/approvals/a-1/reject', {}],
  ['GET', '/ui/api/v1/audit?hubId=beta-shop'], ['GET', '/ui/api/v1/audit?hubId=beta-shop&hubId=acme-ads'],
  ['GET', '/ui/api/hubs/beta-shop/assets'], ['GET', '/ui/api/hubs/beta-shop/partners'], ['GET', '/ui/api/hubs/beta-shop/directory-users?search=o'],
  ['GET', '/ui/export/hubs/beta-shop/members.csv'], ['GET', '/ui/export/audit.csv?hubId=beta-shop'],
  // Person-wide routes are for global administrators only.
  ['GET', '/ui/api/v1/people/jane@example.com/offers'], ['POST', '/ui/api/v1/people/jane@example.com/offers/offer-1/claim', {}],
  ['POST', '/ui/api/v1/people/jane@example.com/offboard', {}], ['POST', '/ui/api/v1/people/jane@example.com/reevaluate', {}],
  // A hub that does not exist: 403 too (no probing for hub ids).
  ['GET', '/ui/api/v1/hubs/no-such-hub/members'],
];

describe('hub roles in the dashboard', () => {
  let server: TestServer;
  let agent: FakeAgent;
  let betaTask: string;
  const sessionStore = new MemoryStore();
  const sessions = new SessionStore(sessionStore);
  const who = (email: string, admin = false) => signedIn(sessions, email, { admin });
  const call = dashboardCaller(() => server);

  before(async () => {
    agent = new FakeAgent();
    betaTask = (await agent.checkForUpdates('beta-shop', { type: 'schedule' })).id;
    agent.reportsById.set('r-beta', { id: 'r-beta', hubId: 'beta-shop', createdAt: at, status: 'open', items: [{ memberId: '2001', email: 'jane@example.com', action: 'remove-member', reason: 'left' }] });
    agent.calls.length = 0;
    const store = await accessStore();
    await seedDirectory(store, [
      directoryUser('acme-ads', 'a-olivia', ['olivia@acme.example']),
      directoryUser('beta-shop', 'b-olivia', ['olivia@acme.example']),
      directoryUser('acme-ads', 'a-max', ['max@acme.example']),
      directoryUser('acme-ads', 'a-cora', ['cora@acme.example']),
    ], [
      directoryGroup('acme-ads', 'g-owners', 'Acme Owners', ['a-olivia']),
      directoryGroup('acme-ads', 'g-managers', 'Acme Managers', ['a-max']),
      directoryGroup('acme-ads', 'g-sales', 'Sales', ['a-cora']),
      // Olivia is also on beta-shop, as a collaborator: a seat there lets her manage nothing.
      directoryGroup('beta-shop', 'g-beta', 'Beta Sales', ['b-olivia']),
    ]);
    server = await serveDashboard({ config, agent, store, sessions });
  });
  after(() => server.close());

  test('the owner of acme-ads gets 403 on every read and action of beta-shop, and nothing reaches the agent for it', async () => {
    const olivia = await who('olivia@acme.example');
    for (const [method, raw, body] of OTHER_HUB_ROUTES) {
      const path = raw.replace('{betaTask}', betaTask);
      const res = await call(olivia, method, path, body);
      assert.equal(res.status, 403, `${method} ${path}`);
      // The problem's `instance` echoes the request's own path; nothing else may name beta-shop's data.
      const text = (await res.text()).split(path).join('');
      assert.doesNotMatch(text, /2001|Beta Shop|jane@example\.com|"items"|memberCounts/, `${method} ${path}: no data of beta-shop`);
    }
    const touched = agent.calls.filter((c) => JSON.stringify(c.args).includes('beta-shop') || c.method === 'decideApproval' || c.method === 'applyReport');
    assert.deepEqual(touched.filter((c) => !['reports', 'approvals', 'task', 'findTask'].includes(c.method)), [], 'no call about beta-shop but the gate finding a report/approval/task hub');
    assert.deepEqual(agent.writes(), []);
  });

  test("the dashboard's read routes refuse repeated, non-decimal or out-of-range paging and search parameters with a 400 naming them", async () => {
    const olivia = await who('olivia@acme.example');
    const cases: Array<[string, RegExp]> = [
      ['/ui/api/hubs/acme-ads/assets?offset=1&offset=2', /query\.offset: given 2 times/],
      ['/ui/api/hubs/acme-ads/assets?limit=abc', /query\.limit/],
      ['/ui/api/hubs/acme-ads/assets?limit=0x10', /query\.limit/],
      ['/ui/api/hubs/acme-ads/assets?limit=1000', /query\.limit: expected at most 100/],
      ['/ui/api/hubs/acme-ads/directory-users?search=a&search=b', /query\.search: given 2 times/],
      [`/ui/api/hubs/acme-ads/directory-users?search=${'x'.repeat(201)}`, /query\.search: expected at most 200/],
    ];
    for (const [path, detail] of cases) {
      const res = await call(olivia, 'GET', path);
      assert.equal(res.status, 400, path);
      assert.match(((await res.json()) as { detail: string }).detail, detail, path);
    }
    assert.equal((await call(olivia, 'GET', '/ui/api/hubs/acme-ads/assets?offset=0&limit=10')).status, 200);
  });

  test('the owner manages acme-ads: its pages, settings and actions; cross-hub lists hold only acme-ads', async () => {
    const olivia = await who('olivia@acme.example');
    for (const path of ['/ui/', '/ui/hubs/acme-ads', '/ui/hubs/acme-ads?tab=settings', '/ui/automation', '/ui/audit', '/ui/api/v1/hubs/acme-ads/members', '/ui/api/hubs/acme-ads/assets', '/ui/export/hubs/acme-ads/members.csv']) {
      assert.equal((await call(olivia, 'GET', path)).status, 200, path);
    }
    const hub = await (await call(olivia, 'GET', '/ui/api/v1/hubs/acme-ads')).json() as { health?: unknown; settings?: unknown };
    assert.ok(hub.health && hub.settings, 'an owner sees the health and settings');
    const hubs = await (await call(olivia, 'GET', '/ui/api/v1/hubs')).json() as { items: Array<{ id: string }> };
    assert.deepEqual(hubs.items.map((h) => h.id), ['acme-ads']);
    const tasks = await (await call(olivia, 'GET', '/ui/api/v1/tasks')).json() as { items: Array<{ hubId?: string }> };
    assert.ok(tasks.items.every((t) => t.hubId === 'acme-ads'));
    assert.deepEqual(((await (await call(olivia, 'GET', '/ui/api/v1/reports')).json()) as { items: Array<{ id: string }> }).items.map((r) => r.id), ['r-1']);
    assert.deepEqual(((await (await call(olivia, 'GET', '/ui/api/v1/approvals')).json()) as { items: unknown[] }).items, [], 'the pending approval is beta-shop\'s');
    const automation = await (await call(olivia, 'GET', '/ui/automation')).text();
    assert.doesNotMatch(automation, /value="beta-shop"/, 'the hub filter offers only their hubs');
    assert.doesNotMatch(automation, /data-chart="graph-calls"/, 'the process-wide call counters are for administrators');
    const done = await call(olivia, 'POST', '/ui/api/v1/hubs/acme-ads/check-for-updates', {});
    assert.equal(done.status, 202);
    assert.deepEqual(agent.writes().at(-1)?.args, ['acme-ads', { type: 'dashboard', actor: 'olivia@acme.example', detail: 'oidc' }]);
  });

  test('a manager acts on members but sees neither settings nor health, and labels nobody above themselves', async () => {
    const max = await who('max@acme.example');
    assert.equal((await call(max, 'GET', '/ui/api/v1/hubs/acme-ads/members')).status, 200);
    const hub = await (await call(max, 'GET', '/ui/api/v1/hubs/acme-ads')).json() as Record<string, unknown>;
    assert.equal(hub.id, 'acme-ads');
    assert.equal('health' in hub || 'settings' in hub, false);
    const page = await (await call(max, 'GET', '/ui/hubs/acme-ads')).text();
    assert.doesNotMatch(page, /tab=settings|health-line/);
    assert.equal((await call(max, 'GET', '/ui/hubs/acme-ads?tab=settings')).status, 403);
    const cards = await (await call(max, 'GET', '/ui/api/v1/hubs')).json() as { items: Array<Record<string, unknown>> };
    assert.equal(cards.items.some((h) => 'health' in h), false);
    assert.equal((await call(max, 'POST', '/ui/api/v1/hubs/acme-ads/members/1002/match', { directoryUserId: 'a-cora', hubRole: 'owner' })).status, 403);
    assert.equal((await call(max, 'POST', '/ui/api/v1/hubs/acme-ads/members/1002/match', { directoryUserId: 'a-cora', hubRole: 'manager' })).status, 200);
  });

  test('a collaborator, and someone the directory does not know, see only My access', async () => {
    for (const email of ['cora@acme.example', 'stranger@elsewhere.example']) {
      const p = await who(email);
      const home = await call(p, 'GET', '/ui/');
      assert.equal(home.status, 303, email);
      assert.equal(home.headers.get('location'), '/ui/my-access');
      for (const path of ['/ui/automation', '/ui/audit', '/ui/hubs/acme-ads', '/ui/api/v1/hubs', '/ui/api/v1/tasks', '/ui/api/v1/audit', '/ui/export/audit.csv', '/ui/api/hubs/acme-ads/assets']) {
        assert.equal((await call(p, 'GET', path)).status, 403, `${email} ${path}`);
      }
      const mine = await call(p, 'GET', '/ui/my-access');
      assert.equal(mine.status, 200);
      const html = await mine.text();
      assert.match(html, /<h1>My access<\/h1>/);
      assert.doesNotMatch(html, /href="\/ui\/automation"/, 'the nav offers only My access');
    }
  });

  test('someone who manages no hub is refused a task, report or approval by id before anything is looked up', async () => {
    // Finding a task id not in memory reads the whole archive of finished tasks: not for anyone
    // without a hub (a collaborator, or anyone the IdP signs in), once per request.
    for (const email of ['cora@acme.example', 'stranger@elsewhere.example']) {
      const p = await who(email);
      agent.calls.length = 0;
      for (const [method, path] of [['GET', `/ui/api/v1/tasks/${betaTask}`], ['GET', '/ui/api/v1/tasks/no-such-task'], ['POST', '/ui/api/v1/reports/r-beta/apply'], ['POST', '/ui/api/v1/approvals/a-1/approve']] as const) {
        assert.equal((await call(p, method, path, { memberIds: 'all' })).status, 403, `${email} ${method} ${path}`);
      }
      assert.deepEqual(agent.calls.map((c) => c.method), [], `${email}: nothing read for them`);
    }
  });

  test('My access claims the signed-in person\'s own offer, with the CSRF token, audited as them', async () => {
    const jane = await who('jane@example.com');
    const claim = (as: { cookie: string; csrf: string }, offerId: string, csrf = as.csrf) => fetch(`${server.url}/ui/my-access/offers/${offerId}/claim`, {
      method: 'POST', redirect: 'manual', headers: { cookie: as.cookie, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(csrf ? { _csrf: csrf } : {}),
    });
    const claims = () => agent.calls.filter((c) => c.method === 'claimOwnOffer');
    assert.equal((await claim(jane, 'offer-1', '')).status, 403, 'no CSRF token: refused');
    assert.equal((await claim(jane, 'offer-1', 'guessed')).status, 403);
    assert.deepEqual(claims(), []);
    // Someone else's offer id: looked up under the claimant's own email, so not found; nothing claimed.
    const olivia = await who('olivia@acme.example');
    const stranger = await claim(olivia, 'offer-1');
    assert.equal(stranger.status, 404);
    assert.match(await stranger.text(), /That offer is not one of yours/);
    assert.equal(agent.offerList.get('jane@example.com')![0]!.status, 'offered');
    const ok = await claim(jane, 'offer-1');
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/ui/my-access?claimed=offer-1');
    assert.deepEqual(claims().map((c) => c.args), [
      [{ email: 'olivia@acme.example', idpUserIds: [] }, 'offer-1', { type: 'dashboard', actor: 'olivia@acme.example', detail: 'oidc' }],
      [{ email: 'jane@example.com', idpUserIds: [] }, 'offer-1', { type: 'dashboard', actor: 'jane@example.com', detail: 'oidc' }],
    ]);
    assert.equal((await claim(jane, 'offer-2')).status, 409, 'an expired offer');
    // An admin-token session is nobody's: it has no offers to claim here.
    const token = await sessions.create('admin-token:abc123', 'admin-token');
    assert.equal((await claim({ cookie: `hubwarden-session=${token.id}`, csrf: token.csrf }, 'offer-1')).status, 403);
  });

  test('an administrator claiming someone\'s offer through the dashboard is audited as themselves, not the adapter\'s token', async () => {
    const boss = await who('boss@acme.example', true);
    agent.offerList.get('jane@example.com')![0]!.status = 'offered';
    const res = await call(boss, 'POST', '/ui/api/v1/people/jane@example.com/offers/offer-1/claim', {});
    assert.equal(res.status, 202);
    const trigger = { type: 'dashboard', actor: 'boss@acme.example', detail: 'oidc' };
    assert.deepEqual(agent.calls.filter((c) => c.method === 'claimOffer').at(-1)?.args, ['jane@example.com', 'offer-1', trigger]);
    assert.deepEqual(((await res.json()) as { task: { trigger: unknown } }).task.trigger, trigger, 'the task names who claimed');
  });

  test('a global administrator signed in with OIDC sees every hub', async () => {
    const boss = await who('boss@acme.example', true);
    const hubs = await (await call(boss, 'GET', '/ui/api/v1/hubs')).json() as { items: Array<{ id: string }> };
    assert.deepEqual(hubs.items.map((h) => h.id), ['acme-ads', 'beta-shop']);
    assert.equal((await call(boss, 'GET', '/ui/hubs/beta-shop?tab=settings')).status, 200);
    assert.equal((await call(boss, 'GET', '/ui/api/v1/hubs/no-such-hub/members')).status, 404);
  });
});
