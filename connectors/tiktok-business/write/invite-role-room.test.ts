import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorError } from '../../sdk/connector-error.ts';
import { startTikTokTestBed } from '../test-setup.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';

/**
 * A pending invitation changes role only by revoke + invite. A Business Center holds at most 20
 * Admins (TikTok help, "How to add members to your TikTok Business Center"), so with the Admins
 * full the new ADMIN invitation is refused: checked before the revoke, the person keeps the
 * invitation they had instead of being left with none.
 */
const adminRow = (i: number) => ({ bc_id: S.bcId, user_id: `72000000000000030${String(i).padStart(2, '0')}`, user_name: `A${i}`, user_email: `a${i}@example.com`, user_role: 'ADMIN' as const, relation_status: 'BOUND' as const });

describe("tiktok-business: a pending invitation's role change TikTok would refuse keeps the invitation", () => {
  test('is refused before the revoke, and the pending invitation stays as it was', async () => {
    const bed = await startTikTokTestBed();
    try {
      const state = bed.emulator.control.state();
      // The sandbox has 2 BOUND admins; 17 more and one pending ADMIN invitation make 20.
      for (let i = 0; i < 17; i++) state.members.push(adminRow(i));
      state.members.push({ bc_id: S.bcId, user_email: 'pending.admin@example.com', user_role: 'ADMIN', relation_status: 'PENDING' });
      bed.emulator.control.seed(state);
      const before = bed.emulator.control.state().members.filter((m) => m.user_email === S.pendingEmail);
      await assert.rejects(bed.connector().changeInviteRole!(S.pendingEmail, 'ADMIN'), (e: ConnectorError) =>
        e.kind === 'invalid-argument' && e.notApplied === true && /at most 20 Admins/.test(e.message));
      assert.deepEqual(bed.emulator.calls.filter((x) => x.method === 'POST').map((x) => x.endpoint), [], 'nothing revoked or sent');
      assert.deepEqual(bed.emulator.control.state().members.filter((m) => m.user_email === S.pendingEmail), before);
    } finally {
      await bed.close();
    }
  });

  test('an ad account of the new invitation that is not in the Business Center fails it before the revoke', async () => {
    const bed = await startTikTokTestBed();
    try {
      const before = bed.emulator.control.state().members.filter((m) => m.user_email === S.pendingEmail);
      const notInBc = '7100000000000000777';
      await assert.rejects(bed.connector().changeInviteRole!(S.pendingEmail, 'ADMIN', [{ asset: { type: 'ad_account', id: notInBc }, tasks: ['ANALYST'] }]), (e: ConnectorError) =>
        e.kind === 'not-found' && e.notApplied === true && e.message.includes(notInBc));
      assert.deepEqual(bed.emulator.calls.filter((x) => x.method === 'POST').map((x) => x.endpoint), [], 'nothing revoked or sent');
      assert.deepEqual(bed.emulator.control.state().members.filter((m) => m.user_email === S.pendingEmail), before);
    } finally {
      await bed.close();
    }
  });

  test('a re-send whose ad account is not in the Business Center fails before the revoke too', async () => {
    const bed = await startTikTokTestBed();
    try {
      const before = bed.emulator.control.state().members.filter((m) => m.user_email === S.pendingEmail);
      const notInBc = '7100000000000000777';
      await assert.rejects(bed.connector().reinvite!({ inviteId: S.pendingEmail, email: S.pendingEmail, role: 'STANDARD', assets: [{ asset: { type: 'ad_account', id: notInBc }, tasks: ['OPERATOR'] }] }), (e: ConnectorError) =>
        e.kind === 'not-found' && e.notApplied === true && e.message.includes(notInBc));
      assert.deepEqual(bed.emulator.calls.filter((x) => x.method === 'POST').map((x) => x.endpoint), [], 'nothing revoked or sent');
      assert.deepEqual(bed.emulator.control.state().members.filter((m) => m.user_email === S.pendingEmail), before);
    } finally {
      await bed.close();
    }
  });

  test('with room for one more Admin it is revoked and invited again as ADMIN', async () => {
    const bed = await startTikTokTestBed();
    try {
      const state = bed.emulator.control.state();
      for (let i = 0; i < 17; i++) state.members.push(adminRow(i));
      bed.emulator.control.seed(state);
      assert.equal(await bed.connector().changeInviteRole!(S.pendingEmail, 'ADMIN'), 'done');
      const row = bed.emulator.control.state().members.find((m) => m.user_email === S.pendingEmail)!;
      assert.deepEqual([row.relation_status, row.user_role], ['PENDING', 'ADMIN']);
    } finally {
      await bed.close();
    }
  });
});
