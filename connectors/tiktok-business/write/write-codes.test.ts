import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorError } from '../../sdk/connector-error.ts';
import { startTikTokTestBed, type TikTokTestBed } from '../test-setup.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';

/**
 * Writes answered with documented codes that are not "already gone" (TikTok "Return codes",
 * https://business-api.tiktok.com/portal/docs?id=1737172488964097): only 40007 on a delete or an
 * unassign means the object is gone; 40300/40301 name a wrong ad account id (config), and 40050
 * (a duplicate request) means "the first one may have applied: re-read the state, do not resend
 * blindly". Eve holds OPERATOR on the first ad account in the sandbox fixture.
 */
const EVE = S.standard[0];
const AD = S.adAccounts[0];

const held = (bed: TikTokTestBed) => bed.emulator.control.state().assignments.some((a) => a.bc_id === S.bcId && a.user_id === EVE && a.asset_id === AD);
const isMember = (bed: TikTokTestBed, id: string) => bed.emulator.control.state().members.some((m) => m.bc_id === S.bcId && m.user_id === id);
const pendingRow = (bed: TikTokTestBed) => bed.emulator.control.state().members.find((m) => m.bc_id === S.bcId && m.user_email === S.pendingEmail);
const writes = (bed: TikTokTestBed) => bed.emulator.calls.filter((x) => x.method === 'POST').map((x) => `${x.endpoint} ${x.code}`);
const failure = (p: Promise<unknown>) => p.then((v) => { throw new Error(`expected a failure, got ${String(v)}`); }, (e: ConnectorError) => e);

describe('tiktok-business: 40300/40301 (the ad account does not exist) are not "already gone"', () => {
  for (const code of [40300, 40301]) {
    test(`an unassign answered ${code} fails not-found with TikTok's code; the audit never says the access was taken`, async () => {
      const bed = await startTikTokTestBed({ faults: { codes: [{ match: 'bc/asset/unassign', code, times: 1 }] } });
      try {
        const c = bed.connector();
        const err = await failure(c.unassignAsset!({ asset: { type: 'ad_account', id: AD }, userId: EVE }));
        assert.deepEqual([err.kind, err.providerCode, err.notApplied], ['not-found', String(code), true]);
        assert.ok(held(bed), 'Eve still holds the ad account');
      } finally {
        await bed.close();
      }
    });
  }

  test('a removal answered 40300 fails with it, not already-done: the member is still there', async () => {
    const bed = await startTikTokTestBed({ faults: { codes: [{ match: 'bc/member/delete', code: 40300, times: 1 }] } });
    try {
      const c = bed.connector();
      const err = await failure(c.removeMember!(EVE));
      assert.deepEqual([err.kind, err.providerCode], ['not-found', '40300']);
      assert.ok(isMember(bed, EVE));
      // 40007 stays "already gone" (TikTok: on a delete it means already gone).
      assert.equal(await c.removeMember!(EVE), 'done');
      assert.equal(await c.removeMember!(EVE), 'already-done');
    } finally {
      await bed.close();
    }
  });

  for (const code of [40300, 40301]) {
    test(`a revoke answered ${code} fails with it, not already-done: the invitation is still pending`, async () => {
      const bed = await startTikTokTestBed({ faults: { codes: [{ match: 'bc/member/delete', code, times: 1 }] } });
      try {
        const c = bed.connector();
        const err = await failure(c.cancelInvite!(S.pendingEmail));
        assert.deepEqual([err.kind, err.providerCode, err.notApplied], ['not-found', String(code), true]);
        assert.equal(pendingRow(bed)?.relation_status, 'PENDING', 'the invitation is still listed');
        // 40007 stays "already gone" once the invitation is revoked.
        assert.equal(await c.cancelInvite!(S.pendingEmail), 'done');
        assert.equal(await c.cancelInvite!(S.pendingEmail), 'already-done');
      } finally {
        await bed.close();
      }
    });
  }
});

describe('tiktok-business: revoking an invitation answered 40050 (duplicate request) re-reads, never resends', () => {
  test('the invitation no longer listed (the first request applied): already-done, one delete sent', async () => {
    let bed: TikTokTestBed | undefined;
    bed = await startTikTokTestBed({ faults: { codes: [{ match: 'bc/member/delete', code: 40050, times: 1 }] } });
    try {
      const c = bed.connector({
        // The earlier request of which this one is a duplicate went through meanwhile.
        onCall: (call) => {
          if (call.path.endsWith('/bc/member/delete/') && pendingRow(bed!)) {
            const state = bed!.emulator.control.state();
            state.members = state.members.filter((m) => !(m.bc_id === S.bcId && m.user_email === S.pendingEmail));
            bed!.emulator.control.seed(state);
          }
        },
      });
      bed.emulator.control.clearCalls();
      assert.equal(await c.cancelInvite!(S.pendingEmail), 'already-done');
      assert.deepEqual(writes(bed), ['bc/member/delete 40050'], 'no second delete');
    } finally {
      await bed.close();
    }
  });

  test('still listed: the 40050 stands (conflict, not applied) and no second delete is sent', async () => {
    const bed = await startTikTokTestBed({ faults: { codes: [{ match: 'bc/member/delete', code: 40050, times: 1 }] } });
    try {
      const c = bed.connector();
      bed.emulator.control.clearCalls();
      const err = await failure(c.cancelInvite!(S.pendingEmail));
      assert.deepEqual([err.kind, err.providerCode, err.notApplied], ['conflict', '40050', true]);
      assert.deepEqual(writes(bed), ['bc/member/delete 40050']);
      assert.ok(pendingRow(bed), 'the invitation is still listed');
    } finally {
      await bed.close();
    }
  });

  test('accepted meanwhile: conflict (remove the member instead), not already-done', async () => {
    let bed: TikTokTestBed | undefined;
    bed = await startTikTokTestBed({ faults: { codes: [{ match: 'bc/member/delete', code: 40050, times: 1 }] } });
    try {
      const c = bed.connector({
        onCall: (call) => { if (call.path.endsWith('/bc/member/delete/') && pendingRow(bed!)?.relation_status === 'PENDING') bed!.emulator.control.acceptInvite(S.bcId, S.pendingEmail); },
      });
      const err = await failure(c.cancelInvite!(S.pendingEmail));
      assert.equal(err.kind, 'conflict');
      assert.match(err.message, /has accepted and is a member/);
    } finally {
      await bed.close();
    }
  });
});
