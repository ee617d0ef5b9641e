import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorError } from '../../sdk/connector-error.ts';
import { startTikTokTestBed } from '../test-setup.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';

/**
 * Member and asset ids are digit strings the gateway converts to int64 (`x-open-convert`,
 * github.com/tiktok/tiktok-business-api-sdk `yml_files/bc_*.yml`); TikTok
 * refuses anything else with 40002. A write cannot tell that refusal from a member who left
 * meanwhile, so before the check a removal of an address, or of a 20-digit id, came back
 * already-done with nothing removed. Such an id is refused before any call.
 */
const invalid = (field: string) => (e: ConnectorError) => e.kind === 'invalid-argument' && e.field === field && e.notApplied === true;

describe('tiktok-business: ids of writes are checked before any call', () => {
  test('removal, role change, assign and unassign with an id TikTok cannot take: invalid-argument, no call', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      const [ad] = S.adAccounts;
      for (const bad of [S.pendingEmail, '99999999999999999999', '']) {
        await assert.rejects(c.removeMember!(bad), invalid('memberId'), `remove ${bad}`);
        await assert.rejects(c.changeMemberRole!(bad, 'STANDARD'), invalid('memberId'), `demote ${bad}`);
        await assert.rejects(c.changeMemberRole!(bad, 'ADMIN'), invalid('memberId'), `promote ${bad}`);
        await assert.rejects(c.assignAsset!({ asset: { type: 'ad_account', id: ad! }, userId: bad, tasks: ['ANALYST'] }), invalid('userId'));
        await assert.rejects(c.unassignAsset!({ asset: { type: 'ad_account', id: ad! }, userId: bad }), invalid('userId'));
      }
      await assert.rejects(c.unassignAsset!({ asset: { type: 'ad_account', id: 'act_1' }, userId: S.standard[0]! }), invalid('asset id'));
      assert.deepEqual(bed.emulator.calls.map((x) => x.endpoint), [], 'nothing was sent');
      // The pending invitation is still there: nothing claimed it gone.
      assert.ok(bed.emulator.control.state().members.some((m) => m.user_email === S.pendingEmail && m.relation_status === 'PENDING'));
      // The largest int64 is still an id: its removal reaches TikTok (not a member: already-done).
      assert.equal(await c.removeMember!('9223372036854775807'), 'already-done');
    } finally {
      await bed.close();
    }
  });

  test('an invite, an invitation\'s role change and a re-send whose ad account ids TikTok cannot take: invalid-argument (asset_ids), no call, the invitation kept', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      const [ad] = S.adAccounts;
      for (const bad of ['9223372036854775808', '99999999999999999999', 'act_1']) {
        const assets = [{ asset: { type: 'ad_account' as const, id: bad }, tasks: ['ANALYST'] }];
        await assert.rejects(c.invite!({ email: 'new@example.com', role: 'STANDARD', assets, firstAttempt: true }), invalid('asset_ids'), `invite ${bad}`);
        await assert.rejects(c.invite!({ email: 'new@example.com', role: 'STANDARD', assets }), invalid('asset_ids'), `invite again ${bad}`);
        await assert.rejects(c.changeInviteRole!(S.pendingEmail, 'ADMIN', assets), invalid('asset_ids'), `change ${bad}`);
        await assert.rejects(c.reinvite!({ inviteId: S.pendingEmail, email: S.pendingEmail, role: 'STANDARD', assets }), invalid('asset_ids'), `re-send ${bad}`);
      }
      assert.deepEqual(bed.emulator.calls.map((x) => x.endpoint), [], 'nothing was sent');
      assert.ok(bed.emulator.control.state().members.some((m) => m.user_email === S.pendingEmail && m.relation_status === 'PENDING'), 'the pending invitation was not revoked');
      // An ad account id within int64 is still sent.
      assert.equal((await c.invite!({ email: 'new@example.com', role: 'STANDARD', assets: [{ asset: { type: 'ad_account', id: ad! }, tasks: ['ANALYST'] }], firstAttempt: true })).result, 'done');
    } finally {
      await bed.close();
    }
  });
});
