import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { allPages } from '../sdk/pages.ts';
import { startTikTokTestBed } from './test-setup.ts';
import { TIKTOK_SANDBOX as S } from './emulator/sandbox-ids.ts';
import type { AlternativeReadings } from './emulator/index.ts';

/**
 * Member rows without `relation_status` ([INF] #43, emulator/readings.ts omitRelationStatus): the
 * Go SDK lists the field on the member object (github.com/bububa/tiktok-business `model/bc/member_get.go`),
 * but a separately written emulator (or TikTok)
 * may leave it out. A row whose status is not given is never taken for a member or an invitation
 * by guess: its state is what a `relation_status`-filtered read lists it under.
 */
const EVE = S.standard[0];
const EVE_EMAIL = 'eve.moneypenny@sandbox.example';
const FRANK = S.standard[1];
const FRANK_EMAIL = 'frank.ledger@sandbox.example';

async function bedWith(readings: AlternativeReadings) {
  return startTikTokTestBed({ readings: { omitRelationStatus: true, ...readings } });
}

function rowsOf(bed: Awaited<ReturnType<typeof bedWith>>, email: string) {
  return bed.emulator.control.state().members.filter((m) => m.bc_id === S.bcId && m.user_email.toLowerCase() === email.toLowerCase());
}

const posts = (bed: Awaited<ReturnType<typeof bedWith>>) => bed.emulator.calls.filter((x) => x.method === 'POST').map((x) => x.endpoint);

describe('tiktok-business: member rows without relation_status', () => {
  test('the listings still tell members, invitations and declined ones apart (by the filter they were read with)', async () => {
    const bed = await bedWith({});
    try {
      const c = bed.connector();
      const members = await allPages(c.listMembers!);
      assert.ok(members.some((m) => m.id === EVE));
      const invites = await allPages(c.listInvites!);
      assert.equal(invites.find((i) => i.id === S.pendingEmail)?.status, 'pending');
      assert.equal(invites.find((i) => i.id === S.rejectedEmail)?.status, 'declined');
    } finally {
      await bed.close();
    }
  });

  test('a retried invite of a member or of a pending address is already-done; nothing is sent', async () => {
    const bed = await bedWith({});
    try {
      const c = bed.connector();
      bed.emulator.control.clearCalls();
      assert.deepEqual(await c.invite!({ email: EVE_EMAIL, role: 'STANDARD' }), { result: 'already-done', inviteId: '', memberId: EVE });
      assert.deepEqual(await c.invite!({ email: S.pendingEmail, role: 'STANDARD' }), { result: 'already-done', inviteId: S.pendingEmail });
      assert.equal(await c.changeInviteRole!(S.pendingEmail, 'STANDARD'), 'already-done');
      assert.deepEqual(posts(bed), [], 'no invitation revoked or sent');
    } finally {
      await bed.close();
    }
  });

  test('a pending invitation whose role changes to the member\'s own, once accepted, is a conflict, not a revoke refused as a bad parameter', async () => {
    const bed = await bedWith({});
    try {
      const c = bed.connector();
      await assert.rejects(c.changeInviteRole!(EVE_EMAIL, 'ADMIN'), (err: Error) => /conflict/.test(err.message));
      assert.deepEqual(rowsOf(bed, EVE_EMAIL).map((r) => [r.relation_status, r.user_role]), [['BOUND', 'STANDARD']]);
    } finally {
      await bed.close();
    }
  });

  test('a declined address TikTok would ignore is revoked before a retried invite, so a new invitation is made', async () => {
    const bed = await bedWith({ ignoreRejectedInvite: true });
    try {
      const c = bed.connector();
      assert.equal((await c.invite!({ email: S.rejectedEmail, role: 'STANDARD' })).result, 'done');
      assert.deepEqual(rowsOf(bed, S.rejectedEmail).map((r) => r.relation_status), ['PENDING']);
    } finally {
      await bed.close();
    }
  });

  test('a former member\'s row (UNBOUND, with its user_id, no status shown) is not taken for a member: a retried invite invites', async () => {
    const bed = await bedWith({ keepRemovedAsUnbound: true });
    try {
      const c = bed.connector();
      assert.equal(await c.removeMember!(FRANK), 'done');
      const r = await c.invite!({ email: FRANK_EMAIL, role: 'STANDARD' });
      assert.equal(r.result, 'done');
      assert.equal(r.memberId, undefined);
      assert.deepEqual(rowsOf(bed, FRANK_EMAIL).map((x) => x.relation_status), ['UNBOUND', 'PENDING']);
    } finally {
      await bed.close();
    }
  });
});

describe('tiktok-business: invitations listed with a placeholder user_id ([INF] #10)', () => {
  test('two invitations whose addresses contain one another: a role change finds the right one, and a retried invite of it is already-done', async () => {
    const bed = await startTikTokTestBed({ readings: { invitationUserId: '0' } });
    try {
      const c = bed.connector();
      for (const email of ['bob@acme.test', 'jimbob@acme.test']) assert.equal((await c.invite!({ email, role: 'STANDARD', firstAttempt: true })).result, 'done');
      assert.equal(await c.changeInviteRole!('bob@acme.test', 'ADMIN'), 'done');
      assert.deepEqual(rowsOf(bed, 'bob@acme.test').map((r) => [r.relation_status, r.user_role]), [['PENDING', 'ADMIN']]);
      assert.deepEqual(rowsOf(bed, 'jimbob@acme.test').map((r) => [r.relation_status, r.user_role]), [['PENDING', 'STANDARD']]);
      assert.deepEqual(await c.invite!({ email: 'bob@acme.test', role: 'ADMIN' }), { result: 'already-done', inviteId: 'bob@acme.test' });
      assert.ok(!(await allPages(c.listMembers!)).some((m) => m.id === '0'), 'an invitation is not a member');
    } finally {
      await bed.close();
    }
  });
});
