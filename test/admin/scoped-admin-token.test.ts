/**
 * An admin token scoped to hub B (`server.adminTokens: [{ token, hubs: [B] }]`) over the real
 * agent: it lists, reads and acts on hub B only; every route of hub A answers exactly as a hub
 * (or task, report, approval, offer) that does not exist, so the answers tell nothing of A.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../agent-e2e/harness.ts';
import { A, ADA, B, EVERY, ONLY_B, scopedServer, type ScopedServer } from './scoped-token-fixture.ts';

describe('an admin token scoped to one hub', () => {
  let s: ScopedServer;
  before(async () => { s = await scopedServer(); });
  after(async () => { await s.close(); });

  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${s.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: await res.json() as any };
  };
  /** The answer for hub A, with A's id read as `nope`, equals the answer for a hub that does not exist. */
  const sameAsUnknown = async (path: (hub: string) => string, method = 'GET', body?: unknown) => {
    const other = await call(ONLY_B, method, path(A), body);
    const unknown = await call(ONLY_B, method, path('nope'), body);
    assert.equal(other.status, 404, `${method} ${path(A)}`);
    assert.deepEqual({ ...other.body, detail: other.body.detail.replaceAll(A, 'nope'), instance: undefined }, { ...unknown.body, instance: undefined });
  };

  test('GET /hubs lists its hub only; every /hubs/{A} route answers 404 as an unknown hub', async () => {
    assert.deepEqual((await call(ONLY_B, 'GET', '/hubs')).body.items.map((h: { id: string }) => h.id), [B]);
    assert.deepEqual((await call(EVERY, 'GET', '/hubs')).body.items.map((h: { id: string }) => h.id), [A, B]);
    assert.equal((await call(ONLY_B, 'GET', `/hubs/${B}/members`)).status, 200);
    const member = (await call(EVERY, 'GET', `/hubs/${A}/members`)).body.items[0].id;
    for (const path of [(h: string) => `/hubs/${h}`, (h: string) => `/hubs/${h}/members`, (h: string) => `/hubs/${h}/members/${member}`, (h: string) => `/hubs/${h}/plan`]) await sameAsUnknown(path);
    await sameAsUnknown((h) => `/hubs/${h}/check-for-updates`, 'POST', {});
    await sameAsUnknown((h) => `/hubs/${h}/members/${member}/remove`, 'POST', {});
    await sameAsUnknown((h) => `/hubs/${h}/members/${member}/exempt`, 'POST', { reason: 'scoped test' });
    assert.ok(await s.hubwarden.agent.api.member(A, member), 'hub A\'s member is still there');
  });

  test('tasks, reports, approvals and audit: its hub\'s only; a filter or an id of hub A is 404 as unknown', async () => {
    const tasks = await call(ONLY_B, 'GET', '/tasks');
    assert.ok(tasks.body.items.length > 0 && tasks.body.items.every((t: { hubId?: string }) => t.hubId === B), 'only hub B\'s tasks');
    assert.equal(tasks.body.total, (await call(EVERY, 'GET', `/tasks?hubId=${B}`)).body.total, 'the total counts hub B\'s tasks');
    const paged = await call(ONLY_B, 'GET', '/tasks?limit=1');
    assert.equal(paged.body.total, tasks.body.total);
    if (tasks.body.total > 1) assert.ok(paged.body.next, 'a next page within the scope');
    for (const what of ['tasks', 'reports', 'approvals', 'audit']) await sameAsUnknown((h) => `/${what}?hubId=${h}`);
    assert.equal((await call(ONLY_B, 'GET', `/tasks/${s.tasks[A]}`)).status, 404);
    assert.equal((await call(ONLY_B, 'GET', `/tasks/${s.tasks[A]}`)).body.detail, (await call(ONLY_B, 'GET', '/tasks/no-such-task')).body.detail.replace('no-such-task', s.tasks[A]!));
    assert.equal((await call(ONLY_B, 'GET', `/tasks/${s.tasks[B]}`)).status, 200);
    assert.deepEqual((await call(ONLY_B, 'GET', '/reports')).body.items.map((r: { id: string }) => r.id), [s.reports[B]]);
    assert.deepEqual((await call(ONLY_B, 'GET', '/approvals')).body.items.map((r: { id: string }) => r.id), [s.approvals[B]]);
    const audit = await call(ONLY_B, 'GET', '/audit?limit=500');
    assert.ok(audit.body.items.length > 0 && audit.body.items.every((e: { hubId?: string }) => e.hubId === B), 'only hub B\'s audit entries');
    assert.ok((await call(EVERY, 'GET', '/audit?limit=500')).body.items.some((e: { hubId?: string }) => e.hubId === A));
    // The outcome filter keeps the scope: every outcome asked for is hub B's entries, as without it.
    const everyOutcome = await call(ONLY_B, 'GET', '/audit?limit=500&outcome=ok,already-done,failed,skipped,pending,unknown');
    assert.deepEqual(everyOutcome.body.items.map((e: { seq: number }) => e.seq), audit.body.items.map((e: { seq: number }) => e.seq));
    assert.equal(everyOutcome.body.total, audit.body.total);
    const applied = await call(ONLY_B, 'POST', `/reports/${s.reports[A]}/apply`, { memberIds: 'all' });
    assert.equal(applied.status, 404);
    assert.equal(applied.body.detail, (await call(ONLY_B, 'POST', '/reports/no-such/apply', { memberIds: 'all' })).body.detail.replace('no-such', s.reports[A]!));
    for (const decision of ['approve', 'reject']) {
      const decided = await call(ONLY_B, 'POST', `/approvals/${s.approvals[A]}/${decision}`, { reason: 'scoped test' });
      assert.equal(decided.status, 404);
      assert.equal(decided.body.detail, (await call(ONLY_B, 'POST', `/approvals/no-such/${decision}`, { reason: 'scoped test' })).body.detail.replace('no-such', s.approvals[A]!));
    }
    assert.equal((await s.hubwarden.agent.api.approvals(A))[0]?.status, 'pending', 'hub A\'s approval undecided');
  });

  test('people: offers of its hub only; a claim of hub A\'s offer is 404 as an unknown offer; re-evaluation on its hub only', async () => {
    assert.deepEqual((await call(ONLY_B, 'GET', `/people/${ADA}/offers`)).body.items.map((o: { hubId: string }) => o.hubId), [B]);
    assert.deepEqual((await call(EVERY, 'GET', `/people/${ADA}/offers`)).body.items.map((o: { hubId: string }) => o.hubId).sort(), [A, B].sort());
    const claim = await call(ONLY_B, 'POST', `/people/${ADA}/offers/${s.offers[A]}/claim`, {});
    assert.equal(claim.status, 404);
    assert.equal(claim.body.detail, (await call(ONLY_B, 'POST', `/people/${ADA}/offers/no-such-offer/claim`, {})).body.detail.replace('no-such-offer', s.offers[A]!));
    assert.equal((await s.hubwarden.agent.api.offers(ADA)).find((o) => o.hubId === A)?.status, 'offered', 'hub A\'s offer unclaimed');
    const reevaluated = await call(ONLY_B, 'POST', `/people/${ADA}/reevaluate`, {});
    assert.equal(reevaluated.status, 202);
    assert.deepEqual(reevaluated.body.tasks.map((t: { hubId: string }) => t.hubId), [B]);
    assert.deepEqual(reevaluated.body.tasks[0].trigger.hubs, [B], 'the scope travels with the task');
  });

  test('offboard: removes the hub B seat and leaves hub A\'s; keyed by its scope, so an offboarding of every hub is its own', async () => {
    const frank = 'frank.ledger@sandbox.example';
    const seatOn = async (hubId: string) => (await s.hubwarden.agent.api.members(hubId, { search: frank, limit: 10 })).items.find((m) => m.email === frank);
    assert.ok(await seatOn(A));
    assert.ok(await seatOn(B));
    const scoped = await call(ONLY_B, 'POST', `/people/${frank}/offboard`, { reason: 'left team B' });
    assert.equal(scoped.status, 202);
    assert.equal(scoped.body.task.summary, `offboard ${frank} from hub ${B}`);
    assert.deepEqual(scoped.body.task.trigger.hubs, [B]);
    const done = await until('the scoped offboarding', async () => {
      const t = await s.hubwarden.agent.api.task(scoped.body.taskId);
      return t && ['completed', 'failed'].includes(t.status) ? t : undefined;
    }, 30_000);
    assert.equal(done.status, 'completed', JSON.stringify(done.lastError));
    assert.deepEqual((done.result as { hubs: string[] }).hubs, [B]);
    await s.hubwarden.agent.idle();
    assert.equal(await seatOn(B), undefined, 'hub B seat removed');
    assert.ok(await seatOn(A), 'hub A seat left');
    // The person-wide task and its audit entries, asked for within the scope, are the token's to see.
    assert.equal((await call(ONLY_B, 'GET', `/tasks/${scoped.body.taskId}`)).status, 200);
    const trail = (await call(ONLY_B, 'GET', `/audit?email=${frank}&limit=100`)).body.items;
    assert.ok(trail.some((e: { trigger: { hubs?: string[] } }) => e.trigger.hubs?.join() === B), 'the audit entries carry the scope');
    const every = await call(EVERY, 'POST', `/people/${frank}/offboard`, { reason: 'left' });
    assert.notEqual(every.body.taskId, scoped.body.taskId, 'an offboarding of every hub is never answered with the scoped one');
    assert.equal(every.body.task.summary, `offboard ${frank} from every hub`);
    await until('the offboarding of every hub', async () => ['completed', 'failed'].includes((await s.hubwarden.agent.api.task(every.body.taskId))?.status ?? ''), 30_000);
    // A person-wide task asked for with every hub is not the scoped token's to see.
    assert.equal((await call(ONLY_B, 'GET', `/tasks/${every.body.taskId}`)).status, 404);
    assert.ok(!(await call(ONLY_B, 'GET', '/tasks?limit=500')).body.items.some((t: { id: string }) => t.id === every.body.taskId));
  });
});
