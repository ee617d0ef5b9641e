/**
 * One store, a known mix of rows on two hubs, and every figure an admin reads about them: the hub
 * summary's member counts (hubs page cards, the standing chart, the members tab badges, `hubwarden
 * hubs`), the members table's totals per status tab and filter (`hubwarden members`), the last
 * check's run record, and the hub's health (its failing-task count beside its problems and status).
 * Each must agree with the others and with the rows.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { configSchema } from '../../config/schema.ts';
import { runCheckForUpdates } from '../check-for-updates/run-check.ts';
import { checkRunsOf } from '../check-for-updates/check-run.ts';
import { emptyApp, fakeConnector, type FakeApp } from '../check-for-updates/fake-app.test-double.ts';
import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { MEMBER_STATUSES } from '../api.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import { createAgentApi } from '../agent-api.ts';
import { createMemberService } from './member-service.ts';
import { DAY_MS } from '../health/hub-health.ts';

const file = configSchema.parse({
  hubs: ['acme', 'beta'].map((id, i) => ({
    id, connector: 'meta-business', meta: { businessId: `${1000 + i}` }, partners: [{ businessId: '2000', token: 'env:X' }],
    teams: [{ group: 'Meta Admins', hubRole: 'owner', appRole: 'ADMIN' }, { group: 'Meta Advertisers', appRole: 'EMPLOYEE' }],
  })),
});
const admin = { type: 'admin' as const, actor: 'owner@acme.com' };
const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const iso = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();
const STATUSES = MEMBER_STATUSES;

const user = (hubId: string, id: string, email: string, active = true): DirectoryUserRecord => ({ hubId, id, userName: email, active, email, emails: [email], scim: {}, created: 'x', lastModified: 'x', version: 1 });

/** acme: onboarded (jane), a leaver still seated (lee, deactivated in the IdP), unmatched (zed), a guest (carl), an exempted seat (ex), the API's system user, a pending invite, a lapsed (expired) one, a partner's person. */
function acmeApp(): FakeApp {
  const a = emptyApp();
  a.members = [
    { id: '11', email: 'jane@acme.com', name: 'Jane', role: 'ADMIN' },
    { id: '12', email: 'lee@acme.com', name: 'Lee', role: 'EMPLOYEE' },
    { id: '13', email: 'zed@acme.com', name: 'Zed', role: 'EMPLOYEE' },
    { id: '14', email: 'carl@agency.com', name: 'Carl', role: 'EMPLOYEE' },
    { id: '15', email: 'ex@acme.com', name: 'Ex', role: 'EMPLOYEE' },
    { id: '16', name: 'API', role: 'ADMIN' },
  ];
  a.systemUsers = [{ id: '16', name: 'API', role: 'ADMIN' }];
  a.invites = [{ id: '901', email: 'newbie@acme.com', role: 'EMPLOYEE', status: 'pending', expiresAt: iso(10 * DAY_MS) }, { id: '904', email: 'late@acme.com', role: 'EMPLOYEE', status: 'expired', expiresAt: iso(-DAY_MS) }];
  a.partners = [{ businessId: '2000', relation: 'agency', assets: [] }];
  a.partnerUsers = [{ partnerBusinessId: '2000', userId: '7001', email: 'ann@agency.com', userType: 'member', assignments: [] }];
  return a;
}

/** beta: other rows, none of which may reach acme's figures. */
function betaApp(): FakeApp {
  const a = emptyApp();
  a.members = [{ id: '21', email: 'jane@acme.com', name: 'Jane', role: 'ADMIN' }, { id: '22', email: 'other@acme.com', role: 'EMPLOYEE' }, { id: '23', email: 'more@acme.com', role: 'EMPLOYEE' }];
  a.invites = [{ id: '902', email: 'b@acme.com', role: 'EMPLOYEE', status: 'pending', expiresAt: iso(10 * DAY_MS) }, { id: '903', email: 'c@acme.com', role: 'EMPLOYEE', status: 'pending', expiresAt: iso(10 * DAY_MS) }];
  return a;
}

