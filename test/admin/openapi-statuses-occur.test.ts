/**
 * Both directions of the served document's statuses, operation by operation: every status it
 * lists for an operation is one that operation answers (a card built from the document, Okta
 * Workflows' API connector, gets a branch per documented status; one that never comes is a dead
 * branch, and a reader takes it for a case that exists), and the probes below answer nothing it
 * does not list. openapi-statuses.test.ts checks the problem bodies and headers of some of them.
 *
 * Probes per operation: the request as documented, an unknown query parameter (400), no token
 * (401), each unknown path id or hub filter (404), the operation's own refusals (409) and repeats
 * (200 where 202 is the first answer), a body over 1 MB and one of another media type (413, 415:
 * POSTs), every agent call refused by the store (503), and wrong tokens past the limit (429).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentApi, TaskView } from '../../agent/api.ts';
import { StoreUnavailable } from '../../agent/store/store-unavailable.ts';
import type { OpenApiDocument } from '../../scim-server/admin/openapi.ts';
import type { AdminTokens } from '../../scim-server/admin/admin-tokens.ts';
import { FailureLimiter } from '../../scim-server/auth-failures.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, testConfig, type TestServer } from './test-server.ts';

const TOKEN = 'statuses-every-hub-token';
const SCOPED = 'statuses-acme-ads-token';
/** Two tokens, one scoped to acme-ads (the audit log's hub filter answers 404 only for a scoped one). */
const tokens: AdminTokens = {
  actorFor: (t) => (t === TOKEN ? 'admin-token:every' : t === SCOPED ? 'admin-token:scoped' : undefined),
  configured: () => true,
  scopeOf: (actor) => (actor === 'admin-token:scoped' ? ['acme-ads'] : undefined),
};

interface Probe { method: 'GET' | 'POST'; path: string; body?: string; type?: string; token?: string | null }
type Op = `${'GET' | 'POST'} ${string}`;

class ProbeAgent extends FakeAgent {
  constructor() {
    super();
    const failed = (id: string, status: TaskView['status']): TaskView => ({ id, hubId: 'acme-ads', kind: 'invite-member', status, trigger: { type: 'schedule' }, summary: `invite (${id})`, attempts: 3, createdAt: '2026-11-23T09:00:00.000Z', updatedAt: '2026-11-23T09:00:00.000Z' });
    this.tasksById.set('t-failed', failed('t-failed', 'failed'));
    this.tasksById.set('t-done', failed('t-done', 'completed'));
    this.reportsById.set('r-gone', { ...this.reportsById.get('r-1')!, id: 'r-gone', status: 'dismissed' });
    for (const [id, status] of [['a-2', 'pending'], ['a-rejected', 'rejected'], ['a-approved', 'approved']] as const) this.approvalsById.set(id, { ...this.approvalsById.get('a-1')!, id, status });
    // A seat removed earlier: the removal's audit entry is what a repeat is answered from.
    this.auditLog.push({ seq: 1, at: '2026-11-23T09:30:00.000Z', hubId: 'acme-ads', trigger: { type: 'admin' }, action: 'remove-member', subject: { memberId: 'gone-1' }, why: 'removed', outcome: 'ok' });
    this.membersByHub.get('acme-ads')!.push({ ...this.membersByHub.get('acme-ads')![0]!, id: 'held-1', status: 'exempted', exemption: { reason: 'kept', by: 'x', at: '2026-11-23T09:00:00.000Z' } });
  }
  override async removeMember(hubId: string, memberId: string, trigger: Parameters<AgentApi['removeMember']>[2]): Promise<TaskView> {
    if (memberId === 'held-1') throw Object.assign(new Error('agent: remove held-1: exempted'), { kind: 'conflict' });
    return super.removeMember(hubId, memberId, trigger);
  }
  override async exemptMember(hubId: string, memberId: string, input: { reason: string; until?: string }, trigger: Parameters<AgentApi['exemptMember']>[3]) {
    // As member-decisions.ts `exempt` refuses while the seat's removal is calling the app.
    if (memberId === 'held-1') throw Object.assign(new Error('agent: exempt held-1: its removal is calling the app now'), { kind: 'conflict' });
    return super.exemptMember(hubId, memberId, input, trigger);
  }
  override async unexemptMember(hubId: string, memberId: string, trigger: Parameters<AgentApi['unexemptMember']>[2]) {
    // As member-decisions.ts `unexempt` refuses a row it reads no exemption of, while the view still shows one.
    if (memberId === 'held-1') throw Object.assign(new Error('agent: held-1 is not exempted'), { kind: 'conflict' });
    return super.unexemptMember(hubId, memberId, trigger);
  }
  override async offboard(person: { email?: string; directoryUserId?: string }, trigger: Parameters<AgentApi['offboard']>[1]): Promise<TaskView> {
    // As agent-api.ts `offboard` refuses an email naming a leaver and their rehire.
    if (person.directoryUserId === 'nope') throw Object.assign(new Error('agent: no directory user nope with this email on any hub'), { kind: 'not-found' });
    if (person.email === 'raj@example.com') throw Object.assign(new Error('agent: raj@example.com names directory users u-raj, u-raj-2'), { kind: 'conflict' });
    // As agent-api.ts answers a leaver action repeated after its offboarding completed (offboard-repeat.ts).
    if (person.email === 'left@example.com') return { ...this.tasksById.get('t-done')!, kind: 'offboard' };
    return super.offboard(person, trigger);
  }
}

