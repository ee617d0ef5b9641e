import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorError } from '../../sdk/connector-error.ts';
import { startTikTokTestBed } from '../test-setup.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';
import type { AlternativeReadings } from '../emulator/index.ts';

/**
 * A revoke (`/bc/member/delete/` with `user_email`) that TikTok refuses with 40001 or 40002 is
 * "already gone" only when the address's row, read again in full, agrees: TikTok does not say that
 * a `/bc/member/get/` read without a `relation_status` filter lists invitations (README [INF] #8,
 * emulator reading `unfilteredListsBoundOnly`), nor which code an unknown address gets (#18), nor
 * that `user_email` is compared case-insensitively (#44). Decided from the unfiltered read alone,
 * the revoke was audited already-done while the invitation stayed PENDING and could be accepted.
 */
type Bed = Awaited<ReturnType<typeof startTikTokTestBed>>;
const JANE = 'Jane.Doe@Example.com';
const statusesOf = (bed: Bed, email: string) =>
  bed.emulator.control.state().members.filter((m) => m.bc_id === S.bcId && m.user_email.toLowerCase() === email.toLowerCase()).map((m) => m.relation_status);

describe('tiktok-business: a refused revoke is already-done only when the invitation is no longer listed', () => {
  for (const code of [40001, 40002] as const) {
    test(`${code} on a revoke of a listed invitation (unfiltered reads list members only): the refusal stands, the invitation is still there, a later revoke removes it`, async () => {
      const bed = await startTikTokTestBed({ readings: { unfilteredListsBoundOnly: true } });
      try {
        const c = bed.connector();
        bed.emulator.control.setFaults({ codes: [{ match: 'bc/member/delete', code, times: 1 }] });
        await assert.rejects(c.cancelInvite!(S.pendingEmail), (e: ConnectorError) => e.providerCode === String(code) && e.notApplied === true);
        assert.deepEqual(statusesOf(bed, S.pendingEmail), ['PENDING']);
        assert.equal(await c.cancelInvite!(S.pendingEmail), 'done');
        assert.deepEqual(statusesOf(bed, S.pendingEmail), []);
      } finally {
        await bed.close();
      }
    });
  }

  const readings: AlternativeReadings[] = [
    { exactDeleteEmail: true, deleteUnknownCode: 40002 },
    { exactDeleteEmail: true, deleteUnknownCode: 40002, unfilteredListsBoundOnly: true },
    { exactDeleteEmail: true, deleteUnknownCode: 40001 },
    { exactDeleteEmail: true, deleteUnknownCode: 40001, unfilteredListsBoundOnly: true },
  ];
  for (const reading of readings) {
    test(`an invitation listed with capitals, its lower-cased address answered ${reading.deleteUnknownCode}${reading.unfilteredListsBoundOnly ? ' (unfiltered reads list members only)' : ''}: the listed spelling is revoked`, async () => {
      const bed = await startTikTokTestBed({ readings: reading });
      try {
        const c = bed.connector();
        const invited = await c.invite!({ email: JANE, role: 'STANDARD', firstAttempt: true });
        assert.equal(await c.cancelInvite!(invited.inviteId), 'done');
        assert.deepEqual(statusesOf(bed, JANE), []);
        assert.equal(await c.cancelInvite!(invited.inviteId), 'already-done');
      } finally {
        await bed.close();
      }
    });
  }

  test('40001 on a revoke of an address that is a member now: conflict (remove the member instead), not permission-denied', async () => {
    const bed = await startTikTokTestBed({ readings: { exactDeleteEmail: true, deleteUnknownCode: 40001 } });
    try {
      const c = bed.connector();
      const invited = await c.invite!({ email: JANE, role: 'STANDARD', firstAttempt: true });
      bed.emulator.control.acceptInvite(S.bcId, JANE);
      await assert.rejects(c.cancelInvite!(invited.inviteId), (e: ConnectorError) => e.kind === 'conflict' && /has accepted and is a member/.test(e.message));
    } finally {
      await bed.close();
    }
  });
});
