import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import '../../app-state/records.ts';
import { ConnectorError } from '../../../connectors/sdk/connector-error.ts';
import type { HubConnector, PersonReading } from '../../../connectors/sdk/connector.ts';
import { suiteStores } from '../../../test/suite-stores.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { collect, type Store } from '../../store/store.ts';
import type { Operation } from '../../plan/operation.ts';
import { enqueueTask } from '../enqueue.ts';
import type { TaskAuditInput, TaskContext } from '../handler.ts';
import { applyOutcome } from '../task-transitions.ts';
import type { TaskRecord } from '../task-record.ts';
import { settleBeforeInvite } from './settle-invite.ts';
import { definePersonIndexes } from '../../plan/person-input.ts';
import { defineUnsettledInviteIndex, unsettledInviteFor } from './unsettled-invites.ts';

const trigger = { type: 'scim' as const, idp: 'okta' };
const HUB = 'meta-main';
const at = new Date('2026-12-04T12:00:00.000Z');

const inviteOp = (email: string, directoryUserId = 'u-ann'): Extract<Operation, { kind: 'invite' }> => ({
  kind: 'invite', key: `invite:${email}`, email, role: 'EMPLOYEE', effect: 'grant', reason: 'assigned', directoryUserId, summary: `invite ${email}`,
});

async function queueInvite(store: Store, email: string, state: Partial<TaskRecord> = {}, kind = 'invite'): Promise<TaskRecord> {
  const t = await store.transact((tx) => enqueueTask(tx, { hubId: HUB, kind, payload: { op: inviteOp(email) }, idempotencyKey: `op:invite:${email}`, trigger, summary: `invite ${email}`, now: at }));
  const next = { ...t, ...state };
  await store.transact((tx) => tx.put('tasks', HUB, t.id, next));
  return next;
}

const ids = async (store: Store) => (await unsettledInviteFor(store, HUB, 'u-ann')).map((t) => t.id).sort();

for (const kind of await suiteStores('memory', 'lowdb', 'postgres')) {
  describe(`tasks.unsettledInvite (${kind.kind})`, { skip: kind.skip }, () => {
    test('files an invite task under its person while an attempt of it may have reached the app, until it completes or is settled', async (t) => {
      const { store, dispose } = await kind.open();
      t.after(dispose);
      defineUnsettledInviteIndex(store);
      const running = await queueInvite(store, 'a1@example.com', { status: 'running', attempts: 1, attemptsEnded: 0 });
      const unknown = await queueInvite(store, 'a2@example.com', { status: 'waiting', attempts: 2, attemptsEnded: 2, attemptsRefused: 1, waitReason: 'backoff' });
      const gaveUp = await queueInvite(store, 'a3@example.com', { status: 'failed', attempts: 12, attemptsEnded: 12, attemptsRefused: 11 });
      await queueInvite(store, 'a4@example.com'); // queued, never tried
      await queueInvite(store, 'a5@example.com', { status: 'waiting', attempts: 1, attemptsEnded: 1, attemptsRefused: 1, waitReason: 'rate-limited' });
      await queueInvite(store, 'a6@example.com', { status: 'completed', attempts: 1, attemptsEnded: 1 });
      await queueInvite(store, 'a7@example.com', { status: 'failed', attempts: 2, attemptsEnded: 2, settled: { at: at.toISOString(), found: 'none', by: 'x' } });
      await queueInvite(store, 'a8@example.com', { status: 'running', attempts: 1, attemptsEnded: 0 }, 'cancel-invite');
      assert.deepEqual(await ids(store), [running.id, unknown.id, gaveUp.id].sort());
      assert.deepEqual(await unsettledInviteFor(store, 'other-hub', 'u-ann'), [], 'per hub');

      await store.transact(async (tx) => tx.put('tasks', HUB, unknown.id, { ...(await tx.get('tasks', HUB, unknown.id))!, status: 'completed' }));
      await store.transact(async (tx) => tx.put('tasks', HUB, gaveUp.id, { ...(await tx.get('tasks', HUB, gaveUp.id))!, settled: { at: at.toISOString(), found: 'invite', by: 'y' } }));
      assert.deepEqual(await ids(store), [running.id]);
    });
  });
}

test('an attempt that only waited for an earlier invite (waiting, notApplied) leaves its task unfiled and its retries unspent', async () => {
  const store = new MemoryStore();
  defineUnsettledInviteIndex(store);
  const t = await queueInvite(store, 'b@example.com', { status: 'running', attempts: 1, attemptsEnded: 0 });
  const next = await store.transact((tx) => applyOutcome(tx, t, { status: 'waiting', reason: 'earlier invite', until: at.toISOString(), notApplied: true }, at));
  assert.equal(next.attemptsRefused, 1);
  assert.equal(next.attemptsWaited, 1);
  assert.deepEqual(await ids(store), []);
});

