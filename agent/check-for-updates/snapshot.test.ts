import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppReading } from './read-app.ts';
import { buildSnapshot, type HubSnapshot } from './snapshot.ts';
import { findChanges } from './changes.ts';
import { renamedRows } from './renamed-rows.ts';

const H = 'tiktok-main';
const empty: HubSnapshot = { members: [], invites: [], systemUsers: [], assets: [], assignments: [], partners: [], partnerUsers: [] };
const reading = (invites: AppReading['invites']): AppReading => ({
  members: [], invites, systemUsers: [], assets: [], assignments: [], partners: [], partnerUsers: [],
  partnerFailures: [], assetTypes: [], unreadableAssetTypes: [], unsupported: [], unavailable: [],
});

test('an invitation listed as pending past the expiry hubwarden recorded (an app that gives none, TikTok) is expired, and reported as newly expired once', () => {
  const sent = '2026-11-01T00:00:00.000Z';
  const previous: HubSnapshot = {
    ...empty,
    invites: [{ hubId: H, id: 'ann@example.com', email: 'ann@example.com', role: 'STANDARD', status: 'pending', createdAt: sent, expiresAt: '2026-11-15T00:00:00.000Z', sentByHubwarden: true, resendCount: 0, lastSeenAt: sent }],
  };
  // TikTok lists the stale invitation as PENDING, with no expiry of its own.
  const listed = reading([{ id: 'ann@example.com', email: 'ann@example.com', role: 'STANDARD', status: 'pending' }]);
  const before = buildSnapshot({ hubId: H, reading: listed, previous, startedAt: '2026-11-10T00:00:00.000Z', now: '2026-11-10T00:00:00.000Z' });
  assert.equal(before.invites[0]!.status, 'pending', 'within its assumed lifetime');
  const after = buildSnapshot({ hubId: H, reading: listed, previous, startedAt: '2026-11-16T00:00:00.000Z', now: '2026-11-16T00:00:00.000Z' });
  assert.equal(after.invites[0]!.status, 'expired');
  assert.equal(after.invites[0]!.expiresAt, '2026-11-15T00:00:00.000Z', 'the recorded expiry is kept');
  assert.deepEqual(findChanges(previous, after, true).expiredInvites.map((i) => i.inviteId), ['ann@example.com']);
  assert.deepEqual(findChanges(after, buildSnapshot({ hubId: H, reading: listed, previous: after, startedAt: '2026-11-17T00:00:00.000Z', now: '2026-11-17T00:00:00.000Z' }), true).expiredInvites, [], 'reported once');
});

test('an invitation found pending in an app that gives no expiry (not sent by hubwarden) lapses its assumed lifetime after it was first seen', () => {
  const day = 86_400_000;
  // TikTok lists an invitation made by hand (or before hubwarden) as PENDING, with no time of its own.
  const listed = reading([{ id: 'bob@example.com', email: 'bob@example.com', role: 'STANDARD', status: 'pending', assumedLifetimeMs: 14 * day }]);
  const first = buildSnapshot({ hubId: H, reading: listed, previous: empty, startedAt: '2026-11-01T00:00:00.000Z', now: '2026-11-01T00:00:00.000Z' });
  assert.equal(first.invites[0]!.status, 'pending');
  assert.equal(first.invites[0]!.expiresAt, '2026-11-15T00:00:00.000Z', 'at least 14 days old by then: first seen + the assumed lifetime');
  const later = buildSnapshot({ hubId: H, reading: listed, previous: first, startedAt: '2026-11-16T00:00:00.000Z', now: '2026-11-16T00:00:00.000Z' });
  assert.equal(later.invites[0]!.status, 'expired', 'before: pending for ever, a seat nobody would take, never re-sent');
  assert.equal(later.invites[0]!.expiresAt, '2026-11-15T00:00:00.000Z', 'not pushed on by each check');
  const declined = buildSnapshot({ hubId: H, reading: reading([{ id: 'cy@example.com', email: 'cy@example.com', role: 'STANDARD', status: 'declined', assumedLifetimeMs: 14 * day }]), previous: empty, startedAt: '2026-11-01T00:00:00.000Z', now: '2026-11-01T00:00:00.000Z' });
  assert.equal(declined.invites[0]!.expiresAt, undefined, 'only a pending one is given an expiry');
});

test('a member the app marks for removal is recorded so (removalPending), and the mark clears when the app lifts it', () => {
  const at = '2026-11-10T00:00:00.000Z';
  const listed = (removalPending?: boolean): AppReading => ({ ...reading([]), members: [{ id: 'm1', email: 'ann@example.com', role: 'EMPLOYEE', ...(removalPending ? { removalPending } : {}) }] });
  const marked = buildSnapshot({ hubId: H, reading: listed(true), previous: empty, startedAt: at, now: at });
  assert.equal(marked.members[0]!.removalPending, true);
  const lifted = buildSnapshot({ hubId: H, reading: listed(), previous: marked, startedAt: '2026-11-11T00:00:00.000Z', now: '2026-11-11T00:00:00.000Z' });
  assert.equal(lifted.members[0]!.removalPending, undefined);
});

