/**
 * Retries of the admin API's state-changing routes (scim-server/admin/already-done.ts). Okta
 * Workflows' HTTP cards retry a call whose answer was lost: a repeat of a request already applied
 * answers 200 with the resource as it is and `alreadyDone: true`, never runs the change again,
 * and is not audited; a request that contradicts what was done is still a 409 problem.
 *
 * The agent here refuses as the real one does (agent/agent-api.ts, member-decisions.ts `unexempt`):
 * a decided approval, an applied or dismissed report, a member with no exemption are conflicts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Approval, DeprovisioningReport, MemberView } from '../../agent/api.ts';
import { AgentError } from '../../agent/agent-error.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig, type TestServer } from './test-server.ts';

const headers = { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}`, 'content-type': 'application/json' };

class RefusingAgent extends FakeAgent {
  /** The next this many reads of approvals or reports answer what they held before the last change (a retry racing its first attempt). */
  staleReads = 0;
  lastApprovals: Approval[] = [];
  lastReports: DeprovisioningReport[] = [];

  override async approvals(hubId?: string): Promise<Approval[]> {
    const now = await super.approvals(hubId);
    return this.staleReads-- > 0 ? this.lastApprovals : now;
  }
  override async decideApproval(id: string, decision: 'approve' | 'reject', trigger: Trigger): Promise<Approval> {
    const a = this.approvalsById.get(id);
    if (a && a.status !== 'pending') throw new AgentError('conflict', `agent: approval ${id} was already ${a.status}`);
    this.lastApprovals = [...this.approvalsById.values()];
    return super.decideApproval(id, decision, trigger);
  }
  override async reports(hubId?: string): Promise<DeprovisioningReport[]> {
    const now = await super.reports(hubId);
    return this.staleReads-- > 0 ? this.lastReports : now;
  }
  override async applyReport(id: string, memberIds: string[] | 'all', trigger: Trigger): Promise<DeprovisioningReport> {
    const r = this.reportsById.get(id);
    if (r && (r.status === 'applied' || r.status === 'dismissed')) throw new AgentError('conflict', `agent: report ${id} is already ${r.status}`);
    // As agent-api.ts does when the apply's own transaction takes out every item (a rehire's seat): withdrawn, committed, refused.
    if (r && id === 'r-emptied') {
      const withdrawnBecause = 'every item taken out: remove 1002: the seat is now matched to directory user u-9';
      this.reportsById.set(id, { ...r, status: 'withdrawn', items: [], withdrawnBecause });
      throw new AgentError('conflict', `agent: report ${id} was withdrawn before an owner applied it (${withdrawnBecause}); nothing was queued`);
    }
    this.lastReports = [...this.reportsById.values()];
    return super.applyReport(id, memberIds, trigger);
  }
  override async unexemptMember(hubId: string, memberId: string, trigger: Trigger): Promise<MemberView> {
    const m = this.membersByHub.get(hubId)?.find((x) => x.id === memberId);
    if (m && !m.exemption) throw new AgentError('conflict', `hub ${hubId}: ${memberId} is not exempted; there is no exemption to end`);
    return super.unexemptMember(hubId, memberId, trigger);
  }
  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }
}

