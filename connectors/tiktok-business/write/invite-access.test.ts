import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InviteAsset } from '../../sdk/capabilities.ts';
import { startTikTokTestBed } from '../test-setup.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';
import { inviteAccessOf } from './invites.ts';

const ad = (id: string, role: string): InviteAsset => ({ asset: { type: 'ad_account', id }, tasks: [role] });

describe('what an invite gives (asset_ids with one advertiser_role)', () => {
  test('the ad accounts that share the role most of them have; other types and bad roles are left to assignment', () => {
    assert.equal(inviteAccessOf(undefined), undefined);
    assert.equal(inviteAccessOf([{ asset: { type: 'catalog', id: 'c1' }, tasks: ['ADMIN'] }]), undefined);
    assert.deepEqual(inviteAccessOf([ad('2', 'OPERATOR'), ad('1', 'OPERATOR'), ad('3', 'ANALYST')]), { assetIds: ['1', '2'], advertiserRole: 'OPERATOR' });
    assert.deepEqual(inviteAccessOf([ad('3', 'ANALYST'), ad('1', 'ADMIN')]), { assetIds: ['1'], advertiserRole: 'ADMIN' }, 'a tie: the first of ADMIN, OPERATOR, ANALYST');
    assert.deepEqual(inviteAccessOf([ad('1', 'OWNER'), ad('2', 'ANALYST')]), { assetIds: ['2'], advertiserRole: 'ANALYST' });
    assert.equal(inviteAccessOf(Array.from({ length: 60 }, (_, i) => ad(String(100 + i), 'ANALYST')))!.assetIds.length, 50, 'at most 50 asset_ids');
  });

  test('invites carry their ad accounts, and share a call only with the same role and access', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      const [a1, a2] = S.adAccounts;
      await Promise.all([
        c.invite!({ email: 'op1@example.com', role: 'STANDARD', assets: [ad(a1!, 'OPERATOR')], firstAttempt: true }),
        c.invite!({ email: 'op2@example.com', role: 'STANDARD', assets: [ad(a1!, 'OPERATOR')], firstAttempt: true }),
        c.invite!({ email: 'an1@example.com', role: 'STANDARD', assets: [ad(a1!, 'ANALYST'), ad(a2!, 'ANALYST')], firstAttempt: true }),
        c.invite!({ email: 'none@example.com', role: 'STANDARD', firstAttempt: true }),
      ]);
      const answered = bed.emulator.calls.filter((x) => x.endpoint === 'bc/member/invite');
      assert.deepEqual(answered.map((x) => x.code), answered.map(() => 0), 'every invite call accepted');
      const calls = answered.map((x) => x.body as Record<string, unknown>);
      const summary = calls.map((b) => `${(b.emails as string[]).join('+')} ${(b.asset_ids as string[]).join('+') || '-'} ${b.advertiser_role ?? '-'}`).sort();
      assert.deepEqual(summary, [`an1@example.com ${a1}+${a2} ANALYST`, 'none@example.com - -', `op1@example.com+op2@example.com ${a1} OPERATOR`]);
    } finally {
      await bed.close();
    }
  });

  test("a pending invitation's role change invites again with the person's ad accounts, not with none", async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      const [a1, a2] = S.adAccounts;
      // The sandbox's pending invitation gives a1 as OPERATOR; the person's teams now make them
      // ADMIN with a1 and a2 as ANALYST.
      assert.equal(await c.changeInviteRole!(S.pendingEmail, 'ADMIN', [ad(a1!, 'ANALYST'), ad(a2!, 'ANALYST')]), 'done');
      const sent = bed.emulator.calls.filter((x) => x.endpoint === 'bc/member/invite').map((x) => x.body as Record<string, unknown>);
      assert.deepEqual(sent.map((b) => [b.emails, b.user_role, b.asset_ids, b.advertiser_role]), [[[S.pendingEmail], 'ADMIN', [a1, a2], 'ANALYST']]);
      const row = bed.emulator.control.state().members.find((m) => m.user_email === S.pendingEmail)!;
      assert.deepEqual(row.invite_assets, [{ asset_id: a1, advertiser_role: 'ANALYST' }, { asset_id: a2, advertiser_role: 'ANALYST' }]);
    } finally {
      await bed.close();
    }
  });
});
