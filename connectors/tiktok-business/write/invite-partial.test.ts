import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorError } from '../../sdk/connector-error.ts';
import { startTikTokTestBed } from '../test-setup.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';

/**
 * 20001, "partially successful" (TikTok Return codes): part of an invite call may have gone
 * through, and the answer says not which. The batch is neither a whole success nor a whole
 * failure: each address is read back.
 */
describe('invite batches answered 20001 (partial success)', () => {
  test('the addresses listed as invited are done, the others fail with the outcome unknown; nothing is re-sent', async () => {
    const bed = await startTikTokTestBed({ faults: { codes: [{ match: 'bc/member/invite', code: 20001, times: 1 }] } });
    try {
      // The part that went through: p1 invited, p2 a member already (TikTok ignores a member's address).
      const state = bed.emulator.control.state();
      state.members.push({ bc_id: S.bcId, user_email: 'p1@example.com', user_role: 'STANDARD', relation_status: 'PENDING' });
      state.members.push({ bc_id: S.bcId, user_id: '7200000000000000777', user_name: 'P Two', user_email: 'p2@example.com', user_role: 'STANDARD', relation_status: 'BOUND' });
      bed.emulator.control.seed(state);
      const c = bed.connector();
      const emails = ['p1@example.com', 'p2@example.com', 'p3@example.com'];
      const results = await Promise.allSettled(emails.map((email) => c.invite!({ email, role: 'STANDARD', firstAttempt: true })));
      const invites = bed.emulator.calls.filter((x) => x.endpoint === 'bc/member/invite');
      assert.deepEqual(invites.map((x) => [x.code, (x.body as { emails: string[] }).emails.length]), [[20001, 3]], 'one call, not re-sent');
      assert.deepEqual(results[0], { status: 'fulfilled', value: { result: 'done', inviteId: 'p1@example.com', assumedLifetimeMs: 14 * 24 * 3_600_000 } });
      assert.deepEqual(results[1], { status: 'fulfilled', value: { result: 'already-done', inviteId: '', memberId: '7200000000000000777' } });
      assert.equal(results[2].status, 'rejected');
      const err = (results[2] as PromiseRejectedResult).reason as ConnectorError;
      assert.equal(err.kind, 'unavailable');
      assert.equal(err.providerCode, '20001');
      assert.equal(err.notApplied, undefined, 'outcome unknown: the retry reads first');
      assert.match(err.message, /p3@example\.com/);
      assert.doesNotMatch(err.message, /p1@|p2@/);
    } finally {
      await bed.close();
    }
  });

  test('a lone invite answered 20001 that is listed afterwards is done', async () => {
    const bed = await startTikTokTestBed({ faults: { codes: [{ match: 'bc/member/invite', code: 20001, times: 1 }] } });
    try {
      const state = bed.emulator.control.state();
      state.members.push({ bc_id: S.bcId, user_email: 'solo@example.com', user_role: 'ADMIN', relation_status: 'PENDING' });
      bed.emulator.control.seed(state);
      const r = await bed.connector().invite!({ email: 'solo@example.com', role: 'ADMIN', firstAttempt: true });
      assert.equal(r.result, 'done');
    } finally {
      await bed.close();
    }
  });
});
