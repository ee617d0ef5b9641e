import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../sdk/connector-error.ts';
import { allPages } from '../sdk/pages.ts';
import { createTikTokBusiness } from './connector.ts';
import { silentLog, startTikTokTestBed } from './test-setup.ts';
import { TIKTOK_SANDBOX as S } from './emulator/sandbox-ids.ts';

const all = allPages;

describe('tiktok-business connector on the emulator', () => {
  test('members are BOUND rows; invitations are PENDING and REJECTED rows keyed by the lower-cased address', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      const members = await all(c.listMembers!);
      assert.deepEqual(members.map((m) => m.id).sort(), [S.tokenUserId, ...S.admins, ...S.standard].sort());
      assert.equal(members.find((m) => m.id === S.admins[0])!.role, 'ADMIN');
      const invites = await all(c.listInvites!);
      assert.deepEqual(invites.map((i) => [i.id, i.status]), [[S.pendingEmail, 'pending'], [S.rejectedEmail, 'declined']]);
      const calls = bed.emulator.calls.map((x) => `${x.endpoint} ${x.query.filtering}`);
      assert.ok(calls.every((x) => x.startsWith('bc/member/get')));
      assert.equal(calls.length, 3, 'one page of BOUND, one of PENDING, one of REJECTED');
    } finally {
      await bed.close();
    }
  });

  test('a list that changes between pages fails unavailable (listing-changed) so the reader starts again', async () => {
    const bed = await startTikTokTestBed();
    try {
      const state = bed.emulator.control.state();
      for (let i = 0; i < 30; i++) state.members.push({ bc_id: S.bcId, user_id: `72000000000000010${String(i).padStart(2, "0")}`, user_name: `P${i}`, user_email: `p${i}@example.com`, user_role: 'STANDARD', relation_status: 'BOUND' });
      bed.emulator.control.seed(state);
      const c = bed.connector();
      const first = await c.listMembers!();
      assert.equal(first.items.length, 20);
      await c.removeMember!('7200000000000001003');
      // Page 2 was read ahead with page 1, before the removal: consistent, so it is served.
      assert.equal((await c.listMembers!(first.next)).items.length, 15);
      // Read later (here by another instance, with nothing read ahead), page 2 has shifted.
      await assert.rejects(bed.connector().listMembers!(first.next), (e: ConnectorError) => e.kind === 'unavailable' && e.providerCode === 'listing-changed');
      assert.equal((await all(c.listMembers!)).length, 34);
    } finally {
      await bed.close();
    }
  });

  test('invites asked for in one turn with one role leave as one call of up to 50 addresses', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      const emails = Array.from({ length: 60 }, (_, i) => `n${i}@example.com`);
      const results = await Promise.all([
        ...emails.map((email) => c.invite!({ email, role: 'STANDARD', firstAttempt: true })),
        c.invite!({ email: 'boss@example.com', role: 'ADMIN', firstAttempt: true }),
      ]);
      assert.ok(results.every((r) => r.result === 'done'));
      assert.equal(results[0].inviteId, 'n0@example.com');
      const posts = bed.emulator.calls.filter((x) => x.endpoint === 'bc/member/invite').map((x) => x.body as { emails: string[]; user_role: string; asset_ids: string[] });
      assert.deepEqual(posts.map((p) => [p.user_role, p.emails.length]).sort(), [['ADMIN', 1], ['STANDARD', 10], ['STANDARD', 50]]);
      assert.ok(posts.every((p) => Array.isArray(p.asset_ids) && p.asset_ids.length === 0), 'asset_ids always sent');
      const pending = (await all(c.listInvites!)).filter((i) => i.status === 'pending');
      assert.equal(pending.length, 62);
    } finally {
      await bed.close();
    }
  });

  test('group commit: invites that arrive while a call waits for the pacer leave with it', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector({ pace: { qps: 1, qpm: 60 } });
      const first = c.invite!({ email: 'a@example.com', role: 'STANDARD', firstAttempt: true });
      const later: Array<Promise<unknown>> = [];
      for (const e of ['b', 'c', 'd']) {
        await new Promise((r) => setTimeout(r, 20));
        later.push(c.invite!({ email: `${e}@example.com`, role: 'STANDARD', firstAttempt: true }));
      }
      await Promise.all([first, ...later]);
      const posts = bed.emulator.calls.filter((x) => x.endpoint === 'bc/member/invite').map((x) => (x.body as { emails: string[] }).emails);
      assert.deepEqual(posts, [['a@example.com'], ['b@example.com', 'c@example.com', 'd@example.com']]);
    } finally {
      await bed.close();
    }
  });

  test('a retried invite looks first: pending is already-done with its id, bound names the member, declined is invited again', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      assert.deepEqual(await c.invite!({ email: 'NEW.HIRE@sandbox.example', role: 'STANDARD' }), { result: 'already-done', inviteId: S.pendingEmail });
      assert.deepEqual(await c.invite!({ email: 'eve.moneypenny@sandbox.example', role: 'STANDARD' }), { result: 'already-done', inviteId: '', memberId: S.standard[0] });
      // A sent invitation is taken to last 14 days (TikTok publishes no validity: README [INF] #41).
      assert.deepEqual(await c.invite!({ email: S.rejectedEmail, role: 'STANDARD' }), { result: 'done', inviteId: S.rejectedEmail, assumedLifetimeMs: 14 * 86_400_000 });
      assert.equal(bed.emulator.control.state().members.find((m) => m.user_email === S.rejectedEmail)!.relation_status, 'PENDING');
      await assert.rejects(c.invite!({ email: 'x@example.com', role: 'OWNER' }), (e: ConnectorError) => e.kind === 'invalid-argument' && e.field === 'role');
    } finally {
      await bed.close();
    }
  });

  test('a pending invitation changes role by revoke + invite under the same id; a repeat is already-done', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      assert.equal(await c.changeInviteRole!(S.pendingEmail, 'ADMIN'), 'done');
      const rows = bed.emulator.control.state().members.filter((m) => m.user_email === S.pendingEmail);
      assert.deepEqual(rows.map((r) => [r.relation_status, r.user_role]), [['PENDING', 'ADMIN']]);
      assert.equal(await c.changeInviteRole!(S.pendingEmail, 'ADMIN'), 'already-done');
      assert.deepEqual(bed.emulator.calls.filter((x) => x.method === 'POST').map((x) => x.endpoint), ['bc/member/delete', 'bc/member/invite']);
      await assert.rejects(c.changeInviteRole!('eve.moneypenny@sandbox.example', 'ADMIN'), (e: ConnectorError) => e.kind === 'conflict');
    } finally {
      await bed.close();
    }
  });

  test('cancel and reinvite: revoke by address, then invite again; revoking twice is already-done', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      const again = await c.reinvite!({ inviteId: S.pendingEmail, email: S.pendingEmail, role: 'ADMIN' });
      assert.deepEqual(again, { result: 'done', inviteId: S.pendingEmail, assumedLifetimeMs: 14 * 86_400_000 });
      assert.equal(bed.emulator.control.state().members.find((m) => m.user_email === S.pendingEmail)!.user_role, 'ADMIN');
      assert.equal(await c.cancelInvite!(S.pendingEmail), 'done');
      assert.equal(await c.cancelInvite!(S.pendingEmail), 'already-done');
    } finally {
      await bed.close();
    }
  });

  test('revoking an invitation the person accepted meanwhile is a conflict, whatever words the 40002 uses', async () => {
    // TikTok's messages are free text ("branch on code, never on message"): a 40002 that does not
    // start with the field name must still be recognised by re-reading the row.
    const bed = await startTikTokTestBed({ faults: { codes: [{ match: 'bc/member/delete', code: 40002, message: 'This email address belongs to a Business Center member. Remove members by their user ID.', times: 1 }] } });
    try {
      const c = bed.connector();
      bed.emulator.control.acceptInvite(S.bcId, S.pendingEmail);
      await assert.rejects(c.cancelInvite!(S.pendingEmail), (e: ConnectorError) => e.kind === 'conflict' && e.notApplied === true && /accepted/.test(e.message));
    } finally {
      await bed.close();
    }
  });

  test('40100: the invite is not applied, rate-limited with a wait, the app scope blocked, and no call is made meanwhile', async () => {
    const bed = await startTikTokTestBed({ faults: { codes: [{ match: 'bc/member/invite', code: 40100, times: 1 }] } });
    try {
      const c = bed.connector();
      await assert.rejects(c.invite!({ email: 'late@example.com', role: 'STANDARD', firstAttempt: true }), (e: ConnectorError) => {
        assert.equal(e.kind, 'rate-limited');
        assert.equal(e.notApplied, true);
        assert.equal(e.limitScope, 'app');
        assert.ok(e.retryAfterMs! >= 800 && e.retryAfterMs! <= 1200, String(e.retryAfterMs));
        return true;
      });
      assert.ok(c.rateLimits!().blockedUntil.app > Date.now());
      const before = bed.emulator.calls.length;
      await assert.rejects(c.listMembers!(), (e: ConnectorError) => e.kind === 'rate-limited' && e.providerCode === 'local');
      assert.equal(bed.emulator.calls.length, before, 'refused without calling');
      await new Promise((r) => setTimeout(r, c.rateLimits!().blockedUntil.app - Date.now() + 20));
      assert.equal((await c.invite!({ email: 'late@example.com', role: 'STANDARD', firstAttempt: true })).result, 'done');
      assert.equal(bed.emulator.control.state().members.filter((m) => m.user_email === 'late@example.com').length, 1);
    } finally {
      await bed.close();
    }
  });

  test('asset access: assign reads first (a repeat is already-done), replaces a role, unassign; TikTok accounts by role list', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      const eve = S.standard[0];
      const ad = { type: 'ad_account', id: S.adAccounts[0] };
      assert.equal(await c.assignAsset!({ asset: ad, userId: eve, tasks: ['OPERATOR'] }), 'already-done');
      assert.equal(await c.assignAsset!({ asset: ad, userId: eve, tasks: ['ANALYST'] }), 'done');
      const holders = await c.listAssignments!([ad]);
      assert.deepEqual(holders.find((h) => h.userId === eve)?.tasks, ['ANALYST']);
      const tt = { type: 'tiktok_account', id: S.tiktokAccountId };
      assert.equal(await c.assignAsset!({ asset: tt, userId: eve, tasks: ['POST', 'LIVE'] }), 'done');
      const tth = await c.listAssignments!([tt]);
      assert.deepEqual(tth.map((h) => [h.userId, h.tasks]).sort(), [[eve, ['POST', 'LIVE']], [S.standard[2], ['POST']]].sort());
      assert.equal(await c.unassignAsset!({ asset: tt, userId: eve }), 'done');
      assert.equal(await c.unassignAsset!({ asset: tt, userId: eve }), 'already-done');
      const before = bed.emulator.calls.length;
      await assert.rejects(c.assignAsset!({ asset: ad, userId: eve, tasks: ['ADMIN', 'ANALYST'] }), (e: ConnectorError) => e.kind === 'invalid-argument' && e.field === 'tasks');
      await assert.rejects(c.assignAsset!({ asset: { type: 'tiktok_account', id: S.tiktokAccountId }, userId: eve, tasks: ['OPERATOR'] }), (e: ConnectorError) => e.kind === 'invalid-argument');
      assert.equal(bed.emulator.calls.length, before, 'refused before any call');
    } finally {
      await bed.close();
    }
  });

  test('members: role change, the last admin is refused locally (conflict), an unknown member is already-done on removal', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector();
      assert.equal(await c.changeMemberRole!(S.admins[0], 'STANDARD'), 'done');
      // Idempotent: a role already held is already-done (the connector contract), whichever role.
      assert.equal(await c.changeMemberRole!(S.admins[0], 'STANDARD'), 'already-done');
      assert.equal(await c.changeMemberRole!(S.tokenUserId, 'ADMIN'), 'already-done');
      assert.equal(await c.changeMemberRole!(S.standard[1], 'STANDARD'), 'already-done');
      await assert.rejects(c.changeMemberRole!(S.tokenUserId, 'STANDARD'), (e: ConnectorError) => e.kind === 'conflict' && /last admin/.test(e.message));
      await assert.rejects(c.removeMember!(S.tokenUserId), (e: ConnectorError) => e.kind === 'conflict');
      await assert.rejects(c.changeMemberRole!('7200000000000000777', 'ADMIN'), (e: ConnectorError) => e.kind === 'not-found');
      assert.equal(await c.removeMember!('7200000000000000777'), 'already-done');
      assert.equal(await c.removeMember!(S.standard[0]), 'done');
    } finally {
      await bed.close();
    }
  });

  test('the token\'s own user (tokenUserId) is a system user, never removed or demoted; the credential check wants it a BOUND ADMIN', async () => {
    const bed = await startTikTokTestBed();
    try {
      const make = (tokenUserId: string) => createTikTokBusiness({ businessCenterId: S.bcId, accessToken: S.token, tokenUserId, apiBaseUrl: bed.url, pace: { qps: 1000, qpm: 60_000 } }, { log: silentLog });
      const c = make(S.tokenUserId);
      assert.deepEqual((await c.listSystemUsers!()).items.map((u) => [u.id, u.role]), [[S.tokenUserId, 'ADMIN']]);
      const before = bed.emulator.calls.length;
      // Not the last admin (S.admins[0] is one too): refused because it is the token's user.
      await assert.rejects(c.removeMember!(S.tokenUserId), (e: ConnectorError) => e.kind === 'conflict' && /tokenUserId/.test(e.message));
      await assert.rejects(c.changeMemberRole!(S.tokenUserId, 'STANDARD'), (e: ConnectorError) => e.kind === 'conflict' && /tokenUserId/.test(e.message));
      assert.equal(bed.emulator.calls.length, before, 'refused before any call');
      assert.equal((await c.checkCredential!()).valid, true);
      const wrong = await make(S.standard[0]).checkCredential!();
      assert.equal(wrong.valid, false);
      assert.match(wrong.problem ?? '', /tokenUserId 7200000000000000103 is not a BOUND ADMIN/);
    } finally {
      await bed.close();
    }
  });

  test('assets, partners and the credential check', async () => {
    const bed = await startTikTokTestBed();
    try {
      const c = bed.connector({ partners: [S.partner.bcId, '7000000000000000777'] });
      const ads = await all((cur) => c.listAssets!('ad_account', cur));
      assert.deepEqual(ads.map((a) => [a.id, a.ownership]), [[S.adAccounts[0], 'owned'], [S.adAccounts[1], 'owned'], [S.partner.sharedAdAccount, 'client']]);
      const partners = await all(c.listPartners!);
      assert.deepEqual(partners.map((p) => [p.businessId, p.relation, p.assets.map((a) => `${a.id}:${a.permittedTasks.join()}`)]), [
        // TikTok's partner asset rows are plain asset objects: no share role is promised, none is made up.
        [S.partner.bcId, 'agency', [`${S.adAccounts[0]}:`]],
        [S.partner.bcId, 'client', [`${S.partner.sharedAdAccount}:`]],
      ]);
      assert.equal((await c.checkCredential!()).valid, true);
      const bad = bed.connector({ token: 'revoked-token' });
      const health = await bad.checkCredential!();
      assert.equal(health.valid, false);
      assert.ok(!health.problem!.includes('revoked-token'));
      await assert.rejects(bad.listMembers!(), (e: ConnectorError) => e.kind === 'unauthenticated' && !e.message.includes('revoked-token'));
    } finally {
      await bed.close();
    }
  });
});
