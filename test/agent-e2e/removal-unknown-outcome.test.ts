import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkForUpdates, HUB, hubConfig, invitePosts, onboard, startHarness, until, type Harness } from './harness.ts';
import { SANDBOX } from '../../connectors/meta-business/emulator/sandbox-ids.ts';
import { planHub } from '../../agent/plan/plan-hub.ts';
import { enqueueOperation } from '../../agent/tasks/operations/enqueue-operation.ts';
import { updateTask } from '../../agent/tasks/enqueue.ts';
import { removeMemberOperation } from '../../agent/plan/removal.ts';
import { exempt } from '../../agent/members/member-decisions.ts';

/**
 * A removal whose first attempt reached Meta but whose answer was lost (a timeout, a dropped
 * socket: the retry table's `unavailable`), and the person is added back to their group before the
 * retry. The retry's re-plan reads the snapshot, which still lists the seat (the lost answer was
 * never recorded), so it no longer asks for the removal and the task ended as "not done": the
 * person had lost their seat, the audit log said it was kept, and nothing gave it back until the
 * next check for updates. The retry now looks the person up first, as an invite of unknown
 * outcome does (settle-invite.ts), records what it finds and re-plans them.
 */
let h: Harness;
const settleSeconds = 1;
before(async () => { h = await startHarness({ safety: { settleSeconds } }); await checkForUpdates(h); });
after(() => h.close());
const owner = { type: 'admin' as const, actor: 'owner@example.com' };
const inMeta = (id: string) => h.emulator.control.state().users.some((u) => u.id === id);

test('a removal of unknown outcome whose person is back in the group: looked up, recorded, and the person invited again', async () => {
  const hub = hubConfig({ settleSeconds }).hubs[0]!;
  const seat = await onboard(h, 'u-lu', 'lu@example.com', 'Meta Advertisers');
  await h.directory.patchGroup('Meta Advertisers', [], ['u-lu']);
  const op = (await planHub(h.store, hub, { now: new Date() })).operations.find((o) => o.kind === 'remove-member' && o.memberId === seat)!;
  assert.ok(op, 'the removal is planned');
  // Its first attempt: Meta removed the seat, the answer never came back; the retry backs off.
  const res = await fetch(`${h.url}/v25.0/${seat}?access_token=${SANDBOX.token}`, { method: 'DELETE' });
  assert.equal(res.status, 200);
  assert.ok(!inMeta(seat));
  const task = await h.store.transact(async (tx) => {
    const t = await enqueueOperation(tx, { hub, op, trigger: { type: 'admin', actor: 'test' } });
    return updateTask(tx, t, { status: 'waiting', waitReason: 'backoff', attempts: 1, attemptsEnded: 1, lastError: { kind: 'unavailable', message: 'socket hang up' }, nextRunAt: new Date(Date.now() + 60_000).toISOString() }, new Date());
  });
  // Lu is added back before the retry.
  await h.directory.patchGroup('Meta Advertisers', ['u-lu']);
  await h.agent.idle();
  const invitesBefore = invitePosts(h.emulator, 'lu@example.com').length;
  await h.store.transact(async (tx) => { await updateTask(tx, (await tx.get('tasks', HUB, task.id))!, { nextRunAt: new Date().toISOString() }, new Date()); });
  await until('the removal retried', async () => (await h.agent.api.task(task.id))?.status === 'completed', 5_000);
  await h.agent.idle();

  const trail = (await h.agent.api.audit({ hubId: HUB, email: 'lu@example.com', action: 'remove-member' })).items.filter((e) => e.taskId === task.id);
  assert.ok(!trail.some((e) => e.outcome === 'skipped' && /not done/.test(e.why)), `the removal was made: never audited as not done (${JSON.stringify(trail.map((e) => `${e.outcome}: ${e.why}`))})`);
  assert.ok(trail.some((e) => e.outcome === 'ok' && /outcome was unknown/.test(e.why)), JSON.stringify(trail.map((e) => `${e.outcome}: ${e.why}`)));
  assert.equal(await h.store.get('appMembers', HUB, seat), undefined, 'the seat is gone from the snapshot');
  await until('Lu invited again', () => invitePosts(h.emulator, 'lu@example.com').length > invitesBefore, 5_000);
});

test("an owner's removal of unknown outcome, the member exempted before its retry: looked up, audited as made, never as not done", async () => {
  const seat = await onboard(h, 'u-kai', 'kai@example.com', 'Meta Advertisers');
  const member = (await h.store.get('appMembers', HUB, seat))!;
  const op = removeMemberOperation(member, { reason: 'unassigned', because: 'asked by owner@example.com', directoryUserId: 'u-kai' });
  const hub = hubConfig({ settleSeconds }).hubs[0]!;
  const res = await fetch(`${h.url}/v25.0/${seat}?access_token=${SANDBOX.token}`, { method: 'DELETE' });
  assert.equal(res.status, 200, 'its first attempt: Meta removed the seat, the answer was lost');
  const task = await h.store.transact(async (tx) => {
    const t = await enqueueOperation(tx, { hub, op, trigger: owner, force: true });
    return updateTask(tx, t, { status: 'waiting', waitReason: 'backoff', attempts: 1, attemptsEnded: 1, lastError: { kind: 'unavailable', message: 'socket hang up' }, nextRunAt: new Date(Date.now() + 60_000).toISOString() }, new Date());
  });
  await h.store.transact((tx) => exempt(tx, hub, seat, { reason: 'agency contact' }, owner, new Date()));
  await h.store.transact(async (tx) => { await updateTask(tx, (await tx.get('tasks', HUB, task.id))!, { nextRunAt: new Date().toISOString() }, new Date()); });
  await until('the removal retried', async () => (await h.agent.api.task(task.id))?.status === 'completed', 5_000);
  await h.agent.idle();
  const trail = (await h.agent.api.audit({ hubId: HUB, email: 'kai@example.com', action: 'remove-member' })).items.filter((e) => e.taskId === task.id);
  assert.ok(!trail.some((e) => /not done/.test(e.why)), JSON.stringify(trail.map((e) => `${e.outcome}: ${e.why}`)));
  assert.ok(trail.some((e) => e.outcome === 'ok' && /outcome was unknown.*exempted by owner@example.com/.test(e.why)), JSON.stringify(trail.map((e) => `${e.outcome}: ${e.why}`)));
  assert.equal(await h.store.get('appMembers', HUB, seat), undefined, 'the seat is gone from the snapshot');
});
