import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorError } from '../../sdk/connector-error.ts';
import { startTikTokTestBed } from '../test-setup.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';

/**
 * Each write whose answer is lost after TikTok carried it out (the emulator's `lostReply`: the
 * socket reset once the change is made). TikTok has no idempotency key; a write answered by a
 * timeout or a dropped connection may have applied, so it is looked up before it is sent again.
 * The first attempt fails `unavailable`, not marked not-applied; the retry (as the agent makes
 * it: an invite without `firstAttempt`) finds the change made and sends nothing more.
 */
type Bed = Awaited<ReturnType<typeof startTikTokTestBed>>;
const EVE = S.standard[0];
const FRANK = S.standard[1];
const AD = S.adAccounts[0];
const AD2 = S.adAccounts[1];

function lose(bed: Bed, endpoint: string): void {
  bed.emulator.control.clearCalls();
  bed.emulator.control.setFaults({ lostReply: { match: endpoint } });
}
const writes = (bed: Bed, endpoint: string) => bed.emulator.calls.filter((c) => c.method === 'POST' && c.endpoint === endpoint).length;
const statusesOf = (bed: Bed, email: string) =>
  bed.emulator.control.state().members.filter((m) => m.bc_id === S.bcId && m.user_email.toLowerCase() === email.toLowerCase()).map((m) => m.relation_status);
const lost = (e: ConnectorError) => e.kind === 'unavailable' && e.notApplied !== true;

