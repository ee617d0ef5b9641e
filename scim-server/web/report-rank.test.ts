/**
 * Applying a deprovisioning report removes the seats of its items, so the removal's rank rule
 * (scoped-agent.ts) holds there as on `/remove`: a manager does not remove an owner's seat, also
 * not the seat of an owner the IdP deactivated (their groups make them an owner again once
 * re-activated). An owner and an administrator may; a manager may apply the other items.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { SessionStore } from './session-store.ts';
import { dashboardCaller, rankedDirectory, rankedHubConfig, serveDashboard, signedIn } from './web-fixtures.ts';

const config = rankedHubConfig('report-rank');

describe("applying a report: a manager does not remove an owner's seat", () => {
  let server: TestServer;
  let agent: FakeAgent;
  let store: MemoryStore;
  const sessions = new SessionStore(new MemoryStore());
  const call = dashboardCaller(() => server);
  const applied = () => agent.calls.filter((c) => c.method === 'applyReport').map((c) => [c.args[0], c.args[1]]);
  const report = (id: string) => ({ id, hubId: 'acme-ads', createdAt: '2026-12-01T00:00:00.000Z', status: 'open' as const, items: [
    // Dana, an owner the IdP deactivated: her seat waits in the report.
    { memberId: '1012', email: 'dana@acme.example', directoryUserId: 'a-dana', action: 'remove-member' as const, reason: 'deactivated in the IdP' },
    // Cora, no hub role, deactivated too.
    { memberId: '1013', email: 'cora@acme.example', directoryUserId: 'a-cora', action: 'remove-member' as const, reason: 'deactivated in the IdP' },
  ] });

  before(async () => {
    agent = new FakeAgent();
    for (const id of ['r-max', 'r-olivia', 'r-boss']) agent.reportsById.set(id, report(id));
    store = await rankedDirectory();
    server = await serveDashboard({ config, agent, store, sessions });
  });
  after(() => server.close());

  test('a manager applying the whole report, or the owner\'s item, is refused (403, audited, nothing applied); the other item stays his', async () => {
    const max = await signedIn(sessions, 'max@acme.example');
    for (const body of [{}, { memberIds: ['1012'] }, { memberIds: ['1013', '1012'] }]) {
      const res = await call(max, 'POST', '/ui/api/v1/reports/r-max/apply', body);
      assert.equal(res.status, 403, JSON.stringify(body));
      assert.match(((await res.json()) as { detail: string }).detail, /a manager cannot remove the seat of an owner.*item 1012 of report r-max/);
    }
    assert.deepEqual(applied(), [], 'nothing reached the agent');
    const audits = (await collect(store.list('audit', 'acme-ads'))).filter((e) => e.outcome === 'failed' && e.action === 'apply-report');
    assert.equal(audits.length, 3);
    assert.match(audits[0]!.why, /max@acme\.example asked to apply report r-max to dana@acme\.example: refused, a manager cannot remove the seat of an owner/);
    assert.equal(audits[0]!.subject?.directoryUserId, 'a-dana');
    assert.equal((await call(max, 'POST', '/ui/api/v1/reports/r-max/apply', { memberIds: ['1013'] })).status, 200, 'no higher role: his to apply');
    assert.deepEqual(applied(), [['r-max', ['1013']]]);
  });

  test("a manager's \"all\" is the items he was checked for: an owner's item the report gains before the apply is not applied", async () => {
    agent.calls.length = 0;
    agent.reportsById.set('r-race', { ...report('r-race'), items: [report('r-race').items[1]!] });
    // The open report gains Dana's item (another deactivation) between the rank check and the
    // apply: after the third read (the route gate's, the admin route's, the rank check's).
    const reports = agent.reports.bind(agent);
    let reads = 0;
    agent.reports = async (hubId?: string) => {
      const out = await reports(hubId);
      if (++reads === 3) agent.reportsById.set('r-race', report('r-race'));
      return out;
    };
    try {
      assert.equal((await call(await signedIn(sessions, 'max@acme.example'), 'POST', '/ui/api/v1/reports/r-race/apply', {})).status, 200);
    } finally {
      agent.reports = reports;
    }
    assert.deepEqual(applied(), [['r-race', ['1013']]]);
    assert.equal(agent.reportsById.get('r-race')!.items.find((i) => i.memberId === '1012')!.appliedAt, undefined, "Dana's seat is not removed");
  });

  test('an owner and an administrator may apply it all', async () => {
    agent.calls.length = 0;
    assert.equal((await call(await signedIn(sessions, 'olivia@acme.example'), 'POST', '/ui/api/v1/reports/r-olivia/apply', {})).status, 200);
    assert.equal((await call(await signedIn(sessions, 'boss@acme.example', { admin: true }), 'POST', '/ui/api/v1/reports/r-boss/apply', {})).status, 200);
    assert.deepEqual(applied(), [['r-olivia', 'all'], ['r-boss', 'all']]);
  });
});