async function setup() {
  const store = new MemoryStore();
  const clock = () => new Date(NOW);
  await store.transact((tx) => {
    for (const hubId of ['acme', 'beta']) {
      for (const u of [user(hubId, 'u1', 'jane@acme.com'), user(hubId, 'u2', 'newbie@acme.com'), user(hubId, 'u3', 'lee@acme.com', false), user(hubId, 'u4', 'ex@acme.com'), user(hubId, 'u5', 'late@acme.com')]) tx.put('directoryUsers', hubId, u.id, u);
      tx.put('directoryGroups', hubId, 'g1', { hubId, id: 'g1', displayName: 'Meta Admins', members: [{ value: 'u1' }], scim: {}, created: 'x', lastModified: 'x', version: 1 });
    }
  });
  const hubs = new Map(file.hubs.map((h) => [h.id, h]));
  const apps = { acme: fakeConnector(acmeApp()), beta: fakeConnector(betaApp()) };
  for (const hub of file.hubs) {
    await runCheckForUpdates({ store, hub, connector: apps[hub.id as 'acme' | 'beta'], trigger: admin, taskId: `check-${hub.id}`, now: clock, log: { info() {}, warn() {} } });
  }
  const members = createMemberService({ config: { file }, store, log: { info() {}, warn() {}, error() {} }, clock });
  await members.registerGuest('acme', { email: 'carl@agency.com', note: 'agency' }, admin);
  await members.exemptMember('acme', '15', { reason: 'board member' }, admin);
  const agent = createAgentApi({ store, hubs: () => hubs, connectorFor: () => undefined, members, clock: () => NOW });
  return { store, agent };
}

