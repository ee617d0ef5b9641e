import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_RULES } from '../grants/grant-fixtures.ts';
import type { Operation } from './operation.ts';
import { MemoryStore } from '../store/memory-store.ts';
import type { Transaction } from '../store/store.ts';
import { cancelInviteOperation, guardRemovals, memberRoleKeyOf, removalOfRow, removeMemberOperation, type RemovalFacts } from './removal.ts';
import { enqueueTask, updateTask } from '../tasks/enqueue.ts';

const why = { reason: 'unassigned' as const, because: 'in no mapped group' };
const gone = { reason: 'deactivated' as const, because: 'deactivated in the directory' };
const admin1 = { id: 'a1', role: 'ADMIN', email: 'ann@example.com' };
const admin2 = { id: 'a2', role: 'ADMIN', email: 'ben@example.com' };
const staff = { id: 's1', role: 'EMPLOYEE', email: 'sue@example.com' };
const facts = (over: Partial<RemovalFacts> = {}): RemovalFacts => ({
  complete: true, members: [admin1, admin2, staff], systemUserIds: new Set(['bot']), exemptions: [], now: '2026-02-01T00:00:00Z', ...over,
});
const demote = (m: typeof admin1): Operation => ({ kind: 'change-member-role', key: `member-role:${m.id}:EMPLOYEE`, memberId: m.id, from: 'ADMIN', to: 'EMPLOYEE', effect: 'downgrade', reason: 'group-change', summary: `demote ${m.id}` });

describe('removals: one builder, the same checks for every caller', () => {
  test('the builder spells the operation and its key once', () => {
    const op = removeMemberOperation(staff, { ...why, directoryUserId: 'u1' });
    assert.deepEqual(op, { kind: 'remove-member', key: 'remove:s1', memberId: 's1', role: 'EMPLOYEE', effect: 'removal', reason: 'unassigned', email: 'sue@example.com', directoryUserId: 'u1', summary: 'remove sue@example.com (EMPLOYEE) from the business: in no mapped group' });
    assert.equal(cancelInviteOperation({ id: '9', email: 'New@Example.com' }, why).key, 'cancel:9');
  });

  const cases: Array<{ name: string; ops: Operation[]; facts: RemovalFacts; kept: string[]; held: Array<[string, RegExp]> }> = [
    { name: 'a plain removal passes', ops: [removeMemberOperation(staff, why)], facts: facts(), kept: ['remove:s1'], held: [] },
    { name: 'nothing is removed from an incomplete listing', ops: [removeMemberOperation(staff, why), cancelInviteOperation({ id: '9', email: 'x@y.z' }, why)], facts: facts({ complete: false }), kept: [], held: [['remove:s1', /incomplete/], ['cancel:9', /incomplete/]] },
    { name: 'an exemption in force holds it', ops: [removeMemberOperation(staff, why)], facts: facts({ exemptions: [{ memberId: 's1', until: '2026-03-01' }] }), kept: [], held: [['remove:s1', /exempted/]] },
    { name: 'a lapsed exemption does not', ops: [removeMemberOperation(staff, why)], facts: facts({ exemptions: [{ memberId: 's1', until: '2026-01-15T00:00:00Z' }] }), kept: ['remove:s1'], held: [] },
    { name: 'an exempted invite row is held', ops: [cancelInviteOperation({ id: '9', email: 'x@y.z' }, why)], facts: facts({ exemptions: [{ memberId: 'invite:9' }] }), kept: [], held: [['cancel:9', /exempted/]] },
    { name: 'a system user is never removed', ops: [removeMemberOperation({ id: 'bot', role: 'ADMIN' }, why)], facts: facts(), kept: [], held: [['remove:bot', /system user/]] },
    { name: 'one of two admins may go', ops: [removeMemberOperation(admin1, why)], facts: facts(), kept: ['remove:a1'], held: [] },
    { name: 'both admins in one batch: the last one stays', ops: [removeMemberOperation(admin1, why), removeMemberOperation(admin2, why)], facts: facts(), kept: ['remove:a2'], held: [['remove:a1', /last admin/]] },
    { name: 'the other admin\'s removal already queued: the last one stays', ops: [removeMemberOperation(admin1, why)], facts: facts({ leaving: new Set(['a2']) }), kept: [], held: [['remove:a1', /last admin/]] },
    { name: 'both queued already, one asked again: it may go (the other one stays)', ops: [removeMemberOperation(admin1, why)], facts: facts({ leaving: new Set(['a1']) }), kept: ['remove:a1'], held: [] },
    { name: 'a removal and a demotion together count as losing both', ops: [removeMemberOperation(admin2, why), demote(admin1)], facts: facts(), kept: ['remove:a2'], held: [['member-role:a1:EMPLOYEE', /last admin/]] },
    // The admin kept is the one the directory still wants in the business, wherever the app
    // lists them: not a leaver's account while the active admin is demoted.
    { name: 'a leaver listed first and an active admin demoted: the leaver goes, the demotion waits', ops: [removeMemberOperation(admin1, gone), demote(admin2)], facts: facts(), kept: ['remove:a1'], held: [['member-role:a2:EMPLOYEE', /last admin/]] },
    { name: 'the same, listed the other way round: the same admin stays', ops: [removeMemberOperation(admin1, gone), demote(admin2)], facts: facts({ members: [admin2, admin1, staff] }), kept: ['remove:a1'], held: [['member-role:a2:EMPLOYEE', /last admin/]] },
    { name: 'a deactivated admin and one in no mapped group: the active one stays', ops: [removeMemberOperation(admin1, gone), removeMemberOperation(admin2, why)], facts: facts(), kept: ['remove:a1'], held: [['remove:a2', /last admin/]] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = guardRemovals(c.ops, c.facts, TEST_RULES);
      assert.deepEqual(r.operations.map((o) => o.key), c.kept);
      assert.equal(r.held.length, c.held.length);
      c.held.forEach(([key, why], i) => {
        assert.equal(r.held[i]!.operation.key, key);
        assert.match(r.held[i]!.why, why);
      });
    });
  }
});

