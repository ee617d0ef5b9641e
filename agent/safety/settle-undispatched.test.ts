import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeImport, testGroup, testHub, testSeat, testUser } from '../grants/grant-fixtures.ts';
import type { OutboxEntry } from '../outbox.ts';
import { collect } from '../store/store.ts';
import { removalPass, removalStore } from './test-removal-pass.ts';

const NOW = new Date('2026-12-04T01:00:00Z');
const at = NOW.toISOString();
const SETTLE_S = 120;

/**
 * Ann leaves "Meta Advertisers" (the first half of a group move, Okta and Entra send the remove
 * and the add as separate requests). The SCIM write commits the group and its outbox entry; the
 * dispatcher plans Ann, and so pushes the settle pass back, only once it takes the entry. A settle
 * pass already due (another person's removal, 120 s ago) that runs in between plans the whole hub
 * from the directory as it is now: without a look at the outbox, Ann's removal was queued at once,
 * with no settle window at all, and the add half that followed a moment later invited her afresh.
 * `entryAt`: when the undispatched change was written.
 */
async function hubWithUndispatchedMove(entryAt: Date) {
  const store = removalStore();
  const hub = testHub({ safety: { settleSeconds: SETTLE_S, removalThresholdPercent: 50, removalWindowMinutes: 60, confirmDeprovisioning: false } });
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u-admin', testUser('u-admin', 'owner@example.com'));
    tx.put('directoryUsers', hub.id, 'u-ann', testUser('u-ann', 'ann@example.com'));
    for (let i = 0; i < 4; i++) tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`));
    // Ann already out of the group (the committed remove half); the others still in it.
    tx.put('directoryGroups', hub.id, 'g1', testGroup('g1', 'Meta Advertisers', ['u-0', 'u-1', 'u-2', 'u-3'], at));
    tx.put('directoryGroups', hub.id, 'g2', testGroup('g2', 'Meta Admins', ['u-admin'], at));
    tx.put('appMembers', hub.id, 'm-admin', testSeat('m-admin', 'owner@example.com', 'ADMIN', at));
    tx.put('appMembers', hub.id, 'm-ann', testSeat('m-ann', 'ann@example.com', 'EMPLOYEE', at));
    for (let i = 0; i < 4; i++) tx.put('appMembers', hub.id, `m-${i}`, testSeat(`m-${i}`, `p${i}@example.com`, 'EMPLOYEE', at));
    tx.put('appImports', hub.id, hub.id, completeImport(at));
    const entry: OutboxEntry = {
      id: 'entry-1', hubId: hub.id, seq: 1, at: entryAt.toISOString(),
      delta: { hubId: hub.id, trigger: { type: 'scim', idp: 'okta' }, changes: [{ kind: 'group-members', groupId: 'g1', displayName: 'Meta Advertisers', added: [], removed: ['u-ann'] }] },
    };
    tx.put('outbox', hub.id, entry.id, entry);
  });
  return { store, hub };
}

const removalsQueued = async (store: Awaited<ReturnType<typeof hubWithUndispatchedMove>>['store'], hubId: string) =>
  (await collect(store.list('tasks', hubId))).filter((t) => t.kind === 'remove-member');

test('a settle pass does not remove on a directory change the dispatcher has not taken yet: it waits that change\'s settle window', async () => {
  const entryAt = new Date(NOW.getTime() - 500);
  const { store, hub } = await hubWithUndispatchedMove(entryAt);
  const pass = await removalPass(store, hub, 'settle', 'apply-removals:settle', NOW);
  assert.deepEqual((await removalsQueued(store, hub.id)).map((t) => t.summary), [], 'Ann\'s removal is not queued 0.5 s after she left the group');
  assert.equal(pass.status, 'waiting');
  assert.equal(pass.nextRunAt, new Date(entryAt.getTime() + SETTLE_S * 1000).toISOString(), 'it runs again once the change\'s own window has passed');

  // The window passed and the directory stayed so (the entry still not taken: a stuck dispatcher
  // holds removals for one window, not for ever): the removal goes ahead.
  const later = new Date(entryAt.getTime() + SETTLE_S * 1000);
  await removalPass(store, hub, 'settle', 'apply-removals:settle:later', later);
  assert.equal((await removalsQueued(store, hub.id)).length, 1);
});

test('an undispatched change older than the settle window does not hold the pass', async () => {
  const { store, hub } = await hubWithUndispatchedMove(new Date(NOW.getTime() - SETTLE_S * 1000 - 1));
  const pass = await removalPass(store, hub, 'settle', 'apply-removals:settle', NOW);
  assert.equal(pass.status, 'completed');
  assert.equal((await removalsQueued(store, hub.id)).length, 1);
});
