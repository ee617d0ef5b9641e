import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorError } from '../../sdk/connector-error.ts';
import { decideRetry } from '../../../agent/tasks/retry-policy.ts';
import { startTikTokTestBed } from '../test-setup.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';

const NOT_SHARED = '7100000000000000555'; // an ad account no BC of the fixture owns or shares
const EVE = S.standard[0];
const backoff = { baseMs: 1, maxMs: 1 };

describe('40001 on one asset fails that task; 40001 on the token pauses the hub', () => {
  test('an ad account not shared into the BC: the assignment fails not-found naming it, other writes go on', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      const err = await c.assignAsset!({ asset: { type: 'ad_account', id: NOT_SHARED }, userId: EVE, tasks: ['ANALYST'] }).then(() => undefined, (e: ConnectorError) => e);
      assert.equal(err?.kind, 'not-found', err?.message);
      assert.match(err!.message, new RegExp(`ad account ${NOT_SHARED} is not owned by or shared into Business Center ${S.bcId}`));
      assert.equal(err!.notApplied, true);
      assert.equal(decideRetry(err, 1, backoff).action, 'fail', 'fails the task, does not pause the hub');
      // The same connector still invites, assigns and removes for everyone else.
      assert.equal((await c.invite!({ email: 'other@example.com', role: 'STANDARD', firstAttempt: true })).result, 'done');
      assert.equal(await c.assignAsset!({ asset: { type: 'ad_account', id: S.adAccounts[1] }, userId: EVE, tasks: ['ANALYST'] }), 'done');
      assert.equal(await c.removeMember!(S.standard[1]), 'done');
    } finally {
      await bed.close();
    }
  });

  test('the 40001 re-check reads the token\'s role only (`/bc/get/`), not the admin listing the credential check adds for tokenUserId', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector({ tokenUserId: S.tokenUserId });
      bed.emulator.control.clearCalls();
      const err = await c.assignAsset!({ asset: { type: 'ad_account', id: NOT_SHARED }, userId: EVE, tasks: ['ANALYST'] }).then(() => undefined, (e: ConnectorError) => e);
      assert.equal(err?.kind, 'not-found', err?.message);
      assert.equal(bed.emulator.calls.filter((x) => x.endpoint === 'bc/get').length, 1);
      assert.deepEqual(bed.emulator.calls.filter((x) => x.endpoint === 'bc/member/get' && (x.query.filtering ?? '').includes('ADMIN')).map((x) => x.query), []);
      assert.equal((await c.checkCredential!()).valid, true, 'the credential check still checks tokenUserId');
      assert.equal(bed.emulator.calls.filter((x) => x.endpoint === 'bc/member/get' && (x.query.filtering ?? '').includes('ADMIN')).length, 1);
    } finally {
      await bed.close();
    }
  });

  test('a shared-in ad account asked above its owner\'s share fails invalid-argument naming it', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      const err = await c.assignAsset!({ asset: { type: 'ad_account', id: S.partner.sharedAdAccount }, userId: EVE, tasks: ['OPERATOR'] }).then(() => undefined, (e: ConnectorError) => e);
      assert.equal(err?.kind, 'invalid-argument', err?.message);
      assert.match(err!.message, new RegExp(`ad account ${S.partner.sharedAdAccount} was shared into Business Center ${S.bcId} by its owner .* with a role below OPERATOR`));
      assert.equal(decideRetry(err, 1, backoff).action, 'fail');
      assert.equal(await c.assignAsset!({ asset: { type: 'ad_account', id: S.partner.sharedAdAccount }, userId: EVE, tasks: ['ANALYST'] }), 'done');
    } finally {
      await bed.close();
    }
  });

  test('a token whose user lost ADMIN: 40001 on an assignment stays permission-denied and pauses the hub', async () => {
    const bed = await startTikTokTestBed();
    try {
      const state = bed.emulator.control.state();
      state.members.find((m) => m.user_id === S.tokenUserId)!.user_role = 'STANDARD';
      bed.emulator.control.seed(state);
      const c = bed.connector();
      for (const id of [NOT_SHARED, S.adAccounts[1]]) {
        const err = await c.assignAsset!({ asset: { type: 'ad_account', id }, userId: EVE, tasks: ['ANALYST'] }).then(() => undefined, (e: ConnectorError) => e);
        assert.equal(err?.kind, 'permission-denied', err?.message);
        assert.equal(err!.providerCode, '40001');
        assert.equal(decideRetry(err, 1, backoff).action, 'pause-hub');
      }
    } finally {
      await bed.close();
    }
  });

  test('40001 on an asset the BC owns, with the token still an ADMIN, is not explained by the asset: it still pauses the hub', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      assert.equal(await c.assignAsset!({ asset: { type: 'ad_account', id: S.adAccounts[1] }, userId: EVE, tasks: ['ANALYST'] }), 'done');
      bed.emulator.control.setFaults({ codes: [{ match: 'bc/asset/unassign', code: 40001, times: 1 }] });
      const err = await c.unassignAsset!({ asset: { type: 'ad_account', id: S.adAccounts[1] }, userId: EVE }).then(() => undefined, (e: ConnectorError) => e);
      assert.equal(err?.kind, 'permission-denied', err?.message);
      assert.equal(decideRetry(err, 1, backoff).action, 'pause-hub');
    } finally {
      await bed.close();
    }
  });

  test('an invitation carrying an ad account not shared into the BC fails not-found naming it; the rest of its call too, other invites go', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      const assets = [{ asset: { type: 'ad_account', id: NOT_SHARED }, tasks: ['ANALYST'] }];
      const [a, b, other] = await Promise.allSettled([
        c.invite!({ email: 'a@example.com', role: 'STANDARD', assets, firstAttempt: true }),
        c.invite!({ email: 'b@example.com', role: 'STANDARD', assets, firstAttempt: true }),
        c.invite!({ email: 'other@example.com', role: 'STANDARD', assets: [{ asset: { type: 'ad_account', id: S.adAccounts[0] }, tasks: ['ANALYST'] }], firstAttempt: true }),
      ]);
      for (const [r, email] of [[a, 'a@example.com'], [b, 'b@example.com']] as const) {
        assert.equal(r.status, 'rejected');
        const err = (r as PromiseRejectedResult).reason as ConnectorError;
        assert.equal(err.kind, 'not-found', err.message);
        assert.match(err.message, new RegExp(`invite ${email} .*ad account ${NOT_SHARED} is not owned by or shared into Business Center ${S.bcId}`));
        assert.equal(decideRetry(err, 1, backoff).action, 'fail');
      }
      assert.equal(other.status, 'fulfilled');
      assert.equal(bed.emulator.calls.filter((x) => x.endpoint === 'bc/get').length, 1, 'one re-check for the shared call');
    } finally {
      await bed.close();
    }
  });

  test('an invitation giving a shared-in ad account above its owner\'s share fails invalid-argument naming it, without pausing the hub', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      // The partner shares this ad account with the sandbox BC as ANALYST; the invite asks OPERATOR.
      const err = await c.invite!({ email: 'a@example.com', role: 'STANDARD', assets: [{ asset: { type: 'ad_account', id: S.partner.sharedAdAccount }, tasks: ['OPERATOR'] }], firstAttempt: true })
        .then(() => undefined, (e: ConnectorError) => e);
      assert.equal(err?.kind, 'invalid-argument', err?.message);
      assert.match(err!.message, new RegExp(`invite a@example.com .*ad account ${S.partner.sharedAdAccount} was shared into Business Center ${S.bcId} by its owner with a role below OPERATOR`));
      assert.equal(err!.notApplied, true);
      assert.equal(decideRetry(err, 1, backoff).action, 'fail', 'fails the invite, does not pause the hub');
      assert.equal((await c.invite!({ email: 'b@example.com', role: 'STANDARD', assets: [{ asset: { type: 'ad_account', id: S.partner.sharedAdAccount }, tasks: ['ANALYST'] }], firstAttempt: true })).result, 'done');
    } finally {
      await bed.close();
    }
  });

  test('an invitation refused 40001 because the token lost ADMIN stays permission-denied', async () => {
    const bed = await startTikTokTestBed();
    try {
      const state = bed.emulator.control.state();
      state.members.find((m) => m.user_id === S.tokenUserId)!.user_role = 'STANDARD';
      bed.emulator.control.seed(state);
      const err = await bed.connector().invite!({ email: 'a@example.com', role: 'STANDARD', assets: [{ asset: { type: 'ad_account', id: NOT_SHARED }, tasks: ['ANALYST'] }], firstAttempt: true })
        .then(() => undefined, (e: ConnectorError) => e);
      assert.equal(err?.kind, 'permission-denied', err?.message);
      assert.equal(decideRetry(err, 1, backoff).action, 'pause-hub');
    } finally {
      await bed.close();
    }
  });
});
