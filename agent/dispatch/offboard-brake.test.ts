/**
 * `safety.offboards: threshold` (offboard-brake.ts): a wrong bulk deactivation in Okta starts one
 * Okta Workflows flow per person, each an explicit offboarding. By default every one removes at
 * once; with `threshold` the removals count in the hub's window, and an offboarding that would
 * pass removalThresholdPercent with them halts for an owner's approval.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAgentApi } from '../agent-api.ts';
import { AgentError } from '../agent-error.ts';
import { approvalAsChecked } from '../safety/approvals.ts';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { testGroup, testHub, testUser } from '../grants/grant-fixtures.ts';
import { removalPass } from '../safety/test-removal-pass.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import type { TaskContext } from '../tasks/handler.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import { applyOutcome } from '../tasks/task-transitions.ts';
import { wakeParent } from '../tasks/parent-tasks.ts';
import { offboardHandler } from './offboard.ts';

const NOW = new Date('2026-12-04T01:00:00Z');
const at = NOW.toISOString();
const owner: Trigger = { type: 'admin', actor: 'owner@example.com' };

/** A hub of `people` members (an admin and `people - 1` others, each a directory user), with `offboards` set. */
async function hubOf(people: number, offboards?: 'immediate' | 'threshold', confirmDeprovisioning = true) {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  const hub = testHub({ safety: { removalThresholdPercent: 20, removalWindowMinutes: 60, confirmDeprovisioning, settleSeconds: 0, ...(offboards ? { offboards } : {}) } });
  await store.transact((tx) => {
    tx.put('appMembers', hub.id, 'm-admin', { hubId: hub.id, id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    for (let i = 0; i < people - 1; i++) {
      tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`));
      tx.put('appMembers', hub.id, `m-${i}`, { hubId: hub.id, id: `m-${i}`, email: `p${i}@example.com`, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    }
    tx.put('directoryGroups', hub.id, 'g1', testGroup('g1', 'Meta Advertisers', Array.from({ length: people - 1 }, (_, i) => `u-${i}`), at));
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const handler = offboardHandler(() => new Map([[hub.id, hub]]));
  const ctx = { store, now: () => NOW, audit: () => {}, interrupted: false } as unknown as TaskContext;
  /** Runs the offboarding task as the runner does (a second run when it is queued again). */
  const run = async (task: TaskRecord) => {
    const running = { ...task, status: 'running' as const, attempts: task.attempts + 1 };
    return store.transact(async (tx) => applyOutcome(tx, running, await handler.run(running, ctx), NOW));
  };
  const offboard = async (email: string) => run(await store.transact((tx) => enqueueTask(tx, { kind: 'offboard', payload: { email }, idempotencyKey: `offboard:${email}`, summary: `offboard ${email}`, trigger: owner, now: NOW })));
  const removals = async () => (await collect(store.list('tasks', hub.id))).filter((t) => t.kind === 'remove-member').map((t) => t.idempotencyKey).sort();
  const api = createAgentApi({ store, hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, clock: () => NOW.getTime() });
  return { store, hub, offboard, run, removals, api };
}

test('safety.offboards: threshold halts the offboardings past the threshold for approval; approval runs them, rejection leaves the seats', async () => {
  const { store, hub, offboard, run, removals, api } = await hubOf(10, 'threshold');
  // 1 and 2 of 10 (20 %, at the threshold) go at once, and count in the window.
  assert.equal((await offboard('p0@example.com')).status, 'waiting');
  assert.equal((await offboard('p1@example.com')).status, 'waiting');
  assert.deepEqual(await removals(), ['op:remove:m-0', 'op:remove:m-1']);
  // The third and fourth would be 3 of 10: each halts, with its own approval.
  const third = await offboard('p2@example.com');
  const fourth = await offboard('p3@example.com');
  assert.equal(third.status, 'needs-approval', JSON.stringify(third.result));
  assert.equal(fourth.status, 'needs-approval');
  assert.deepEqual(await removals(), ['op:remove:m-0', 'op:remove:m-1'], 'nothing removed while halted');
  const halted = (t: TaskRecord) => (t.result as { halted: Array<{ hubId: string; approvalId: string; explanation: string }> }).halted;
  assert.equal(halted(third)[0]!.hubId, hub.id, 'the caller polling the task sees which hub halted and the approval');
  assert.match(halted(third)[0]!.explanation, /with the 2 removed in the last 60 minutes, 3 of 10: 30\.0%.*more than removalThresholdPercent 20%/);
  const approvals = await collect(store.list('approvals', hub.id));
  assert.deepEqual(approvals.map((a) => [a.status, a.taskId]).sort(), [['pending', third.id], ['pending', fourth.id]].sort());
  // Held meanwhile: marked offboarded, so no plan invites them again.
  assert.ok((await store.get('directoryUsers', hub.id, 'u-2'))?.offboarded);
  const audit = async () => collect(store.list('audit', hub.id));
  assert.ok((await audit()).some((e) => e.action === 'approval-requested' && e.taskId === third.id && /3 of 10/.test(e.why)), 'the halt is audited with the share');
  assert.ok((await audit()).some((e) => e.action === 'offboard' && e.subject?.memberId === 'm-2' && /held for approval/.test(e.why)), 'in the person\'s trail');

  // Approved: the removal is queued under the offboarding, forced, and counts in the window.
  await api.decideApproval(halted(third)[0]!.approvalId, 'approve', owner);
  const queued = (await collect(store.list('tasks', hub.id))).find((t) => t.idempotencyKey === 'op:remove:m-2');
  assert.equal(queued?.parentId, third.id);
  assert.equal((queued?.payload as { force?: boolean }).force, true);
  assert.equal((await store.get('tasks', '', third.id))?.status, 'waiting', 'the offboarding waits for its removal');
  assert.deepEqual((await store.get('removalWindows', hub.id, hub.id))?.released.flatMap((r) => r.memberIds ?? []).sort(), ['m-0', 'm-1', 'm-2']);

  // Rejected: the seat stays, each removal audited as not done, and the offboarding ends failed.
  await api.decideApproval(halted(fourth)[0]!.approvalId, 'reject', owner);
  assert.deepEqual(await removals(), ['op:remove:m-0', 'op:remove:m-1', 'op:remove:m-2']);
  assert.ok((await audit()).some((e) => e.action === 'remove-member' && e.subject?.memberId === 'm-3' && e.outcome === 'skipped' && /rejected by owner@example.com/.test(e.why)));
  const requeued = (await store.get('tasks', '', fourth.id))!;
  assert.equal(requeued.status, 'queued', 'nothing to wait for: it runs again to end');
  const ended = await run(requeued);
  assert.equal(ended.status, 'failed');
  assert.match(ended.lastError?.message ?? '', /approval .* rejected by owner@example\.com, 1 removal\(s\) not done/);
});

test('by default (safety.offboards: immediate) every offboarding removes at once, past the threshold too', async () => {
  const { store, hub, offboard, removals } = await hubOf(10);
  assert.equal(hub.safety.offboards, 'immediate');
  for (let i = 0; i < 4; i++) assert.equal((await offboard(`p${i}@example.com`)).status, 'waiting');
  assert.deepEqual(await removals(), ['op:remove:m-0', 'op:remove:m-1', 'op:remove:m-2', 'op:remove:m-3']);
  assert.deepEqual(await collect(store.list('approvals', hub.id)), []);
});

test('with threshold, a single leaver on a small hub goes: only removals already in the window tip an offboarding over', async () => {
  // 1 of 3 members is 33 %, past 20 %: a removal pass would halt on it, an offboarding alone does not.
  const { store, hub, offboard, removals } = await hubOf(3, 'threshold');
  assert.equal((await offboard('p0@example.com')).status, 'waiting');
  assert.deepEqual(await removals(), ['op:remove:m-0']);
  // A second within the window: 2 of 3 (67 %) halts.
  assert.equal((await offboard('p1@example.com')).status, 'needs-approval');
  assert.deepEqual(await removals(), ['op:remove:m-0']);
  assert.equal((await collect(store.list('approvals', hub.id))).length, 1);
});

/**
 * The removals an explicit offboarding queues count in the hub's removal window, whatever
 * `safety.offboards` says: they did not, so a burst of leaver workflows followed by a mass
 * deactivation over SCIM was judged as if the hub had lost nobody. 2 of 10 offboarded, then one
 * more deactivated: alone 1 of 8 (12.5 %), with the 2 offboarded 3 of 10 (30 %), past 20 %.
 */
test('explicit offboardings count in the removal window: a SCIM deactivation after them is judged with them', async () => {
  const { store, hub, offboard } = await hubOf(10, undefined, false);
  assert.equal((await offboard('p0@example.com')).status, 'waiting');
  assert.equal((await offboard('p1@example.com')).status, 'waiting');
  // Their removals ran: the app no longer lists the seats.
  await store.transact((tx) => { tx.delete('appMembers', hub.id, 'm-0'); tx.delete('appMembers', hub.id, 'm-1'); });
  await store.transact((tx) => tx.put('directoryUsers', hub.id, 'u-5', testUser('u-5', 'p5@example.com', false)));
  const pass = await removalPass(store, hub, 'deprovision', 'apply-removals:deprovision', NOW);
  assert.equal(pass.status, 'needs-approval', JSON.stringify(pass.result));
  assert.match(String((pass.result as { explanation: string }).explanation), /with the 2 removed in the last 60 minutes, 3 of 10: 30\.0%/);
});

test('an offboarded seat the IdP then deactivates over SCIM counts once', async () => {
  // The offboarding's removal has not run yet: the deprovisioning pass plans it again (2 of 10, at 20 %).
  const { store, hub, offboard } = await hubOf(10, undefined, false);
  assert.equal((await offboard('p0@example.com')).status, 'waiting');
  await store.transact((tx) => { tx.put('directoryUsers', hub.id, 'u-0', testUser('u-0', 'p0@example.com', false)); tx.put('directoryUsers', hub.id, 'u-1', testUser('u-1', 'p1@example.com', false)); });
  const pass = await removalPass(store, hub, 'deprovision', 'apply-removals:deprovision', NOW);
  assert.equal(pass.status, 'completed', JSON.stringify(pass.result));
});

/**
 * A hub-scoped admin token and an every-hub token are two offboardings of the same person (their
 * tasks are keyed apart, agent-api.ts). Each halted with an approval of its own for the same seat:
 * an owner saw two, and approving both ran the removal twice. The second joins the first's.
 */
async function twoTokens(people: number) {
  const h = await hubOf(people, 'threshold');
  const scoped: Trigger = { type: 'admin', actor: 'admin-token:portal', hubs: [h.hub.id] };
  const everyHub: Trigger = { type: 'admin', actor: 'admin-token:okta-workflows' };
  const offboardAs = async (email: string, trigger: Trigger) => h.run(await h.store.transact((tx) => enqueueTask(tx, {
    kind: 'offboard', payload: { email }, idempotencyKey: `offboard:${email}${trigger.hubs ? `#hubs=${trigger.hubs.join(',')}` : ':every'}`, summary: `offboard ${email}`, trigger, now: NOW,
  })));
  // 2 of 10 go at once; a third person would be 3 of 10 (30 %), past 20 %.
  assert.equal((await h.offboard('p0@example.com')).status, 'waiting');
  assert.equal((await h.offboard('p1@example.com')).status, 'waiting');
  return { ...h, scoped, everyHub, offboardAs };
}
const haltedOn = (t: TaskRecord) => (t.result as { halted: Array<{ approvalId: string }> }).halted.map((x) => x.approvalId);

test('two admin tokens offboarding the same person halt on one approval; approved, the removal is queued once and both offboardings wait for it', async () => {
  const { store, hub, api, run, removals, scoped, everyHub, offboardAs } = await twoTokens(10);
  const first = await offboardAs('p2@example.com', scoped);
  const second = await offboardAs('p2@example.com', everyHub);
  assert.equal(first.status, 'needs-approval');
  assert.equal(second.status, 'needs-approval');
  const pending = (await collect(store.list('approvals', hub.id))).filter((a) => a.status === 'pending');
  assert.equal(pending.length, 1, 'one approval for the same seat');
  assert.deepEqual(haltedOn(second), haltedOn(first), 'the second offboarding names the approval it joined');
  assert.equal(pending[0]!.planned.length, 1);
  const audit = await collect(store.list('audit', hub.id));
  assert.ok(audit.some((e) => e.action === 'approval-joined' && e.taskId === second.id && /joined approval .*same removals/.test(e.why)), 'the join is audited');
  assert.equal(audit.filter((e) => e.action === 'approval-requested').length, 1);

  await api.decideApproval(pending[0]!.id, 'approve', owner);
  assert.deepEqual(await removals(), ['op:remove:m-0', 'op:remove:m-1', 'op:remove:m-2'], 'queued once');
  const removal = (await collect(store.list('tasks', hub.id))).find((t) => t.idempotencyKey === 'op:remove:m-2')!;
  assert.equal(removal.parentId, first.id);
  assert.deepEqual(removal.waiters, [second.id], 'the joined offboarding waits for the same removal');
  for (const t of [first, second]) assert.equal((await store.get('tasks', '', t.id))?.status, 'waiting');
  const released = (await store.get('removalWindows', hub.id, hub.id))!.released;
  assert.equal(released.reduce((n, r) => n + r.removals, 0), 3, 'counted once in the window');
  // The removal ends: both offboardings are woken and complete.
  await store.transact(async (tx) => { const done = { ...removal, status: 'completed' as const }; tx.put('tasks', hub.id, removal.id, done); await wakeParent(tx, done, NOW); });
  for (const t of [first, second]) assert.equal((await run((await store.get('tasks', '', t.id))!)).status, 'completed');
});

test('a second offboarding finding a seat the approval does not hold grows it under the same id; an approver holding the old version is refused', async () => {
  const { store, hub, api, scoped, everyHub, offboardAs } = await twoTokens(10);
  const first = await offboardAs('p2@example.com', scoped);
  const [before] = (await collect(store.list('approvals', hub.id))).filter((a) => a.status === 'pending');
  // An invite under the person's email appears in the app meanwhile.
  await store.transact((tx) => tx.put('appInvites', hub.id, 'i-2', { hubId: hub.id, id: 'i-2', email: 'p2@example.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at }));
  const second = await offboardAs('p2@example.com', everyHub);
  assert.deepEqual(haltedOn(second), haltedOn(first));
  const approvals = await collect(store.list('approvals', hub.id));
  assert.equal(approvals.length, 1, 'grown, not replaced');
  assert.deepEqual(approvals[0]!.planned.map((o) => o.kind).sort(), ['cancel-invite', 'remove-member']);
  assert.deepEqual(approvals[0]!.joined, [second.id]);
  const audit = await collect(store.list('audit', hub.id));
  assert.ok(audit.some((e) => e.action === 'approval-joined' && /adding 1 removal/.test(e.why)));
  await assert.rejects(api.decideApproval(before!.id, 'approve', owner, { within: approvalAsChecked(hub.id, before!.id, before!.planned) }),
    (e: unknown) => e instanceof AgentError && e.kind === 'conflict');
  await api.decideApproval(before!.id, 'approve', owner, { within: approvalAsChecked(hub.id, before!.id, approvals[0]!.planned) });
  assert.equal((await store.get('approvals', hub.id, before!.id))?.status, 'approved');
});
