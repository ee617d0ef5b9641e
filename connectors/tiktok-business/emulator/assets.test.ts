import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from './test-client.ts';
import { TIKTOK_SANDBOX as S } from './sandbox-ids.ts';

const BC = S.bcId;
const EVE = S.standard[0];

describe('tiktok emulator: assets, member access and partners', () => {
  test('assign needs the role field of its asset type and only that one; a repeat replaces the role', async () => {
    const api = await startTestApi();
    try {
      const base = { bc_id: BC, user_id: EVE, asset_type: 'ADVERTISER', asset_id: S.adAccounts[1] };
      assert.equal((await api.post('bc/asset/assign', base)).body.code, 40002, 'advertiser_role missing');
      assert.equal((await api.post('bc/asset/assign', { ...base, advertiser_role: 'OPERATOR', catalog_role: 'ADMIN' })).body.code, 40002, 'another role field');
      assert.equal((await api.post('bc/asset/assign', { ...base, advertiser_role: 'OWNER' })).body.code, 40002);
      assert.equal((await api.post('bc/asset/assign', { ...base, asset_type: 'CATALOG', catalog_role: 'ADMIN' })).body.code, 40002, 'asset_type must be the real type');
      assert.equal((await api.post('bc/asset/assign', { ...base, asset_id: '7100000000000000555', advertiser_role: 'ADMIN' })).body.code, 40001);
      assert.equal((await api.post('bc/asset/assign', { ...base, user_id: '7200000000000000777', advertiser_role: 'ADMIN' })).body.code, 40007);
      assert.equal((await api.post('bc/asset/assign', { ...base, advertiser_role: 'OPERATOR' })).body.code, 0);
      assert.equal((await api.post('bc/asset/assign', { ...base, advertiser_role: 'ANALYST' })).body.code, 0);
      const held = await api.get('bc/asset/get', { bc_id: BC, asset_type: 'ADVERTISER', filtering: { user_id: EVE } });
      assert.deepEqual(held.body.data.list.map((a: { asset_id: string; advertiser_role: string }) => [a.asset_id, a.advertiser_role]).sort(), [[S.adAccounts[0], 'OPERATOR'], [S.adAccounts[1], 'ANALYST']]);
    } finally {
      await api.close();
    }
  });

  test('TikTok accounts: tt_account_roles is a non-empty list without repeats, read back only through /bc/asset/get/', async () => {
    const api = await startTestApi();
    try {
      const base = { bc_id: BC, user_id: EVE, asset_type: 'TT_ACCOUNT', asset_id: S.tiktokAccountId };
      assert.equal((await api.post('bc/asset/assign', { ...base, tt_account_roles: [] })).body.code, 40002);
      assert.equal((await api.post('bc/asset/assign', { ...base, tt_account_roles: ['POST', 'POST'] })).body.code, 40002);
      assert.equal((await api.post('bc/asset/assign', { ...base, tt_account_roles: 'POST' })).body.code, 40002);
      assert.equal((await api.post('bc/asset/assign', { ...base, tt_account_roles: ['POST', 'LIVE'] })).body.code, 0);
      const held = await api.get('bc/asset/get', { bc_id: BC, asset_type: 'TT_ACCOUNT', filtering: { user_id: EVE } });
      assert.deepEqual(held.body.data.list[0].tt_account_roles, ['POST', 'LIVE']);
      assert.equal(held.body.data.list[0].owner_bc_name, null);
      assert.equal((await api.get('bc/asset/member/get', { bc_id: BC, asset_type: 'TT_ACCOUNT', asset_id: S.tiktokAccountId })).body.code, 40002);
    } finally {
      await api.close();
    }
  });

  test('asset/get: user_id and user_email not together; user_email only with ADVERTISER; DOMAIN invalid', async () => {
    const api = await startTestApi();
    try {
      assert.equal((await api.get('bc/asset/get', { bc_id: BC, asset_type: 'ADVERTISER', filtering: { user_id: EVE, user_email: 'x@example.com' } })).body.code, 40002);
      assert.equal((await api.get('bc/asset/get', { bc_id: BC, asset_type: 'CATALOG', filtering: { user_email: S.pendingEmail } })).body.code, 40002);
      assert.equal((await api.get('bc/asset/get', { bc_id: BC, asset_type: 'DOMAIN' })).body.code, 40002);
      assert.equal((await api.get('bc/asset/get', { bc_id: BC })).body.code, 40002, 'asset_type is required');
      const ads = await api.get('bc/asset/get', { bc_id: BC, asset_type: 'ADVERTISER' });
      assert.deepEqual(ads.body.data.list.map((a: { asset_id: string; relation_type: string }) => [a.asset_id, a.relation_type]),
        [[S.adAccounts[0], 'OWNER_BC'], [S.adAccounts[1], 'OWNER_BC'], [S.partner.sharedAdAccount, 'OWNER_PARTNER']]);
    } finally {
      await api.close();
    }
  });

  test('unassign of access not held is code 0; asset/member/get lists only explicit holders, 20 per page at most', async () => {
    const api = await startTestApi();
    try {
      const base = { bc_id: BC, user_id: EVE, asset_type: 'ADVERTISER', asset_id: S.adAccounts[0] };
      assert.equal((await api.post('bc/asset/unassign', base)).body.code, 0);
      assert.equal((await api.post('bc/asset/unassign', base)).body.code, 0);
      const holders = await api.get('bc/asset/member/get', { bc_id: BC, asset_type: 'ADVERTISER', asset_id: S.adAccounts[0], page_size: 20 });
      assert.deepEqual(holders.body.data.list.map((m: { user_id: string }) => m.user_id), [S.admins[0]]);
      assert.equal((await api.get('bc/asset/member/get', { bc_id: BC, asset_type: 'ADVERTISER', asset_id: S.adAccounts[0], page_size: 21 })).body.code, 40002);
    } finally {
      await api.close();
    }
  });

  test('a shared-in asset cannot be assigned above the role its owner shared it with', async () => {
    const api = await startTestApi();
    try {
      const base = { bc_id: BC, user_id: EVE, asset_type: 'ADVERTISER', asset_id: S.partner.sharedAdAccount };
      assert.equal((await api.post('bc/asset/assign', { ...base, advertiser_role: 'OPERATOR' })).body.code, 40001);
      assert.equal((await api.post('bc/asset/assign', { ...base, advertiser_role: 'ANALYST' })).body.code, 0);
    } finally {
      await api.close();
    }
  });

  test('asset/partner/get takes the eight assignable asset types: MANAGED_BUSINESS_ACCOUNT is 40002 even for an asset of that type', async () => {
    const api = await startTestApi();
    try {
      const state = api.emulator.control.state();
      state.assets.push({ asset_type: 'MANAGED_BUSINESS_ACCOUNT', asset_id: '7100000000000000301', asset_name: '@managed', owner_bc_id: BC });
      api.emulator.control.seed(state);
      const mba = await api.get('bc/asset/partner/get', { bc_id: BC, asset_type: 'MANAGED_BUSINESS_ACCOUNT', asset_id: '7100000000000000301' });
      assert.equal(mba.body.code, 40002);
      assert.match(mba.body.message, /^asset_type: MANAGED_BUSINESS_ACCOUNT is not supported/);
      assert.equal((await api.get('bc/asset/partner/get', { bc_id: BC, asset_type: 'TT_ACCOUNT', asset_id: S.tiktokAccountId })).body.code, 0);
    } finally {
      await api.close();
    }
  });

  test('ad accounts carry no advertiser_status the world does not give (TikTok documents no values): the emulator invents none', async () => {
    const api = await startTestApi();
    try {
      const rows = (await api.get('bc/asset/get', { bc_id: BC, asset_type: 'ADVERTISER' })).body.data.list as Array<Record<string, unknown>>;
      assert.ok(rows.length > 0);
      for (const row of rows) {
        assert.ok(!('advertiser_status' in row), `${String(row.asset_id)} has no made-up advertiser_status`);
        assert.equal(row.advertiser_account_type, 'AUCTION');
      }
      const state = api.emulator.control.state();
      state.assets.find((a) => a.asset_id === S.adAccounts[1])!.advertiser_status = 'SET_BY_THE_FIXTURE';
      api.emulator.control.seed(state);
      const again = (await api.get('bc/asset/get', { bc_id: BC, asset_type: 'ADVERTISER', filtering: { keyword: S.adAccounts[1] } })).body.data.list;
      assert.equal(again[0].advertiser_status, 'SET_BY_THE_FIXTURE', 'a fixture\'s own value is shown as given');
    } finally {
      await api.close();
    }
  });

  test('a lead form library held by a member is listed without a role field: TikTok documents none on asset rows (only advertiser, catalog, TikTok account and store roles)', async () => {
    const api = await startTestApi();
    try {
      const state = api.emulator.control.state();
      state.assets.push({ asset_type: 'LEAD', asset_id: '7100000000000000301', asset_name: 'Lead forms', owner_bc_id: BC });
      api.emulator.control.seed(state);
      assert.equal((await api.post('bc/asset/assign', { bc_id: BC, user_id: EVE, asset_type: 'LEAD', asset_id: '7100000000000000301', form_library_role: 'ADMIN' })).body.code, 0);
      const held = (await api.get('bc/asset/get', { bc_id: BC, asset_type: 'LEAD', filtering: { user_id: EVE } })).body.data.list as Array<Record<string, unknown>>;
      assert.deepEqual(held.map((r) => r.asset_id), ['7100000000000000301']);
      assert.ok(!('form_library_role' in held[0]!), 'no form_library_role on an asset row');
    } finally {
      await api.close();
    }
  });

  test('partners: list, what is shared each way, and the sharing ends with the partnership', async () => {
    const api = await startTestApi();
    try {
      assert.deepEqual((await api.get('bc/partner/get', { bc_id: BC })).body.data.list, [{ bc_id: S.partner.bcId, bc_name: 'Northwind Agency' }]);
      const sharing = await api.get('bc/partner/asset/get', { bc_id: BC, partner_id: S.partner.bcId, asset_type: 'ADVERTISER', share_type: 'SHARING' });
      assert.deepEqual(sharing.body.data.list.map((a: { asset_id: string; advertiser_role?: string }) => [a.asset_id, a.advertiser_role]), [[S.adAccounts[0], undefined]], "asset objects, no share role TikTok's docs do not promise");
      const shared = await api.get('bc/partner/asset/get', { bc_id: BC, partner_id: S.partner.bcId, asset_type: 'ADVERTISER', share_type: 'SHARED' });
      assert.deepEqual(shared.body.data.list.map((a: { asset_id: string }) => a.asset_id), [S.partner.sharedAdAccount]);
      assert.equal((await api.get('bc/partner/asset/get', { bc_id: BC, partner_id: S.partner.bcId, asset_type: 'TT_ACCOUNT', share_type: 'SHARED' })).body.code, 40002);
      assert.equal((await api.get('bc/partner/asset/get', { bc_id: BC, partner_id: '7000000000000000777', asset_type: 'ADVERTISER', share_type: 'SHARED' })).body.code, 40007);
      const partners = await api.get('bc/asset/partner/get', { bc_id: BC, asset_type: 'ADVERTISER', asset_id: S.adAccounts[0] });
      assert.deepEqual(partners.body.data.list, [{ bc_id: S.partner.bcId, bc_name: 'Northwind Agency' }]);
      assert.equal((await api.post('bc/partner/delete', { bc_id: BC, partner_id: S.partner.bcId })).body.code, 0);
      const state = api.emulator.control.state();
      assert.deepEqual([state.partnerships, state.shares], [[], []]);
      assert.ok(!state.assignments.some((a) => a.bc_id === S.partner.bcId && a.asset_id === S.adAccounts[0]), 'the partner\'s people lose the shared asset');
    } finally {
      await api.close();
    }
  });

  test('partner/asset/delete stops sharing only assets of the asset_type it names, that the BC owns [INF #50]', async () => {
    const api = await startTestApi();
    try {
      const unshare = (asset_type: string, ids: string[]) => api.post('bc/partner/asset/delete', { bc_id: BC, partner_id: S.partner.bcId, asset_type, asset_ids: ids });
      // An ad account named as a CATALOG was unshared anyway.
      assert.equal((await unshare('CATALOG', [S.adAccounts[0]])).body.code, 40002);
      assert.equal((await unshare('ADVERTISER', [S.partner.sharedAdAccount])).body.code, 40001, 'shared in by the partner: not this BC\'s to unshare');
      assert.deepEqual(api.emulator.control.state().shares.map((s) => s.asset_id), [S.adAccounts[0], S.partner.sharedAdAccount], 'nothing unshared');
      assert.equal((await unshare('ADVERTISER', [S.adAccounts[0]])).body.code, 0);
      assert.deepEqual(api.emulator.control.state().shares.map((s) => s.asset_id), [S.partner.sharedAdAccount]);
    } finally {
      await api.close();
    }
  });
});
