import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkForUpdates, HUB, hubConfig, onboard, settle, startHarness, until, type Harness } from './harness.ts';
import { planHub } from '../../agent/plan/plan-hub.ts';
import { enqueueOperation } from '../../agent/tasks/operations/enqueue-operation.ts';
import { updateTask } from '../../agent/tasks/enqueue.ts';

/**
 * A removal the settle pass queued that then waits (on a rate limit: Meta's "wait a bit and try
 * again", https://developers.facebook.com/docs/graph-api/overview/rate-limiting) re-plans the
 * person before it calls, and is skipped if they were added back meanwhile. But when the person
 * was added back and then moved (a group move the IdP pushes as remove-then-add, in two SCIM
 * requests), the waiting removal woke between the two halves: the re-plan asked for the removal
 * again, and it ran at once, though the settle window for that move had only just begun
 * (README: "a group move pushed as remove-then-add never removes anyone").
 */
let h: Harness;
const settleSeconds = 3;
before(async () => { h = await startHarness({ safety: { settleSeconds } }); await checkForUpdates(h); });
after(() => h.close());
const inMeta = (id: string) => h.emulator.control.state().users.some((u) => u.id === id);

test('a removal that waited wakes inside a later settle window: it waits for that window instead of running', async () => {
  const hub = hubConfig({ settleSeconds }).hubs[0]!;
  const seat = await onboard(h, 'u-mo', 'mo@example.com', 'Meta Advertisers');
  // Mo leaves the group; the removal is queued and waits on a rate limit (as the settle pass queues it).
  await h.directory.patchGroup('Meta Advertisers', [], ['u-mo']);
  const op = (await planHub(h.store, hub, { now: new Date() })).operations.find((o) => o.kind === 'remove-member' && o.memberId === seat)!;
  assert.ok(op, 'the removal is planned');
  const dormant = await h.store.transact(async (tx) => {
    const t = await enqueueOperation(tx, { hub, op, trigger: { type: 'admin', actor: 'test' } });
    return updateTask(tx, t, { status: 'waiting', waitReason: 'rate-limited business', nextRunAt: new Date(Date.now() + 60_000).toISOString() }, new Date());
  });
  // The IdP adds Mo back; later it moves Mo to the admins: remove first, the add a moment later.
  await h.directory.patchGroup('Meta Advertisers', ['u-mo']);
  await h.agent.idle();
  await h.directory.patchGroup('Meta Advertisers', [], ['u-mo']);
  // The rate limit ends between the move's two halves.
  await h.store.transact(async (tx) => { await updateTask(tx, (await tx.get('tasks', HUB, dormant.id))!, { nextRunAt: new Date().toISOString() }, new Date()); });
  await until('the waiting removal ran', async () => (await h.agent.api.task(dormant.id))?.status === 'completed', 5_000);
  await h.agent.idle();
  assert.ok(inMeta(seat), 'not removed inside the settle window of the move');
  await h.directory.patchGroup('Meta Admins', ['u-mo']);
  await settle(h, settleSeconds * 1000 + 500);
  assert.ok(inMeta(seat), 'the move kept the seat');
  assert.equal(h.emulator.control.state().users.find((u) => u.id === seat)?.role, 'ADMIN');
  const audit = (await h.agent.api.audit({ hubId: HUB, email: 'mo@example.com', action: 'remove-member' })).items;
  assert.ok(!audit.some((e) => e.outcome === 'ok'), JSON.stringify(audit.map((e) => `${e.outcome}: ${e.why}`)));
});

/**
 * The same removal, deferred to the settle pass (audited `pending`), and the person is added back
 * before the window ends: the pass no longer plans the removal and queues nothing. Without a
 * closing entry the audit log showed the removal pending for good.
 */
test('a deferred removal the settle pass no longer plans ends the person\'s trail with a closing entry', async () => {
  const hub = hubConfig({ settleSeconds }).hubs[0]!;
  const seat = await onboard(h, 'u-jo', 'jo@example.com', 'Meta Advertisers');
  await h.directory.patchGroup('Meta Advertisers', [], ['u-jo']);
  const op = (await planHub(h.store, hub, { now: new Date() })).operations.find((o) => o.kind === 'remove-member' && o.memberId === seat)!;
  assert.ok(op, 'the removal is planned');
  const dormant = await h.store.transact(async (tx) => {
    const t = await enqueueOperation(tx, { hub, op, trigger: { type: 'admin', actor: 'test' } });
    return updateTask(tx, t, { status: 'waiting', waitReason: 'rate-limited business', nextRunAt: new Date(Date.now() + 60_000).toISOString() }, new Date());
  });
  // A later change opens a settle window (Jo back, then out again); the removal wakes inside it.
  await h.directory.patchGroup('Meta Advertisers', ['u-jo']);
  await h.agent.idle();
  await h.directory.patchGroup('Meta Advertisers', [], ['u-jo']);
  await h.agent.idle();
  await h.store.transact(async (tx) => { await updateTask(tx, (await tx.get('tasks', HUB, dormant.id))!, { nextRunAt: new Date().toISOString() }, new Date()); });
  await until('the waiting removal ran', async () => (await h.agent.api.task(dormant.id))?.status === 'completed', 5_000);
  const trail = async () => (await h.agent.api.audit({ hubId: HUB, email: 'jo@example.com', action: 'remove-member' })).items;
  assert.ok((await trail()).some((e) => e.outcome === 'pending' && e.taskId === dormant.id), 'deferred to the settle pass');
  // Jo is added back within the window: the pass finds nothing to remove.
  await h.directory.patchGroup('Meta Advertisers', ['u-jo']);
  await settle(h, settleSeconds * 1000 + 500);
  assert.ok(inMeta(seat), 'Jo keeps the seat');
  const [last] = await trail(); // newest first
  assert.equal(last?.outcome, 'skipped', JSON.stringify((await trail()).map((e) => `${e.outcome}: ${e.why}`)));
  assert.match(last!.why, /no longer planned: jo@example\.com is again in Meta Advertisers/);
  assert.match(last!.why, new RegExp(`pending since task ${dormant.id}`));
  assert.equal(last!.detail?.pendingTaskId, dormant.id);
});
