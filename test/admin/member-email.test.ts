/**
 * "Read a member's status" (docs/okta-workflows.md, recipe 4) looks a person up on a hub by email.
 * `search` matches any part of an id, email or name, so `search=jane@example.com` also finds
 * mary.jane@example.com, sorted first: a flow reading `items[0]` (and acting on its id) took
 * another person for Jane. `email` matches the row's email exactly (case-insensitive).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberView } from '../../agent/api.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig, type TestServer } from './test-server.ts';

let server: TestServer;
let agent: FakeAgent;
const auth = { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` };
const row = (id: string, email: string): MemberView => ({ hubId: 'acme-ads', id, status: 'unmatched', email, name: email.split('@')[0], appRole: 'EMPLOYEE', assets: [], grantedBy: [], kind: 'member' });

before(async () => {
  agent = new FakeAgent();
  agent.membersByHub.get('acme-ads')!.unshift(row('1009', 'ajane@example.com'), row('1010', 'mary.jane@example.com'));
  server = await serveRouters([['/api/v1', createAdminRouter({ config: testConfig(), agent })]]);
});
after(() => server.close());

const get = (path: string, accept = 'application/json') => fetch(`${server.url}/api/v1${path}`, { headers: { ...auth, accept } });

test('members?email=: only the rows with exactly that email, paged; none is total 0', async () => {
  const body = await (await get('/hubs/acme-ads/members?email=Jane%40Example.com&limit=10')).json();
  assert.deepEqual([body.total, body.items.map((m: MemberView) => m.id)], [1, ['1001']]);
  assert.deepEqual(await (await get('/hubs/acme-ads/members?email=nobody%40example.com')).json(), { total: 0, offset: 0, limit: 100, items: [] });
  // With a status filter too, and past the end.
  assert.equal((await (await get('/hubs/acme-ads/members?email=jane%40example.com&status=unmatched')).json()).total, 0);
  assert.deepEqual((await (await get('/hubs/acme-ads/members?email=jane%40example.com&offset=1')).json()).items, []);
});

test('members?email= as CSV: only that person\'s row', async () => {
  const csv = await (await get('/hubs/acme-ads/members?email=jane%40example.com', 'text/csv')).text();
  const lines = csv.trimEnd().split('\r\n');
  assert.equal(lines.length, 2, csv);
  assert.match(lines[1]!, /^jane@example\.com,/);
});

test('email with search, or not an email: 400 naming the field', async () => {
  const both = await get('/hubs/acme-ads/members?email=jane%40example.com&search=jane');
  assert.equal(both.status, 400);
  assert.equal((await both.json()).field, 'query.email');
  const bad = await get('/hubs/acme-ads/members?email=jane');
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).field, 'query.email');
});