test('shares of an asset type the credential cannot list keep what we knew when the partner listing shows none of that type', () => {
  const pixel = { type: 'pixel' as const, id: 'px1', permittedTasks: ['ANALYZE'] };
  const account = { type: 'ad_account' as const, id: 'act_1', permittedTasks: ['ADVERTISE', 'ANALYZE'] };
  const previous: HubSnapshot = {
    ...empty,
    partners: [
      { hubId: H, key: 'p1:agency', businessId: 'p1', relation: 'agency', assets: [account, pixel] },
      { hubId: H, key: 'p2:agency', businessId: 'p2', relation: 'agency', assets: [pixel] },
    ],
  };
  // The credential can no longer list pixels: the app lists p1's ad account share, no pixel share.
  const listed: AppReading = {
    ...reading([]), assetTypes: ['ad_account'], unreadableAssetTypes: [{ type: 'pixel', message: 'permission denied' }],
    partners: [{ businessId: 'p1', relation: 'agency', assets: [account] }],
  };
  const next = buildSnapshot({ hubId: H, reading: listed, previous, startedAt: '2026-11-10T00:00:00.000Z', now: '2026-11-10T00:00:00.000Z' });
  const changes = findChanges(previous, next, true);
  assert.deepEqual(changes.partnerShareChanges, [], 'no share reported gone: the pixels could not be listed');
  assert.deepEqual(next.partners.find((p) => p.businessId === 'p2')?.assets, [pixel]);

  // Listed again: a pixel share now missing is gone, and reported.
  const readable: AppReading = { ...listed, assetTypes: ['ad_account', 'pixel'], unreadableAssetTypes: [], partners: [{ businessId: 'p1', relation: 'agency', assets: [account, pixel] }] };
  const later = buildSnapshot({ hubId: H, reading: readable, previous: next, startedAt: '2026-11-11T00:00:00.000Z', now: '2026-11-11T00:00:00.000Z' });
  assert.deepEqual(findChanges(next, later, true).partnerShareChanges?.map((c) => `${c.partnerBusinessId} ${c.change} ${c.asset.type}`), ['p2 unshared pixel']);

  // A type still unreadable but shown by the listing (an app listing those shares with the partner) is taken as read.
  const shownListing: AppReading = { ...listed, partners: [{ businessId: 'p1', relation: 'agency', assets: [account, pixel] }] };
  const shown = buildSnapshot({ hubId: H, reading: shownListing, previous, startedAt: '2026-11-10T00:00:00.000Z', now: '2026-11-10T00:00:00.000Z' });
  assert.deepEqual(findChanges(previous, shown, true).partnerShareChanges?.map((c) => `${c.partnerBusinessId} ${c.change} ${c.asset.type}`), ['p2 unshared pixel']);
});

test('an invite accepted under another email than the one invited is accepted, not cancelled in the app: no drift, nothing to re-send', () => {
  const sent = '2026-11-01T00:00:00.000Z';
  const previous: HubSnapshot = {
    ...empty,
    invites: [{ hubId: H, id: '901', email: 'ann@acme.example', role: 'EMPLOYEE', status: 'pending', createdAt: sent, expiresAt: '2026-12-01T00:00:00.000Z', sentByHubwarden: true, resendCount: 0, lastSeenAt: sent }],
  };
  // The person signed in with another account to accept: the member names the invite it came from.
  const at = '2026-11-10T00:00:00.000Z';
  const next = buildSnapshot({ hubId: H, reading: { ...reading([]), members: [{ id: '21', email: 'ann.private@mail.example', role: 'EMPLOYEE', inviteId: '901' }] }, previous, startedAt: at, now: at });
  assert.deepEqual(next.invites, [], 'the member carries the invite now; a cancelled one is re-sent once by the plan');
  assert.equal(next.members[0]!.inviteId, '901');
  const changes = findChanges(previous, next, true);
  assert.deepEqual(changes.acceptedInvites, [{ memberId: '21', inviteId: '901', email: 'ann.private@mail.example' }]);
  assert.deepEqual(changes.drift.map((d) => d.kind), []);
});

test('an invite still held under its provisional id (`pending:<email>`) and accepted under another email is accepted and renamed to the member, not cancelled', () => {
  const sent = '2026-11-01T00:00:00.000Z';
  const previous: HubSnapshot = {
    ...empty,
    invites: [{ hubId: H, id: 'pending:ann@acme.example', email: 'ann@acme.example', role: 'EMPLOYEE', status: 'pending', createdAt: sent, expiresAt: '2026-12-01T00:00:00.000Z', sentByHubwarden: true, resendCount: 0, lastSeenAt: sent }],
  };
  // Accepted before any check listed the invite under Meta's id: the member names that id (901),
  // which the snapshot never held, and the email the invite was sent to (its BusinessRoleRequest's).
  const at = '2026-11-10T00:00:00.000Z';
  const member = { id: '21', email: 'ann.private@mail.example', role: 'EMPLOYEE', inviteId: '901', invitedEmail: 'ann@acme.example' };
  const next = buildSnapshot({ hubId: H, reading: { ...reading([]), members: [member] }, previous, startedAt: at, now: at });
  assert.deepEqual(next.invites, [], 'accepted: not recorded as cancelled in the app (and re-sent once)');
  const changes = findChanges(previous, next, true);
  assert.deepEqual(changes.drift.map((d) => d.kind), []);
  assert.deepEqual(changes.acceptedInvites.map((a) => a.memberId), ['21']);
  // The invite row's match (its directory user) follows it to the member (renamed-rows.ts).
  assert.deepEqual(renamedRows(previous, next).map((r) => `${r.from} -> ${r.to}`), ['invite:pending:ann@acme.example -> 21']);
});