const json = (body: unknown) => JSON.stringify(body);
const jane = 'jane%40example.com';

/** The documented request of each operation, and its own probes: [status expected, request]. */
function probes(): Record<Op, Array<[number, Probe]>> {
  const get = (path: string, token?: string): Probe => ({ method: 'GET', path, ...(token ? { token } : {}) });
  const post = (path: string, body: unknown = {}): Probe => ({ method: 'POST', path, body: json(body) });
  return {
    'GET /openapi.json': [[200, get('/openapi.json')]],
    'GET /hubs': [[200, get('/hubs')]],
    'GET /hubs/{hubId}': [[200, get('/hubs/acme-ads')], [404, get('/hubs/nope')]],
    'GET /hubs/{hubId}/members': [[200, get('/hubs/acme-ads/members')], [404, get('/hubs/nope/members')]],
    'GET /hubs/{hubId}/members/{memberId}': [[200, get('/hubs/acme-ads/members/1001')], [404, get('/hubs/acme-ads/members/nope')]],
    'POST /hubs/{hubId}/members/{memberId}/match': [[200, post('/hubs/acme-ads/members/1002/match', { directoryUserId: 'u-raj' })], [404, post('/hubs/acme-ads/members/nope/match', { directoryUserId: 'u-raj' })]],
    'POST /hubs/{hubId}/members/{memberId}/unmatch': [[200, post('/hubs/acme-ads/members/1002/unmatch')], [404, post('/hubs/nope/members/1002/unmatch')]],
    'POST /hubs/{hubId}/members/{memberId}/exempt': [[200, post('/hubs/acme-ads/members/1001/exempt', { reason: 'board member' })], [404, post('/hubs/acme-ads/members/nope/exempt', { reason: 'x' })], [409, post('/hubs/acme-ads/members/held-1/exempt', { reason: 'x' })]],
    'POST /hubs/{hubId}/members/{memberId}/unexempt': [[200, post('/hubs/acme-ads/members/1001/unexempt')], [404, post('/hubs/acme-ads/members/nope/unexempt')], [409, post('/hubs/acme-ads/members/held-1/unexempt')]],
    'POST /hubs/{hubId}/members/{memberId}/remove': [[202, post('/hubs/acme-ads/members/1002/remove')], [200, post('/hubs/acme-ads/members/gone-1/remove')], [404, post('/hubs/acme-ads/members/nope/remove')], [409, post('/hubs/acme-ads/members/held-1/remove')]],
    'POST /hubs/{hubId}/check-for-updates': [[202, post('/hubs/acme-ads/check-for-updates')], [404, post('/hubs/nope/check-for-updates')]],
    'GET /hubs/{hubId}/plan': [[200, get('/hubs/acme-ads/plan')], [404, get('/hubs/nope/plan')]],
    'GET /tasks': [[200, get('/tasks')], [404, get('/tasks?hubId=nope')]],
    'GET /tasks/{id}': [[200, get('/tasks/t-done')], [404, get('/tasks/nope')]],
    'POST /hubs/{hubId}/tasks/{taskId}/retry': [[202, post('/hubs/acme-ads/tasks/t-failed/retry', { reason: 'fixed' })], [200, post('/hubs/acme-ads/tasks/t-failed/retry', { reason: 'fixed' })], [404, post('/hubs/acme-ads/tasks/nope/retry', { reason: 'x' })], [409, post('/hubs/acme-ads/tasks/t-done/retry', { reason: 'x' })]],
    'GET /reports': [[200, get('/reports')], [404, get('/reports?hubId=nope')]],
    'POST /reports/{id}/apply': [[200, post('/reports/r-1/apply')], [404, post('/reports/nope/apply')], [409, post('/reports/r-gone/apply')]],
    'GET /approvals': [[200, get('/approvals')], [404, get('/approvals?hubId=nope')]],
    'POST /approvals/{id}/approve': [[200, post('/approvals/a-1/approve', { reason: 'ok' })], [404, post('/approvals/nope/approve', { reason: 'ok' })], [409, post('/approvals/a-rejected/approve', { reason: 'ok' })]],
    'POST /approvals/{id}/reject': [[200, post('/approvals/a-2/reject')], [404, post('/approvals/nope/reject')], [409, post('/approvals/a-approved/reject')]],
    'GET /audit': [[200, get('/audit')], [404, get('/audit?hubId=beta-shop', SCOPED)]],
    'POST /people/{email}/offboard': [[202, post(`/people/${jane}/offboard`)], [404, post(`/people/${jane}/offboard`, { directoryUserId: 'nope' })], [409, post('/people/raj%40example.com/offboard')], [200, post('/people/left%40example.com/offboard')]],
    'GET /people/{email}/offers': [[200, get(`/people/${jane}/offers`)]],
    'POST /people/{email}/offers/{offerId}/claim': [[202, post(`/people/${jane}/offers/offer-1/claim`)], [404, post(`/people/${jane}/offers/nope/claim`)], [409, post(`/people/${jane}/offers/offer-2/claim`)]],
    'POST /people/{email}/reevaluate': [[202, post(`/people/${jane}/reevaluate`)], [404, post('/people/nobody%40example.com/reevaluate')]],
  };
}