describe('every surface counts the same rows', () => {
  test('hub summary counts = the members table per status = the whole table; no other hub counted', async () => {
    const { agent } = await setup();
    const acme = (await agent.hub('acme'))!;
    // The expired invite holds no seat: `lapsed`, not `invited` (agent/api.ts MEMBER_STATUSES).
    assert.deepEqual(acme.memberCounts, { onboarded: 2, invited: 1, lapsed: 1, unmatched: 2, guest: 2, exempted: 1 }, 'jane and lee; the invite; the expired one; zed and the system user; carl and the partner\'s person; ex');
    for (const status of STATUSES) {
      const tab = await agent.members('acme', { status, limit: 500 });
      assert.equal(tab.total, acme.memberCounts[status], `${status}: the tab's badge and its rows`);
      assert.equal(tab.items.length, tab.total, `${status}: every row listed`);
      assert.ok(tab.items.every((m) => m.hubId === 'acme' && m.status === status));
    }
    const all = await agent.members('acme', { limit: 2 });
    assert.equal(all.total, Object.values(acme.memberCounts).reduce((a, b) => a + b, 0), 'the total is of the hub, not of the page');
    // The leaver still seated: shown onboarded, and found by the IdP filter the counts do not split.
    const leavers = await agent.members('acme', { directoryStatus: 'deactivated', limit: 500 });
    assert.deepEqual(leavers.items.map((m) => [m.id, m.status]), [['12', 'onboarded']]);
    const beta = (await agent.hub('beta'))!;
    assert.deepEqual(beta.memberCounts, { onboarded: 1, invited: 0, lapsed: 0, unmatched: 4, guest: 0, exempted: 0 }, 'beta\'s two members and two invites of people not in its directory: unmatched');
    const hubs = await agent.hubs();
    assert.deepEqual(hubs.map((h) => [h.id, h.memberCounts]), [['acme', acme.memberCounts], ['beta', beta.memberCounts]]);
  });

  test('the check\'s run record counts what was read on its own hub', async () => {
    const { store } = await setup();
    const [run] = await checkRunsOf(store, 'acme');
    assert.equal(run.counts?.members, 6);
    assert.equal(run.counts?.invites, 2);
    assert.equal(run.counts?.systemUsers, 1);
    assert.equal(run.counts?.partnerUsers, 1);
    const [betaRun] = await checkRunsOf(store, 'beta');
    assert.deepEqual([betaRun.counts?.members, betaRun.counts?.invites], [3, 2]);
  });

  test('health: the failing-task count is the one its problems and status state', async () => {
    const { store, agent } = await setup();
    const task = (id: string, patch: Partial<TaskRecord>): TaskRecord => ({
      id, hubId: 'acme', kind: 'invite', status: 'failed', idempotencyKey: id, payload: {}, summary: id, trigger: { type: 'scim' },
      attempts: 1, attemptsEnded: 1, createdAt: iso(-4 * DAY_MS), updatedAt: iso(-60_000), ...patch,
    });
    const figures = async () => {
      const h = (await agent.hub('acme'))!.health;
      const stated = /(\d+) task\(s\) failing/.exec(h.problems.join('\n'))?.[1];
      return { failingTasks: h.failingTasks, stated: stated === undefined ? 0 : Number(stated), status: h.status };
    };
    assert.deepEqual(await figures(), { failingTasks: 0, stated: 0, status: 'ok' });
    // An owner retried this one: the retry's task is what counts now.
    await store.transact((tx) => tx.put('tasks', 'acme', 'retried', task('retried', { retried: { at: iso(-30_000), by: 'owner@acme.com', reason: 'app fixed', taskId: 'again' } })));
    assert.deepEqual(await figures(), { failingTasks: 0, stated: 0, status: 'ok' }, 'a retried task is no failing task in any figure');
    // Failed an hour ago, and another three days ago (older than hub health's window).
    await store.transact((tx) => {
      tx.put('tasks', 'acme', 'new', task('new', { updatedAt: iso(-3600_000) }));
      tx.put('tasks', 'acme', 'old', task('old', { updatedAt: iso(-3 * DAY_MS) }));
    });
    let now = await figures();
    assert.equal(now.failingTasks, now.stated, 'the card\'s "Failing tasks" and the problem line name one number');
    assert.equal(now.status, 'degraded');
    assert.equal(now.failingTasks, 1);
    // An invite the app refused three days ago holds the same invite a week (operation-handler.ts):
    // the person waits for an owner's retry, so it is failing in every figure until then.
    const refused = task('refused', { updatedAt: iso(-3 * DAY_MS), payload: { op: { kind: 'invite', email: 'newbie@acme.com' } }, lastError: { kind: 'conflict', message: 'the email holds a seat' } });
    await store.transact((tx) => tx.put('tasks', 'acme', 'refused', refused));
    now = await figures();
    assert.deepEqual(now, { failingTasks: 2, stated: 2, status: 'degraded' });
    await store.transact((tx) => tx.put('tasks', 'acme', 'refused', { ...refused, retried: { at: iso(-1000), by: 'owner@acme.com', taskId: 'again2' } }));
    assert.deepEqual(await figures(), { failingTasks: 1, stated: 1, status: 'degraded' }, 'retried: it holds nothing any more');
    assert.equal((await agent.hub('beta'))!.health.failingTasks, 0, 'another hub\'s tasks are not counted');
  });

  test('health: a task waiting out a rate limit is not failing in any figure, however often it waited; one retrying after errors is', async () => {
    const { store, agent } = await setup();
    const waiting = (id: string, patch: Partial<TaskRecord>): TaskRecord => ({
      id, hubId: 'acme', kind: 'invite', status: 'waiting', idempotencyKey: id, payload: {}, summary: id, trigger: { type: 'scim' },
      attempts: 4, attemptsEnded: 4, nextRunAt: iso(60_000), createdAt: iso(-3600_000), updatedAt: iso(-60_000), ...patch,
    });
    // Meta's invite limit or the app-level limit (docs/operations.md: "Waits that are not failures").
    await store.transact((tx) => tx.put('tasks', 'acme', 'limited', waiting('limited', { attemptsWaited: 4, lastError: { kind: 'rate-limited', message: 'Meta: too many calls [4]' } })));
    let h = (await agent.hub('acme'))!.health;
    assert.deepEqual([h.failingTasks, h.status, h.problems], [0, 'ok', []], 'a rate-limit wait is no failure: the card and the status stay quiet');
    // Errors it retries after (Meta unavailable) count once they repeat.
    await store.transact((tx) => tx.put('tasks', 'acme', 'erring', waiting('erring', { attemptsWaited: 1, lastError: { kind: 'unavailable', message: 'Meta: service unavailable [2]' } })));
    h = (await agent.hub('acme'))!.health;
    assert.deepEqual([h.failingTasks, h.status], [1, 'degraded']);
  });
});