describe('removalOfRow: one row, read from the store', () => {
  const h = 'meta-main';
  const at = '2026-02-01T00:00:00Z';
  async function storeWith(extra: (tx: Transaction) => void = () => {}) {
    const store = new MemoryStore();
    await store.transact((tx) => {
      for (const m of [admin1, admin2, staff]) tx.put('appMembers', h, m.id, { hubId: h, ...m, firstSeenAt: at, lastSeenAt: at });
      tx.put('appMembers', h, 'bot', { hubId: h, id: 'bot', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
      tx.put('appSystemUsers', h, 'bot', { hubId: h, id: 'bot', role: 'EMPLOYEE' });
      tx.put('appInvites', h, '9', { hubId: h, id: '9', email: 'new@example.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
      tx.put('appImports', h, h, { hubId: h, id: h, complete: true, completedAt: at });
      extra(tx);
    });
    return store;
  }
  const remove = (store: MemoryStore, row: string) => removalOfRow(store, h, row, why, TEST_RULES, at);
  const refusal = async (store: MemoryStore, row: string) => {
    const r = await remove(store, row);
    return 'refused' in r ? r.refused : undefined;
  };

  test('a member and an invite pass; a missing row or a partner\'s person is refused', async () => {
    const store = await storeWith();
    assert.deepEqual(await remove(store, 's1'), { operation: removeMemberOperation(staff, why) });
    assert.deepEqual(await remove(store, 'invite:9'), { operation: cancelInviteOperation({ id: '9', email: 'new@example.com' }, why) });
    assert.deepEqual(await remove(store, 'nope'), { refused: 'no member nope in the last check for updates', missing: true });
    assert.deepEqual(await remove(store, 'invite:77'), { refused: 'no invite 77 in the last check for updates', missing: true });
    assert.match((await refusal(store, 'partner:2:7'))!, /partner's person/);
  });

  test('the same checks as a batch: exemption in force, system user, incomplete listing, the last admin', async () => {
    const exempted = await storeWith((tx) => {
      tx.put('exemptions', h, 's1', { hubId: h, memberId: 's1', reason: 'agency', by: 'owner', at, until: '2026-03-01' });
      tx.put('exemptions', h, 'invite:9', { hubId: h, memberId: 'invite:9', reason: 'agency', by: 'owner', at });
    });
    assert.match((await refusal(exempted, 's1'))!, /exempted/);
    assert.match((await refusal(exempted, 'invite:9'))!, /exempted/);
    const lapsed = await storeWith((tx) => tx.put('exemptions', h, 's1', { hubId: h, memberId: 's1', reason: 'agency', by: 'owner', at, until: '2026-01-15T00:00:00Z' }));
    assert.equal(await refusal(lapsed, 's1'), undefined);
    assert.match((await refusal(await storeWith(), 'bot'))!, /system user/);
    assert.match((await refusal(await storeWith((tx) => tx.put('appImports', h, h, { hubId: h, id: h, complete: false })), 's1'))!, /incomplete/);
    assert.equal(await refusal(await storeWith(), 'a1'), undefined, 'one of two admins may go');
    assert.match((await refusal(await storeWith((tx) => tx.delete('appMembers', h, 'a2')), 'a1'))!, /last admin/);
  });

  test('the last-admin rule counts an admin removal already queued or running: two removals cannot take the last two admins', async () => {
    const store = await storeWith();
    const queue = (memberId: string) => store.transact((tx) => enqueueTask(tx, {
      hubId: h, kind: 'remove-member', payload: {}, idempotencyKey: `op:remove:${memberId}`, trigger: { type: 'admin', actor: 'owner' }, summary: `remove ${memberId}`,
    }));
    assert.equal(await refusal(store, 'a1'), undefined, 'the first of two admins may go');
    const first = await queue('a1');
    assert.match((await refusal(store, 'a2'))!, /last admin/, 'the second is refused while the first removal is queued');
    await store.transact(async (tx) => { await updateTask(tx, first, { status: 'running' }); });
    assert.match((await refusal(store, 'a2'))!, /last admin/, 'and while it runs');
    await store.transact(async (tx) => { await updateTask(tx, first, { status: 'failed', completedAt: at }); });
    assert.equal(await refusal(store, 'a2'), undefined, 'a removal that failed leaves the first admin in place');
    assert.equal(await refusal(store, 's1'), undefined, 'a member who is not an admin is not concerned');
  });

  test('the last-admin rule counts an admin demotion already queued or running: a demotion and a removal cannot take the last two admins', async () => {
    const store = await storeWith();
    // The plan demoted a1 to EMPLOYEE (the directory no longer grants admin): queued, not yet run.
    const demotion = await store.transact((tx) => enqueueTask(tx, {
      hubId: h, kind: 'change-member-role', payload: {}, idempotencyKey: `op:${memberRoleKeyOf('a1', 'EMPLOYEE')}`, trigger: { type: 'admin', actor: 'owner' }, summary: 'demote a1',
    }));
    assert.match((await refusal(store, 'a2'))!, /last admin/, 'the other admin cannot be removed while the demotion is queued');
    await store.transact(async (tx) => { await updateTask(tx, demotion, { status: 'failed', completedAt: at }); });
    assert.equal(await refusal(store, 'a2'), undefined, 'a demotion that failed leaves the first admin in place');
  });
});
