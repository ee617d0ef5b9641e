import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppInviteRecord, ExemptionRecord } from '../../app-state/records.ts';
import { definePersonIndexes } from '../../plan/person-input.ts';
import { cancelInviteOperation, removeMemberOperation } from '../../plan/removal.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { exemptedSinceQueued } from './forced-removal.ts';
import type { DirectoryUserRecord } from '../../desired-state/directory-records.ts';
import { testHub, testUser } from '../../grants/grant-fixtures.ts';
import { enqueueTask } from '../enqueue.ts';
import type { TaskContext } from '../handler.ts';
import { operationHandler } from './operation-handler.ts';
import { enqueueOperation } from './enqueue-operation.ts';

const NOW = new Date('2026-12-03T12:00:00Z');
const why = { reason: 'unassigned' as const, because: 'asked by owner@example.com' };
const exemption = (memberId: string, until?: string): ExemptionRecord => ({ hubId: 'h', memberId, reason: 'agency contact', by: 'owner@example.com', at: NOW.toISOString(), ...(until ? { until } : {}) });
const invite = (id: string): AppInviteRecord => ({ hubId: 'h', id, email: 'jane@example.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: NOW.toISOString() });

async function storeWith(put: (tx: import('../../store/store.ts').Transaction) => void): Promise<MemoryStore> {
  const store = new MemoryStore();
  definePersonIndexes(store);
  await store.transact(async (tx) => put(tx));
  return store;
}

test('a member exempted since the removal was queued is not removed; a lapsed exemption does not stop it', async () => {
  const op = removeMemberOperation({ id: 'm-1', role: 'EMPLOYEE', email: 'bob@example.com' }, why);
  const exempted = await storeWith((tx) => tx.put('exemptions', 'h', 'm-1', exemption('m-1')));
  assert.match((await exemptedSinceQueued(exempted, 'h', op, NOW)) ?? '', /exempted by owner@example.com/);
  const lapsed = await storeWith((tx) => tx.put('exemptions', 'h', 'm-1', exemption('m-1', '2026-12-01T00:00:00Z')));
  assert.equal(await exemptedSinceQueued(lapsed, 'h', op, NOW), undefined);
  assert.equal(await exemptedSinceQueued(await storeWith(() => {}), 'h', op, NOW), undefined);
});

test("an invite queued under its provisional row is not cancelled once its real row is exempted", async () => {
  const queued = cancelInviteOperation({ ...invite('pending:jane@example.com') }, why);
  const store = await storeWith((tx) => {
    tx.put('appInvites', 'h', '6100000000000001', invite('6100000000000001'));
    tx.put('exemptions', 'h', 'invite:6100000000000001', exemption('invite:6100000000000001'));
  });
  assert.match((await exemptedSinceQueued(store, 'h', queued, NOW)) ?? '', /since it was queued/);
});

/**
 * An offboarding's removal waits (a rate limit, a paused hub) while the IdP reactivates the person
 * (a deactivation made by mistake): it skipped the re-plan and took the seat of a person active
 * again, whom the next plan invited afresh. One whose record did not change since it was queued (the
 * IdP has not caught up over SCIM yet) still goes: the leaver action is the newer word. "Since" is
 * the record's version, which the store orders: the replicas' clocks may disagree (below, the SCIM
 * replica's clock is an hour behind or ahead of the queuing replica's).
 */
test("an offboarding's removal is not run once the person is active in the directory again, whatever the replicas' clocks", async () => {
  const hub = testHub();
  const queuedAt = '2026-12-03T11:00:00.000Z';
  const calls: string[] = [];
  const atQueue = { ...testUser('u-bob', 'bob@example.com', true), version: 3, lastModified: '2026-12-03T10:59:00.000Z' };
  const run = async (atRun: Partial<DirectoryUserRecord>, legacy = false) => {
    calls.length = 0;
    const store = await storeWith((tx) => {
      tx.put('directoryUsers', hub.id, 'u-bob', atQueue);
      tx.put('appMembers', hub.id, 'm-1', { hubId: hub.id, id: 'm-1', email: 'bob@example.com', role: 'EMPLOYEE', firstSeenAt: queuedAt, lastSeenAt: queuedAt });
      tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: queuedAt });
    });
    const op = removeMemberOperation({ id: 'm-1', role: 'EMPLOYEE', email: 'bob@example.com' }, { reason: 'deactivated', because: 'offboarded', directoryUserId: 'u-bob' });
    const trigger = { type: 'okta-event-hook' as const, idp: 'okta' };
    const queued = await store.transact((tx) => legacy
      // Queued by an earlier release: no directoryVersion in the payload.
      ? enqueueTask(tx, { hubId: hub.id, kind: 'remove-member', payload: { op, force: true }, idempotencyKey: `op:${op.key}`, summary: op.summary, trigger, now: new Date(queuedAt) })
      : enqueueOperation(tx, { hub, op, trigger, force: true, now: new Date(queuedAt) }));
    // What SCIM wrote meanwhile (or nothing): the record as the removal finds it.
    await store.transact(async (tx) => tx.put('directoryUsers', hub.id, 'u-bob', { ...atQueue, ...atRun }));
    const audit: Array<{ why: string; outcome: string }> = [];
    const connector = { removeMember: async (id: string) => { calls.push(id); return 'done'; } };
    const ctx = { store, hub, connector, now: () => NOW, audit: (e: { why: string; outcome: string }) => audit.push(e), interrupted: false } as unknown as TaskContext;
    const outcome = await operationHandler('remove-member').run({ ...queued, status: 'running', attempts: 1 }, ctx);
    return { outcome, audit };
  };
  // Reactivated over SCIM after the removal was queued, by a replica whose clock is an hour behind
  // (lastModified before the task's createdAt): not removed, audited with why.
  const reactivated = await run({ version: 5, lastModified: '2026-12-03T10:05:00.000Z' });
  assert.deepEqual(calls, []);
  assert.deepEqual(reactivated.outcome.status, 'completed');
  assert.match(reactivated.audit.map((e) => `${e.outcome} ${e.why}`).join('\n'), /skipped .*active in the directory again/);
  // Not changed since it was queued, though written last by a replica whose clock is an hour ahead
  // (lastModified after createdAt): removed.
  await run({ lastModified: '2026-12-03T11:59:00.000Z' });
  assert.deepEqual(calls, ['m-1']);
  // Changed since, but inactive (the deactivation arrived over SCIM) or held by a leaver action: removed.
  await run({ version: 4, active: false });
  assert.deepEqual(calls, ['m-1']);
  await run({ version: 4, offboarded: { at: queuedAt, by: 'workflow' } });
  assert.deepEqual(calls, ['m-1']);
  // Queued by an earlier release (no version recorded): the removal runs, even for a changed,
  // active record (the next plan invites a person reactivated meanwhile again).
  await run({ version: 5, lastModified: '2026-12-03T11:30:00.000Z' }, true);
  assert.deepEqual(calls, ['m-1']);
});

