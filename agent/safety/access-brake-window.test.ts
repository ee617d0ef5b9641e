/**
 * The removal brake's window for asset grants and invites (removal-window.ts): the IdP sends a
 * mass deactivation or group change one person at a time (Okta pushes one SCIM request per user),
 * so each pass plans one cancellation or grant removal. Judged per pass, 80 people lost their
 * invites or grants with no approval; counted with those let through in the window, it halts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAgentApi } from '../agent-api.ts';
import { completeImport, testGroup, testHub, testSeat, testUser } from '../grants/grant-fixtures.ts';
import { collect } from '../store/store.ts';
import { BRAKE_SAFETY, hubWithInvites, removalPass, removalStore } from './test-removal-pass.ts';

const NOW = Date.parse('2026-12-06T09:00:00Z');
const at = new Date(NOW).toISOString();
const minutes = (n: number) => new Date(NOW + n * 60_000);
const explanationOf = (task: { result?: unknown }) => String((task.result as { explanation?: string }).explanation);

/** 10 people invited (pending), an owner and one other member: 12 people. */
async function invitedHub() {
  const { store, hub } = await hubWithInvites(10, true, at);
  /** The IdP deactivates these people (one SCIM request each). */
  const deactivate = (...n: number[]) => store.transact((tx) => { for (const i of n) tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`, false)); });
  /** The queued cancellations ran: the app no longer lists those invites. */
  const cancelled = (...n: number[]) => store.transact((tx) => { for (const i of n) tx.delete('appInvites', hub.id, `inv-${i}`); });
  const cancellations = async () => (await collect(store.list('tasks', hub.id))).filter((t) => t.kind === 'cancel-invite').length;
  return { store, hub, deactivate, cancelled, cancellations };
}

test('invite cancellations sent one person per pass halt once the window holds more than the threshold', async () => {
  const { store, hub, deactivate, cancelled, cancellations } = await invitedHub();
  const results: string[] = [];
  for (let i = 0; i < 4; i++) {
    await deactivate(i);
    const pass = await removalPass(store, hub, 'deprovision', `apply-removals:deprovision:${i}`, minutes(i));
    results.push(pass.status);
    if (pass.status === 'completed') await cancelled(i);
    else {
      assert.match(explanationOf(pass), /cancel the pending invites of 1 of 12 people of hub meta-main \(with the 2 let through in the last 60 minutes, 3 of 12: 25\.0%\).*\(invite cancellations\)/);
      break;
    }
  }
  // 1 and 2 of 12 (8 %, 17 %) go; the third (25 %) waits for an owner.
  assert.deepEqual(results, ['completed', 'completed', 'needs-approval']);
  assert.equal(await cancellations(), 2);
  // An hour after the first, the window has let them go: a single cancellation is judged alone.
  const later = await removalPass(store, hub, 'deprovision', 'apply-removals:deprovision:later', minutes(125));
  assert.equal(later.status, 'completed', JSON.stringify(later.result));
});

test('an approved batch of cancellations goes, and later ones in the window are judged with it', async () => {
  const { store, hub, deactivate, cancelled, cancellations } = await invitedHub();
  await deactivate(0, 1, 2, 3, 4);
  const held = await removalPass(store, hub, 'deprovision', 'apply-removals:deprovision:0', minutes(0));
  assert.equal(held.status, 'needs-approval', JSON.stringify(held.result));
  const [approval] = await collect(store.list('approvals', hub.id));
  const api = createAgentApi({ store, hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, clock: () => minutes(1).getTime() });
  await api.decideApproval(approval!.id, 'approve', { type: 'admin', actor: 'owner@example.com' });
  assert.equal(await cancellations(), 5, 'the approved cancellations are queued');
  await cancelled(0, 1, 2, 3, 4);
  // One more deactivated: alone 1 of 7 people (14 %), with the approved 5: 6 of 12 (50 %).
  await deactivate(5);
  const next = await removalPass(store, hub, 'deprovision', 'apply-removals:deprovision:1', minutes(2));
  assert.equal(next.status, 'needs-approval', JSON.stringify(next.result));
  assert.match(explanationOf(next), /with the 5 let through in the last 60 minutes, 6 of 12: 50\.0%/);
  assert.equal(await cancellations(), 5, 'the sixth waits for an owner');
});

test('asset grant removals sent one person per pass halt once the window holds more than the threshold', async () => {
  // 8 advertisers who are also staff (their seat stays), each leaving the advertisers' group in
  // its own SCIM request: each pass takes one person's ad account. 9 people with the owner.
  const store = removalStore();
  const hub = testHub({
    safety: BRAKE_SAFETY,
    teams: [
      { group: 'Meta Advertisers', appRole: 'EMPLOYEE', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['ADVERTISE', 'ANALYZE'] }] },
      { group: 'Meta Staff', appRole: 'EMPLOYEE', assets: [] },
      { group: 'Meta Admins', hubRole: 'owner', appRole: 'ADMIN', assets: [] },
    ],
  });
  const staff = Array.from({ length: 8 }, (_, i) => `u-${i}`);
  const group = (id: string, displayName: string, userIds: string[]) => testGroup(id, displayName, userIds, at);
  await store.transact((tx) => {
    for (let i = 0; i < 8; i++) {
      tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`));
      tx.put('appMembers', hub.id, `m-${i}`, testSeat(`m-${i}`, `p${i}@example.com`, 'EMPLOYEE', at));
      tx.put('appAssignments', hub.id, `ad_account:act_111:m-${i}`, { hubId: hub.id, key: `ad_account:act_111:m-${i}`, asset: { type: 'ad_account', id: 'act_111' }, userId: `m-${i}`, userType: 'member', tasks: ['ADVERTISE', 'ANALYZE'], madeBy: 'hubwarden' });
    }
    tx.put('directoryUsers', hub.id, 'u-admin', testUser('u-admin', 'owner@example.com'));
    tx.put('directoryGroups', hub.id, 'g1', group('g1', 'Meta Advertisers', staff));
    tx.put('directoryGroups', hub.id, 'g2', group('g2', 'Meta Staff', staff));
    tx.put('directoryGroups', hub.id, 'g3', group('g3', 'Meta Admins', ['u-admin']));
    tx.put('appMembers', hub.id, 'm-admin', testSeat('m-admin', 'owner@example.com', 'ADMIN', at));
    tx.put('appImports', hub.id, hub.id, completeImport(at));
  });
  const results: string[] = [];
  for (let i = 0; i < 3; i++) {
    await store.transact((tx) => tx.put('directoryGroups', hub.id, 'g1', group('g1', 'Meta Advertisers', staff.slice(i + 1))));
    const pass = await removalPass(store, hub, 'settle', `apply-removals:settle:${i}`, minutes(i));
    results.push(pass.status);
    if (pass.status !== 'completed') {
      assert.match(explanationOf(pass), /take asset grants from 1 of 9 people of hub meta-main \(with the 1 let through in the last 60 minutes, 2 of 9: 22\.2%\).*\(asset grant removals\)/);
      break;
    }
    // The unassignment ran: the app no longer lists the grant.
    await store.transact((tx) => tx.delete('appAssignments', hub.id, `ad_account:act_111:m-${i}`));
  }
  // 1 of 9 (11 %) goes; the second (22 %) waits for an owner.
  assert.deepEqual(results, ['completed', 'needs-approval']);
  assert.equal((await collect(store.list('tasks', hub.id))).filter((t) => t.kind === 'unassign-asset').length, 1);
});
