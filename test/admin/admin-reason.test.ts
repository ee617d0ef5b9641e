/**
 * Every access change the admin API makes may say why (`reason`): it reaches the agent in the
 * trigger and every audit entry of the change states it after the generic why. Approving a halted
 * plan must say why. A bad reason is a 400 naming `body.reason`, and nothing is changed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAgentApi } from '../../agent/agent-api.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { testHub } from '../../agent/grants/grant-fixtures.ts';
import { removeMemberOperation } from '../../agent/plan/removal.ts';
import { addToReport } from '../../agent/safety/reports.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { defineDirectoryIndexes } from '../../agent/desired-state/directory-records.ts';
import { definePersonIndexes } from '../../agent/plan/person-input.ts';
import type { AgentApi, AuditEntry, MemberView } from '../../agent/api.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { listeningForSuite } from '../../connectors/sdk/test-listening.ts';
import { listeningAdminApi } from './admin-api-server.ts';
import { serveRouters, TEST_ENV, testConfig } from './test-server.ts';
import { adminApiForCli, assertOneLineError, cli } from './cli-run.ts';

const headers = { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}`, 'content-type': 'application/json' };
const poster = (server: { url: string }) => (path: string, body?: unknown) =>
  fetch(`${server.url}/api/v1${path}`, { method: 'POST', headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

/** Each access-changing route, the agent method it calls and the body it needs besides `reason`. */
const ROUTES: Array<[path: string, method: string, body: Record<string, unknown>]> = [
  ['/hubs/acme-ads/members/1002/match', 'matchMember', { directoryUserId: 'u-raj' }],
  ['/hubs/acme-ads/members/1002/unmatch', 'unmatchMember', {}],
  ['/hubs/acme-ads/members/1001/unexempt', 'unexemptMember', {}],
  ['/hubs/acme-ads/members/1003/remove', 'removeMember', {}],
  ['/hubs/acme-ads/check-for-updates', 'checkForUpdates', {}],
  ['/reports/r-1/apply', 'applyReport', { memberIds: ['1002'] }],
  ['/approvals/a-2/reject', 'decideApproval', {}],
  ['/approvals/a-1/approve', 'decideApproval', {}],
  ['/people/jane@example.com/offboard', 'offboard', {}],
  ['/people/jane@example.com/offers/offer-1/claim', 'claimOffer', {}],
  ['/people/jane@example.com/reevaluate', 'reevaluatePerson', {}],
];

