import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listeningAdminApi } from './admin-api-server.ts';
import { TEST_ENV } from './test-server.ts';

/**
 * The requests of docs/okta-workflows.md as an Okta Workflows HTTP → Raw Request card sends them:
 * the same headers on every card, `Content-Type: application/json` included, so also on a GET
 * with no body; email addresses URL-encoded in the path (Text → URL Encode). Each answers what the
 * recipe branches on (status code, `taskId`, `Location`, `items[0].status`).
 */
const card = { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}`, 'content-type': 'application/json' };
const jane = encodeURIComponent('jane@example.com');

describe('Okta Workflows recipes (docs/okta-workflows.md), sent as the Raw Request card sends them', () => {
  const server = listeningAdminApi();
  const call = (method: string, path: string, body?: string) => fetch(`${server.url}/api/v1${path}`, { method, headers: card, ...(body === undefined ? {} : { body }) });

  test('recipe 2 and the wait helper: POST offboard with {} answers 202 with taskId and Location; GET that task (a card with Content-Type and no body) answers 200 with its status', async () => {
    const started = await call('POST', `/people/${jane}/offboard`, '{}');
    assert.equal(started.status, 202);
    const { taskId } = await started.json();
    assert.equal(started.headers.get('location'), `/api/v1/tasks/${taskId}`);
    let status = '';
    for (let attempt = 0; attempt < 10 && !['completed', 'failed', 'cancelled'].includes(status); attempt++) {
      const polled = await call('GET', `/tasks/${taskId}`);
      assert.equal(polled.status, 200);
      ({ status } = await polled.json());
    }
    assert.equal(status, 'completed');
  });

  test('recipes 1 and 3: re-evaluate and check for updates answer 202 with task ids; the dry run answers 200', async () => {
    const reevaluated = await call('POST', `/people/${jane}/reevaluate`, '{}');
    assert.equal(reevaluated.status, 202);
    assert.ok((await reevaluated.json()).taskIds.length > 0);
    const check = await call('POST', '/hubs/acme-ads/check-for-updates', '{}');
    assert.equal(check.status, 202);
    assert.match(check.headers.get('location') ?? '', /^\/api\/v1\/tasks\//);
    const plan = await call('GET', '/hubs/acme-ads/plan');
    assert.equal(plan.status, 200);
    assert.equal((await plan.json()).dryRun, true);
  });

  test('recipes 4 and 5: reading a member\'s status, the hubs and a person\'s offers with the card\'s headers and no body answers 200', async () => {
    const members = await call('GET', `/hubs/acme-ads/members?email=${jane}&limit=10`);
    assert.equal(members.status, 200);
    const page = await members.json();
    assert.equal(page.limit, 10);
    assert.equal(page.items[0].status, 'onboarded');
    const hubs = await call('GET', '/hubs');
    assert.equal(hubs.status, 200);
    assert.ok((await hubs.json()).items.some((h: { id: string }) => h.id === 'acme-ads'));
    const offers = await call('GET', `/people/${jane}/offers`);
    assert.equal(offers.status, 200);
    assert.ok(Array.isArray((await offers.json()).items));
    // An unknown hub is the documented problem, not a complaint about the (absent) body.
    const unknown = await call('GET', '/hubs/nope/members?email=x%40example.com');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  });
});
