import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorError } from '../../sdk/connector-error.ts';
import { startTikTokTestBed, type TikTokTestBed } from '../test-setup.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';
import { MAX_ADMINS } from '../emulator/routes/members.ts';

/** The invite calls the emulator answered: [code, emails]. */
function inviteCalls(bed: TikTokTestBed): Array<[number | undefined, string[]]> {
  return bed.emulator.calls.filter((x) => x.endpoint === 'bc/member/invite').map((x) => [x.code, (x.body as { emails: string[] }).emails]);
}

function pendingOf(bed: TikTokTestBed, email: string): number {
  return bed.emulator.control.state().members.filter((m) => m.user_email === email && m.relation_status === 'PENDING').length;
}

describe('invite batches refused with 40002', () => {
  test('one address TikTok refuses fails alone: the others are sent again one by one and invited once', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      // Passes the local check, but not TikTok's `format: email` (no underscore in a domain).
      const emails = ['ok1@example.com', 'ok2@example.com', 'bad@ex_ample.com', 'ok3@example.com'];
      const results = await Promise.allSettled(emails.map((email) => c.invite!({ email, role: 'STANDARD', firstAttempt: true })));
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      const err = (results[2] as PromiseRejectedResult).reason as ConnectorError;
      assert.equal(err.kind, 'invalid-argument');
      assert.equal(err.notApplied, true);
      assert.match(err.message, /bad@ex_ample\.com/);
      assert.doesNotMatch(err.message, /ok\d@example\.com/);
      const calls = inviteCalls(bed);
      assert.deepEqual(calls[0], [40002, emails], 'first the batch, refused as a whole');
      assert.deepEqual(calls.slice(1).sort(), [[0, ['ok1@example.com']], [0, ['ok2@example.com']], [0, ['ok3@example.com']], [40002, ['bad@ex_ample.com']]].sort());
      for (const e of ['ok1@example.com', 'ok2@example.com', 'ok3@example.com']) assert.equal(pendingOf(bed, e), 1, e);
    } finally {
      await bed.close();
    }
  });

  test('a batch past the 20-admin limit invites the addresses that fit and refuses the rest', async () => {
    const bed = await startTikTokTestBed();
    try {
      const state = bed.emulator.control.state();
      const admins = () => bed.emulator.control.state().members.filter((m) => m.bc_id === S.bcId && m.user_role === 'ADMIN' && (m.relation_status === 'BOUND' || m.relation_status === 'PENDING')).length;
      for (let i = 0; admins() + i < MAX_ADMINS - 1; i++) state.members.push({ bc_id: S.bcId, user_email: `held${i}@example.com`, user_role: 'ADMIN', relation_status: 'PENDING' });
      bed.emulator.control.seed(state);
      assert.equal(admins(), MAX_ADMINS - 1, 'one Admin place left');
      const c = bed.connector();
      const emails = ['boss1@example.com', 'boss2@example.com', 'boss3@example.com'];
      const results = await Promise.allSettled(emails.map((email) => c.invite!({ email, role: 'ADMIN', firstAttempt: true })));
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected']);
      for (const [i, r] of results.entries()) {
        if (r.status === 'rejected') assert.match((r.reason as ConnectorError).message, new RegExp(`invite ${emails[i]} .*invalid-argument`));
      }
      assert.equal(admins(), MAX_ADMINS);
      assert.equal(pendingOf(bed, 'boss1@example.com'), 1);
      assert.deepEqual(inviteCalls(bed).map(([code, list]) => [code, list.length]), [[40002, 3], [0, 1], [40002, 1], [40002, 1]]);
    } finally {
      await bed.close();
    }
  });

  test('one address asked for twice is sent once alone; callers share its answer', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      const results = await Promise.allSettled(['twice@example.com', 'bad@ex_ample.com', 'TWICE@example.com'].map((email) => c.invite!({ email, role: 'STANDARD', firstAttempt: true })));
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      const singles = inviteCalls(bed).slice(1).map(([, list]) => list[0]!.toLowerCase());
      assert.deepEqual(singles.sort(), ['bad@ex_ample.com', 'twice@example.com']);
    } finally {
      await bed.close();
    }
  });

  test('a batch answered 40011 (too many ids; TikTok: split the request) is sent again one address per call', async () => {
    const bed = await startTikTokTestBed({ faults: { codes: [{ match: 'bc/member/invite', code: 40011, times: 1 }] } });
    try {
      const c = bed.connector();
      const emails = ['s1@example.com', 's2@example.com', 's3@example.com'];
      const results = await Promise.allSettled(emails.map((email) => c.invite!({ email, role: 'STANDARD', firstAttempt: true })));
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled']);
      assert.deepEqual(inviteCalls(bed).map(([code, list]) => [code, list.length]), [[40011, 3], [0, 1], [0, 1], [0, 1]]);
      for (const e of emails) assert.equal(pendingOf(bed, e), 1, e);
    } finally {
      await bed.close();
    }
  });

  test('a batch answered 40050 (duplicate request; TikTok: the first may have applied, re-read, do not resend blindly) is not re-sent: each address is read back', async () => {
    const bed = await startTikTokTestBed({ faults: { codes: [{ match: 'bc/member/invite', code: 40050, times: 1 }] } });
    try {
      // The first request went through for w1 and w2 (they are PENDING); w3 is not listed.
      const state = bed.emulator.control.state();
      for (const e of ['w1@example.com', 'w2@example.com']) state.members.push({ bc_id: S.bcId, user_email: e, user_role: 'STANDARD', relation_status: 'PENDING' });
      bed.emulator.control.seed(state);
      const c = bed.connector();
      const emails = ['w1@example.com', 'w2@example.com', 'w3@example.com'];
      const results = await Promise.allSettled(emails.map((email) => c.invite!({ email, role: 'STANDARD', firstAttempt: true })));
      assert.deepEqual(inviteCalls(bed).map(([code, list]) => [code, list.length]), [[40050, 3]], 'no address is sent again');
      assert.deepEqual(results.slice(0, 2).map((r) => r.status === 'fulfilled' && r.value.result), ['already-done', 'already-done']);
      const err = (results[2] as PromiseRejectedResult).reason as ConnectorError;
      assert.equal(err.providerCode, '40050');
      assert.match(err.message, /w3@example\.com/);
      assert.equal(pendingOf(bed, 'w3@example.com'), 0);
    } finally {
      await bed.close();
    }
  });

  test('a throttle is never re-sent: not the batch, nor an address sent alone (the app pauses)', async () => {
    const bed = await startTikTokTestBed({ faults: { codes: [{ match: 'bc/member/invite', code: 40002, times: 1 }, { match: 'bc/member/invite', code: 40100, times: 1 }] } });
    try {
      const c = bed.connector();
      const emails = ['t1@example.com', 't2@example.com', 't3@example.com'];
      const results = await Promise.allSettled(emails.map((email) => c.invite!({ email, role: 'STANDARD', firstAttempt: true })));
      assert.ok(results.every((r) => r.status === 'rejected' && (r.reason as ConnectorError).kind === 'rate-limited' && (r.reason as ConnectorError).notApplied));
      assert.deepEqual(inviteCalls(bed).map(([code, list]) => [code, list.length]), [[40002, 3], [40100, 1]], 'the others refused locally while the app is paused');
    } finally {
      await bed.close();
    }
  });

  test('a throttled batch is not split or re-sent', async () => {
    const bed = await startTikTokTestBed({ faults: { codes: [{ match: 'bc/member/invite', code: 40100, times: 1 }] } });
    try {
      const c = bed.connector();
      const results = await Promise.allSettled(['u1@example.com', 'u2@example.com'].map((email) => c.invite!({ email, role: 'STANDARD', firstAttempt: true })));
      assert.ok(results.every((r) => r.status === 'rejected' && (r.reason as ConnectorError).kind === 'rate-limited'));
      assert.deepEqual(inviteCalls(bed).map(([code, list]) => [code, list.length]), [[40100, 2]]);
    } finally {
      await bed.close();
    }
  });
});
