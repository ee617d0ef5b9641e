import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from '../../connectors/meta-business/emulator/sandbox-ids.ts';
import type { Operation } from '../../agent/plan/operation.ts';
import { removeMemberOperation } from '../../agent/plan/removal.ts';
import { enqueueOperation } from '../../agent/tasks/operations/enqueue-operation.ts';
import { updateTask } from '../../agent/tasks/enqueue.ts';
import { checkForUpdates, HUB, onboard, startHarness, until, type Harness } from './harness.ts';
import { advertisersAndStaff } from './advertisers-and-staff.ts';

/**
 * A change whose first attempt reached Meta but whose answer was lost (a timeout, a dropped
 * socket: the retry table's `unavailable`, the task waiting to retry). The retry's entry is the
 * change's only one: it must not read as a change never made, nor as one someone else made.
 * - The retry no longer needs the change (the person left the team meanwhile): "not done" was all
 *   the entry said, while Meta held the grant the first attempt made.
 * - The retry finds the change made (`already-done`): the entry said only that the app had it.
 * Each now says an earlier attempt of unknown outcome may have made it (detail `earlierAttemptUnknown`).
 */
const config = advertisersAndStaff;
let h: Harness;
before(async () => { h = await startHarness({ config: config() }); await checkForUpdates(h); });
after(() => h.close());
const owner = { type: 'admin' as const, actor: 'owner@example.com' };
const hub = () => config().hubs[0]!;
const lostAnswer = { status: 'waiting' as const, waitReason: 'backoff' as const, attempts: 1, attemptsEnded: 1, lastError: { kind: 'unavailable' as const, message: 'socket hang up' } };

/** Queues `op` as a task whose first attempt ended with its answer lost, and runs its retry. */
async function retried(op: Operation, force: boolean) {
  const task = await h.store.transact(async (tx) => {
    const t = await enqueueOperation(tx, { hub: hub(), op, trigger: owner, ...(force ? { force: true } : {}) });
    return updateTask(tx, t, { ...lostAnswer, nextRunAt: new Date(Date.now() + 60_000).toISOString() }, new Date());
  });
  await h.store.transact(async (tx) => { await updateTask(tx, (await tx.get('tasks', HUB, task.id))!, { nextRunAt: new Date().toISOString() }, new Date()); });
  await until('the retry', async () => (await h.agent.api.task(task.id))?.status === 'completed', 5_000);
  await h.agent.idle();
  return (await h.agent.api.audit({ hubId: HUB, action: op.kind })).items.filter((e) => e.taskId === task.id);
}
const shown = (trail: Array<{ outcome: string; why: string }>) => JSON.stringify(trail.map((e) => `${e.outcome}: ${e.why}`));

test('an assign of unknown outcome no longer needed at its retry: audited as possibly made, not as plainly not done', async () => {
  const seat = await onboard(h, 'u-kim', 'kim@example.com', 'Meta Staff');
  await h.directory.patchGroup('Meta Advertisers', ['u-kim']);
  await until('the grant', () => h.emulator.control.state().assignments.some((a) => a.assetId === 'act_111' && a.userId === seat), 10_000);
  await h.agent.idle();
  // Kim leaves the advertisers (her grant is unassigned). The assign below stands for one queued
  // while she was in the team: its first attempt granted the ad account again, its answer lost.
  await h.directory.patchGroup('Meta Advertisers', [], ['u-kim']);
  await until('the grant unassigned', () => !h.emulator.control.state().assignments.some((a) => a.assetId === 'act_111' && a.userId === seat), 10_000);
  await h.agent.idle();
  const op: Operation = { kind: 'assign-asset', key: `assign:ad_account:act_111:${seat}:ADVERTISE+ANALYZE`, memberId: seat, asset: { type: 'ad_account', id: 'act_111' },
    tasks: ['ADVERTISE', 'ANALYZE'], email: 'kim@example.com', directoryUserId: 'u-kim', effect: 'grant', reason: 'assigned', summary: 'assign ad_account act_111 to kim@example.com' } as Operation;
  const res = await fetch(`${h.url}/v25.0/act_111/assigned_users?access_token=${SANDBOX.token}`, { method: 'POST', body: new URLSearchParams({ user: seat, tasks: '["ADVERTISE","ANALYZE"]' }) });
  assert.equal(res.status, 200, 'its first attempt: Meta made the grant, the answer was lost');
  const trail = await retried(op, false);
  assert.equal(trail.length, 1, shown(trail));
  assert.equal(trail[0]!.outcome, 'skipped');
  assert.match(trail[0]!.why, /not done, .*earlier attempt's outcome is unknown.*may hold the change/, shown(trail));
  assert.equal(trail[0]!.detail?.earlierAttemptUnknown, true);
});

test("an owner's removal of unknown outcome found made at its retry: already-done, naming the earlier attempt", async () => {
  const seat = await onboard(h, 'u-rae', 'rae@example.com', 'Meta Staff');
  const member = (await h.store.get('appMembers', HUB, seat))!;
  const op = removeMemberOperation(member, { reason: 'unassigned', because: 'asked by owner@example.com', directoryUserId: 'u-rae' });
  const res = await fetch(`${h.url}/v25.0/${seat}?access_token=${SANDBOX.token}`, { method: 'DELETE' });
  assert.equal(res.status, 200, 'its first attempt: Meta removed the seat, the answer was lost');
  const trail = await retried(op, true);
  assert.equal(trail.length, 1, shown(trail));
  assert.equal(trail[0]!.outcome, 'already-done', 'the retry made no change');
  assert.match(trail[0]!.why, /an earlier attempt, whose outcome was unknown .*may have made it/, shown(trail));
  assert.equal(trail[0]!.detail?.earlierAttemptUnknown, true);
});
