import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.ts';
import { createAgent } from '../agent.ts';
import { queryAudit } from '../audit/audit-query.ts';
import type { Operation } from '../plan/operation.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import { requestApproval } from './approvals.ts';
import { defineHeldIndexes } from './held-indexes.ts';
import { addToReport } from './reports.ts';

const ENV = { SCIM_TOKEN: 'scim-token-unconfigured-0123456789', APP_TOKEN: 'app-token-unconfigured-0123456789' };
const PATH = '/etc/hubwarden/hubwarden.yaml';
const hubYaml = (id: string, businessId: string, scimToken: string) => `  - id: ${id}
    connector: meta-business
    meta: { businessId: "${businessId}", accessToken: env:APP_TOKEN }
    scim: { tokens: [env:${scimToken}] }
    checkForUpdates: { onConnect: false }
    teams: []
`;
const config = parseConfig(`hubs:\n${hubYaml('main', '1234567890', 'SCIM_TOKEN')}`, PATH, ENV);

const removal = (i: number, reason: Operation['reason'] = 'unassigned'): Operation => ({ kind: 'remove-member', key: `remove:m-${i}`, memberId: `m-${i}`, role: 'EMPLOYEE',
  email: `p${i}@example.com`, directoryUserId: `u-${i}`, effect: 'removal', reason, summary: `remove p${i}@example.com` });

/**
 * Hub `old` held two removals for an owner's approval and one on a deprovisioning report; then it
 * was taken out of the config. Before, the approval stayed `pending` for good (deciding it was
 * refused: the hub is unknown), its halted task waited forever and each held person's trail ended
 * at "pending". Now the start withdraws what was held there, audited, and changes nothing in any app.
 */
test('a start whose config no longer names a hub withdraws its pending approval and open report: each held change closed as skipped, the halted task cancelled; once', async () => {
  const store = new MemoryStore();
  defineHeldIndexes(store);
  const now = new Date('2026-12-08T00:00:00Z');
  const trigger = { type: 'schedule' as const };
  const { approvalId, taskId, offboardingId } = await store.transact(async (tx) => {
    const task = await enqueueTask(tx, { hubId: 'old', kind: 'apply-removals', payload: { phase: 'settle' }, idempotencyKey: 'removals:settle', trigger, summary: 'settle pass', now });
    tx.put('tasks', 'old', task.id, { ...task, status: 'needs-approval' });
    const { approval } = await requestApproval(tx, { hubId: 'old', explanation: 'would remove 2 of 3', planned: [removal(1), removal(2)], taskId: task.id, now, phase: 'settle' });
    tx.put('appMembers', 'old', 'm-3', { hubId: 'old', id: 'm-3', email: 'p3@example.com', role: 'EMPLOYEE', firstSeenAt: now.toISOString(), lastSeenAt: now.toISOString() });
    await addToReport(tx, 'old', [removal(3, 'deactivated')], now);
    // An offboarding halted on the same hub by its own brake (dispatch/offboard-brake.ts).
    const offboarding = await enqueueTask(tx, { hubId: '', kind: 'offboard', payload: { email: 'p4@example.com' }, idempotencyKey: 'offboard:p4@example.com', trigger, summary: 'offboard p4@example.com from every hub', now });
    tx.put('tasks', '', offboarding.id, { ...offboarding, status: 'needs-approval', result: { halted: [{ hubId: 'old', approvalId: 'ap-offboard', operations: 1, explanation: 'held' }] } });
    tx.put('approvals', 'old', 'ap-offboard', { id: 'ap-offboard', hubId: 'old', createdAt: now.toISOString(), status: 'pending', explanation: 'held', operations: [{ kind: 'remove-member', summary: removal(4).summary }],
      taskId: offboarding.id, planned: [removal(4, 'deactivated')], offboard: true });
    return { approvalId: approval.id, taskId: task.id, offboardingId: offboarding.id };
  });
  const start = async () => {
    const agent = createAgent({ config, store, connectorFor: () => undefined, log: { debug() {}, info() {}, warn() {}, error() {} }, auditFile: false, auditConfig: true });
    await agent.start();
    await agent.stop(0);
  };
  await start();

  const approval = await store.get('approvals', 'old', approvalId);
  assert.equal(approval?.status, 'withdrawn', 'the approval of a hub no longer configured is no longer pending');
  assert.match(approval?.withdrawnBecause ?? '', /hub old is no longer in the config/);
  assert.equal((await store.get('tasks', 'old', taskId))?.status, 'cancelled', 'its halted task no longer waits');
  assert.equal((await store.get('approvals', 'old', 'ap-offboard'))?.status, 'withdrawn');
  assert.notEqual((await store.get('tasks', '', offboardingId))?.status, 'needs-approval', 'the offboarding halted there goes on');
  const reports = [];
  for await (const r of store.list('reports', 'old')) reports.push(r);
  assert.deepEqual(reports.map((r) => r.status), ['withdrawn']);

  const entries = (await queryAudit(store, { hubId: 'old', limit: 50 })).items;
  const closing = entries.filter((e) => e.action === 'remove-member').map((e) => [e.subject?.email, e.outcome]).sort();
  assert.deepEqual(closing, [['p1@example.com', 'skipped'], ['p2@example.com', 'skipped'], ['p3@example.com', 'skipped'], ['p4@example.com', 'skipped']], 'each held person\'s trail closed');
  assert.equal(entries.filter((e) => e.action === 'approval-withdrawn').length, 2);
  assert.equal(entries.filter((e) => e.action === 'report-withdrawn').length, 1);
  for (const e of entries) assert.deepEqual(e.trigger, { type: 'config', actor: `config file ${PATH}`, detail: `sha256 ${config.sha256}` }, 'who: the config that dropped the hub');

  await start();
  assert.equal((await queryAudit(store, { hubId: 'old', limit: 50 })).total, entries.length, 'a second start writes nothing more');
});

