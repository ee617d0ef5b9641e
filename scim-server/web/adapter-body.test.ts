/**
 * The dashboard's `/ui/api/v1` adapter parses a change's JSON body before the admin router sees
 * it (the signed-in actor's context needs it parsed first), so the admin router's own parser,
 * with its checks of the text (admin/json-body.ts `strictJsonText`, security.md fixed item 40),
 * never ran for the dashboard: a name given twice or bytes that are not UTF-8 reached the agent.
 * They are refused the same way now. Also: sign-in's `next` with a dot segment stays on the dashboard.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { SessionStore } from './session-store.ts';
import { dashboardCaller, dashboardConfig, serveDashboard, signedIn, type SignedIn } from './web-fixtures.ts';

describe('dashboard API bodies are checked as the admin API checks them', () => {
  let server: TestServer;
  let agent: FakeAgent;
  let admin: SignedIn;
  const store = new MemoryStore();
  const sessions = new SessionStore(store);
  const call = dashboardCaller(() => server);
  const raw = (path: string, body: string | Buffer) => fetch(`${server.url}${path}`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: admin.cookie, origin: server.url, 'content-type': 'application/json', 'x-csrf-token': admin.csrf }, body: typeof body === 'string' ? body : new Uint8Array(body) as unknown as BodyInit,
  });

  before(async () => {
    agent = new FakeAgent();
    await store.open();
    server = await serveDashboard({ config: dashboardConfig('adapter-body', `
  - id: acme-ads
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
`), agent, store, sessions });
    admin = await signedIn(sessions, 'boss@acme.example', { admin: true });
  });
  after(() => server.close());

  test('a name given twice in one object is a 400 and nothing is matched', async () => {
    const res = await raw('/ui/api/v1/hubs/acme-ads/members/1001/match', '{"directoryUserId":"u-jane","directoryUserId":"u-raj"}');
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { detail: string }).detail, /names "directoryUserId" twice/);
    assert.deepEqual(agent.writes(), []);
  });

  test('bytes that are not UTF-8 are a 400 and no reason is stored as U+FFFD', async () => {
    const body = Buffer.concat([Buffer.from('{"reason":"Vorstand '), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const res = await raw('/ui/api/v1/hubs/acme-ads/check-for-updates', body);
    assert.equal(res.status, 400);
    assert.deepEqual(agent.writes(), []);
  });

  test('a well-formed body still passes', async () => {
    const res = await call(admin, 'POST', '/ui/api/v1/hubs/acme-ads/check-for-updates', { reason: 'review' });
    assert.equal(res.status, 202);
    const last = agent.writes().at(-1)!;
    assert.equal(last.method, 'checkForUpdates');
    assert.equal((last.args.at(-1) as { reason?: string }).reason, 'review');
  });

  test('signed in, /ui/sign-in?next= with a dot segment goes to the hubs page, not off the dashboard', async () => {
    for (const next of ['/ui/../metrics', '/ui/%2e%2e/api/v1/openapi.json']) {
      const res = await fetch(`${server.url}/ui/sign-in?next=${encodeURIComponent(next)}`, { redirect: 'manual', headers: { cookie: admin.cookie } });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/ui/', next);
    }
  });
});