describe('admin API: a retry after success answers success; a contradicting request 409', () => {
  let server: TestServer;
  let agent: RefusingAgent;
  before(async () => {
    agent = new RefusingAgent();
    const pending = agent.approvalsById.get('a-1')!;
    for (const id of ['a-2', 'a-3', 'a-4']) agent.approvalsById.set(id, { ...pending, id });
    agent.approvalsById.set('a-old', { ...pending, id: 'a-old', status: 'superseded' });
    const r1 = agent.reportsById.get('r-1')!;
    agent.reportsById.set('r-gone', { ...r1, id: 'r-gone', status: 'dismissed' });
    agent.reportsById.set('r-withdrawn', { ...r1, id: 'r-withdrawn', status: 'withdrawn', items: [], withdrawnBecause: 'every item taken out: remove 1002: a rehire\'s seat' });
    agent.reportsById.set('r-emptied', { ...r1, id: 'r-emptied' });
    // One item applied, then the rest dismissed by an owner.
    agent.reportsById.set('r-part', { ...r1, id: 'r-part', status: 'dismissed', items: [{ ...r1.items[0], appliedAt: '2026-11-23T10:00:00.000Z', taskId: 't-9' }, r1.items[1]] });
    server = await serveRouters([['/api/v1', createAdminRouter({ config: testConfig(), agent })]]);
  });
  after(() => server.close());

  const post = async (path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.json() };
  };
  const conflict = (answer: Awaited<ReturnType<typeof post>>, detail: RegExp) => {
    assert.equal(answer.status, 409);
    assert.match(answer.type, /^application\/problem\+json/);
    assert.equal(answer.body.type, 'https://hubwarden.dev/problems/conflict');
    assert.match(answer.body.detail, detail);
  };

  test('approve twice: the second answers the approval with alreadyDone, nothing runs again; reject after it is 409', async () => {
    const first = await post('/approvals/a-1/approve', { reason: 'test approval' });
    assert.equal(first.status, 200);
    assert.equal(first.body.alreadyDone, undefined);
    const again = await post('/approvals/a-1/approve', { reason: 'test approval' });
    assert.equal(again.status, 200);
    assert.equal(again.body.status, 'approved');
    assert.equal(again.body.alreadyDone, true);
    assert.match(again.body.detail, /already approved; nothing was run again/);
    assert.equal(agent.count('decideApproval'), 1, 'decided once');
    conflict(await post('/approvals/a-1/reject'), /approval "a-1" was already approved; it cannot be rejected/);
    assert.equal(agent.count('decideApproval'), 1);
  });

  test('reject twice: alreadyDone; approve after it is 409; a superseded approval is 409 either way', async () => {
    assert.equal((await post('/approvals/a-2/reject')).status, 200);
    const again = await post('/approvals/a-2/reject');
    assert.deepEqual([again.status, again.body.status, again.body.alreadyDone], [200, 'rejected', true]);
    conflict(await post('/approvals/a-2/approve', { reason: 'test approval' }), /already rejected; it cannot be approved/);
    conflict(await post('/approvals/a-old/approve', { reason: 'test approval' }), /superseded/);
    conflict(await post('/approvals/a-old/reject'), /superseded/);
  });

  test('a retry racing its first attempt (read before the decision, refused by the agent): alreadyDone; the other decision 409', async () => {
    assert.equal((await post('/approvals/a-3/approve', { reason: 'test approval' })).status, 200);
    // The retry's first read still sees a-3 pending; the agent refuses; the read after it sees it approved.
    agent.staleReads = 1;
    const again = await post('/approvals/a-3/approve', { reason: 'test approval' });
    assert.deepEqual([again.status, again.body.alreadyDone], [200, true]);
    agent.staleReads = 1;
    conflict(await post('/approvals/a-3/reject'), /already approved; it cannot be rejected/);
    assert.equal(agent.count('decideApproval'), 3, 'a-1, a-2 and a-3 decided once each: the retries the agent refused changed nothing');
    assert.equal(agent.approvalsById.get('a-3')!.status, 'approved');
  });

  test('apply a report again: the items asked for are applied already, so alreadyDone and nothing queued; a dismissed report is 409 for what it did not apply', async () => {
    assert.equal((await post('/reports/r-1/apply', { memberIds: ['1002'] })).status, 200);
    const again = await post('/reports/r-1/apply', { memberIds: ['1002'] });
    assert.deepEqual([again.status, again.body.status, again.body.alreadyDone], [200, 'partially-applied', true]);
    assert.equal(agent.count('applyReport'), 1);
    const all = await post('/reports/r-1/apply', { memberIds: 'all' });
    assert.deepEqual([all.status, all.body.status, all.body.alreadyDone], [200, 'applied', undefined], 'the rest is applied, not called a repeat');
    const allAgain = await post('/reports/r-1/apply', {});
    assert.deepEqual([allAgain.status, allAgain.body.status, allAgain.body.alreadyDone], [200, 'applied', true]);
    assert.match(allAgain.body.detail, /every item already applied; nothing was queued again/);
    assert.equal(agent.count('applyReport'), 2);
    conflict(await post('/reports/r-gone/apply', {}), /report "r-gone" was dismissed; its items not applied before can no longer be applied/);
    // The item applied before the dismissal: a retry of that apply is done; the rest is a conflict.
    const part = await post('/reports/r-part/apply', { memberIds: ['1002'] });
    assert.deepEqual([part.status, part.body.alreadyDone], [200, true]);
    conflict(await post('/reports/r-part/apply', { memberIds: ['1003'] }), /was dismissed/);
    assert.equal(agent.count('applyReport'), 2);
  });

  test('a withdrawn report (every item taken out before an owner applied it) is 409 naming why, also when the apply itself emptied it', async () => {
    conflict(await post('/reports/r-withdrawn/apply', {}), /report "r-withdrawn" was withdrawn before an owner applied it \(every item taken out: remove 1002: a rehire's seat\); nothing was queued/);
    conflict(await post('/reports/r-withdrawn/apply', { memberIds: ['1002'] }), /was withdrawn before an owner applied it/);
    conflict(await post('/reports/r-emptied/apply', { memberIds: 'all' }), /report "r-emptied" was withdrawn before an owner applied it \(every item taken out: remove 1002: the seat is now matched to directory user u-9\)/);
  });

  test('unexempt again: the agent refuses (no exemption to end) and the member is answered as it is, alreadyDone; a view still showing an exemption stays 409', async () => {
    assert.equal((await post('/hubs/acme-ads/members/1001/exempt', { reason: 'board member' })).status, 200);
    assert.equal((await post('/hubs/acme-ads/members/1001/unexempt')).status, 200);
    const again = await post('/hubs/acme-ads/members/1001/unexempt');
    assert.equal(again.status, 200);
    assert.equal(again.body.id, '1001');
    assert.equal(again.body.exemption, undefined);
    assert.equal(again.body.alreadyDone, true);
    assert.match(again.body.detail, /is not exempted .* nothing changed/);
    // The agent refused (no exemption in its transaction) but the member's view still shows one: not answered as done.
    const view = agent.membersByHub.get('acme-ads')!.find((m) => m.id === '1001')!;
    const original = agent.unexemptMember.bind(agent);
    agent.unexemptMember = async () => { throw new AgentError('conflict', 'hub acme-ads: 1001 is not exempted; there is no exemption to end'); };
    view.exemption = { reason: 'new', by: 'x', at: '2026-01-01T00:00:00.000Z' };
    try {
      conflict(await post('/hubs/acme-ads/members/1001/unexempt'), /not exempted/);
    } finally {
      agent.unexemptMember = original;
      delete view.exemption;
    }
  });
});
