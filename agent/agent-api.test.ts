/**
 * The agent API refuses what it cannot honour with an AgentError whose kind the admin API maps
 * (scim-server/admin/problem.ts): unknown things are `not-found`, refusals `conflict`, bad
 * input `invalid-argument`, a missing member service `unavailable`. Messages keep who and which.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Trigger } from './desired-state/delta.ts';
import { AgentError, type AgentErrorKind } from './agent-error.ts';
import { createAgentApi } from './agent-api.ts';
import { testHub } from './grants/grant-fixtures.ts';
import { MemoryStore } from './store/memory-store.ts';
import { defineDirectoryIndexes } from './desired-state/directory-records.ts';
import { definePersonIndexes } from './plan/person-input.ts';
import { defineHeldIndexes } from './safety/held-indexes.ts';
import { removeMemberOperation } from './plan/removal.ts';
import { addToReport } from './safety/reports.ts';
import { releasedWithin } from './safety/removal-window.ts';

const admin: Trigger = { type: 'admin', actor: 'ops@example.com' };
const refusal = (kind: AgentErrorKind, message: RegExp) => (e: unknown) => e instanceof AgentError && e.kind === kind && message.test(e.message);

async function api(options: { complete?: boolean } = {}) {
  const store = new MemoryStore();
  const hub = testHub();
  await store.transact((tx) => {
    if (options.complete !== false) tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: '2026-01-01T00:00:00Z' });
    tx.put('appMembers', hub.id, '502', { hubId: hub.id, id: '502', email: 'ex@example.com', role: 'EMPLOYEE', firstSeenAt: '2026-01-01T00:00:00Z', lastSeenAt: '2026-01-01T00:00:00Z' });
    tx.put('exemptions', hub.id, '502', { hubId: hub.id, memberId: '502', reason: 'agency', until: '2027-01-01', by: 'owner', at: '2026-01-01T00:00:00Z' });
    tx.put('appMembers', hub.id, '501', { hubId: hub.id, id: '501', email: 'sam@example.com', role: 'EMPLOYEE', firstSeenAt: '2026-01-01T00:00:00Z', lastSeenAt: '2026-01-01T00:00:00Z' });
    tx.put('appMembers', hub.id, '900', { hubId: hub.id, id: '900', role: 'ADMIN', firstSeenAt: '2026-01-01T00:00:00Z', lastSeenAt: '2026-01-01T00:00:00Z' });
    tx.put('appSystemUsers', hub.id, '900', { hubId: hub.id, id: '900', role: 'ADMIN' });
  });
  return createAgentApi({ store, hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, clock: () => Date.UTC(2026, 10, 23) });
}

describe('agent API refusals carry a kind', () => {
  test('unknown hub, member, invite, report and approval: not-found, naming which', async () => {
    const a = await api();
    await assert.rejects(a.removeMember('nope', '501', admin), refusal('not-found', /no hub "nope"/));
    await assert.rejects(a.removeMember('meta-main', '777', admin), refusal('not-found', /hub meta-main: remove 777: no member 777/));
    await assert.rejects(a.removeMember('meta-main', 'invite:42', admin), refusal('not-found', /hub meta-main: remove invite:42: no invite 42/));
    await assert.rejects(a.checkForUpdates('nope', admin), refusal('not-found', /no hub "nope"/));
    await assert.rejects(a.applyReport('r-nope', 'all', admin), refusal('not-found', /no deprovisioning report r-nope/));
    await assert.rejects(a.decideApproval('a-nope', 'approve', admin), refusal('not-found', /no approval a-nope/));
  });

  test('removing a system user is a conflict', async () => {
    await assert.rejects((await api()).removeMember('meta-main', '900', admin), refusal('conflict', /remove 900: a system user/));
  });

  test('a removal passes the same checks as every removal: complete listing and exemption (it once skipped them)', async () => {
    await assert.rejects((await api({ complete: false })).removeMember('meta-main', '501', admin), refusal('conflict', /remove 501: the app listing is incomplete/));
    await assert.rejects((await api()).removeMember('meta-main', '502', admin), refusal('conflict', /remove 502: exempted by an owner/));
  });

  test('offboarding nobody is invalid-argument; no member service is unavailable', async () => {
    const a = await api();
    await assert.rejects(a.offboard({}, admin), refusal('invalid-argument', /offboard needs an email/));
    await assert.rejects(a.members('meta-main', {}), refusal('unavailable', /members is not available/));
  });

  test('a removal asked for a real member is queued (the refusals above are not blanket)', async () => {
    const task = await (await api()).removeMember('meta-main', '501', admin);
    assert.equal(task.kind, 'remove-member');
  });

  test('the same removal asked again while it waits (a retried call): the same task, audited once; another owner\'s ask is audited', async () => {
    const a = await api();
    const first = await a.removeMember('meta-main', '501', { ...admin, reason: 'left' });
    const again = await a.removeMember('meta-main', '501', { reason: 'left', ...admin });
    assert.equal(again.id, first.id);
    const asks = async () => (await a.audit({ hubId: 'meta-main', action: 'remove-member', limit: 10 })).items.filter((e) => e.outcome === 'pending');
    assert.equal((await asks()).length, 1, 'a retry is not a second ask');
    assert.equal((await a.removeMember('meta-main', '501', { type: 'admin', actor: 'other@example.com' })).id, first.id);
    assert.deepEqual((await asks()).map((e) => e.trigger.actor), ['other@example.com', 'ops@example.com']);
  });
});

/**
 * Removals an owner applies from a deprovisioning report are let through by an owner, as an
 * approval's are: they count in the removal threshold's window, so a removal wave that goes on in
 * the settle lane within the window is judged with them (safety/removal-window.ts). Not counted, a
 * hub lost the report's share and then the threshold's share again within the hour.
 */
test("removals applied from a deprovisioning report count in the threshold's window", async () => {
  const store = new MemoryStore();
  // As on the agent's store (agent.ts): the report is written before the API (which defines the held indexes) exists.
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  defineHeldIndexes(store);
  const hub = testHub();
  const clock = Date.UTC(2026, 10, 23);
  const op = removeMemberOperation({ id: '501', role: 'EMPLOYEE', email: 'sam@example.com' }, { reason: 'deactivated', because: 'deactivated in the directory', directoryUserId: 'u-sam' });
  await store.transact(async (tx) => {
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: '2026-01-01T00:00:00Z' });
    tx.put('appMembers', hub.id, '501', { hubId: hub.id, id: '501', email: 'sam@example.com', role: 'EMPLOYEE', firstSeenAt: '2026-01-01T00:00:00Z', lastSeenAt: '2026-01-01T00:00:00Z' });
    await addToReport(tx, hub.id, [op], new Date(clock));
  });
  const a = createAgentApi({ store, hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, clock: () => clock });
  const [report] = await a.reports(hub.id);
  await a.applyReport(report!.id, 'all', admin);
  const released = await releasedWithin(store, hub.id, new Date(clock), hub.safety.removalWindowMinutes * 60_000);
  assert.deepEqual([...released.memberIds], ['501']);
});
