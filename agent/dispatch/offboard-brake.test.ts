/**
 * `safety.offboards: threshold` (offboard-brake.ts): a wrong bulk deactivation in Okta starts one
 * Okta Workflows flow per person, each an explicit offboarding. By default every one removes at
 * once; with `threshold` the removals count in the hub's window, and an offboarding that would
 * pass removalThresholdPercent with them halts for an owner's approval.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentError } from '../agent-error.ts';
import { testUser } from '../grants/grant-fixtures.ts';
import { removalPass } from '../safety/test-removal-pass.ts';
import { collect } from '../store/store.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import { wakeParent } from '../tasks/parent-tasks.ts';
import { at, haltedOn, hubOf, NOW, owner, twoTokens } from './test-offboard-hub.ts';

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


/**
 * An approval never grows in place: the admin API, the CLI and the dashboard decide by id alone,
 * so an approver who read two removals and approved that id approved a third, added since by
 * another offboarding of the same person, that nobody had read. The join supersedes it instead.
 */
test('a second offboarding bringing a seat the approval does not hold supersedes it: the old id cannot be approved, the new one holds every seat', async () => {
  const { store, hub, api, run, removals, scoped, everyHub, offboardAs } = await twoTokens(10);
  // The person has two seats (two member rows under their email): the approval an owner reads holds two removals.
  await store.transact((tx) => tx.put('appMembers', hub.id, 'm-2b', { hubId: hub.id, id: 'm-2b', email: 'p2@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at }));
  const first = await offboardAs('p2@example.com', scoped);
  const [read] = (await collect(store.list('approvals', hub.id))).filter((a) => a.status === 'pending');
  assert.equal(read!.planned.length, 2);
  // An invite under the person's email appears in the app meanwhile; the second offboarding finds it.
  await store.transact((tx) => tx.put('appInvites', hub.id, 'i-2', { hubId: hub.id, id: 'i-2', email: 'p2@example.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at }));
  const second = await offboardAs('p2@example.com', everyHub);
  assert.equal(second.status, 'needs-approval');

  const old = await store.get('approvals', hub.id, read!.id);
  assert.equal(old?.status, 'superseded');
  assert.equal(old?.planned.length, 2, 'the approval read is unchanged');
  const pending = (await collect(store.list('approvals', hub.id))).filter((a) => a.status === 'pending');
  assert.equal(pending.length, 1);
  const next = pending[0]!;
  assert.notEqual(next.id, read!.id, 'a new id');
  assert.equal(old?.supersededBy, next.id);
  assert.deepEqual(next.planned.map((o) => o.key).sort(), ['cancel:i-2', 'remove:m-2', 'remove:m-2b']);
  assert.deepEqual(next.joined, [second.id]);
  assert.deepEqual(haltedOn(second), [next.id]);
  assert.deepEqual(haltedOn((await store.get('tasks', '', first.id))!), [next.id], 'the first offboarding now waits on the new approval');
  const audit = await collect(store.list('audit', hub.id));
  assert.ok(audit.some((e) => e.action === 'approval-superseded' && e.taskId === second.id && e.trigger.actor === everyHub.actor
    && e.why.includes(`approval ${read!.id} superseded by approval ${next.id}`) && /1 removal\(s\) it did not hold/.test(e.why)), 'audited: who and why');

  // Approving the id read is refused, naming the new one, and removes nothing.
  await assert.rejects(api.decideApproval(read!.id, 'approve', owner), (e: unknown) => e instanceof AgentError && e.kind === 'conflict' && e.message.includes(next.id));
  assert.deepEqual(await removals(), ['op:remove:m-0', 'op:remove:m-1']);
  assert.deepEqual(await api.approvals(hub.id).then((l) => l.filter((a) => a.status === 'pending').map((a) => a.id)), [next.id], 'the superseded one is not listed as pending');

  // Approving the new one removes all three, once; both offboardings wait for them, then complete.
  await api.decideApproval(next.id, 'approve', owner);
  assert.deepEqual(await removals(), ['op:remove:m-0', 'op:remove:m-1', 'op:remove:m-2', 'op:remove:m-2b'].sort());
  const queued = (await collect(store.list('tasks', hub.id))).filter((t) => t.parentId === first.id);
  assert.equal(queued.length, 3, 'member, member and invite, each queued once');
  const released = (await store.get('removalWindows', hub.id, hub.id))!.released;
  assert.equal(released.reduce((n, r) => n + r.removals, 0), 5, 'counted once in the window');
  for (const t of [first, second]) assert.equal((await store.get('tasks', '', t.id))?.status, 'waiting');
  for (const removal of queued) await store.transact(async (tx) => { const done = { ...removal, status: 'completed' as const }; tx.put('tasks', hub.id, removal.id, done); await wakeParent(tx, done, NOW); });
  for (const t of [first, second]) assert.equal((await run((await store.get('tasks', '', t.id))!)).status, 'completed');
});

test('a second offboarding bringing no new seat joins under the same id: nothing to approve again', async () => {
  const { store, hub, scoped, everyHub, offboardAs } = await twoTokens(10);
  const first = await offboardAs('p2@example.com', scoped);
  const second = await offboardAs('p2@example.com', everyHub);
  const approvals = await collect(store.list('approvals', hub.id));
  assert.deepEqual(approvals.map((a) => a.status), ['pending'], 'none superseded');
  assert.deepEqual(haltedOn(second), haltedOn(first));
  assert.ok(!(await collect(store.list('audit', hub.id))).some((e) => e.action === 'approval-superseded'));
});
