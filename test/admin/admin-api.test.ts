import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { adminTokensFrom } from '../../scim-server/admin/admin-tokens.ts';
import { listeningAdminApi } from './admin-api-server.ts';
import { TEST_ENV, testConfig } from './test-server.ts';

const auth = { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` };
const jsonAuth = { ...auth, 'content-type': 'application/json' };
// The label is keyed by secrets.keyFile (admin-tokens.ts): the router's own tokens name it.
const tokenActor = adminTokensFrom(testConfig()).actorFor(TEST_ENV.ADMIN_TOKEN)!;

describe('admin REST API', () => {
  const server = listeningAdminApi();
  const { agent } = server;

  const get = (path: string, headers: Record<string, string> = auth) => fetch(`${server.url}/api/v1${path}`, { headers });
  const post = (path: string, body?: unknown, headers: Record<string, string> = jsonAuth) =>
    fetch(`${server.url}/api/v1${path}`, { method: 'POST', headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });

  async function expectProblem(res: Response, status: number, detail: RegExp) {
    assert.equal(res.status, status);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body = await res.json();
    assert.equal(body.status, status);
    assert.ok(body.type && body.title && body.instance, 'problem has type, title, instance');
    assert.match(body.detail, detail);
    return body;
  }

  describe('authentication', () => {
    test('no token: 401 with WWW-Authenticate, nothing called', async () => {
      const before = agent.calls.length;
      const res = await get('/hubs', {});
      await expectProblem(res, 401, /Authorization: Bearer/);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="hubwarden"');
      assert.equal(agent.calls.length, before);
    });

    test('wrong token: 401 invalid_token, and the token is not echoed', async () => {
      const res = await post('/hubs/acme-ads/check-for-updates', undefined, { authorization: 'Bearer not-a-real-token' });
      const body = await expectProblem(res, 401, /not one of server.adminTokens/);
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      assert.doesNotMatch(JSON.stringify(body), /not-a-real-token/);
      assert.equal(agent.writes().length, 0);
    });

    test('a second configured token works, and the audit actor is a hash prefix, never the token', async () => {
      const res = await post('/hubs/acme-ads/check-for-updates', undefined, { authorization: `Bearer ${TEST_ENV.SECOND_ADMIN_TOKEN}` });
      assert.equal(res.status, 202);
      const call = agent.writes().at(-1)!;
      const trigger = call.args.at(-1) as { type: string; actor: string };
      assert.equal(trigger.type, 'admin');
      assert.equal(trigger.actor, adminTokensFrom(testConfig()).actorFor(TEST_ENV.SECOND_ADMIN_TOKEN));
      assert.match(trigger.actor, /^admin-token:[0-9a-f]{6}$/);
      assert.ok(!JSON.stringify(agent.calls).includes(TEST_ENV.SECOND_ADMIN_TOKEN));
    });

    test('openapi.json is readable without a token', async () => {
      const res = await get('/openapi.json', {});
      assert.equal(res.status, 200);
      assert.equal((await res.json()).openapi, '3.1.0');
    });
  });

  describe('hubs and members', () => {
    test('GET /hubs lists hubs with health', async () => {
      const body = await (await get('/hubs')).json();
      assert.deepEqual(body.items.map((h: { id: string }) => h.id), ['acme-ads', 'beta-shop']);
      assert.equal(body.items[0].health.status, 'ok');
      assert.equal(body.items[0].memberCounts.unmatched, 1);
    });

    test('GET /hubs/{id} masks secrets in settings', async () => {
      const res = await get('/hubs/acme-ads');
      const text = await res.text();
      assert.equal(res.status, 200);
      assert.ok(!text.includes(TEST_ENV.META_TOKEN), 'token value never leaves');
      const body = JSON.parse(text);
      assert.equal(body.settings.meta.accessToken, '[secret env:META_TOKEN]');
      assert.equal(body.settings.meta.businessId, '1234567890');
    });

    test('unknown hub: 404 problem naming it', async () => {
      await expectProblem(await get('/hubs/nope'), 404, /hub "nope" does not exist/);
      await expectProblem(await get('/hubs/nope/members'), 404, /hub "nope"/);
      await expectProblem(await post('/hubs/nope/check-for-updates'), 404, /hub "nope"/);
    });

    test('members filtered by status, paged', async () => {
      const body = await (await get('/hubs/acme-ads/members?status=unmatched&limit=10')).json();
      assert.equal(body.total, 1);
      assert.equal(body.items[0].id, '1002');
      assert.equal(body.limit, 10);
    });

    test('bad query values: 400 naming the field', async () => {
      const a = await expectProblem(await get('/hubs/acme-ads/members?status=deleted'), 400, /^query\.status:/);
      assert.equal(a.field, 'query.status');
      await expectProblem(await get('/hubs/acme-ads/members?limit=-3'), 400, /^query\.limit: expected 1 or more/);
      await expectProblem(await get('/hubs/acme-ads/members?offset=abc'), 400, /^query\.offset/);
      // Number() would take these: hexadecimal, exponent, blank, a fraction.
      for (const bad of ['0x10', '1e2', '%20', '1.5']) await expectProblem(await get(`/hubs/acme-ads/members?offset=${bad}`), 400, /^query\.offset: expected a whole number/);
      await expectProblem(await get('/audit?since=yesterday'), 400, /^query\.since: expected an ISO 8601/);
    });

    test('unknown member: 404', async () => {
      await expectProblem(await get('/hubs/acme-ads/members/9999'), 404, /member "9999" of hub "acme-ads"/);
      await expectProblem(await post('/hubs/acme-ads/members/9999/match', { directoryUserId: 'u-raj' }), 404, /member "9999"/);
      assert.equal(agent.writes().filter((c) => c.args[1] === '9999').length, 0);
    });

    test('match: body validated, then the agent is called with the admin trigger', async () => {
      const before = agent.writes().length;
      await expectProblem(await post('/hubs/acme-ads/members/1002/match', {}), 400, /^body\.directoryUserId:/);
      await expectProblem(await post('/hubs/acme-ads/members/1002/match', { directoryUserId: 'u-raj', hubRole: 'king' }), 400, /^body\.hubRole:/);
      await expectProblem(await post('/hubs/acme-ads/members/1002/match', { directoryUserId: 'u-raj', extra: 1 }), 400, /unknown field\(s\) extra/);
      assert.equal(agent.writes().length, before, 'rejected requests changed nothing');
      const res = await post('/hubs/acme-ads/members/1002/match', { directoryUserId: 'u-raj', hubRole: 'manager' });
      assert.equal(res.status, 200);
      const member = await res.json();
      assert.equal(member.status, 'onboarded');
      assert.equal(member.directoryUserId, 'u-raj');
      const call = agent.writes().at(-1)!;
      assert.equal(call.method, 'matchMember');
      assert.deepEqual(call.args.at(-1), { type: 'admin', actor: tokenActor });
    });

    test('malformed JSON: 400, nothing changed', async () => {
      const before = agent.writes().length;
      await expectProblem(await post('/hubs/acme-ads/members/1001/exempt', '{"reason": "ceo', jsonAuth), 400, /not valid JSON/);
      assert.equal(agent.writes().length, before);
    });

    test('a body that is not JSON: 415 naming the media type, nothing changed', async () => {
      const before = agent.writes().length;
      await expectProblem(await post('/hubs/acme-ads/members/1001/exempt', 'reason=ceo', { ...auth, 'content-type': 'application/x-www-form-urlencoded' }), 415, /application\/json \(got application\/x-www-form-urlencoded\)/);
      assert.equal(agent.writes().length, before);
    });

    test('body over 1 MB: 413', async () => {
      await expectProblem(await post('/hubs/acme-ads/members/1001/exempt', { reason: 'x'.repeat(1_100_000) }), 413, /larger than 1 MB/);
    });

    test('exempt with reason and expiry; missing reason names the field', async () => {
      await expectProblem(await post('/hubs/acme-ads/members/1001/exempt', { reason: '   ' }), 400, /^body\.reason: expected a reason/);
      await expectProblem(await post('/hubs/acme-ads/members/1001/exempt', { reason: 'board member', until: 'next week' }), 400, /^body\.until/);
      const res = await post('/hubs/acme-ads/members/1001/exempt', { reason: 'board member', until: '2026-12-31' });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).exemption.reason, 'board member');
      const ended = await post('/hubs/acme-ads/members/1001/unexempt');
      assert.equal(ended.status, 200);
      const view = await ended.json();
      assert.equal(view.status, 'unmatched');
      assert.equal(view.exemption, undefined);
      await expectProblem(await post('/hubs/acme-ads/members/1001/unexempt', { until: '2026-12-31' }), 400, /^body: unknown field\(s\) until/);
    });

    test('remove and check for updates answer 202 with the task to poll', async () => {
      const res = await post('/hubs/acme-ads/members/1003/remove');
      assert.equal(res.status, 202);
      const { taskId } = await res.json();
      assert.equal(res.headers.get('location'), `/api/v1/tasks/${taskId}`);
      const check = await post('/hubs/acme-ads/check-for-updates');
      assert.equal(check.status, 202);
      const body = await check.json();
      const task = await (await get(`/tasks/${body.taskId}`)).json();
      assert.equal(task.kind, 'check-for-updates');
      assert.equal(task.hubId, 'acme-ads');
    });

    test('plan is a dry run', async () => {
      const before = agent.writes().length;
      const body = await (await get('/hubs/acme-ads/plan')).json();
      assert.equal(body.dryRun, true);
      assert.equal(body.operations[0].memberId, '1002');
      assert.equal(agent.writes().length, before);
    });
  });

  describe('tasks, reports, approvals, audit, people', () => {
    test('unknown task: 404; bad status filter: 400', async () => {
      await expectProblem(await get('/tasks/t-nope'), 404, /task "t-nope"/);
      await expectProblem(await get('/tasks?status=done'), 400, /^query\.status/);
      const list = await (await get('/tasks?kind=check-for-updates')).json();
      assert.ok(list.items.length >= 1);
      assert.ok(list.items.every((t: { kind: string }) => t.kind === 'check-for-updates'));
    });

    test('apply a report: unknown member ids refused, then a subset applied', async () => {
      await expectProblem(await post('/reports/r-none/apply', { memberIds: 'all' }), 404, /report "r-none"/);
      await expectProblem(await post('/reports/r-1/apply', { memberIds: ['1002', 'ghost'] }), 400, /body\.memberIds\[1\]: "ghost" is not an item/);
      await expectProblem(await post('/reports/r-1/apply', { memberIds: 'some' }), 400, /^body\.memberIds/);
      assert.equal(agent.reportsById.get('r-1')!.status, 'open');
      const res = await post('/reports/r-1/apply', { memberIds: ['1002'] });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).status, 'partially-applied');
    });

    test('approvals: approve once, then 409', async () => {
      const list = await (await get('/approvals?hubId=beta-shop')).json();
      assert.equal(list.items[0].id, 'a-1');
      await expectProblem(await post('/approvals/a-404/approve', { reason: 'test approval' }), 404, /approval "a-404"/);
      assert.equal((await post('/approvals/a-1/approve', { reason: 'test approval' })).status, 200);
      await expectProblem(await post('/approvals/a-1/reject'), 409, /already approved/);
    });

    test('audit pages by cursor: entries written between two pages do not repeat any', async () => {
      const first = await (await get('/audit?limit=2')).json();
      assert.equal(first.items.length, 2);
      assert.equal(typeof first.next, 'number', 'a cursor while older entries remain');
      // Two entries are written before the next page is asked for: with offset=2 the page would
      // start with the first page's entries again.
      const newest = Math.max(...agent.auditLog.map((e) => e.seq));
      for (const n of [1, 2]) agent.auditLog.push({ ...agent.auditLog[0]!, seq: newest + n, why: `written meanwhile ${n}` });
      const second = await (await get(`/audit?limit=2&before=${first.next}`)).json();
      const seen = new Set(first.items.map((e: { seq: number }) => e.seq));
      assert.ok(second.items.length > 0);
      assert.ok(second.items.every((e: { seq: number }) => !seen.has(e.seq) && e.seq < first.next), 'no entry of the first page again');
      let all = 0;
      for (let page = await (await get('/audit?limit=2')).json(); ; page = await (await get(`/audit?limit=2&before=${page.next}`)).json()) {
        all += page.items.length;
        if (page.next === undefined) break;
      }
      assert.equal(all, agent.auditLog.length, 'following next reaches every entry once');
      await expectProblem(await get('/audit?before=0x10'), 400, /^query\.before: expected a whole number/);
    });

    test('audit is filtered by action', async () => {
      const body = await (await get('/audit?action=check-for-updates&hubId=acme-ads')).json();
      assert.ok(body.total >= 1);
      assert.ok(body.items.every((e: { action: string }) => e.action === 'check-for-updates'));
    });

    test('offboard a person: 202 with a task; unknown person 404; bad email 400', async () => {
      const res = await post('/people/jane%40example.com/offboard');
      assert.equal(res.status, 202);
      const { taskId } = await res.json();
      assert.match(res.headers.get('location')!, new RegExp(`/api/v1/tasks/${taskId}$`));
      assert.deepEqual(agent.writes().at(-1)!.args[0], { email: 'jane@example.com' });
      await expectProblem(await post('/people/nobody%40example.com/offboard'), 404, /no directory user with email nobody@example.com/);
      await expectProblem(await post('/people/not-an-email/offboard'), 400, /^path\.email: expected an email/);
    });

    test('offboard names one directory user by `directoryUserId` (an email naming a leaver and their rehire is 409 in the agent); an empty one is 400', async () => {
      assert.equal((await post('/people/jane%40example.com/offboard', { directoryUserId: ' u-old ', reason: 'leaver, not the rehire' })).status, 202);
      assert.deepEqual(agent.writes().at(-1)!.args[0], { email: 'jane@example.com', directoryUserId: 'u-old' });
      await expectProblem(await post('/people/jane%40example.com/offboard', { directoryUserId: '' }), 400, /directoryUserId/);
    });

    test('offers: listed by email; claiming is 202 with a task and audited as the token; expired 409; unknown 404; bad input 400', async () => {
      const list = await get('/people/Jane%40example.com/offers');
      assert.equal(list.status, 200);
      const { items } = await list.json();
      assert.deepEqual(items.map((o: { id: string; status: string; collection?: string }) => [o.id, o.status, o.collection]), [['offer-1', 'offered', 'brand-hubs'], ['offer-2', 'expired', undefined]]);
      assert.deepEqual(Object.keys(items[0]).sort(), ['appRole', 'assets', 'collection', 'expiresAt', 'hubId', 'id', 'offeredAt', 'status']);
      assert.deepEqual(await (await get('/people/nobody%40example.com/offers')).json(), { items: [] });

      const res = await post('/people/jane%40example.com/offers/offer-1/claim');
      assert.equal(res.status, 202);
      const { taskId } = await res.json();
      assert.match(res.headers.get('location')!, new RegExp(`/api/v1/tasks/${taskId}$`));
      const call = agent.writes().at(-1)!;
      assert.deepEqual([call.method, call.args[0], call.args[1], (call.args[2] as { type: string }).type], ['claimOffer', 'jane@example.com', 'offer-1', 'admin']);
      await expectProblem(await post('/people/jane%40example.com/offers/offer-2/claim'), 409, /expired/);
      await expectProblem(await post('/people/jane%40example.com/offers/offer-9/claim'), 404, /no offer offer-9/);
      await expectProblem(await post('/people/jane%40example.com/offers/bad%20id/claim'), 400, /^path\.offerId: expected an offer id/);
      await expectProblem(await get('/people/not-an-email/offers'), 400, /^path\.email: expected an email/);
    });

    test('reevaluate a person: 202 with one task per hub', async () => {
      const res = await post('/people/raj%40example.com/reevaluate');
      assert.equal(res.status, 202);
      const body = await res.json();
      assert.equal(body.taskIds.length, 1);
    });

    test('unknown route: 404 problem', async () => {
      await expectProblem(await get('/nothing-here'), 404, /GET \/api\/v1\/nothing-here/);
    });
  });
});