describe('tiktok-business: a write whose answer is lost is looked up before it is sent again', () => {
  test('invite: the retry finds the invitation and sends no second invite', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      lose(bed, 'bc/member/invite');
      await assert.rejects(c.invite!({ email: 'new.person@example.com', role: 'STANDARD', firstAttempt: true }), lost);
      assert.deepEqual(await c.invite!({ email: 'new.person@example.com', role: 'STANDARD' }), { result: 'already-done', inviteId: 'new.person@example.com' });
      assert.equal(writes(bed, 'bc/member/invite'), 1);
      assert.deepEqual(statusesOf(bed, 'new.person@example.com'), ['PENDING']);
    } finally {
      await bed.close();
    }
  });

  test('change a pending invitation\'s role: the retry finds the new invitation and revokes nothing', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      lose(bed, 'bc/member/invite');
      await assert.rejects(c.changeInviteRole!(S.pendingEmail, 'ADMIN'), lost);
      assert.equal(await c.changeInviteRole!(S.pendingEmail, 'ADMIN'), 'already-done');
      assert.equal(writes(bed, 'bc/member/invite'), 1);
      assert.equal(writes(bed, 'bc/member/delete'), 1);
      assert.deepEqual(bed.emulator.control.state().members.filter((m) => m.user_email === S.pendingEmail).map((m) => [m.relation_status, m.user_role]), [['PENDING', 'ADMIN']]);
    } finally {
      await bed.close();
    }
  });

  test('revoke: the retry is already-done', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      lose(bed, 'bc/member/delete');
      await assert.rejects(c.cancelInvite!(S.pendingEmail), lost);
      assert.equal(await c.cancelInvite!(S.pendingEmail), 'already-done');
      assert.deepEqual(statusesOf(bed, S.pendingEmail), []);
    } finally {
      await bed.close();
    }
  });

  test('member role: the retry of a promotion or a demotion is already-done', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      lose(bed, 'bc/member/update');
      await assert.rejects(c.changeMemberRole!(EVE, 'ADMIN'), lost);
      assert.equal(await c.changeMemberRole!(EVE, 'ADMIN'), 'already-done');
      lose(bed, 'bc/member/update');
      await assert.rejects(c.changeMemberRole!(EVE, 'STANDARD'), lost);
      assert.equal(await c.changeMemberRole!(EVE, 'STANDARD'), 'already-done');
      assert.equal(bed.emulator.control.state().members.find((m) => m.user_id === EVE)?.user_role, 'STANDARD');
    } finally {
      await bed.close();
    }
  });

  test('remove a member: the retry is already-done', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      lose(bed, 'bc/member/delete');
      await assert.rejects(c.removeMember!(FRANK), lost);
      assert.equal(await c.removeMember!(FRANK), 'already-done');
      assert.equal(bed.emulator.control.state().members.some((m) => m.user_id === FRANK), false);
    } finally {
      await bed.close();
    }
  });

  test('assign and unassign: the retry is already-done and sends nothing', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      const asset = { type: 'ad_account', id: AD2 };
      lose(bed, 'bc/asset/assign');
      await assert.rejects(c.assignAsset!({ asset, userId: EVE, tasks: ['ANALYST'] }), lost);
      assert.equal(await c.assignAsset!({ asset, userId: EVE, tasks: ['ANALYST'] }), 'already-done');
      assert.equal(writes(bed, 'bc/asset/assign'), 1);
      lose(bed, 'bc/asset/unassign');
      await assert.rejects(c.unassignAsset!({ asset: { type: 'ad_account', id: AD }, userId: EVE }), lost);
      assert.equal(await c.unassignAsset!({ asset: { type: 'ad_account', id: AD }, userId: EVE }), 'already-done');
      assert.equal(writes(bed, 'bc/asset/unassign'), 1);
    } finally {
      await bed.close();
    }
  });

  test('re-send an invitation: the retry after the new invite was made sends no third, on a new connector instance too', async () => {
    const bed = await startTikTokTestBed();
    try {
      lose(bed, 'bc/member/invite');
      const input = { inviteId: S.pendingEmail, email: S.pendingEmail, role: 'STANDARD' };
      await assert.rejects(bed.connector().reinvite!(input), lost);
      // A restart, or another replica: a new instance, told by the agent's task records only.
      const again = await bed.connector().reinvite!({ ...input, earlierAttemptUnknown: true });
      assert.equal(again.inviteId, S.pendingEmail);
      assert.equal(writes(bed, 'bc/member/invite'), 1);
      assert.equal(writes(bed, 'bc/member/delete'), 1);
      assert.deepEqual(statusesOf(bed, S.pendingEmail), ['PENDING']);
      assert.equal(again.result, 'done');
      // Settled: the next re-send (the invitation lapsed again) revokes and invites as usual.
      assert.equal((await bed.connector().reinvite!(input)).result, 'done');
      assert.equal(writes(bed, 'bc/member/invite'), 2);
      assert.equal(writes(bed, 'bc/member/delete'), 2);
    } finally {
      await bed.close();
    }
  });

  test('re-send an invitation whose earlier attempt is unknown: another role listed, or a declined row, is revoked and invited once', async () => {
    const bed = await startTikTokTestBed();
    try {
      bed.emulator.control.clearCalls();
      const input = { inviteId: S.pendingEmail, email: S.pendingEmail, role: 'ADMIN', earlierAttemptUnknown: true };
      assert.equal((await bed.connector().reinvite!(input)).result, 'done');
      assert.equal(writes(bed, 'bc/member/delete'), 1);
      assert.equal(writes(bed, 'bc/member/invite'), 1);
      bed.emulator.control.declineInvite(S.bcId, S.pendingEmail);
      assert.equal((await bed.connector().reinvite!(input)).result, 'done');
      assert.equal(writes(bed, 'bc/member/delete'), 2);
      assert.equal(writes(bed, 'bc/member/invite'), 2);
      assert.deepEqual(statusesOf(bed, S.pendingEmail), ['PENDING']);
    } finally {
      await bed.close();
    }
  });

  test('re-send an invitation whose new invite never reached TikTok: the retry invites, once', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      bed.emulator.control.clearCalls();
      bed.emulator.control.setFaults({ dropRate: 1, match: 'bc/member/invite' });
      const input = { inviteId: S.pendingEmail, email: S.pendingEmail, role: 'STANDARD' };
      await assert.rejects(c.reinvite!(input), lost);
      assert.deepEqual(statusesOf(bed, S.pendingEmail), []);
      bed.emulator.control.setFaults({});
      assert.equal((await c.reinvite!({ ...input, earlierAttemptUnknown: true })).result, 'done');
      assert.deepEqual(statusesOf(bed, S.pendingEmail), ['PENDING']);
      assert.equal(bed.emulator.calls.filter((x) => x.endpoint === 'bc/member/invite' && x.status === 200).length, 1);
    } finally {
      await bed.close();
    }
  });
});