/**
 * A leaver workflow offboards a person whose seat's removal the plan already queued (their groups
 * were taken away; the removal waits on a rate limit): the two share the key. Reused unforced, the
 * task re-planned before its call, found the removal now a deprovisioning one and handed it to that
 * lane, and ended "superseded": the offboarding completed with the seat still there.
 */
test('an offboarding that meets the plan\'s own queued removal of the seat makes it forced: removed, not re-planned', async () => {
  const hub = testHub();
  const at = '2026-12-03T11:00:00.000Z';
  const bob = { ...testUser('u-bob', 'bob@example.com', true), version: 3 };
  const store = await storeWith((tx) => {
    tx.put('directoryUsers', hub.id, 'u-bob', bob);
    tx.put('appMembers', hub.id, 'm-1', { hubId: hub.id, id: 'm-1', email: 'bob@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('memberMatches', hub.id, 'm-1', { hubId: hub.id, memberId: 'm-1', outcome: 'onboarded', manual: false, directoryUserId: 'u-bob', reason: 'matched', at });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const member = { id: 'm-1', role: 'EMPLOYEE', email: 'bob@example.com' };
  const planned = removeMemberOperation(member, { reason: 'unassigned', because: 'in no team', directoryUserId: 'u-bob' });
  const leaver = removeMemberOperation(member, { reason: 'deactivated', because: 'offboarded', directoryUserId: 'u-bob' });
  assert.equal(planned.key, leaver.key, 'one key: the same seat');
  const trigger = { type: 'entra-lifecycle' as const, idp: 'entra', reason: 'leaver workflow' };
  await store.transact((tx) => enqueueOperation(tx, { hub, op: planned, trigger: { type: 'scim', idp: 'okta', actor: 'okta-provisioning' }, now: new Date(at) }));
  // The leaver action: the person held offboarded, their seat's removal forced, in one transaction.
  const task = await store.transact(async (tx) => {
    tx.put('directoryUsers', hub.id, 'u-bob', { ...bob, version: 4, offboarded: { at, by: 'workflow' } });
    return enqueueOperation(tx, { hub, op: leaver, trigger, parentId: 'offboard-1', force: true, now: new Date(at) });
  });
  assert.deepEqual([(task.payload as { force?: boolean }).force, task.waiters], [true, ['offboard-1']]);
  // The removal is now the leaver workflow's decision: its audit entry names that trigger and reason.
  assert.deepEqual(task.trigger, trigger);
  const calls: string[] = [];
  const connector = { removeMember: async (id: string) => { calls.push(id); return 'done'; } };
  const ctx = { store, hub, connector, now: () => NOW, audit: () => {}, interrupted: false } as unknown as TaskContext;
  const outcome = await operationHandler('remove-member').run({ ...task, status: 'running', attempts: 1 }, ctx);
  assert.deepEqual(calls, ['m-1']);
  assert.equal(outcome.status, 'completed');
  assert.equal((outcome as { result?: { result?: string } }).result?.result, 'done');
});

/**
 * A rehire: the old account's offboarding queues the removal of the seat matched to it, and the
 * removal waits (a rate limit, a paused hub) while an owner matches that seat by hand to the
 * rehire's new account. Forced, it skipped the re-plan and removed the rehire's seat. It now runs
 * only while no other person active in the directory holds the seat.
 */
test("a forced removal is not run once its seat is matched to another person active in the directory", async () => {
  const hub = testHub();
  const at = '2026-12-03T11:00:00.000Z';
  const old = { ...testUser('u-old', 'jane@example.com', true), version: 4, offboarded: { at, by: 'workflow' } };
  const calls: string[] = [];
  const run = async (setup: (tx: import('../../store/store.ts').Transaction) => void, op = removeMemberOperation({ id: 'm-1', role: 'EMPLOYEE', email: 'jane@example.com' }, { reason: 'deactivated', because: 'offboarded', directoryUserId: 'u-old' })) => {
    calls.length = 0;
    const store = await storeWith((tx) => {
      tx.put('directoryUsers', hub.id, 'u-old', old);
      tx.put('appMembers', hub.id, 'm-1', { hubId: hub.id, id: 'm-1', email: 'jane@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
      tx.put('memberMatches', hub.id, 'm-1', { hubId: hub.id, memberId: 'm-1', outcome: 'onboarded', manual: false, directoryUserId: 'u-old', at });
      tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
    });
    const task = await store.transact((tx) => enqueueOperation(tx, { hub, op, trigger: { type: 'entra-lifecycle', idp: 'entra', reason: 'leaver workflow' }, force: true, now: new Date(at) }));
    // What changed while it waited.
    await store.transact(async (tx) => setup(tx));
    const audit: Array<{ why: string; outcome: string }> = [];
    const connector = { removeMember: async (id: string) => { calls.push(id); return 'done'; } };
    const ctx = { store, hub, connector, now: () => NOW, audit: (e: { why: string; outcome: string }) => audit.push(e), interrupted: false } as unknown as TaskContext;
    const outcome = await operationHandler('remove-member').run({ ...task, status: 'running', attempts: 1 }, ctx);
    return { outcome, audit: audit.map((e) => `${e.outcome} ${e.why}`).join('\n') };
  };
  const rehire = (active = true) => (tx: import('../../store/store.ts').Transaction) => tx.put('directoryUsers', hub.id, 'u-new', testUser('u-new', 'jane@example.com', active));
  const matchTo = (directoryUserId: string) => (tx: import('../../store/store.ts').Transaction) =>
    tx.put('memberMatches', hub.id, 'm-1', { hubId: hub.id, memberId: 'm-1', outcome: 'onboarded', manual: true, directoryUserId, at: NOW.toISOString() });
  // Matched by hand to the rehire's active account: kept, audited skipped with whose seat it is.
  const kept = await run((tx) => { rehire()(tx); matchTo('u-new')(tx); });
  assert.deepEqual(calls, []);
  assert.equal(kept.outcome.status, 'completed');
  assert.match(kept.audit, /^skipped .*not done, the seat \(m-1\) now belongs to jane@example.com \(directory user u-new, active in the directory\)/);
  // Left disputed between the leaver and the rehire: kept for an owner to decide.
  const disputed = await run((tx) => { rehire()(tx); tx.put('memberMatches', hub.id, 'm-1', { hubId: hub.id, memberId: 'm-1', outcome: 'unmatched', manual: false, candidates: ['u-old', 'u-new'], at }); });
  assert.deepEqual(calls, []);
  assert.match(disputed.audit, /^skipped .*disputed between directory users u-old, u-new/);
  // Still matched to the leaver: removed.
  await run(rehire());
  assert.deepEqual(calls, ['m-1']);
  // Unmatched now (the match gone, or an owner un-matched it): nobody claims the seat, removed.
  await run((tx) => { rehire()(tx); tx.delete('memberMatches', hub.id, 'm-1'); });
  assert.deepEqual(calls, ['m-1']);
  // Matched to a user the directory deactivated, or one it no longer has: removed.
  await run((tx) => { rehire(false)(tx); matchTo('u-new')(tx); });
  assert.deepEqual(calls, ['m-1']);
  await run(matchTo('u-gone'));
  assert.deepEqual(calls, ['m-1']);
  // An owner's removal of a row unmatched when asked names no person: it runs as asked.
  await run((tx) => { rehire()(tx); matchTo('u-new')(tx); }, removeMemberOperation({ id: 'm-1', role: 'EMPLOYEE', email: 'jane@example.com' }, { reason: 'unassigned', because: 'asked by owner@example.com' }));
  assert.deepEqual(calls, ['m-1']);
});

/**
 * An offboarding's cancel of an invite hubwarden recorded before the app's id was known
 * (`pending:<email>`), its first attempt of unknown outcome, then stopped (the real row exempted).
 * The look-up that settles the earlier attempt compared the listed invites' ids with the
 * provisional one, found none, and audited the invitation as cancelled while it was still pending.
 */
test('a provisional invite still pending under its real id is not settled as cancelled by an earlier attempt', async () => {
  const hub = testHub();
  const queued = cancelInviteOperation({ ...invite('pending:jane@example.com') }, { reason: 'deactivated', because: 'offboarded', directoryUserId: 'u-jane' });
  const store = await storeWith((tx) => {
    tx.put('appInvites', hub.id, '6100000000000001', { ...invite('6100000000000001'), hubId: hub.id });
    tx.put('exemptions', hub.id, 'invite:6100000000000001', { ...exemption('invite:6100000000000001'), hubId: hub.id });
  });
  const task = await store.transact((tx) => enqueueOperation(tx, { hub, op: queued, trigger: { type: 'entra-lifecycle', idp: 'entra', reason: 'leaver workflow' }, force: true, now: NOW }));
  const listed = { id: '6100000000000001', email: 'Jane@Example.com', role: 'EMPLOYEE', status: 'pending' as const };
  const calls: string[] = [];
  const connector = {
    cancelInvite: async (id: string) => { calls.push(id); return 'done'; },
    readPerson: async () => ({ members: [], invites: [listed], assignments: [], missingAssets: [] }),
  };
  const audit: Array<{ why: string; outcome: string }> = [];
  const ctx = { store, hub, connector, now: () => NOW, audit: (e: { why: string; outcome: string }) => audit.push(e), interrupted: false } as unknown as TaskContext;
  // The second attempt: the first one's outcome is unknown.
  const outcome = await operationHandler('cancel-invite').run({ ...task, status: 'running', attempts: 2 }, ctx);
  assert.deepEqual(calls, []);
  assert.notEqual((outcome as { result?: { found?: string } }).result?.found, 'gone');
  assert.deepEqual(audit.map((e) => e.outcome), ['skipped'], audit.map((e) => e.why).join('\n'));
});

/**
 * An owner's word, since an offboarding queued the removal, that the seat is no directory user's:
 * registered as a guest's (a contractor kept on as an outside guest), or un-matched by hand (a
 * shared mailbox). The offboarding would not have queued it then (offboard.ts otherOwner), nor
 * would the plan remove it; forced, it skipped both and removed the seat.
 */
test("a forced removal is not run once an owner has registered the seat as a guest's or un-matched it", async () => {
  const hub = testHub();
  const at = '2026-12-03T11:00:00.000Z';
  for (const [name, match] of [
    ['guest', { outcome: 'guest', manual: false }],
    ['un-matched by an owner', { outcome: 'unmatched', manual: true }],
  ] as const) {
    const store = await storeWith((tx) => {
      tx.put('directoryUsers', hub.id, 'u-old', { ...testUser('u-old', 'jane@example.com', false), version: 4 });
      tx.put('appMembers', hub.id, 'm-1', { hubId: hub.id, id: 'm-1', email: 'jane@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
      tx.put('memberMatches', hub.id, 'm-1', { hubId: hub.id, memberId: 'm-1', outcome: 'onboarded', manual: false, directoryUserId: 'u-old', at });
    });
    const op = removeMemberOperation({ id: 'm-1', role: 'EMPLOYEE', email: 'jane@example.com' }, { reason: 'deactivated', because: 'offboarded', directoryUserId: 'u-old' });
    const task = await store.transact((tx) => enqueueOperation(tx, { hub, op, trigger: { type: 'entra-lifecycle', idp: 'entra', reason: 'leaver workflow' }, force: true, now: new Date(at) }));
    await store.transact(async (tx) => tx.put('memberMatches', hub.id, 'm-1', { hubId: hub.id, memberId: 'm-1', ...match, at: NOW.toISOString() }));
    const calls: string[] = [];
    const audit: Array<{ why: string; outcome: string }> = [];
    const connector = { removeMember: async (id: string) => { calls.push(id); return 'done'; } };
    const ctx = { store, hub, connector, now: () => NOW, audit: (e: { why: string; outcome: string }) => audit.push(e), interrupted: false } as unknown as TaskContext;
    await operationHandler('remove-member').run({ ...task, status: 'running', attempts: 1 }, ctx);
    assert.deepEqual(calls, [], name);
    assert.deepEqual(audit.map((e) => e.outcome), ['skipped'], name);
    assert.match(audit[0]!.why, /not directory user u-old's seat/, name);
  }
});
