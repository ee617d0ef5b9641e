import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorError } from '../sdk/connector-error.ts';
import { allPages } from '../sdk/pages.ts';
import { startTikTokTestBed } from './test-setup.ts';
import { TIKTOK_SANDBOX as S } from './emulator/sandbox-ids.ts';
import type { AlternativeReadings, FaultConfig } from './emulator/index.ts';

/**
 * The connector against another emulator's reading of what TikTok leaves open (README, [INF]
 * "Alternative readings"; emulator/readings.ts). Each reading is one a separately written emulator
 * of TikTok's same public documentation could take; hubwarden must stay correct under it: no second invitation,
 * no lost or wrong removal, no task stuck on a refusal that only means "already so".
 */
const EVE = S.standard[0];
const FRANK = S.standard[1];
const EVE_EMAIL = 'eve.moneypenny@sandbox.example';
const FRANK_EMAIL = 'frank.ledger@sandbox.example';
const AD = S.adAccounts[0];

async function bedWith(readings: AlternativeReadings, faults?: FaultConfig) {
  return startTikTokTestBed({ readings, ...(faults ? { faults } : {}) });
}

function rowsOf(bed: Awaited<ReturnType<typeof bedWith>>, email: string) {
  return bed.emulator.control.state().members.filter((m) => m.bc_id === S.bcId && m.user_email.toLowerCase() === email.toLowerCase());
}