/**
 * A rolling restart that takes hub `old` out: the first new replica's start withdraws what was
 * held there, but a replica of the older config still governs `old` until it stops, and its pass
 * (or an offboarding) holds a removal there again. Before, only a start withdrew: that approval
 * stayed pending for good. Now the new replicas withdraw it again within minutes; and a replica of
 * the older config never withdraws what is held on a hub the newer config (the one recorded last)
 * added.
 */
test('after the start, what a replica of the older config held on a hub taken out is withdrawn too; a hub the newest recorded config names is left alone', async () => {
  const store = new MemoryStore();
  defineHeldIndexes(store);
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const added = parseConfig(`hubs:\n${hubYaml('main', '1234567890', 'SCIM_TOKEN')}${hubYaml('added', '1234567891', 'SCIM_TOKEN_ADDED')}`, PATH,
    { ...ENV, SCIM_TOKEN_ADDED: 'scim-token-added-hub-0123456789' });
  const agentOf = (c: typeof config) => createAgent({ config: c, store, connectorFor: () => undefined, log, auditFile: false, auditConfig: true, unconfiguredEveryMs: 40 });
  // A replica of the config without `added` started first; one of the newer config, with it, after.
  const older = agentOf(config);
  await older.start();
  const newer = agentOf(added);
  await newer.start();
  const hold = (hubId: string) => store.transact(async (tx) => {
    const now = new Date();
    const task = await enqueueTask(tx, { hubId, kind: 'apply-removals', payload: { phase: 'settle' }, idempotencyKey: 'removals:settle', trigger: { type: 'schedule' }, summary: 'settle pass', now });
    tx.put('tasks', hubId, task.id, { ...task, status: 'needs-approval' });
    return (await requestApproval(tx, { hubId, explanation: 'would remove 2 of 3', planned: [removal(1), removal(2)], taskId: task.id, now, phase: 'settle' })).approval.id;
  });
  try {
    // Held after both starts: on `gone` by a replica whose config still names it, on `added` by a newer one.
    const gone = await hold('gone');
    const kept = await hold('added');
    await new Promise((r) => setTimeout(r, 400));
    const status = async (hubId: string, id: string) => (await store.get('approvals', hubId, id))?.status;
    assert.equal(await status('gone', gone), 'withdrawn', 'held on a hub no config names any more: withdrawn after the start too');
    assert.equal(await status('added', kept), 'pending', 'the newest recorded config names the hub: the older replica leaves it to the owner');
  } finally {
    await newer.stop(0);
    await older.stop(0);
  }
});
