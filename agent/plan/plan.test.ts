import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppAssignmentRecord, AppInviteRecord, AppMemberRecord } from '../app-state/records.ts';
import { computeGrant } from '../grants/effective-grant.ts';
import { TEST_RULES, testHub, testUser } from '../grants/grant-fixtures.ts';
import { plan, type PlanActual, type PlanDesired } from './plan.ts';

const NOW = '2026-11-23T12:00:00.000Z';
const hub = testHub();

type Person = { id: string; email: string; groups: string[]; active?: boolean };
const member = (id: string, email: string, role: string): AppMemberRecord => ({ hubId: hub.id, id, email, role, firstSeenAt: NOW, lastSeenAt: NOW });
const invite = (id: string, email: string, role: string, extra: Partial<AppInviteRecord> = {}): AppInviteRecord =>
  ({ hubId: hub.id, id, email, role, status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: NOW, ...extra });
const assignment = (userId: string, asset: string, tasks: string[]): AppAssignmentRecord =>
  ({ hubId: hub.id, key: `ad_account:${asset}:${userId}`, asset: { type: 'ad_account', id: asset }, userId, userType: 'member', tasks });
const owner = member('m-owner', 'owner@example.com', 'ADMIN');
const ownerPerson: Person = { id: 'u-owner', email: 'owner@example.com', groups: ['Meta Admins'] };
const ownerAssets = [assignment('m-owner', 'act_111', ['MANAGE', 'ADVERTISE', 'ANALYZE'])];

function desiredOf(people: Person[], departed: PlanDesired['departed'] = []): PlanDesired {
  return {
    hubId: hub.id,
    grants: people.map((p) => computeGrant(hub, testUser(p.id, p.email, p.active ?? true), p.groups, TEST_RULES)),
    departed,
    managedAssets: [{ type: 'ad_account', id: 'act_111' }, { type: 'page', id: '222' }],
  };
}
function actualOf(a: Partial<PlanActual>): PlanActual {
  return { complete: true, members: [], invites: [], systemUsers: [], assignments: [], matches: [], exemptions: [], ...a };
}

interface Case {
  name: string;
  people: Person[];
  actual: Partial<PlanActual>;
  departed?: PlanDesired['departed'];
  /** `kind effect detail` per operation, in plan order. */
  expect: string[];
  held?: RegExp[];
}

function describeOp(op: ReturnType<typeof plan>['operations'][number]): string {
  switch (op.kind) {
    case 'invite': return `invite grant ${op.email} ${op.role}`;
    case 'change-member-role': return `change-member-role ${op.effect} ${op.memberId} ${op.to}`;
    case 'change-invite-role': return `change-invite-role ${op.effect} ${op.inviteId} ${op.to}`;
    case 'assign-asset': return `assign-asset ${op.effect} ${op.memberId} ${op.asset.id} ${op.tasks.join('+')}`;
    case 'unassign-asset': return `unassign-asset ${op.effect} ${op.memberId} ${op.asset.id}`;
    case 'remove-member': return `remove-member ${op.reason} ${op.memberId}`;
    case 'cancel-invite': return `cancel-invite ${op.reason} ${op.inviteId}`;
    case 'reinvite': return `reinvite ${op.inviteId} ${op.role}`;
  }
}

const jane = (groups: string[], active = true): Person => ({ id: 'u-jane', email: 'jane@example.com', groups, active });
const base = { members: [owner], assignments: ownerAssets };

