import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorError } from '../../sdk/connector-error.ts';
import type { InviteAsset } from '../../sdk/capabilities.ts';
import { decideRetry } from '../../../agent/tasks/retry-policy.ts';
import { startTikTokTestBed } from '../test-setup.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';

/**
 * An ADMIN seat gets its team's ad accounts like any other (the connector contract: an invite with
 * `user_role` = the team's appRole and `asset_ids` = its ad accounts that share one role; a BOUND
 * member missing an asset: `/bc/asset/assign/`). TikTok's invite docs allow `asset_ids` with
 * either `user_role` (https://business-api.tiktok.com/portal/docs/api-reference/v1.3,
 * `/bc/member/invite/`), and `/bc/asset/assign/` asks only for a BOUND member.
 */
const ad = (id: string, role: string): InviteAsset => ({ asset: { type: 'ad_account', id }, tasks: [role] });
const ADMIN_ID = S.admins[0];
const backoff = { baseMs: 1, maxMs: 1 };

describe('tiktok-business: an ADMIN seat and its ad accounts', () => {
  test('an ADMIN invitation carries asset_ids and advertiser_role; accepted, the assignments exist', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      const [a1, a2] = S.adAccounts;
      assert.equal((await c.invite!({ email: 'boss@example.com', role: 'ADMIN', assets: [ad(a1!, 'OPERATOR'), ad(a2!, 'OPERATOR')], firstAttempt: true })).result, 'done');
      const sent = bed.emulator.calls.filter((x) => x.endpoint === 'bc/member/invite');
      assert.deepEqual(sent.map((x) => x.code), [0]);
      const body = sent[0]!.body as Record<string, unknown>;
      assert.deepEqual([body.user_role, body.asset_type, body.asset_ids, body.advertiser_role], ['ADMIN', 'ADVERTISER', [a1, a2], 'OPERATOR']);
      const { userId } = bed.emulator.control.acceptInvite(S.bcId, 'boss@example.com');
      const held = bed.emulator.control.state().assignments.filter((a) => a.user_id === userId).map((a) => `${a.asset_id}:${a.role}`).sort();
      assert.deepEqual(held, [`${a1}:OPERATOR`, `${a2}:OPERATOR`]);
    } finally {
      await bed.close();
    }
  });

  test('a BOUND ADMIN is assigned an ad account and listed among its holders', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      const a2 = S.adAccounts[1]!;
      assert.equal(await c.assignAsset!({ asset: { type: 'ad_account', id: a2 }, userId: ADMIN_ID, tasks: ['ANALYST'] }), 'done');
      const holders = await c.listAssignments!([{ type: 'ad_account', id: a2 }]);
      assert.deepEqual(holders.filter((h) => h.userId === ADMIN_ID).map((h) => h.tasks), [['ANALYST']]);
      assert.equal(await c.unassignAsset!({ asset: { type: 'ad_account', id: a2 }, userId: ADMIN_ID }), 'done');
    } finally {
      await bed.close();
    }
  });

  test('an ADMIN invitation giving a shared-in ad account above its share fails invalid-argument, as a STANDARD one does', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      // The partner shares this ad account with the sandbox BC as ANALYST; the team asks OPERATOR.
      const err = await c.invite!({ email: 'boss@example.com', role: 'ADMIN', assets: [ad(S.partner.sharedAdAccount, 'OPERATOR')], firstAttempt: true })
        .then(() => undefined, (e: ConnectorError) => e);
      assert.equal(err?.kind, 'invalid-argument', err?.message);
      assert.match(err!.message, new RegExp(`ad account ${S.partner.sharedAdAccount} was shared into Business Center ${S.bcId} by its owner with a role below OPERATOR`));
      assert.equal(decideRetry(err, 1, backoff).action, 'fail', 'fails the invite, does not pause the hub');
      assert.equal((await c.invite!({ email: 'boss2@example.com', role: 'ADMIN', assets: [ad(S.partner.sharedAdAccount, 'ANALYST')], firstAttempt: true })).result, 'done');
    } finally {
      await bed.close();
    }
  });
});
