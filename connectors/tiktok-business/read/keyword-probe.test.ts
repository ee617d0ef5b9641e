import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorError } from '../../sdk/connector-error.ts';
import { startTikTokTestBed } from '../test-setup.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';

/**
 * The one-off check of whether `filtering.keyword` finds addresses and asset ids [INF #47]
 * (keyword-probe.ts) under a TikTok whose keyword matches names only, where the row it tries has
 * a name that contains its address or id (a display name set to the address, an ad account named
 * after its id): found by its name, it says nothing about addresses or ids.
 */
const EVE = S.standard[0];

describe('tiktok-business: the keyword check is not fooled by a name holding the address or id', () => {
  test('members: a retried invite still finds the pending row and revokes the declined one first', async () => {
    const bed = await startTikTokTestBed({ readings: { keywordNamesOnly: true, ignoreRejectedInvite: true, refuseExistingInvite: true } });
    try {
      const state = bed.emulator.control.state();
      // The first row the listing shows (the token's user) carries its address as its display name.
      const first = state.members.find((m) => m.bc_id === S.bcId)!;
      first.user_name = first.user_email;
      bed.emulator.control.seed(state);
      const c = bed.connector();
      assert.deepEqual(await c.invite!({ email: S.pendingEmail, role: 'STANDARD' }), { result: 'already-done', inviteId: S.pendingEmail });
      assert.equal((await c.invite!({ email: S.rejectedEmail, role: 'STANDARD' })).result, 'done');
      const rows = bed.emulator.control.state().members.filter((m) => m.bc_id === S.bcId && m.user_email === S.rejectedEmail);
      assert.deepEqual(rows.map((r) => r.relation_status), ['PENDING']);
    } finally {
      await bed.close();
    }
  });

  test('members: under a case-sensitive keyword, a pending invitation listed with capitals still has its role changed', async () => {
    const bed = await startTikTokTestBed({ readings: { keywordCaseSensitive: true } });
    try {
      const state = bed.emulator.control.state();
      // TikTok lists an address as it was invited; hubwarden keys the invitation by the lower-cased address.
      const pending = state.members.find((m) => m.bc_id === S.bcId && m.user_email === S.pendingEmail)!;
      pending.user_email = 'New.Hire@Sandbox.example';
      assert.equal(pending.user_role, 'STANDARD');
      bed.emulator.control.seed(state);
      const c = bed.connector();
      assert.equal(await c.changeInviteRole!(S.pendingEmail, 'ADMIN'), 'done');
      const rows = bed.emulator.control.state().members.filter((m) => m.bc_id === S.bcId && m.user_email.toLowerCase() === S.pendingEmail);
      assert.deepEqual(rows.map((r) => [r.relation_status, r.user_role]), [['PENDING', 'ADMIN']]);
    } finally {
      await bed.close();
    }
  });

  test('assets: a refused assign on a partner\'s share is still told apart from an asset gone from the BC', async () => {
    const bed = await startTikTokTestBed({ readings: { keywordNamesOnly: true } });
    try {
      const state = bed.emulator.control.state();
      const first = state.assets.find((a) => a.asset_type === 'ADVERTISER')!;
      first.asset_name = `Ad account ${first.asset_id}`;
      bed.emulator.control.seed(state);
      const c = bed.connector();
      const err = await c.assignAsset!({ asset: { type: 'ad_account', id: S.partner.sharedAdAccount }, userId: EVE, tasks: ['ADMIN'] }).then(() => undefined, (e: ConnectorError) => e);
      assert.equal(err?.kind, 'invalid-argument', err?.message);
    } finally {
      await bed.close();
    }
  });
});
