import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorError } from '../../sdk/connector-error.ts';
import { startTikTokTestBed, type TikTokTestBed } from '../test-setup.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';

/**
 * 40050, "a duplicate request was sent": the first one may have applied, so the state is read
 * again and the write is not sent again blindly (TikTok "Return codes",
 * https://business-api.tiktok.com/portal/docs?id=1737172488964097). Eve holds OPERATOR on the
 * first ad account in the sandbox fixture.
 */
const EVE = S.standard[0];
const AD = S.adAccounts[0];

const roleOf = (bed: TikTokTestBed) => bed.emulator.control.state().assignments.find((a) => a.bc_id === S.bcId && a.user_id === EVE && a.asset_id === AD)?.role;
const writes = (bed: TikTokTestBed) => bed.emulator.calls.filter((x) => x.method === 'POST').map((x) => `${x.endpoint} ${x.code}`);

describe('tiktok-business: an asset assign answered 40050 (duplicate request)', () => {
  test('the holding is read again: held as asked (the first request applied) is already-done, with no other write', async () => {
    let bed: TikTokTestBed | undefined;
    bed = await startTikTokTestBed({ faults: { codes: [{ match: 'bc/asset/assign', code: 40050, times: 1 }] } });
    try {
      const c = bed.connector({
        // The earlier request of which this one is a duplicate went through meanwhile.
        onCall: (call) => {
          if (call.path.endsWith('/bc/asset/assign/') && roleOf(bed!) === 'OPERATOR') {
            const state = bed!.emulator.control.state();
            state.assignments.find((a) => a.bc_id === S.bcId && a.user_id === EVE && a.asset_id === AD)!.role = 'ANALYST';
            bed!.emulator.control.seed(state);
          }
        },
      });
      bed.emulator.control.clearCalls();
      assert.equal(await c.assignAsset!({ asset: { type: 'ad_account', id: AD }, userId: EVE, tasks: ['ANALYST'] }), 'already-done');
      assert.deepEqual(writes(bed), ['bc/asset/assign 40050'], 'no unassign, no second assign');
      assert.equal(roleOf(bed), 'ANALYST');
    } finally {
      await bed.close();
    }
  });

  test('not held as asked: the 40050 stands (not applied), nothing is unassigned or sent again', async () => {
    const bed = await startTikTokTestBed({ faults: { codes: [{ match: 'bc/asset/assign', code: 40050, times: 1 }] } });
    try {
      const c = bed.connector();
      bed.emulator.control.clearCalls();
      const err = await c.assignAsset!({ asset: { type: 'ad_account', id: AD }, userId: EVE, tasks: ['ANALYST'] }).then(() => undefined, (e: ConnectorError) => e);
      assert.equal(err?.providerCode, '40050');
      assert.equal(err?.notApplied, true);
      assert.deepEqual(writes(bed), ['bc/asset/assign 40050']);
      assert.equal(roleOf(bed), 'OPERATOR', 'the held role is untouched');
    } finally {
      await bed.close();
    }
  });
});