describe('admin API: the reason of an access change', () => {
  const server = listeningAdminApi();
  const { agent } = server;
  const post = poster(server);
  const lastTrigger = (method: string) => agent.calls.filter((c) => c.method === method).at(-1)?.args.at(-1) as Trigger | undefined;

  test('each access-changing route hands its reason, trimmed, to the agent in the trigger', async () => {
    agent.approvalsById.set('a-2', { ...agent.approvalsById.get('a-1')!, id: 'a-2' });
    assert.equal((await post('/hubs/acme-ads/members/1001/exempt', { reason: 'board member' })).status, 200);
    for (const [path, method, body] of ROUTES) {
      const reason = `ticket OPS-1 for ${path}`;
      const res = await post(path, { ...body, reason: `  ${reason} ` });
      assert.ok(res.status < 300, `${path}: ${res.status} ${await res.text()}`);
      assert.equal(lastTrigger(method)?.reason, reason, path);
      assert.equal(lastTrigger(method)?.type, 'admin', path);
      assert.equal(lastTrigger(method)?.detail, undefined, `${path}: not sent by the CLI`);
    }
    // The reason is the trigger's, never part of the match the agent stores.
    assert.deepEqual(agent.calls.filter((c) => c.method === 'matchMember').at(-1)!.args[2], { directoryUserId: 'u-raj' });
  });

  test('without a reason the routes work as before (approve aside) and the trigger has none', async () => {
    const res = await post('/hubs/acme-ads/members/1003/remove');
    assert.equal(res.status, 202);
    assert.equal(lastTrigger('removeMember')?.reason, undefined);
  });

  test('a bad reason is a 400 naming body.reason; nothing is called', async () => {
    const before = agent.writes().length;
    const bad: Array<[unknown, RegExp]> = [
      ['   ', /^body\.reason: expected a reason/], [42, /^body\.reason: expected a string/],
      ['x'.repeat(501), /^body\.reason: expected at most 500 characters/],
      ['left\nthe company', /^body\.reason: the text holds a control character \(U\+000A, a line break\)/],
      ['\u001b[2Jwiped', /^body\.reason: the text holds a control character \(U\+001B\)/],
      ['ok \u202e reversed', /^body\.reason: the text holds a Unicode bidirectional control/],
    ];
    for (const [path, , body] of ROUTES) {
      for (const [reason, detail] of bad) {
        const res = await post(path, { ...body, reason });
        assert.equal(res.status, 400, `${path} ${JSON.stringify(reason)}`);
        assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
        const problem = await res.json();
        assert.equal(problem.field, 'body.reason', path);
        assert.match(problem.detail, detail, path);
      }
    }
    assert.equal(agent.writes().length, before);
  });

  test('approving a halted plan requires a reason: a 400 that says so; rejecting does not', async () => {
    agent.approvalsById.set('a-3', { ...agent.approvalsById.get('a-1')!, id: 'a-3', status: 'pending' });
    const before = agent.writes().length;
    for (const body of [undefined, {}]) {
      const res = await post('/approvals/a-3/approve', body);
      assert.equal(res.status, 400);
      const problem = await res.json();
      assert.equal(problem.field, 'body.reason');
      assert.match(problem.detail, /^body\.reason: expected a reason \(who asked and why\): approving runs every removal the threshold held/);
    }
    assert.equal(agent.writes().length, before);
    assert.equal((await post('/approvals/a-3/reject')).status, 200);
  });

  test('the OpenAPI document declares the reason of each route, required only for approve', async () => {
    const doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json();
    for (const [path] of ROUTES) {
      const template = path.replace('acme-ads', '{hubId}').replace(/members\/\d+/, 'members/{memberId}').replace(/(reports|approvals)\/[^/]+/, '$1/{id}')
        .replace('jane@example.com', '{email}').replace('offer-1', '{offerId}');
      const schema = doc.paths[template]?.post?.requestBody?.content['application/json'].schema;
      assert.ok(schema?.properties?.reason, `${template} declares reason`);
      assert.equal(schema.properties.reason.maxLength, 500, template);
      assert.equal((schema.required ?? []).includes('reason'), template.endsWith('/approve'), template);
    }
  });
});

describe('hubwarden CLI: --reason', () => {
  const server = adminApiForCli();
  const { agent, auth } = server;
  const lastTrigger = (method: string) => agent.calls.filter((c) => c.method === method).at(-1)?.args.at(-1) as Trigger | undefined;

  test('each access-changing command sends --reason; approve requires it', async () => {
    const runs: Array<[string[], string]> = [
      [['remove', 'acme-ads', '1003'], 'removeMember'],
      [['match', 'acme-ads', '1002', 'u-raj'], 'matchMember'],
      [['unmatch', 'acme-ads', '1002'], 'unmatchMember'],
      [['apply', 'r-1', '--members', '1002'], 'applyReport'],
      [['approve', 'a-1'], 'decideApproval'],
      [['offboard', 'jane@example.com', '--no-wait'], 'offboard'],
      [['claim', 'jane@example.com', 'offer-1', '--no-wait'], 'claimOffer'],
    ];
    for (const [args, method] of runs) {
      const run = await cli([...args, '--reason', `asked by ops for ${args[0]}`, ...auth]);
      assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(lastTrigger(method)?.reason, `asked by ops for ${args[0]}`, args.join(' '));
      // The audit can tell a typed command from a workflow using the same token.
      assert.equal(lastTrigger(method)?.detail, 'hubwarden CLI', args.join(' '));
    }
    const missing = await cli(['approve', 'a-1', ...auth]);
    assert.equal(missing.code, 2, 'a usage error');
    assert.match(missing.stderr, /--reason/);
  });

  test('a bad --reason is a usage error naming the option, before any call', async () => {
    const before = agent.calls.length;
    assertOneLineError(await cli(['remove', 'acme-ads', '1003', '--reason', '  ', ...auth]), 2, /--reason/);
    assertOneLineError(await cli(['remove', 'acme-ads', '1003', '--reason', 'a\u001bb', ...auth]), 2, /--reason: the text holds a control character/);
    assertOneLineError(await cli(['remove', 'acme-ads', '1003', '--reason', 'x'.repeat(501), ...auth]), 2, /--reason: 501 characters; at most 500/);
    assert.equal(agent.calls.length, before);
  });

  test('--help of each command mentions --reason', async () => {
    for (const command of ['remove', 'match', 'unmatch', 'unexempt', 'apply', 'approve', 'reject', 'offboard', 'claim']) {
      const help = await cli([command, '--help']);
      assert.match(help.stdout, /--reason <reason>\s+why \(who asked and why\)/, command);
    }
  });
});