describe('tiktok-business under other readings of what TikTok leaves open', () => {
  test('#12 an invite of an address already PENDING or BOUND refused (40002) rather than ignored: already-done, the others invited, no second row', async () => {
    const bed = await bedWith({ refuseExistingInvite: true });
    try {
      const c = bed.connector();
      const [fresh, pending, bound] = await Promise.all([
        c.invite!({ email: 'fresh@example.com', role: 'STANDARD', firstAttempt: true }),
        c.invite!({ email: S.pendingEmail, role: 'STANDARD', firstAttempt: true }),
        c.invite!({ email: EVE_EMAIL, role: 'STANDARD', firstAttempt: true }),
      ]);
      assert.equal(fresh.result, 'done');
      assert.deepEqual(pending, { result: 'already-done', inviteId: S.pendingEmail });
      assert.deepEqual(bound, { result: 'already-done', inviteId: '', memberId: EVE });
      assert.deepEqual(rowsOf(bed, 'fresh@example.com').map((r) => r.relation_status), ['PENDING']);
      assert.deepEqual(rowsOf(bed, S.pendingEmail).map((r) => r.relation_status), ['PENDING']);
      assert.deepEqual(rowsOf(bed, EVE_EMAIL).map((r) => r.relation_status), ['BOUND']);
    } finally {
      await bed.close();
    }
  });

  test('#12 a retried invite of a declined address that TikTok would ignore: the declined row is revoked first, so a new invitation is made', async () => {
    const bed = await bedWith({ ignoreRejectedInvite: true });
    try {
      const c = bed.connector();
      const r = await c.invite!({ email: S.rejectedEmail, role: 'STANDARD' });
      assert.equal(r.result, 'done');
      assert.deepEqual(rowsOf(bed, S.rejectedEmail).map((x) => x.relation_status), ['PENDING']);
      const invites = await allPages(c.listInvites!);
      assert.deepEqual(invites.find((i) => i.id === S.rejectedEmail)?.status, 'pending');
    } finally {
      await bed.close();
    }
  });

  test('#47 keyword matching names only (not addresses or asset ids): a retried invite still finds the pending, member and declined rows; an assign above a partner\'s share is still told apart', async () => {
    const bed = await bedWith({ keywordNamesOnly: true, ignoreRejectedInvite: true, refuseExistingInvite: true });
    try {
      const c = bed.connector();
      // Retries (no firstAttempt): each looks the address up first.
      assert.deepEqual(await c.invite!({ email: S.pendingEmail, role: 'STANDARD' }), { result: 'already-done', inviteId: S.pendingEmail });
      assert.deepEqual(await c.invite!({ email: EVE_EMAIL, role: 'STANDARD' }), { result: 'already-done', inviteId: '', memberId: EVE });
      // A declined row TikTok would ignore an invite for must be revoked first.
      assert.equal((await c.invite!({ email: S.rejectedEmail, role: 'STANDARD' })).result, 'done');
      assert.deepEqual(rowsOf(bed, S.rejectedEmail).map((x) => x.relation_status), ['PENDING']);
      // ADMIN on an ad account its owner shared with ANALYST: the 40001 is the share's, not the token's.
      const err = await c.assignAsset!({ asset: { type: 'ad_account', id: S.partner.sharedAdAccount }, userId: EVE, tasks: ['ADMIN'] }).then(() => undefined, (e: ConnectorError) => e);
      assert.equal(err?.kind, 'invalid-argument', err?.message);
    } finally {
      await bed.close();
    }
  });

  test('#8 a member read without a relation_status filter that lists members only: a pending invitation\'s role still changes, and a refused repeat invite is still already-done', async () => {
    const bed = await bedWith({ unfilteredListsBoundOnly: true, refuseExistingInvite: true });
    try {
      const c = bed.connector();
      assert.equal(await c.changeInviteRole!(S.pendingEmail, 'ADMIN'), 'done');
      assert.deepEqual(rowsOf(bed, S.pendingEmail).map((r) => [r.relation_status, r.user_role]), [['PENDING', 'ADMIN']]);
      assert.equal(await c.changeInviteRole!(S.pendingEmail, 'ADMIN'), 'already-done');
      assert.deepEqual(await c.invite!({ email: S.pendingEmail, role: 'ADMIN', firstAttempt: true }), { result: 'already-done', inviteId: S.pendingEmail });
    } finally {
      await bed.close();
    }
  });

  test('#13 STANDARD invitations without ad accounts refused (40002 asset_ids): one call, each invite fails naming the team\'s missing ad account; invites with one go', async () => {
    const bed = await bedWith({ refuseInviteWithoutAssets: true });
    try {
      const c = bed.connector();
      const emails = ['a1@example.com', 'a2@example.com', 'a3@example.com'];
      const results = await Promise.allSettled(emails.map((email) => c.invite!({ email, role: 'STANDARD', firstAttempt: true })));
      for (const [i, r] of results.entries()) {
        assert.equal(r.status, 'rejected');
        const e = (r as PromiseRejectedResult).reason as ConnectorError;
        assert.equal(e.kind, 'invalid-argument');
        assert.equal(e.field, 'asset_ids');
        assert.ok(e.message.startsWith(`tiktok-business: invite ${emails[i]}`), e.message);
        assert.match(e.message, /without an ad account; give the person's team an ad account/);
      }
      const invites = bed.emulator.calls.filter((x) => x.endpoint === 'bc/member/invite');
      assert.equal(invites.length, 1, 'the refusal names asset_ids, which every address of the call shares: not sent again one by one');
      assert.equal(bed.emulator.calls.length, 1, 'nor looked up address by address');
      const withAccount = await c.invite!({ email: 'a4@example.com', role: 'STANDARD', firstAttempt: true, assets: [{ asset: { type: 'ad_account', id: AD }, tasks: ['ANALYST'] }] });
      assert.equal(withAccount.result, 'done');
    } finally {
      await bed.close();
    }
  });

  test('#60 invites refused with a 40002 whose free-text message names no field: sent again one address per call, each fails invalid-argument with TikTok\'s message, nothing invited', async () => {
    const said = 'Please select at least one ad account for a Standard member.';
    const bed = await bedWith({}, { codes: [{ match: '^bc/member/invite$', code: 40002, message: said }] });
    try {
      const c = bed.connector();
      const emails = ['n1@example.com', 'n2@example.com'];
      const results = await Promise.allSettled(emails.map((email) => c.invite!({ email, role: 'STANDARD', firstAttempt: true })));
      for (const [i, r] of results.entries()) {
        assert.equal(r.status, 'rejected');
        const e = (r as PromiseRejectedResult).reason as ConnectorError;
        assert.deepEqual([e.kind, e.providerCode, e.notApplied, e.field], ['invalid-argument', '40002', true, undefined]);
        assert.ok(e.message.startsWith(`tiktok-business: invite ${emails[i]}`), e.message);
        assert.ok(e.message.includes(said), e.message);
      }
      const invites = bed.emulator.calls.filter((x) => x.endpoint === 'bc/member/invite').map((x) => (x.body as { emails: string[] }).emails.length);
      assert.deepEqual(invites, [2, 1, 1], 'the call of two, then each address alone');
      for (const email of emails) assert.equal(rowsOf(bed, email).length, 0, email);
    } finally {
      await bed.close();
    }
  });

  test('#18 delete or update of someone not there answered 40002 rather than 40007: a removal or revoke is already-done, a role change not-found', async () => {
    const bed = await bedWith({ deleteUnknownCode: 40002, updateUnknownCode: 40002 });
    try {
      const c = bed.connector();
      assert.equal(await c.removeMember!(FRANK), 'done');
      assert.equal(await c.removeMember!(FRANK), 'already-done');
      assert.equal(await c.cancelInvite!(S.pendingEmail), 'done');
      assert.equal(await c.cancelInvite!(S.pendingEmail), 'already-done');
      await assert.rejects(c.changeMemberRole!(FRANK, 'ADMIN'), (e: ConnectorError) => e.kind === 'not-found' && e.notApplied === true && e.message.includes(FRANK));
      // A 40002 with the person still a member is not mistaken for "gone".
      bed.emulator.control.setFaults({ codes: [{ match: 'bc/member/delete', code: 40002, times: 1 }] });
      await assert.rejects(c.removeMember!(EVE), (e: ConnectorError) => e.kind === 'invalid-argument');
      assert.ok(bed.emulator.control.state().members.some((m) => m.user_id === EVE && m.relation_status === 'BOUND'));
    } finally {
      await bed.close();
    }
  });

  test('#17 an update that changes nothing refused (40002) rather than answered 0: a role already held is already-done, a real change is done', async () => {
    const bed = await bedWith({ refuseUnchangedUpdate: true });
    try {
      const c = bed.connector();
      assert.equal(await c.changeMemberRole!(EVE, 'STANDARD'), 'already-done');
      assert.equal(await c.changeMemberRole!(EVE, 'ADMIN'), 'done');
      assert.equal(await c.changeMemberRole!(EVE, 'STANDARD'), 'done');
      assert.ok(bed.emulator.control.state().members.some((m) => m.user_id === EVE && m.user_role === 'STANDARD'));
    } finally {
      await bed.close();
    }
  });

  test('#18 #21 #23 someone not there answered 40001 ("no permission") rather than 40007: already-done or not-found while the token is an ADMIN; the hub pauses only when it is not', async () => {
    const bed = await bedWith({ deleteUnknownCode: 40001, updateUnknownCode: 40001, unknownUserAssetCode: 40001, assetGetUnknownUserEmpty: true });
    try {
      const c = bed.connector();
      assert.equal(await c.removeMember!(EVE), 'done');
      assert.equal(await c.removeMember!(EVE), 'already-done');
      assert.equal(await c.cancelInvite!(S.pendingEmail), 'done');
      assert.equal(await c.cancelInvite!(S.pendingEmail), 'already-done');
      await assert.rejects(c.changeMemberRole!(EVE, 'ADMIN'), (e: ConnectorError) => e.kind === 'not-found' && e.message.includes(EVE));
      await assert.rejects(c.assignAsset!({ asset: { type: 'ad_account', id: AD }, userId: EVE, tasks: ['ANALYST'] }), (e: ConnectorError) => e.kind === 'not-found' && e.message.includes(EVE));
      // Eve's access went with her; the unassign finds nothing held (this reading lists nothing for a non-member).
      assert.equal(await c.unassignAsset!({ asset: { type: 'ad_account', id: AD }, userId: EVE }), 'already-done');
      // The same 40001 with the token's user no longer an ADMIN is the token's: permission-denied, the hub stops writing.
      const state = bed.emulator.control.state();
      for (const m of state.members) if (m.user_id === S.tokenUserId && m.bc_id === S.bcId) m.user_role = 'STANDARD';
      bed.emulator.control.seed(state);
      await assert.rejects(c.removeMember!(FRANK), (e: ConnectorError) => e.kind === 'permission-denied');
      await assert.rejects(c.cancelInvite!('nobody@example.com'), (e: ConnectorError) => e.kind === 'permission-denied');
    } finally {
      await bed.close();
    }
  });

  test('open question 5: removing or demoting the token\'s own user refused with 40001 (no tokenUserId set): that change fails as a conflict, the hub is not paused', async () => {
    const bed = await bedWith({ protectTokenUser: true });
    try {
      const c = bed.connector();
      for (const change of [() => c.removeMember!(S.tokenUserId), () => c.changeMemberRole!(S.tokenUserId, 'STANDARD')]) {
        await assert.rejects(change(), (e: ConnectorError) => e.kind === 'conflict' && e.notApplied === true && /tiktok\.tokenUserId/.test(e.message));
      }
      assert.equal(await c.removeMember!(FRANK), 'done', 'the next write goes ahead');
    } finally {
      await bed.close();
    }
  });

  test('#21 an assign for a member who left meanwhile answered 40001: not-found naming the member, not a paused hub', async () => {
    const bed = await bedWith({ unknownUserAssetCode: 40001 });
    try {
      let reads = 0;
      const emulator = bed.emulator;
      // Between the connector's read of Eve's holdings and its assign, Eve is removed by hand.
      const c = bed.connector({
        onCall: (call) => {
          if (!call.path.includes('bc/asset/get') || reads > 0) return;
          // The holdings read (filtered by user_id), not the connector's one-off keyword check.
          if (!emulator.calls.some((x) => x.endpoint === 'bc/asset/get' && String(x.query.filtering ?? '').includes('user_id'))) return;
          reads++;
          const now = emulator.control.state();
          now.members = now.members.filter((m) => m.user_id !== EVE);
          now.assignments = now.assignments.filter((a) => a.user_id !== EVE);
          emulator.control.seed(now);
        },
      });
      await assert.rejects(c.assignAsset!({ asset: { type: 'ad_account', id: AD }, userId: EVE, tasks: ['ADMIN'] }), (e: ConnectorError) => e.kind === 'not-found' && e.message.includes(EVE));
    } finally {
      await bed.close();
    }
  });

  test('#18 delete of someone not there answered with code 0: the removal is done, nothing else changes', async () => {
    const bed = await bedWith({ deleteUnknownCode: 0 });
    try {
      const c = bed.connector();
      assert.equal(await c.removeMember!('7200000000000000777'), 'done');
      assert.equal(await c.cancelInvite!('nobody@example.com'), 'done');
      assert.equal((await allPages(c.listMembers!)).length, 5);
    } finally {
      await bed.close();
    }
  });

  test('#20 an assign over a held role refused (40002) rather than replacing it: the held role is taken away and the new one given', async () => {
    const bed = await bedWith({ refuseAssignHeld: true });
    try {
      const c = bed.connector();
      assert.equal(await c.assignAsset!({ asset: { type: 'ad_account', id: AD }, userId: EVE, tasks: ['ADMIN'] }), 'done');
      const held = bed.emulator.control.state().assignments.filter((a) => a.asset_id === AD && a.user_id === EVE);
      assert.deepEqual(held.map((a) => a.role), ['ADMIN']);
      assert.equal(await c.assignAsset!({ asset: { type: 'ad_account', id: AD }, userId: EVE, tasks: ['ADMIN'] }), 'already-done');
    } finally {
      await bed.close();
    }
  });

  test('#20 when the new role is refused after the held one was taken away, the held one is given back and the error reported', async () => {
    const bed = await bedWith({ refuseAssignHeld: true }, { codes: [{ match: 'bc/asset/assign', code: 40002, times: 2 }] });
    try {
      const c = bed.connector();
      await assert.rejects(c.assignAsset!({ asset: { type: 'ad_account', id: AD }, userId: EVE, tasks: ['ADMIN'] }), (e: ConnectorError) => e.kind === 'invalid-argument');
      const held = bed.emulator.control.state().assignments.filter((a) => a.asset_id === AD && a.user_id === EVE);
      assert.deepEqual(held.map((a) => a.role), ['OPERATOR'], 'Eve keeps what she held');
    } finally {
      await bed.close();
    }
  });

  test('#20 an unassign of access taken away meanwhile answered 40007 rather than 0: already-done', async () => {
    // Between the connector's read of Eve's holdings and its unassign, someone takes the access away by hand.
    let reads = 0;
    const bed = await bedWith({ unassignNotHeldCode: 40007 });
    try {
      const emulator = bed.emulator;
      const c = bed.connector({
        onCall: (call) => {
          if (!call.path.includes('bc/asset/get') || reads > 0) return;
          // The holdings read (filtered by user_id), not the connector's one-off keyword check.
          if (!emulator.calls.some((x) => x.endpoint === 'bc/asset/get' && String(x.query.filtering ?? '').includes('user_id'))) return;
          reads++;
          const state = emulator.control.state();
          state.assignments = state.assignments.filter((a) => !(a.asset_id === AD && a.user_id === EVE));
          emulator.control.seed(state);
        },
      });
      assert.equal(await c.unassignAsset!({ asset: { type: 'ad_account', id: AD }, userId: EVE }), 'already-done');
      assert.equal(emulator.calls.filter((x) => x.endpoint === 'bc/asset/unassign').at(-1)?.code, 40007);
    } finally {
      await bed.close();
    }
  });

  test('#9 a page past the end refused (40002) rather than empty, after the list shrank: listing-changed, read again; a full read starts over', async () => {
    const bed = await bedWith({ pagePastEndCode: 40002 });
    try {
      const state = bed.emulator.control.state();
      // 5 BOUND in the fixture + 16: 21 rows, two pages of 20.
      for (let i = 0; i < 16; i++) state.members.push({ bc_id: S.bcId, user_id: `72000000000000020${String(i).padStart(2, '0')}`, user_name: `Q${i}`, user_email: `q${i}@example.com`, user_role: 'STANDARD', relation_status: 'BOUND' });
      bed.emulator.control.seed(state);
      const c = bed.connector();
      const first = await c.listMembers!();
      assert.equal(first.items.length, 20);
      assert.equal(await c.removeMember!('7200000000000002000'), 'done');
      // Read by another instance (nothing read ahead): page 2 of 20 rows is past the end.
      await assert.rejects(bed.connector().listMembers!(first.next), (e: ConnectorError) => e.kind === 'unavailable' && e.providerCode === 'listing-changed');
      assert.equal((await allPages(c.listMembers!)).length, 20);

      // A whole-list read (every BOUND member, for TikTok-account holders) that loses its page 2 meanwhile starts over.
      let memberReads = 0;
      const emulator = bed.emulator;
      const reader = bed.connector({
        onCall: (call) => {
          if (!call.path.includes('bc/member/get') || ++memberReads !== 1) return;
          const now = emulator.control.state();
          now.members = now.members.filter((m) => m.user_id !== '7200000000000002001');
          emulator.control.seed(now);
        },
      });
      bed.emulator.control.clearCalls();
      bed.emulator.control.seed(state); // 21 rows again
      const held = await reader.listAssignments!([{ type: 'tiktok_account', id: S.tiktokAccountId }]);
      assert.deepEqual(held.map((h) => [h.userId, h.tasks]), [[S.standard[2], ['POST']]]);
      assert.ok(bed.emulator.calls.some((x) => x.endpoint === 'bc/member/get' && x.code === 40002), 'the page past the end was refused');
    } finally {
      await bed.close();
    }
  });

  test('[INF] #10 removed members kept as UNBOUND rows beside a new invitation: not members, and a retried invite or an unchanged role is already-done', async () => {
    const bed = await bedWith({ keepRemovedAsUnbound: true });
    try {
      const c = bed.connector();
      assert.equal(await c.removeMember!(FRANK), 'done');
      assert.ok(!(await allPages(c.listMembers!)).some((m) => m.id === FRANK));
      assert.equal((await c.invite!({ email: FRANK_EMAIL, role: 'STANDARD', firstAttempt: true })).result, 'done');
      assert.deepEqual(rowsOf(bed, FRANK_EMAIL).map((r) => r.relation_status), ['UNBOUND', 'PENDING']);
      bed.emulator.control.clearCalls();
      assert.deepEqual(await c.invite!({ email: FRANK_EMAIL, role: 'STANDARD' }), { result: 'already-done', inviteId: FRANK_EMAIL });
      assert.equal(await c.changeInviteRole!(FRANK_EMAIL, 'STANDARD'), 'already-done');
      assert.deepEqual(bed.emulator.calls.filter((x) => x.method === 'POST').map((x) => x.endpoint), [], 'no invitation revoked or sent again');
      assert.deepEqual((await allPages(c.listInvites!)).filter((i) => i.id === FRANK_EMAIL).map((i) => i.status), ['pending']);
    } finally {
      await bed.close();
    }
  });
});
