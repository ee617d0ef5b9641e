/**
 * The dashboard's 403s are logged (who, which path, which hub) once a minute per person, and
 * counted in /metrics: failed access-control decisions must be findable (forbidden-log.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessStore, directoryGroup, directoryUser, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { metricsRegistry } from '../ops/metrics.ts';
import { ForbiddenLog } from './forbidden-log.ts';
import { SessionStore } from './session-store.ts';
import { dashboardCaller, dashboardConfig, serveDashboard, signedIn } from './web-fixtures.ts';

type Line = { message: string; meta?: Record<string, unknown> };
const recorder = () => {
  const lines: Line[] = [];
  const warnings: Line[] = [];
  return {
    lines, warnings,
    log: {
      info(message: string, meta?: object) { lines.push({ message, meta: meta as Record<string, unknown> }); },
      warn(message: string, meta?: object) { warnings.push({ message, meta: meta as Record<string, unknown> }); },
      error() {},
    },
  };
};

test('one line a minute per person; the refusals in between are counted into the next line', () => {
  const { lines, log } = recorder();
  let now = 0;
  const forbidden = new ForbiddenLog(log, () => now);
  forbidden.refused('olivia@acme.example', '/ui/hubs/beta-shop', 'beta-shop');
  forbidden.refused('olivia@acme.example', '/ui/hubs/gamma', 'gamma');
  now = 30_000;
  forbidden.refused('olivia@acme.example', '/ui/hubs/delta', 'delta');
  forbidden.refused('max@acme.example', '/ui/api/v1/tasks');
  assert.deepEqual(lines.map((l) => l.meta), [
    { actor: 'olivia@acme.example', path: '/ui/hubs/beta-shop', hubId: 'beta-shop' },
    { actor: 'max@acme.example', path: '/ui/api/v1/tasks' },
  ]);
  now = 61_000;
  forbidden.refused('olivia@acme.example', '/ui/hubs/epsilon', 'epsilon');
  assert.deepEqual(lines[2]!.meta, { actor: 'olivia@acme.example', path: '/ui/hubs/epsilon', hubId: 'epsilon', alsoRefusedSinceLastLine: 2 });
  assert.equal(lines.length, 3);
});

describe("the dashboard's 403s", () => {
  const config = dashboardConfig('forbidden-log', `
  - id: acme-ads
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    teams: [{ group: Sales, appRole: EMPLOYEE }]
  - id: beta-shop
    connector: meta-business
    meta: { businessId: "2222222222", accessToken: env:META_TOKEN }
    teams: [{ group: Beta Sales, appRole: EMPLOYEE }]
`);
  const { lines, warnings, log } = recorder();
  const sessions = new SessionStore(new MemoryStore());
  let server: TestServer;

  before(async () => {
    const store = await accessStore();
    await seedDirectory(store, [directoryUser('acme-ads', 'a-cora', ['cora@acme.example'])], [directoryGroup('acme-ads', 'g-sales', 'Sales', ['a-cora'])]);
    server = await serveDashboard({ config, agent: new FakeAgent(), store, log, sessions });
  });
  after(() => server.close());

  const forbiddenTotal = async () => {
    const m = await metricsRegistry.getSingleMetric('hubwarden_dashboard_forbidden_total')!.get();
    return m.values.reduce((sum, v) => sum + v.value, 0);
  };

  test('a collaborator asking for another hub is logged once (who, path without the query, hub) and every 403 is counted', async () => {
    const cora = await signedIn(sessions, 'cora@acme.example');
    const call = dashboardCaller(() => server);
    const get = (path: string) => call(cora, 'GET', path);
    const counted = await forbiddenTotal();
    assert.equal((await get('/ui/api/v1/hubs/beta-shop/members?status=onboarded')).status, 403);
    assert.equal((await get('/ui/hubs/no-such-hub')).status, 403);
    const refused = lines.filter((l) => /refused \(403\)/.test(l.message));
    assert.deepEqual(refused.map((l) => l.meta), [{ actor: 'cora@acme.example', path: '/ui/api/v1/hubs/beta-shop/members', hubId: 'beta-shop' }]);
    assert.equal(await forbiddenTotal(), counted + 2);
    assert.equal((await get('/ui/api/hubs/acme-ads/assets')).status, 403, 'a collaborator manages nothing on their own hub either');
    assert.equal(await forbiddenTotal(), counted + 3);
  });

  test('a change refused for its CSRF token or Origin is logged (who, path, which check, the Origin), once a minute per person', async () => {
    const dan = await signedIn(sessions, 'dan@acme.example');
    const eve = await signedIn(sessions, 'eve@acme.example');
    // A page on another site posting through the person's browser: the cookie goes along, the token does not.
    const forged = (as: typeof dan, path: string, headers: Record<string, string>, body = '{}') =>
      fetch(`${server.url}${path}`, { method: 'POST', redirect: 'manual', headers: { cookie: as.cookie, 'content-type': 'application/json', ...headers }, body });
    assert.equal((await forged(dan, '/ui/api/v1/hubs/acme-ads/check-for-updates?x=1', { origin: 'https://evil.example', 'x-csrf-token': dan.csrf })).status, 403);
    assert.equal((await forged(dan, '/ui/my-access/offers/o-1/claim', { origin: server.url })).status, 403);
    assert.equal((await forged(eve, '/ui/sign-out', { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' }, '_csrf=guessed')).status, 403);
    const refused = warnings.filter((l) => /CSRF/.test(l.message));
    assert.deepEqual(refused.map((l) => l.meta), [
      { actor: 'dan@acme.example', path: '/ui/api/v1/hubs/acme-ads/check-for-updates', failed: 'origin', origin: 'https://evil.example' },
      { actor: 'eve@acme.example', path: '/ui/sign-out', failed: 'token', origin: server.url },
    ], "dan's second refusal within the minute is counted into his next line, not logged");
    assert.ok(!JSON.stringify(refused).includes(dan.csrf), 'never the token');
  });
});