/** Through the real agent API and store: the reason is in the audit entry, after the generic why. */
describe('admin API over the agent: the reason in the audit log', () => {
  const store = new MemoryStore();
  // As on the agent's store (agent.ts): the API reads who holds each seat and finds people by email.
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  const hub = testHub();
  const clock = Date.UTC(2026, 10, 23);
  const agentApi = createAgentApi({ store, hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, clock: () => clock });
  // The row lookup the member routes make is the member service's (not wired here): the row as the route needs it.
  const agent: AgentApi = { ...agentApi, member: async (hubId, id) => ({ hubId, id, status: 'onboarded' }) as MemberView };
  const server = listeningForSuite(() => serveRouters([['/api/v1', createAdminRouter({ config: testConfig(), agent })]]));
  const post = poster(server);
  const entries = async (action: string): Promise<AuditEntry[]> => {
    const page = await (await fetch(`${server.url}/api/v1/audit?action=${action}`, { headers })).json();
    return page.items;
  };

  test('remove, apply a report, approve and reject: each entry states the reason in why and trigger', async () => {
    const member = (id: string, email: string) => ({ hubId: hub.id, id, email, role: 'EMPLOYEE' as const, firstSeenAt: '2026-01-01T00:00:00Z', lastSeenAt: '2026-01-01T00:00:00Z' });
    await store.transact(async (tx) => {
      tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: '2026-01-01T00:00:00Z' });
      for (const [id, email] of [['501', 'sam@example.com'], ['503', 'kim@example.com'], ['504', 'lee@example.com'], ['505', 'max@example.com']] as const) tx.put('appMembers', hub.id, id, member(id, email));
      await addToReport(tx, hub.id, [removeMemberOperation({ id: '503', role: 'EMPLOYEE', email: 'kim@example.com' }, { reason: 'deactivated', because: 'deactivated in the directory', directoryUserId: 'u-kim' })], new Date(clock));
      const base = { hubId: hub.id, createdAt: '2026-11-23T00:00:00Z', status: 'pending' as const, explanation: 'would remove 1 of 4 members', taskId: 't-halted' };
      for (const [id, memberId] of [['ap-1', '504'], ['ap-2', '505']]) {
        const op = removeMemberOperation({ id: memberId!, role: 'EMPLOYEE', email: `${memberId}@example.com` }, { reason: 'deactivated', because: 'deactivated in the directory' });
        tx.put('approvals', hub.id, id!, { ...base, id: id!, operations: [{ kind: op.kind, summary: op.summary }], planned: [op] });
      }
    });
    const removed = await post(`/hubs/${hub.id}/members/501/remove`, { reason: 'left the agency (OPS-7)' });
    assert.equal(removed.status, 202, await removed.clone().text());
    const [report] = await agentApi.reports(hub.id);
    assert.equal((await post(`/reports/${report!.id}/apply`, { reason: 'reviewed with HR' })).status, 200);
    assert.equal((await post('/approvals/ap-1/approve', { reason: 'mass leave confirmed by CFO' })).status, 200);
    assert.equal((await post('/approvals/ap-2/reject', { reason: 'contractor renewed' })).status, 200);

    const expect = (e: AuditEntry | undefined, why: RegExp, reason: string) => {
      assert.ok(e, `${why}`);
      assert.match(e.why, why);
      assert.ok(e.why.endsWith(` (reason: "${reason}")`), e.why);
      assert.equal(e.trigger.reason, reason);
      assert.equal(e.trigger.type, 'admin');
    };
    expect((await entries('remove-member')).find((e) => e.subject?.memberId === '501'), /asked to remove sam@example\.com/, 'left the agency (OPS-7)');
    expect((await entries('apply-report'))[0], /applied from report/, 'reviewed with HR');
    expect((await entries('approval-approved'))[0], /^would remove 1 of 4 members/, 'mass leave confirmed by CFO');
    expect((await entries('approval-rejected'))[0], /^would remove 1 of 4 members/, 'contractor renewed');
    // The held removal the rejection drops, in its person's trail.
    expect((await entries('remove-member')).find((e) => e.subject?.memberId === '505'), /not done, approval ap-2 rejected/, 'contractor renewed');
    // The tasks it queued carry the reason: the removals' own entries, written when they run, state it too.
    const tasks = await agentApi.tasks({ hubId: hub.id, offset: 0, limit: 100 });
    assert.ok(tasks.items.some((t) => t.trigger.reason === 'mass leave confirmed by CFO'), 'the approval queued its removals with the reason');
  });

  test('offboarding a person whose offboarding is already queued: who asked again and why is audited; no second task', async () => {
    const first = await post('/people/pat@example.com/offboard', { reason: 'left the agency (HR-1)' });
    assert.equal(first.status, 202, await first.clone().text());
    const second = await post('/people/pat@example.com/offboard', { reason: 'contract ended (HR-2)' });
    assert.equal(second.status, 202);
    const { taskId } = await first.json();
    assert.equal((await second.json()).taskId, taskId, 'answered with the queued offboarding');
    const other = { type: 'cli' as const, actor: 'ops-bot', reason: 'access review (HR-3)' };
    assert.equal((await agentApi.offboard({ email: 'pat@example.com' }, other)).id, taskId);
    // The request that queued it, repeated (a workflow retrying it): its trigger is the task's already.
    const queued = (await agentApi.tasks({ offset: 0, limit: 100 })).items.find((t) => t.id === taskId)!;
    assert.equal((await agentApi.offboard({ email: 'pat@example.com' }, { reason: queued.trigger.reason, actor: queued.trigger.actor, type: 'admin' })).id, taskId);
    const offboards = (await agentApi.tasks({ offset: 0, limit: 100 })).items.filter((t) => t.kind === 'offboard');
    assert.equal(offboards.length, 1, 'no second offboarding queued');
    assert.equal(offboards[0]!.trigger.reason, 'left the agency (HR-1)');
    const asked = (await entries('offboard-requested')).filter((e) => e.subject?.email === 'pat@example.com').reverse();
    assert.deepEqual(asked.map((e) => [e.trigger.type, e.trigger.actor, e.trigger.reason, e.taskId, e.outcome, e.detail?.alreadyQueued]), [
      ['admin', offboards[0]!.trigger.actor, 'contract ended (HR-2)', taskId, 'pending', true],
      ['cli', 'ops-bot', 'access review (HR-3)', taskId, 'pending', true],
    ]);
    assert.match(asked[0]!.why, new RegExp(`^offboard pat@example\\.com from every hub: asked again while offboarding task ${taskId} is queued; no second offboarding queued \\(reason: "contract ended \\(HR-2\\)"\\)$`));
  });
});
