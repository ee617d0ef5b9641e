/**
 * An offboarding's approval (`safety.offboards: threshold`, offboard-brake.ts) and a person who is
 * back before, or as, an owner approves it: reactivated in the IdP (active false → true over SCIM,
 * RFC 7643 §4.1.1, ends the offboarding's hold) or their seat exempted. Approving queued the removal
 * with the directory version read at the approval, after the reactivation, so the check before the
 * call saw no change and the returned person lost the seat; an exempted seat stayed in the approval
 * an owner was asked to decide. The re-plan that sees them back is end to end in
 * test/agent-e2e/offboard-returned.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exempt } from '../members/member-decisions.ts';
import { releaseKept } from '../safety/approval-kept.ts';
import { collect } from '../store/store.ts';
import { memberRowOf } from '../plan/operation.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import type { HaltedOffboard } from './offboard-brake.ts';
import { at, haltedOn, hubOf, NOW, owner, twoTokens } from './test-offboard-hub.ts';

const okta = { type: 'scim' as const, idp: 'okta', actor: 'okta-provisioning' };

test('approved as the person comes back (reactivated, the hold ended): the removal is not queued, audited with why, and the offboarding ends', async () => {
  const { store, hub, offboard, run, removals, api } = await hubOf(10, 'threshold');
  await offboard('p0@example.com');
  await offboard('p1@example.com');
  const halted = await offboard('p2@example.com');
  assert.equal(halted.status, 'needs-approval');
  const [approvalId] = haltedOn(halted);
  // Okta unassigns and re-assigns the app (two SCIM writes); nothing re-planned them yet: the
  // owner's approval is the first to read the directory since.
  await store.transact(async (tx) => {
    const { offboarded: _held, ...u } = (await tx.get('directoryUsers', hub.id, 'u-2'))!;
    tx.put('directoryUsers', hub.id, 'u-2', { ...u, active: true, version: u.version + 2 });
  });
  await api.decideApproval(approvalId!, 'approve', owner);
  assert.deepEqual(await removals(), ['op:remove:m-0', 'op:remove:m-1'], 'the returned person\'s removal is not queued');
  const audit = await collect(store.list('audit', hub.id));
  assert.ok(audit.some((e) => e.action === 'remove-member' && e.subject?.memberId === 'm-2' && e.outcome === 'skipped' && e.trigger.actor === owner.actor
    && /not done, p2@example\.com is active in the directory again .*approval .* approved by owner@example\.com; this removal no longer stands/.test(e.why)), JSON.stringify(audit.map((e) => e.why)));
  assert.equal((await store.get('approvals', hub.id, approvalId!))?.status, 'approved', 'the owner\'s decision is recorded');
  assert.ok(!(await store.get('removalWindows', hub.id, hub.id))?.released.some((r) => r.memberIds?.includes('m-2')), 'not counted as removed');
  const again = (await store.get('tasks', '', halted.id))!;
  assert.equal(again.status, 'queued', 'nothing to wait for: the offboarding runs again to end');
  assert.equal((await run(again)).status, 'completed');
});

test('a seat exempted while an offboarding\'s approval waits leaves it: withdrawn, each offboarding waiting on it goes on', async () => {
  const { store, hub, run, api, scoped, everyHub, offboardAs } = await twoTokens(10);
  const first = await offboardAs('p2@example.com', scoped);
  const second = await offboardAs('p2@example.com', everyHub);
  const [approvalId] = haltedOn(first);
  await store.transact((tx) => exempt(tx, hub, 'm-2', { reason: 'agency contact' }, owner, NOW));
  const a = await store.get('approvals', hub.id, approvalId!);
  assert.equal(a?.status, 'withdrawn', 'nothing is left to ask an owner');
  assert.match(a?.withdrawnBecause ?? '', /the offboarding no longer stands: exempted by owner@example\.com/);
  const audit = await collect(store.list('audit', hub.id));
  assert.ok(audit.some((e) => e.action === 'approval-withdrawn' && e.detail?.approvalId === approvalId && e.trigger.actor === owner.actor));
  assert.ok(audit.some((e) => e.action === 'remove-member' && e.subject?.memberId === 'm-2' && e.outcome === 'skipped' && /exempted by owner@example\.com/.test(e.why)));
  await assert.rejects(api.decideApproval(approvalId!, 'approve', owner), /withdrawn before anyone decided it/);
  for (const t of [first, second]) {
    const waiting = (await store.get('tasks', '', t.id))!;
    assert.equal(waiting.status, 'queued', 'not left needs-approval for good, not cancelled');
    assert.equal((await run(waiting)).status, 'completed');
  }
});

/**
 * Narrowed, not withdrawn: the person holds two seats and one is exempted. The approval kept the
 * other, but each offboarding waiting on it still counted both in its `halted` (what a leaver
 * workflow polling it reads), and a rejection ended it naming 2 removals not done where 1 was.
 */