describe('settling an earlier invite before inviting at a new email', () => {
  /** Ann's invite at ann@ was sent and its outcome is unknown; she is now to be invited at ann.new@. */
  /** By default the earlier task gave up (failed after attempts of unknown outcome): the new invite settles it. */
  async function setup(reading: PersonReading | Error, earlierState: Partial<TaskRecord> = { status: 'failed', attempts: 12, attemptsEnded: 12, attemptsRefused: 11 }) {
    const store = new MemoryStore();
    defineUnsettledInviteIndex(store);
    definePersonIndexes(store); // the invite reads the seats and invites by email, as on the agent's store (agent.ts)
    const earlier = await queueInvite(store, 'ann@example.com', earlierState);
    const task = await queueInvite(store, 'ann.new@example.com', { status: 'running', attempts: 1, attemptsEnded: 0 });
    const calls: string[] = [];
    const connector = {
      id: 'fake',
      readPerson: async (input: { email?: string }) => { calls.push(`read ${input.email}`); if (reading instanceof Error) throw reading; return reading; },
      cancelInvite: async (id: string) => { calls.push(`cancel ${id}`); return 'done' as const; },
      invite: async () => { calls.push('invite'); return { result: 'done' as const, inviteId: 'x' }; },
    } as unknown as HubConnector;
    const audits: TaskAuditInput[] = [];
    const ctx = { store, connector, now: () => at, audit: (a: TaskAuditInput) => audits.push(a), interrupted: false } as unknown as TaskContext;
    const unsettled = await unsettledInviteFor(store, HUB, 'u-ann');
    return { store, earlier, task, calls, audits, run: () => settleBeforeInvite(task, ctx, inviteOp('ann.new@example.com'), unsettled) };
  }
  const none: PersonReading = { members: [], invites: [], assignments: [], missingAssets: [] };

  test('a pending invitation at the old email is recorded as theirs and audited, the earlier task marked settled, and no invite is sent', async () => {
    const s = await setup({ ...none, invites: [{ id: 'r-1', email: 'ann@example.com', role: 'EMPLOYEE', status: 'pending' }] });
    const outcome = await s.run();
    assert.equal(outcome?.status, 'completed', 'superseded: the invite at the new email is not sent');
    assert.deepEqual(s.calls, ['read ann@example.com'], 'nothing cancelled');
    assert.equal((await s.store.get('tasks', HUB, s.earlier.id))?.settled?.found, 'invite');
    assert.equal((await s.store.get('memberMatches', HUB, 'invite:r-1'))?.directoryUserId, 'u-ann');
    const audit = await collect(s.store.list('audit', HUB));
    const found = audit.find((e) => e.action === 'invite' && e.outcome === 'already-done');
    assert.deepEqual(found?.subject, { email: 'ann@example.com', directoryUserId: 'u-ann', memberId: 'invite:r-1' });
    assert.ok(!audit.some((e) => e.action === 'cancel-invite'));
  });

  test('two attempts settling the same earlier invite (a lease lost mid-read, another replica took over) audit it once', async () => {
    const s = await setup({ ...none, invites: [{ id: 'r-1', email: 'ann@example.com', role: 'EMPLOYEE', status: 'pending' }] });
    // Both read the unsettled invites before either committed: the second's list is stale.
    await s.run();
    await s.run();
    const audit = await collect(s.store.list('audit', HUB));
    assert.equal(audit.filter((e) => e.action === 'invite' && e.outcome === 'already-done').length, 1, 'one entry for the one invitation found');
    assert.equal((await s.store.get('tasks', HUB, s.earlier.id))?.settled?.by, s.task.id);
  });

  test('accepted: the seat is matched to the person, who is re-planned, and no invite is sent', async () => {
    const s = await setup({ ...none, members: [{ id: 'm-9', email: 'ann@example.com', role: 'EMPLOYEE' }] });
    const outcome = await s.run();
    assert.equal(outcome?.status, 'completed');
    assert.deepEqual(s.calls, ['read ann@example.com']);
    assert.equal((await s.store.get('memberMatches', HUB, 'm-9'))?.directoryUserId, 'u-ann');
    assert.ok(await s.store.get('appMembers', HUB, 'm-9'));
    const tasks = await collect(s.store.list('tasks', HUB));
    assert.ok(tasks.some((t) => t.kind === 'reconcile-person' && (t.payload as { directoryUserId?: string }).directoryUserId === 'u-ann'), 'the person is re-planned');
  });

  test('Meta unavailable: the error says nothing was sent, and nothing is invited or settled', async () => {
    const s = await setup(new ConnectorError('unavailable', 'pending_users: unavailable (network)'));
    await assert.rejects(s.run(), (err: unknown) => err instanceof ConnectorError && err.kind === 'unavailable' && err.notApplied === true);
    assert.deepEqual(s.calls, ['read ann@example.com']);
    assert.equal((await s.store.get('tasks', HUB, s.earlier.id))?.settled, undefined);
  });

  test('while the earlier invite is being sent, the new one waits without counting as an attempt that may have landed', async () => {
    const s = await setup(none, { status: 'running', attempts: 1, attemptsEnded: 0 });
    const outcome = await s.run();
    assert.equal(outcome?.status, 'waiting');
    assert.equal(outcome?.status === 'waiting' && outcome.notApplied, true);
    assert.deepEqual(s.calls, [], 'nothing asked of the app');
  });

  test('an earlier invite backing off is woken to settle itself, and the new one waits for it (one settler, not two)', async () => {
    const later = new Date(at.getTime() + 300_000).toISOString();
    const s = await setup(none, { status: 'waiting', attempts: 2, attemptsEnded: 2, attemptsRefused: 1, waitReason: 'backoff', nextRunAt: later });
    const outcome = await s.run();
    assert.equal(outcome?.status, 'waiting');
    assert.deepEqual(s.calls, [], 'nothing asked of the app: the earlier task looks it up itself');
    const earlier = await s.store.get('tasks', HUB, s.earlier.id);
    assert.equal(earlier?.nextRunAt, at.toISOString(), 'due now, not after its back-off');
    assert.equal(earlier?.settled, undefined);
  });
});