describe('admin API: each operation answers every status the document lists for it, and no other', () => {
  let agent: ProbeAgent;
  let server: TestServer;
  let refusing: TestServer;
  let limited: TestServer;
  let doc: OpenApiDocument;
  before(async () => {
    agent = new ProbeAgent();
    const config = testConfig();
    server = await serveRouters([['/api/v1', createAdminRouter({ config, agent, adminTokens: tokens })]]);
    // Every agent call refused by the store, as a full disk or a lost database does.
    const down = new Proxy(new ProbeAgent(), { get: (t, p) => (typeof (t as never)[p] === 'function' ? () => { throw new StoreUnavailable('the database is unreachable', 5); } : (t as never)[p]) });
    refusing = await serveRouters([['/api/v1', createAdminRouter({ config, agent: down, adminTokens: tokens })]]);
    limited = await serveRouters([['/api/v1', createAdminRouter({ config, agent: new ProbeAgent(), adminTokens: tokens, failures: new FailureLimiter({ admin: { maxFailures: 1, windowMs: 60_000 } }) })]]);
    doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json() as OpenApiDocument;
  });
  after(async () => { await server?.close(); await refusing?.close(); await limited?.close(); });

  const send = async (base: string, p: Probe): Promise<number> => {
    const token = p.token === null ? undefined : p.token ?? TOKEN;
    const res = await fetch(`${base}/api/v1${p.path}`, { method: p.method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(p.body !== undefined ? { 'content-type': p.type ?? 'application/json' } : {}) }, ...(p.body !== undefined ? { body: p.body } : {}) });
    await res.arrayBuffer();
    return res.status;
  };

  test('documented statuses, operation by operation, are the statuses answered', async () => {
    const table = probes();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([m, op]) => [`${m.toUpperCase()} ${path}` as Op, Object.keys(op!.responses).map(Number).sort()] as const));
    assert.deepEqual(documented.map(([op]) => op).sort(), Object.keys(table).sort(), 'a probe for every operation');
    // One wrong token spends the limited server's budget: from then on a wrong token is a 429.
    await send(limited.url, { method: 'GET', path: '/hubs', token: 'wrong' });
    const gaps: string[] = [];
    for (const [op, listed] of documented) {
      const answered = new Set<number>();
      for (const [expected, p] of table[op]) {
        const status = await send(server.url, p);
        assert.equal(status, expected, `${op}: ${p.method} ${p.path}`);
        answered.add(status);
      }
      const [first] = table[op][0]!;
      const [, p] = table[op][0]!;
      if (op === 'GET /openapi.json') {
        assert.equal(await send(server.url, { ...p, token: null }), 200, 'the document needs no token');
      } else {
        const sep = p.path.includes('?') ? '&' : '?';
        answered.add(await send(server.url, { ...p, path: `${p.path}${sep}bogus=1` }));
        answered.add(await send(server.url, { ...p, token: null }));
        answered.add(await send(limited.url, { ...p, token: 'wrong' }));
        answered.add(await send(refusing.url, p));
        if (p.method === 'POST') {
          answered.add(await send(server.url, { ...p, body: json({ reason: 'x'.repeat(1024 * 1024 + 1) }) }));
          answered.add(await send(server.url, { ...p, body: 'reason=x', type: 'application/x-www-form-urlencoded' }));
        }
      }
      assert.ok(answered.has(first));
      const seen = [...answered].sort();
      if (JSON.stringify(seen) !== JSON.stringify(listed)) gaps.push(`${op}: documented ${listed.join(',')}; answered ${seen.join(',')}`);
    }
    assert.deepEqual(gaps, []);
  });
});
