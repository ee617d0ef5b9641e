import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from './test-client.ts';
import { TIKTOK_SANDBOX as S } from './sandbox-ids.ts';

const BC = S.bcId;

describe('tiktok emulator: members and invitations', () => {
  test('member/get pages by number with page_info; page_size above 20 or page 0 is 40002; a page past the end is empty', async () => {
    const api = await startTestApi();
    try {
      const first = await api.get('bc/member/get', { bc_id: BC, page: 1, page_size: 3 });
      assert.deepEqual(first.body.data.page_info, { page: 1, page_size: 3, total_number: 7, total_page: 3 });
      const all = [];
      for (let page = 1; page <= 3; page++) all.push(...(await api.get('bc/member/get', { bc_id: BC, page, page_size: 3 })).body.data.list);
      assert.equal(new Set(all.map((m: { user_email: string }) => m.user_email)).size, 7);
      const past = await api.get('bc/member/get', { bc_id: BC, page: 9, page_size: 3 });
      assert.deepEqual(past.body.data.list, []);
      assert.equal(past.body.data.page_info.total_page, 3);
      assert.equal((await api.get('bc/member/get', { bc_id: BC, page_size: 21 })).body.code, 40002);
      assert.equal((await api.get('bc/member/get', { bc_id: BC, page: 0 })).body.code, 40002);
      assert.equal((await api.get('bc/member/get', { bc_id: BC })).body.data.page_info.page_size, 10, 'default page_size 10');
    } finally {
      await api.close();
    }
  });

  test('PENDING and REJECTED rows carry no user_id; filtering by relation_status and keyword', async () => {
    const api = await startTestApi();
    try {
      const pending = await api.get('bc/member/get', { bc_id: BC, filtering: { relation_status: 'PENDING' } });
      assert.deepEqual(pending.body.data.list, [{ user_email: S.pendingEmail, user_role: 'STANDARD', relation_status: 'PENDING' }]);
      const frank = await api.get('bc/member/get', { bc_id: BC, filtering: { keyword: 'FRANK' } });
      assert.deepEqual(frank.body.data.list, [{ user_id: S.standard[1], user_name: 'Frank Ledger', user_email: 'frank.ledger@sandbox.example', user_role: 'STANDARD', relation_status: 'BOUND', ext_user_role: { finance_role: 'MANAGER' } }]);
      assert.equal((await api.get('bc/member/get', { bc_id: BC, filtering: { relation_status: 'GONE' } })).body.code, 40002);
    } finally {
      await api.close();
    }
  });

  test('invite: 1 to 50 valid emails, asset_ids required, only ADVERTISER; repeats of pending or bound addresses are ignored; a REJECTED row is replaced', async () => {
    const api = await startTestApi();
    try {
      const base = { bc_id: BC, user_role: 'STANDARD', asset_type: 'ADVERTISER', advertiser_role: 'OPERATOR' };
      assert.equal((await api.post('bc/member/invite', { ...base, emails: [], asset_ids: [] })).body.code, 40002);
      assert.equal((await api.post('bc/member/invite', { ...base, emails: Array.from({ length: 51 }, (_, i) => `p${i}@example.com`), asset_ids: [] })).body.code, 40002);
      assert.equal((await api.post('bc/member/invite', { ...base, emails: ['not-an-email'], asset_ids: [] })).body.code, 40002);
      const noAssets = await api.post('bc/member/invite', { bc_id: BC, emails: ['a@example.com'] });
      assert.equal(noAssets.body.code, 40002);
      assert.match(noAssets.body.message, /asset_ids/);
      assert.equal((await api.post('bc/member/invite', { ...base, emails: ['a@example.com'], asset_ids: [], asset_type: 'CATALOG' })).body.code, 40002);
      assert.equal((await api.post('bc/member/invite', { ...base, emails: ['a@example.com'], asset_ids: [S.catalogId] })).body.code, 40002, 'a catalog id is not an ad account');
      assert.equal((await api.post('bc/member/invite', { ...base, emails: ['a@example.com'], asset_ids: ['7100000000000000555'] })).body.code, 40001, 'an asset outside the BC');
      assert.equal((await api.post('bc/member/invite', { ...base, emails: ['a@example.com'], asset_ids: [S.partner.sharedAdAccount] })).body.code, 40001, 'a shared-in ad account above its share (ANALYST)');
      assert.equal((await api.post('bc/member/invite', { ...base, emails: ['shared@example.com'], asset_ids: [S.partner.sharedAdAccount], advertiser_role: 'ANALYST' })).body.code, 0, 'at its share');

      const ok = await api.post('bc/member/invite', { ...base, emails: ['Bob@Example.com', 'bob@example.com', S.pendingEmail, 'ada.lovelace@sandbox.example', S.rejectedEmail], asset_ids: [S.adAccounts[0]] });
      assert.deepEqual([ok.body.code, ok.body.data], [0, {}]);
      const rows = api.emulator.control.state().members.filter((m) => m.bc_id === BC);
      assert.equal(rows.filter((m) => m.user_email.toLowerCase() === 'bob@example.com').length, 1, 'one row for an address named twice');
      assert.equal(rows.find((m) => m.user_email === S.rejectedEmail)!.relation_status, 'PENDING');
      const pending = rows.find((m) => m.user_email === S.pendingEmail)!;
      assert.deepEqual(pending.invite_assets, [{ asset_id: S.adAccounts[0], advertiser_role: 'OPERATOR' }], 'a pending invitation is not changed by a repeat');
      assert.equal(rows.find((m) => m.user_email === 'ada.lovelace@sandbox.example')!.user_role, 'ADMIN', 'a bound member is not changed');
      const before = rows.length;
      await api.post('bc/member/invite', { ...base, emails: ['bob@example.com'], user_role: 'ADMIN', asset_ids: [] });
      const after = api.emulator.control.state().members.filter((m) => m.bc_id === BC);
      assert.equal(after.length, before);
      assert.equal(after.find((m) => m.user_email === 'Bob@Example.com')!.user_role, 'STANDARD');
    } finally {
      await api.close();
    }
  });

  test('accepting turns the row BOUND with a user_id and gives the invited ad accounts', async () => {
    const api = await startTestApi();
    try {
      await api.post('bc/member/invite', { bc_id: BC, emails: ['carol@example.com'], asset_ids: [S.adAccounts[1]], advertiser_role: 'ANALYST' });
      const pre = await api.get('bc/asset/get', { bc_id: BC, asset_type: 'ADVERTISER', filtering: { user_email: 'carol@example.com' } });
      assert.deepEqual(pre.body.data.list.map((a: { asset_id: string; advertiser_role: string }) => [a.asset_id, a.advertiser_role]), [[S.adAccounts[1], 'ANALYST']]);
      const { userId } = api.emulator.control.acceptInvite(BC, 'carol@example.com', { name: 'Carol' });
      const holders = await api.get('bc/asset/member/get', { bc_id: BC, asset_type: 'ADVERTISER', asset_id: S.adAccounts[1], page_size: 20 });
      assert.ok(holders.body.data.list.some((m: { user_id: string; advertiser_role: string }) => m.user_id === userId && m.advertiser_role === 'ANALYST'));
    } finally {
      await api.close();
    }
  });

  test('update needs a BOUND user_id (40007), keeps one admin (40002), and changes the role', async () => {
    const api = await startTestApi();
    try {
      assert.equal((await api.post('bc/member/update', { bc_id: BC, user_id: '7200000000000000777', user_role: 'ADMIN' })).body.code, 40007);
      assert.equal((await api.post('bc/member/update', { bc_id: BC, user_id: S.standard[0] })).body.code, 40002, 'nothing to update');
      assert.equal((await api.post('bc/member/update', { bc_id: BC, user_id: S.standard[0], user_role: 'ADMIN' })).body.code, 0);
      assert.equal(api.emulator.control.state().members.find((m) => m.user_id === S.standard[0])!.user_role, 'ADMIN');
      // Demote everyone but the token's user; the last one cannot go.
      for (const id of [S.standard[0], S.admins[0]]) assert.equal((await api.post('bc/member/update', { bc_id: BC, user_id: id, user_role: 'STANDARD' })).body.code, 0);
      const last = await api.post('bc/member/update', { bc_id: BC, user_id: S.tokenUserId, user_role: 'STANDARD' });
      assert.equal(last.body.code, 40002);
      assert.match(last.body.message, /at least one Admin/);
    } finally {
      await api.close();
    }
  });

  test('delete: exactly one of user_id / user_email; an email of a member is 40002; unknown is 40007; removal drops asset access', async () => {
    const api = await startTestApi();
    try {
      assert.equal((await api.post('bc/member/delete', { bc_id: BC })).body.code, 40002);
      assert.equal((await api.post('bc/member/delete', { bc_id: BC, user_id: S.standard[0], user_email: 'x@example.com' })).body.code, 40002);
      assert.equal((await api.post('bc/member/delete', { bc_id: BC, user_email: 'eve.moneypenny@sandbox.example' })).body.code, 40002);
      assert.equal((await api.post('bc/member/delete', { bc_id: BC, user_email: 'nobody@example.com' })).body.code, 40007);
      assert.equal((await api.post('bc/member/delete', { bc_id: BC, user_email: S.pendingEmail.toUpperCase() })).body.code, 0);
      assert.equal((await api.post('bc/member/delete', { bc_id: BC, user_id: S.standard[0] })).body.code, 0);
      assert.equal((await api.post('bc/member/delete', { bc_id: BC, user_id: S.standard[0] })).body.code, 40007, 'a repeat: already gone');
      const state = api.emulator.control.state();
      assert.ok(!state.members.some((m) => m.user_email === S.pendingEmail));
      assert.ok(!state.assignments.some((a) => a.user_id === S.standard[0] && a.bc_id === BC));
    } finally {
      await api.close();
    }
  });

  test('limits: at most 20 admins (BOUND and PENDING count)', async () => {
    const api = await startTestApi();
    try {
      const emails = Array.from({ length: 18 }, (_, i) => `admin${i}@example.com`);
      assert.equal((await api.post('bc/member/invite', { bc_id: BC, emails, user_role: 'ADMIN', asset_ids: [] })).body.code, 0);
      const over = await api.post('bc/member/invite', { bc_id: BC, emails: ['one.more@example.com'], user_role: 'ADMIN', asset_ids: [] });
      assert.equal(over.body.code, 40002);
      assert.match(over.body.message, /20 Admins/);
    } finally {
      await api.close();
    }
  });
});
