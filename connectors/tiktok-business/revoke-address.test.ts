import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTikTokTestBed } from './test-setup.ts';
import { TIKTOK_SANDBOX as S } from './emulator/sandbox-ids.ts';

/**
 * Revoking an invitation (`/bc/member/delete/` with `user_email`): TikTok says to send the
 * `user_email` "from /bc/member/get/", and does not say that it compares addresses
 * case-insensitively there ([INF] #44, emulator/readings.ts exactDeleteEmail). hubwarden keys an
 * invitation by its lower-cased address, so a 40007 for that spelling must not be taken as
 * "already gone" while the invitation is still listed under another: the person could still
 * accept it.
 */
describe('tiktok-business: revoking an invitation listed with capitals', () => {
  for (const exactDeleteEmail of [false, true]) {
    test(`the invitation is gone afterwards (${exactDeleteEmail ? 'exact' : 'case-insensitive'} address match)`, async () => {
      const bed = await startTikTokTestBed({ readings: { exactDeleteEmail } });
      try {
        const c = bed.connector();
        const invited = await c.invite!({ email: 'Jane.Doe@Example.com', role: 'STANDARD', firstAttempt: true });
        assert.equal(invited.inviteId, 'jane.doe@example.com');
        assert.equal(await c.cancelInvite!(invited.inviteId), 'done');
        assert.deepEqual(bed.emulator.control.state().members.filter((m) => m.bc_id === S.bcId && m.user_email.toLowerCase() === 'jane.doe@example.com'), []);
        assert.equal(await c.cancelInvite!(invited.inviteId), 'already-done');
      } finally {
        await bed.close();
      }
    });
  }

  test('an invitation accepted meanwhile under another spelling is a conflict (remove the member instead), not already-done', async () => {
    const bed = await startTikTokTestBed({ readings: { exactDeleteEmail: true } });
    try {
      const c = bed.connector();
      const invited = await c.invite!({ email: 'Jane.Doe@Example.com', role: 'STANDARD', firstAttempt: true });
      bed.emulator.control.acceptInvite(S.bcId, 'Jane.Doe@Example.com');
      await assert.rejects(c.cancelInvite!(invited.inviteId), (err: Error) => /conflict: .*has accepted and is a member/.test(err.message));
    } finally {
      await bed.close();
    }
  });
});