const cases: Case[] = [
  { name: 'new advertiser is invited as EMPLOYEE', people: [ownerPerson, jane(['Meta Advertisers'])], actual: base,
    expect: ['invite grant jane@example.com EMPLOYEE'] },
  { name: 'in sync: nothing to do', people: [ownerPerson, jane(['Meta Advertisers'])],
    actual: { members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')], assignments: [...ownerAssets, assignment('m-jane', 'act_111', ['ADVERTISE', 'ANALYZE'])] }, expect: [] },
  { name: 'accepted invite: asset tasks assigned', people: [ownerPerson, jane(['Meta Advertisers'])],
    actual: { ...base, members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')] }, expect: ['assign-asset grant m-jane act_111 ADVERTISE+ANALYZE'] },
  { name: 'pending invite: no asset tasks yet, no second invite', people: [ownerPerson, jane(['Meta Advertisers'])],
    actual: { ...base, invites: [invite('i-1', 'Jane@Example.com', 'EMPLOYEE')] }, expect: [] },
  // An app may report role values its connector's ranking does not list: a change away from one
  // is not known to be an upgrade, so it waits like a downgrade.
  { name: 'member holding a role the app ranks not: the change is a downgrade', people: [ownerPerson, jane(['Meta Advertisers'])],
    actual: { members: [owner, member('m-jane', 'jane@example.com', 'PARTNER_CENTER_ADMIN')], assignments: [...ownerAssets, assignment('m-jane', 'act_111', ['ADVERTISE', 'ANALYZE'])] },
    expect: ['change-member-role downgrade m-jane EMPLOYEE'] },
  { name: 'pending invite with a role the app ranks not: the change is a downgrade', people: [ownerPerson, jane(['Meta Advertisers'])],
    actual: { ...base, invites: [invite('i-1', 'jane@example.com', 'FINANCE_VIEW')] }, expect: ['change-invite-role downgrade i-1 EMPLOYEE'] },
  { name: 'pending invite role raised', people: [ownerPerson, jane(['Meta Admins'])],
    actual: { ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE')] }, expect: ['change-invite-role upgrade i-1 ADMIN'] },
  { name: 'move to admins (added first): upgrade role and tasks at once', people: [ownerPerson, jane(['Meta Advertisers', 'Meta Admins'])],
    actual: { ...base, members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')], assignments: [...ownerAssets, assignment('m-jane', 'act_111', ['ADVERTISE', 'ANALYZE'])] },
    expect: ['change-member-role upgrade m-jane ADMIN', 'assign-asset upgrade m-jane act_111 MANAGE+ADVERTISE+ANALYZE'] },
  { name: 'move to admins (removed first): in no group yet → removal (held by safety for settle)', people: [ownerPerson, jane([])],
    actual: { ...base, members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')] }, expect: ['remove-member unassigned m-jane'] },
  { name: 'move back to advertisers: downgrades after upgrades', people: [ownerPerson, jane(['Meta Advertisers']), { id: 'u-bob', email: 'bob@example.com', groups: ['Meta Advertisers'] }],
    actual: { ...base, members: [owner, member('m-jane', 'jane@example.com', 'ADMIN')], assignments: [...ownerAssets, assignment('m-jane', 'act_111', ['MANAGE', 'ADVERTISE', 'ANALYZE'])] },
    expect: ['invite grant bob@example.com EMPLOYEE', 'change-member-role downgrade m-jane EMPLOYEE', 'assign-asset downgrade m-jane act_111 ADVERTISE+ANALYZE'] },
  { name: 'asset no longer granted by any team is unassigned', people: [ownerPerson, { id: 'u-fin', email: 'fin@example.com', groups: ['Finance'] }],
    actual: { ...base, members: [owner, member('m-fin', 'fin@example.com', 'FINANCE_ANALYST')], assignments: [...ownerAssets, assignment('m-fin', 'act_111', ['ANALYZE'])] },
    expect: ['unassign-asset downgrade m-fin act_111'] },
  { name: 'unmanaged asset left alone', people: [ownerPerson, { id: 'u-fin', email: 'fin@example.com', groups: ['Finance'] }],
    actual: { ...base, members: [owner, member('m-fin', 'fin@example.com', 'FINANCE_ANALYST')], assignments: [...ownerAssets, assignment('m-fin', 'act_999', ['ANALYZE'])] }, expect: [] },
  { name: 'deactivated member removed', people: [ownerPerson, jane(['Meta Advertisers'], false)],
    actual: { ...base, members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')] }, expect: ['remove-member deactivated m-jane'] },
  { name: 'deleted user (departed) removed by email', people: [ownerPerson], departed: [{ directoryUserId: 'u-jane', emails: ['JANE@example.com'] }],
    actual: { ...base, members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')] }, expect: ['remove-member deleted m-jane'] },
  { name: 'matched member whose directory user is gone is removed', people: [ownerPerson],
    actual: { ...base, members: [owner, member('m-jane', 'jane.personal@example.com', 'EMPLOYEE')], matches: [{ hubId: hub.id, memberId: 'm-jane', outcome: 'onboarded', directoryUserId: 'u-jane', manual: true, at: NOW }] },
    expect: ['remove-member deleted m-jane'] },
  { name: 'pending invite of deactivated user cancelled', people: [ownerPerson, jane(['Meta Advertisers'], false)],
    actual: { ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE')] }, expect: ['cancel-invite deactivated i-1'] },
  { name: 'unmatched member (not in the directory) is not touched', people: [ownerPerson],
    actual: { ...base, members: [owner, member('m-x', 'stranger@example.com', 'EMPLOYEE')] }, expect: [] },
  { name: 'exempted member is not touched', people: [ownerPerson, jane(['Meta Admins'], false)],
    actual: { ...base, members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')], exemptions: [{ hubId: hub.id, memberId: 'm-jane', reason: 'contractor', by: 'owner', at: NOW }] }, expect: [] },
  { name: 'lapsed exemption no longer protects', people: [ownerPerson, jane([], false)],
    actual: { ...base, members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')], exemptions: [{ hubId: hub.id, memberId: 'm-jane', reason: 'x', until: '2026-01-01T00:00:00Z', by: 'o', at: NOW }] }, expect: ['remove-member deactivated m-jane'] },
  { name: 'guest match is not touched', people: [ownerPerson, jane([], false)],
    actual: { ...base, members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')], matches: [{ hubId: hub.id, memberId: 'm-jane', outcome: 'guest', manual: true, at: NOW }] }, expect: [] },
  { name: 'system users are never touched, even sharing an email', people: [ownerPerson, jane([], false)],
    actual: { ...base, members: [owner, member('s-1', 'jane@example.com', 'EMPLOYEE')], systemUsers: [{ hubId: hub.id, id: 's-1', role: 'EMPLOYEE' }], assignments: [...ownerAssets, assignment('s-1', 'act_111', ['ANALYZE'])] }, expect: [] },
  { name: 'last admin is never removed', people: [{ ...ownerPerson, active: false }],
    actual: base, expect: [], held: [/last admin/] },
  { name: 'last admin is never demoted', people: [{ ...ownerPerson, groups: ['Meta Advertisers'] }],
    actual: base, expect: ['assign-asset downgrade m-owner act_111 ADVERTISE+ANALYZE'], held: [/last admin/] },
  { name: 'one of two admins may go', people: [ownerPerson, jane([], false)],
    actual: { ...base, members: [owner, member('m-jane', 'jane@example.com', 'ADMIN')] }, expect: ['remove-member deactivated m-jane'] },
  { name: 'incomplete listing: no removals', people: [ownerPerson, jane([], false)],
    actual: { ...base, complete: false, members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')] }, expect: [], held: [/incomplete/] },
  { name: 'a member listing the credential filters: jane may hold a seat it does not list, so she is not invited (held for an owner)',
    people: [ownerPerson, jane(['Meta Advertisers'])], actual: { ...base, membersHidden: true }, expect: [], held: [/jane@example\.com may already hold a seat/] },
  { name: 'a member listing the credential filters: an expired invite is not re-sent either',
    people: [ownerPerson, jane(['Meta Advertisers'])], actual: { ...base, membersHidden: true, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE', { status: 'expired' })] },
    expect: [], held: [/does not see every member/] },
  { name: 'a member listing the credential filters: no removal, and the hold says why', people: [ownerPerson, jane(['Meta Advertisers'], false)],
    actual: { ...base, complete: false, membersHidden: true, members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')] }, expect: [], held: [/does not see every member.*nothing is removed/] },
  { name: 'a member listing the credential filters: role changes of listed members still go',
    people: [ownerPerson, jane(['Meta Admins'])], actual: { members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')], assignments: ownerAssets, membersHidden: true },
    expect: ['assign-asset grant m-jane act_111 MANAGE+ADVERTISE+ANALYZE', 'change-member-role upgrade m-jane ADMIN'] },
  { name: 'expired invite re-sent once', people: [ownerPerson, jane(['Meta Advertisers'])],
    actual: { ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE', { status: 'expired' })] }, expect: ['reinvite i-1 EMPLOYEE'] },
  { name: 'invite past its expiry time counts as expired', people: [ownerPerson, jane(['Meta Admins'])],
    actual: { ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE', { expiresAt: '2026-11-01T00:00:00Z' })] }, expect: ['reinvite i-1 ADMIN'] },
  { name: 'expired invite already re-sent: held for an owner, never a fresh invite', people: [ownerPerson, jane(['Meta Advertisers'])],
    actual: { ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE', { status: 'expired', resendCount: 1 })] }, expect: [], held: [/re-sent/] },
  { name: 'declined invite re-sent once, as an expired one', people: [ownerPerson, jane(['Meta Advertisers'])],
    actual: { ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE', { status: 'declined' })] }, expect: ['reinvite i-1 EMPLOYEE'] },
  { name: 'declined invite already re-sent: held for an owner, never a fresh invite', people: [ownerPerson, jane(['Meta Advertisers'])],
    actual: { ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE', { status: 'declined', resendCount: 1 })] }, expect: [], held: [/declined and was already re-sent/] },
  { name: 'invite gone from the listing before its expiry (declined or cancelled in the app): re-sent once', people: [ownerPerson, jane(['Meta Advertisers'])],
    actual: { ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE', { status: 'canceled' })] }, expect: ['reinvite i-1 EMPLOYEE'] },
  { name: 'invite gone before its expiry, already re-sent: held for an owner, never a fresh invite', people: [ownerPerson, jane(['Meta Advertisers'])],
    actual: { ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE', { status: 'canceled', resendCount: 1 })] }, expect: [], held: [/cancelled in the app, before it expired and was already re-sent/] },
  { name: 'a lapsed invite beside a live one for the same email (invited again in the app): history, nothing sent', people: [ownerPerson, jane(['Meta Advertisers'])],
    actual: { ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE', { status: 'canceled' }), invite('i-2', 'jane@example.com', 'EMPLOYEE')] }, expect: [] },
  // Closed (plan-lapsed.test.ts): kept, the person showed as invited for ever and was never invited again.
  { name: 'declined invite of someone no longer owed a seat: closed', people: [ownerPerson, jane([])],
    actual: { ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE', { status: 'declined' })] }, expect: ['cancel-invite unassigned i-1'] },
  { name: 'no default team: a user in no mapped group gets no seat', people: [ownerPerson, jane([])],
    actual: base, expect: [] },
  // Two directory accounts share jane@example.com and the check left the seat disputed (no
  // directoryUserId): the deactivated twin, met first, must not remove the active one's seat.
  // Both accounts active (one deactivated, the other is the seat's by email: a rehire, rehire.test.ts).
  { name: 'disputed seat of an email two accounts share is left alone', people: [ownerPerson, { ...jane([]), id: 'u-jane-old' }, { ...jane(['Meta Advertisers']), id: 'u-jane-new' }],
    actual: { ...base, members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')], matches: [{ hubId: hub.id, memberId: 'm-jane', outcome: 'unmatched', manual: false, at: NOW }] }, expect: [] },
  // An owner's un-match says "this seat is not that directory user" (a recycled address, a shared
  // mailbox): the row is unmatched, and unmatched rows are an owner's to decide, never the plan's.
  { name: 'a member an owner un-matched is left alone, though its email names a directory user', people: [ownerPerson, jane([], false)],
    actual: { ...base, members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')], matches: [{ hubId: hub.id, memberId: 'm-jane', outcome: 'unmatched', manual: true, at: NOW }] }, expect: [] },
  { name: 'a pending invite an owner un-matched is not cancelled', people: [ownerPerson, jane([], false)],
    actual: { ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE')], matches: [{ hubId: hub.id, memberId: 'invite:i-1', outcome: 'unmatched', manual: true, at: NOW }] }, expect: [] },
  { name: 'a pending invite of a shared email is neither cancelled nor sent again', people: [ownerPerson, { ...jane([], false), id: 'u-jane-old' }, { ...jane(['Meta Advertisers']), id: 'u-jane-new' }],
    actual: { ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE')] }, expect: [] },
  // Jane's email moved on in the IdP and a new hire, not in any mapped group, now has her old
  // address: the check disputes her seat (match-members.ts). It is neither removed as the new
  // hire's nor doubled by inviting Jane again at her new address.
  { name: "a seat disputed by a user's changed email and another's old one is neither removed nor doubled", people: [ownerPerson, { id: 'u-jane', email: 'jane.new@example.com', groups: ['Meta Advertisers'] }, { id: 'u-hire', email: 'jane@example.com', groups: [] }],
    actual: { ...base, members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')], matches: [{ hubId: hub.id, memberId: 'm-jane', outcome: 'unmatched', manual: false, candidates: ['u-hire', 'u-jane'], at: NOW }] }, expect: [] },
  { name: 'an invite matched as exempted is a seat: no second invite', people: [ownerPerson, jane(['Meta Advertisers'])],
    actual: { ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE')], matches: [{ hubId: hub.id, memberId: 'invite:i-1', outcome: 'exempted', manual: true, at: NOW }] }, expect: [] },
  // An owner exempted Jane's seat, then the IdP changed her email: the exempted row (matched to
  // her, under her old address) is still her seat, so she is not invited again at the new one.
  { name: "an exempted seat is its person's seat after their email changes: no invite at the new address", people: [ownerPerson, { id: 'u-jane', email: 'jane.new@example.com', groups: ['Meta Advertisers'] }],
    actual: { ...base, members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')], exemptions: [{ hubId: hub.id, memberId: 'm-jane', reason: 'on leave', by: 'owner', at: NOW }],
      matches: [{ hubId: hub.id, memberId: 'm-jane', outcome: 'exempted', manual: true, directoryUserId: 'u-jane', at: NOW }] }, expect: [] },
  { name: "an exempted invite is its person's seat after their email changes: no invite at the new address", people: [ownerPerson, { id: 'u-jane', email: 'jane.new@example.com', groups: ['Meta Advertisers'] }],
    actual: { ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE')], exemptions: [{ hubId: hub.id, memberId: 'invite:i-1', reason: 'on leave', by: 'owner', at: NOW }],
      matches: [{ hubId: hub.id, memberId: 'invite:i-1', outcome: 'exempted', manual: true, directoryUserId: 'u-jane', at: NOW }] }, expect: [] },
  { name: 'an invite matched as guest is a seat: no second invite', people: [ownerPerson, jane(['Meta Advertisers'])],
    actual: { ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE')], matches: [{ hubId: hub.id, memberId: 'invite:i-1', outcome: 'guest', manual: true, at: NOW }] }, expect: [] },
];

describe('plan', () => {
  for (const c of cases) {
    test(c.name, () => {
      const result = plan(desiredOf(c.people, c.departed), actualOf(c.actual), { now: NOW, rules: TEST_RULES, drift: 'report' });
      assert.deepEqual(result.operations.map(describeOp), c.expect);
      for (const h of c.held ?? []) assert.ok(result.held.some((x) => h.test(x.why)), `expected a held operation matching ${h}: ${JSON.stringify(result.held.map((x) => x.why))}`);
      const keys = result.operations.map((o) => o.key);
      assert.equal(new Set(keys).size, keys.length, 'operation keys are unique');
    });
  }

  test('a pending invite not matched yet whose email differs from the person\'s only by whitespace and case is their seat: no second invite', () => {
    // As an app may list it (TikTok's `user_email` is stored as listed), before matching has run.
    const r = plan(desiredOf([ownerPerson, jane(['Meta Advertisers'])]), actualOf({ ...base, invites: [invite('i-1', ' Jane@Example.com ', 'EMPLOYEE')] }), { now: NOW, rules: TEST_RULES, drift: 'report' });
    assert.deepEqual(r.operations.filter((o) => o.kind === 'invite').map(describeOp), []);
  });

  test('default team configured: user in no mapped group is invited with it', () => {
    const h = testHub({ defaultTeam: { appRole: 'EMPLOYEE' } });
    const d: PlanDesired = { hubId: h.id, grants: [computeGrant(h, testUser('u-jane', 'jane@example.com'), [], TEST_RULES)], departed: [], managedAssets: [] };
    const r = plan(d, actualOf({}), { now: NOW, rules: TEST_RULES, drift: 'report' });
    assert.deepEqual(r.operations.map(describeOp), ['invite grant jane@example.com EMPLOYEE']);
  });

  test("a pending invite's role change carries the person's asset grants, as an invite does (an app that revokes and invites again sends them)", () => {
    const r = plan(desiredOf([ownerPerson, jane(['Meta Admins'])]), actualOf({ ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE')] }), { now: NOW, rules: TEST_RULES, drift: 'report' });
    const op = r.operations.find((o) => o.kind === 'change-invite-role');
    assert.ok(op && op.kind === 'change-invite-role');
    assert.deepEqual(op.assets, [{ asset: { type: 'ad_account', id: 'act_111' }, tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE'] }]);
  });

  // The IdP deleted Jane and created her again (a new SCIM id) before the next check re-matched her
  // seat: the stale match to the deleted user does not make her seat a deleted user's.
  test("a seat matched to a deleted user whose email a live user holds now is that user's, not removed", () => {
    const d = desiredOf([ownerPerson, { ...jane(['Meta Advertisers']), id: 'u-jane-again' }], [{ directoryUserId: 'u-jane', emails: ['jane@example.com'] }]);
    const a = actualOf({ ...base, members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')], matches: [{ hubId: hub.id, memberId: 'm-jane', outcome: 'onboarded', manual: false, directoryUserId: 'u-jane', at: NOW }] });
    const hers = ['assign-asset grant m-jane act_111 ADVERTISE+ANALYZE'];
    assert.deepEqual(plan(d, a, { now: NOW, rules: TEST_RULES, drift: 'report' }).operations.map(describeOp), hers);
    // The deleted user's own re-check (applying a report item) reads their departed record.
    const theirs = plan(d, a, { now: NOW, rules: TEST_RULES, drift: 'report', scope: { directoryUserIds: ['u-jane'], emails: ['jane@example.com'] } });
    assert.deepEqual(theirs.operations.map(describeOp), hers);
    // Gone for good (no live user holds the email): removed as a deleted user's seat.
    const gone = plan(desiredOf([ownerPerson], [{ directoryUserId: 'u-jane', emails: ['jane@example.com'] }]), a, { now: NOW, rules: TEST_RULES, drift: 'report' });
    assert.deepEqual(gone.operations.map(describeOp), ['remove-member deleted m-jane']);
  });

  // Jane's invite lapsed after the IdP changed her email; it is matched to her (snapshot-update.ts
  // records the invite's match when it is sent). Re-sent, it goes to the address she has now.
  test('an expired invite matched to a person whose email changed is re-sent to their current email', () => {
    const d = desiredOf([ownerPerson, { id: 'u-jane', email: 'jane.new@example.com', groups: ['Meta Advertisers'] }]);
    const a = actualOf({ ...base, invites: [invite('i-1', 'jane@example.com', 'EMPLOYEE', { status: 'expired' })],
      matches: [{ hubId: hub.id, memberId: 'invite:i-1', outcome: 'onboarded', manual: false, directoryUserId: 'u-jane', at: NOW }] });
    const r = plan(d, a, { now: NOW, rules: TEST_RULES, drift: 'report' });
    assert.deepEqual(r.operations.map((o) => [o.kind, o.email, o.kind === 'reinvite' ? o.inviteId : '']), [['reinvite', 'jane.new@example.com', 'i-1']], 'one re-send, to her current address, and no second invite');
    // Invited at the new address already (a live invite): the lapsed one is history, nothing is sent.
    const both = actualOf({ ...a, invites: [...a.invites, invite('i-2', 'jane.new@example.com', 'EMPLOYEE')] });
    assert.deepEqual(plan(d, both, { now: NOW, rules: TEST_RULES, drift: 'report' }).operations, []);
  });

  // Jane's invite at her old address lapsed, and so did one at her new address (sent by the
  // release before, which invited the new address afresh, or by an owner in the app): both are
  // hers, and both re-sent would be two invites to one address in one plan.
  test('two lapsed invites of one person, at the old and the current email, are re-sent once', () => {
    const d = desiredOf([ownerPerson, { id: 'u-jane', email: 'jane.new@example.com', groups: ['Meta Advertisers'] }]);
    const old = invite('i-1', 'jane@example.com', 'EMPLOYEE', { status: 'expired' });
    const current = invite('i-2', 'jane.new@example.com', 'EMPLOYEE', { status: 'expired' });
    const matches = [{ hubId: hub.id, memberId: 'invite:i-1', outcome: 'onboarded' as const, manual: false, directoryUserId: 'u-jane', at: NOW }];
    for (const invites of [[old, current], [current, old]]) {
      const r = plan(d, actualOf({ ...base, invites, matches }), { now: NOW, rules: TEST_RULES, drift: 'report' });
      const sent = r.operations.filter((o) => o.kind === 'reinvite' || o.kind === 'invite').map((o) => `${o.kind} ${o.email}`);
      assert.deepEqual(sent, ['reinvite jane.new@example.com'], `invites in order ${invites.map((i) => i.id).join(', ')}`);
    }
  });

  test('person scope plans only that person', () => {
    const d = desiredOf([ownerPerson, jane(['Meta Advertisers']), { id: 'u-bob', email: 'bob@example.com', groups: ['Meta Advertisers'] }]);
    const r = plan(d, actualOf(base), { now: NOW, rules: TEST_RULES, drift: 'report', scope: { directoryUserIds: ['u-bob'], emails: ['bob@example.com'] } });
    assert.deepEqual(r.operations.map(describeOp), ['invite grant bob@example.com EMPLOYEE']);
  });
});
