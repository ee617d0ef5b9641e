import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTikTokTestBed, type TikTokTestBed } from '../test-setup.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';
import { emailKey } from '../../sdk/email-key.ts';

/**
 * An address in two Unicode normalization forms is one person (emailKey): "josé" precomposed
 * (U+00E9) in one source, decomposed ("e" + U+0301) in another. TikTok's `filtering.keyword` is
 * taken to match the string as sent, and its duplicate check to compare case only [INF #58], so a
 * look-up in the other form missed the invitation and a second one was sent.
 */
const NFC = 'jos\u00e9@sandbox.example';
const NFD = 'jose\u0301@sandbox.example';

/** Lists `email` as an invitation of `status` (a copy of the fixture's pending row). */
function seedInvitation(bed: TikTokTestBed, email: string, status: 'PENDING' | 'REJECTED'): void {
  const state = bed.emulator.control.state();
  const pending = state.members.find((m) => m.bc_id === S.bcId && m.user_email === S.pendingEmail)!;
  state.members.push({ ...structuredClone(pending), user_email: email, relation_status: status });
  bed.emulator.control.seed(state);
}

/** The rows of either form of josé's address: [user_email, relation_status, user_role]. */
function rowsOfJose(bed: TikTokTestBed): Array<[string, string, string]> {
  return bed.emulator.control.state().members.filter((m) => m.bc_id === S.bcId && emailKey(m.user_email) === emailKey(NFC))
    .map((m) => [m.user_email, m.relation_status, m.user_role]);
}

const inviteCalls = (bed: TikTokTestBed) => bed.emulator.calls.filter((x) => x.endpoint === 'bc/member/invite').map((x) => (x.body as { emails: string[] }).emails);

describe('tiktok-business: an address in another Unicode normalization form is the same invitation', () => {
  test('a retried invite of a decomposed address finds the invitation TikTok lists precomposed: no second invite', async () => {
    const bed = await startTikTokTestBed();
    try {
      seedInvitation(bed, NFC, 'PENDING');
      const c = bed.connector();
      assert.deepEqual(await c.invite!({ email: NFD, role: 'STANDARD' }), { result: 'already-done', inviteId: emailKey(NFC) });
      assert.deepEqual(inviteCalls(bed), []);
      assert.deepEqual(rowsOfJose(bed), [[NFC, 'PENDING', 'STANDARD']]);
      // The listing keys the invitation as the agent keys the person's address.
      const ids = [];
      for (let cursor: string | undefined, first = true; first || cursor; first = false) {
        const page = await c.listInvites!(cursor);
        ids.push(...page.items.map((i) => i.id));
        cursor = page.next;
      }
      assert.ok(ids.includes(emailKey(NFD)), ids.join(', '));
    } finally {
      await bed.close();
    }
  });

  test('a declined invitation listed decomposed is revoked before a retried invite of the precomposed address', async () => {
    const bed = await startTikTokTestBed();
    try {
      seedInvitation(bed, NFD, 'REJECTED');
      const c = bed.connector();
      assert.equal((await c.invite!({ email: NFC, role: 'STANDARD' })).result, 'done');
      assert.deepEqual(rowsOfJose(bed), [[NFC, 'PENDING', 'STANDARD']]);
    } finally {
      await bed.close();
    }
  });

  test('a pending invitation listed decomposed has its role changed by its id, not invited a second time', async () => {
    const bed = await startTikTokTestBed();
    try {
      seedInvitation(bed, NFD, 'PENDING');
      const c = bed.connector();
      assert.equal(await c.changeInviteRole!(emailKey(NFC), 'ADMIN'), 'done');
      assert.deepEqual(rowsOfJose(bed), [[NFD, 'PENDING', 'ADMIN']]);
    } finally {
      await bed.close();
    }
  });

  test('a revoke by the id finds the invitation listed decomposed and revokes it: never already-done with it still pending', async () => {
    const bed = await startTikTokTestBed();
    try {
      seedInvitation(bed, NFD, 'PENDING');
      const c = bed.connector();
      assert.equal(await c.cancelInvite!(emailKey(NFC)), 'done');
      assert.deepEqual(rowsOfJose(bed), []);
    } finally {
      await bed.close();
    }
  });

  test('two invites of one address in two forms in one batch send it once', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      const results = await Promise.all([NFC, NFD].map((email) => c.invite!({ email, role: 'STANDARD', firstAttempt: true })));
      assert.deepEqual(results.map((r) => r.inviteId), [emailKey(NFC), emailKey(NFC)]);
      assert.deepEqual(inviteCalls(bed), [[NFC]]);
      assert.deepEqual(rowsOfJose(bed), [[NFC, 'PENDING', 'STANDARD']]);
    } finally {
      await bed.close();
    }
  });
});
