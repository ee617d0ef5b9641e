/**
 * Approving a halted plan (the removal brake) runs its removals and downgrades, so the removal's
 * rank rule (scoped-agent.ts, approval-rank.ts) holds there as on `/remove` and on applying a
 * report: a manager does not approve a plan that removes or lowers an owner's seat, also not that
 * of an owner the IdP deactivated. An owner and an administrator may; rejecting stays the manager's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SEEDED_AT as at } from '../../agent/access/directory-fixtures.ts';
import type { MemberView, PersonChangeOptions } from '../../agent/api.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import type { Operation } from '../../agent/plan/operation.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { SessionStore } from './session-store.ts';
import { dashboardCaller, rankedDirectory, rankedHubConfig, serveDashboard, signedIn } from './web-fixtures.ts';

const config = rankedHubConfig('approval-rank');

const row = (id: string, email: string, directoryUserId: string, appRole = 'EMPLOYEE'): MemberView =>
  ({ hubId: 'acme-ads', id, status: 'onboarded', email, directoryUserId, appRole, assets: [], grantedBy: [], kind: 'member' });
const removal = (memberId: string, email: string, directoryUserId: string): Operation =>
  ({ kind: 'remove-member', key: `remove:${memberId}`, memberId, role: 'EMPLOYEE', effect: 'removal', reason: 'deactivated', email, directoryUserId, summary: `remove ${email} (EMPLOYEE) from the business: deactivated in the directory` });
// Dana, an owner the IdP deactivated (confirmDeprovisioning off: the brake holds her removal); Cora, no hub role, deactivated too.
const dana = removal('1012', 'dana@acme.example', 'a-dana');
const cora = removal('1013', 'cora@acme.example', 'a-cora');
// Olivia's (an owner's) asset taken away, the operation naming no directory user: whose it is comes from the row.
const oliviaAsset: Operation = { kind: 'unassign-asset', key: 'unassign:1014:page-1', memberId: '1014', asset: { type: 'page', id: 'page-1' } as never, from: ['MANAGE'], effect: 'downgrade', reason: 'group-change', summary: 'unassign page page-1 from olivia@acme.example (had [MANAGE])' };

describe("approving a halted plan: a manager does not remove or lower an owner's seat", () => {
  let server: TestServer;
  let agent: FakeAgent;
  let store: MemoryStore;
  const sessions = new SessionStore(new MemoryStore());
  /** What happens between the dashboard's check and the agent's decision (a test's race). */
  let meanwhile: (() => Promise<void>) | undefined;
  const call = dashboardCaller(() => server);
  const decided = () => agent.calls.filter((c) => c.method === 'decideApproval').map((c) => [c.args[0], c.args[1]]);
  const refusals = async () => (await collect(store.list('audit', 'acme-ads'))).filter((e) => e.outcome === 'failed' && e.action === 'approval-approved');
  const halt = (id: string, planned: Operation[]) => store.transact((tx) => {
    const approval = { id, hubId: 'acme-ads', createdAt: at, status: 'pending' as const, explanation: 'would remove 2 of 5 members (40% > 20%): an owner must approve it', operations: planned.map((o) => ({ kind: o.kind, summary: o.summary })), taskId: `t-${id}` };
    agent.approvalsById.set(id, approval);
    tx.put('approvals', 'acme-ads', id, { ...approval, planned });
  });

  before(async () => {
    agent = new FakeAgent();
    agent.membersByHub.get('acme-ads')!.push(row('1012', 'dana@acme.example', 'a-dana', 'ADMIN'), row('1013', 'cora@acme.example', 'a-cora'), row('1014', 'olivia@acme.example', 'a-olivia', 'ADMIN'),
      // Recorded for Cora when the plan halted; an administrator has matched the row to Dana (an owner) since.
      row('1015', 'cora.old@acme.example', 'a-dana', 'ADMIN'));
    // As the agent does (agent-api.ts): a caller's `within` runs first in the decision's transaction, over the store the dashboard reads.
    const decide = agent.decideApproval.bind(agent);
    agent.decideApproval = async (id: string, decision: 'approve' | 'reject', trigger: Trigger, options?: PersonChangeOptions) => {
      await meanwhile?.();
      await store.transact(async (tx) => { await options?.within?.(tx); });
      return decide(id, decision, trigger);
    };
    store = await rankedDirectory();
    await halt('ap-dana', [cora, dana]);
    await halt('ap-asset', [oliviaAsset]);
    await halt('ap-cora', [cora]);
    await halt('ap-reject', [dana]);
    await halt('ap-stale', [removal('1015', 'cora.old@acme.example', 'a-cora')]);
    server = await serveDashboard({ config, agent, store, sessions });
  });
  after(() => server.close());

  test("a manager approving a plan that removes or lowers an owner's seat is refused (403 naming it, audited, nothing decided)", async () => {
    const max = await signedIn(sessions, 'max@acme.example');
    const res = await call(max, 'POST', '/ui/api/v1/approvals/ap-dana/approve', { reason: 'mass leave' });
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { detail: string }).detail, /^a manager cannot remove or lower the seat of an owner .*; approval ap-dana would remove dana@acme\.example \(EMPLOYEE\) from the business: deactivated in the directory: an owner must approve it$/);
    const lowered = await call(max, 'POST', '/ui/api/v1/approvals/ap-asset/approve', { reason: 'the leavers left' });
    assert.equal(lowered.status, 403, 'an asset taken from an owner, whose row says whose it is');
    assert.match(((await lowered.json()) as { detail: string }).detail, /approval ap-asset would unassign page page-1 from olivia@acme\.example.*: an owner must approve it/);
    assert.deepEqual(decided(), [], 'nothing reached the agent');
    assert.equal(agent.approvalsById.get('ap-dana')!.status, 'pending');
    const audits = await refusals();
    assert.equal(audits.length, 2);
    assert.match(audits[0]!.why, /^max@acme\.example asked to approve approval ap-dana: refused, a manager cannot remove or lower the seat of an owner/);
    assert.deepEqual(audits[0]!.subject, { label: 'approval ap-dana', memberId: '1012', email: 'dana@acme.example', directoryUserId: 'a-dana' });
    assert.equal(audits[0]!.trigger.reason, 'mass leave');
    assert.equal(audits[1]!.subject?.directoryUserId, 'a-olivia');
  });

  test("one that takes nothing from anyone above him stays his to approve; rejecting the owner's removal too", async () => {
    agent.calls.length = 0;
    const max = await signedIn(sessions, 'max@acme.example');
    assert.equal((await call(max, 'POST', '/ui/api/v1/approvals/ap-cora/approve', { reason: 'the leavers left' })).status, 200);
    assert.equal((await call(max, 'POST', '/ui/api/v1/approvals/ap-reject/reject', {})).status, 200, 'rejecting removes nobody');
    assert.deepEqual(decided(), [['ap-cora', 'approve'], ['ap-reject', 'reject']]);
  });

  test("an operation recorded for someone else whose row is now an owner's seat is refused too (403, audited as the owner's)", async () => {
    agent.calls.length = 0;
    const before = (await refusals()).length;
    const res = await call(await signedIn(sessions, 'max@acme.example'), 'POST', '/ui/api/v1/approvals/ap-stale/approve', { reason: 'Cora left' });
    assert.equal(res.status, 403, 'the row is matched to Dana now, whatever the operation names');
    assert.match(((await res.json()) as { detail: string }).detail, /^a manager cannot remove or lower the seat of an owner .*approval ap-stale would remove cora\.old@acme\.example/);
    assert.deepEqual(decided(), [], 'nothing reached the agent');
    const audits = (await refusals()).slice(before);
    assert.equal(audits.length, 1);
    assert.deepEqual(audits[0]!.subject, { label: 'approval ap-stale', memberId: '1015', email: 'cora.old@acme.example', directoryUserId: 'a-dana' });
  });

  test('an owner and an administrator approve it as before', async () => {
    agent.calls.length = 0;
    assert.equal((await call(await signedIn(sessions, 'olivia@acme.example'), 'POST', '/ui/api/v1/approvals/ap-dana/approve', { reason: 'the leavers left' })).status, 200);
    assert.equal((await call(await signedIn(sessions, 'boss@acme.example', { admin: true }), 'POST', '/ui/api/v1/approvals/ap-asset/approve', { reason: 'the leavers left' })).status, 200);
    assert.deepEqual(decided(), [['ap-dana', 'approve'], ['ap-asset', 'approve']]);
  });

  test("the decision sees the approval checked: one refreshed meanwhile onto an owner's seat (same key, another holder) is refused (409)", async () => {
    agent.calls.length = 0;
    await halt('ap-race', [cora]);
    // The plan halts again after the rank check, with the same operation key (row 1013), now
    // matched to Dana: requestApproval refreshes the approval under the same id.
    meanwhile = () => store.transact((tx) => { tx.put('approvals', 'acme-ads', 'ap-race', { ...agent.approvalsById.get('ap-race')!, planned: [{ ...cora, directoryUserId: 'a-dana' }] }); });
    try {
      const res = await call(await signedIn(sessions, 'max@acme.example'), 'POST', '/ui/api/v1/approvals/ap-race/approve', { reason: 'the leavers left' });
      assert.equal(res.status, 409);
      assert.match(((await res.json()) as { detail: string }).detail, /approval ap-race changed since it was checked/);
    } finally {
      meanwhile = undefined;
    }
    assert.equal(agent.approvalsById.get('ap-race')!.status, 'pending', 'not approved');
  });
});