test('a seat exempted while an offboarding\'s approval also holds another: the approval narrowed, each waiting offboarding\'s halted count with it, in the same transaction', async () => {
  const { store, hub, run, api, scoped, everyHub, offboardAs } = await twoTokens(10);
  await store.transact((tx) => { tx.put('appMembers', hub.id, 'm-2x', { hubId: hub.id, id: 'm-2x', email: 'p2@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at }); });
  const first = await offboardAs('p2@example.com', scoped);
  const second = await offboardAs('p2@example.com', everyHub);
  const [approvalId] = haltedOn(first);
  const halted = async (t: TaskRecord) => ((await store.get('tasks', '', t.id))!.result as { halted: HaltedOffboard[] }).halted.map((h) => [h.approvalId, h.operations]);
  for (const t of [first, second]) assert.deepEqual(await halted(t), [[approvalId, 2]]);
  await store.transact((tx) => exempt(tx, hub, 'm-2x', { reason: 'agency contact' }, owner, NOW));
  const a = (await store.get('approvals', hub.id, approvalId!))!;
  assert.deepEqual([a.status, a.planned.map(memberRowOf)], ['pending', ['m-2']]);
  for (const t of [first, second]) {
    assert.deepEqual(await halted(t), [[approvalId, 1]], 'the removal the exemption let go of is no longer counted as held');
    assert.equal((await store.get('tasks', '', t.id))!.status, 'needs-approval', 'still waiting on the owner for the other seat');
  }
  await api.decideApproval(approvalId!, 'reject', owner);
  for (const t of [first, second]) {
    const ended = await run((await store.get('tasks', '', t.id))!);
    assert.equal(ended.status, 'failed');
    assert.match(ended.lastError?.message ?? '', new RegExp(`approval ${approvalId} rejected by owner@example\\.com, 1 removal\\(s\\) not done`));
  }
});

test('withdrawn (every removal it held let go of): each waiting offboarding counts none held, and ends completed', async () => {
  const { store, hub, run, offboard } = await hubOf(10, 'threshold');
  await offboard('p0@example.com');
  await offboard('p1@example.com');
  const halted = await offboard('p2@example.com');
  const [approvalId] = haltedOn(halted);
  await store.transact((tx) => exempt(tx, hub, 'm-2', { reason: 'agency contact' }, owner, NOW));
  assert.equal((await store.get('approvals', hub.id, approvalId!))?.status, 'withdrawn');
  const waiting = (await store.get('tasks', '', halted.id))!;
  assert.deepEqual((waiting.result as { halted: HaltedOffboard[] }).halted.map((h) => [h.approvalId, h.operations]), [[approvalId, 0]]);
  assert.equal((await run(waiting)).status, 'completed');
});

test('a person still held offboarded stays in the approval whatever a re-plan says; approved, the removal is queued', async () => {
  const { store, hub, offboard, removals, api } = await hubOf(10, 'threshold');
  await offboard('p0@example.com');
  await offboard('p1@example.com');
  const halted = await offboard('p2@example.com');
  const [approvalId] = haltedOn(halted);
  // The IdP deactivates them too (a SCIM write: a newer version, the hold kept).
  await store.transact(async (tx) => {
    const u = (await tx.get('directoryUsers', hub.id, 'u-2'))!;
    tx.put('directoryUsers', hub.id, 'u-2', { ...u, active: false, version: u.version + 1 });
  });
  const released = await store.transact((tx) => releaseKept(tx, hub, () => 'a re-plan that keeps everyone', { trigger: okta, now: new Date(NOW.getTime() + 1_000) }));
  assert.equal(released, 0, 'a leaver decision stands until the person is back');
  assert.equal((await store.get('approvals', hub.id, approvalId!))?.status, 'pending');
  await api.decideApproval(approvalId!, 'approve', owner);
  assert.deepEqual(await removals(), ['op:remove:m-0', 'op:remove:m-1', 'op:remove:m-2']);
});
