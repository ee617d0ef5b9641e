import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTikTokBusiness } from '../connector.ts';
import { silentLog } from '../test-setup.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';
import { readApp } from '../../../agent/check-for-updates/read-app.ts';

/**
 * Holder rows of `/bc/asset/member/get/` are member objects keyed by `user_id`
 * (github.com/bububa/tiktok-business `model/bc/member_get.go`).
 * One without it used to be dropped silently, so the holders of the asset looked complete with a
 * grant missing. The read now fails naming the rows: the check keeps what it knew and reports the
 * assignments section as not read ([INF] #54). Asset rows are keyed by `asset_id` (`model/bc/asset_get.go`): one
 * without it became an asset with the id "undefined"; the page is incomplete instead ([INF] #55).
 */
function connectorAnswering(rowsOf: (endpoint: string) => unknown[], partners: string[] = []) {
  return createTikTokBusiness({
    businessCenterId: S.bcId, accessToken: S.token, apiBaseUrl: 'http://127.0.0.1:9', pace: { qps: 1000, qpm: 60_000 },
    partners: partners.map((businessCenterId) => ({ businessCenterId })),
  }, {
    log: silentLog,
    fetch: async (input) => {
      const url = new URL(String(input instanceof Request ? input.url : input));
      const list = rowsOf(url.pathname.replace(/^\/open_api\/v1\.3\//, '').replace(/\/$/, ''));
      const data = { list, page_info: { page: 1, page_size: 20, total_number: list.length, total_page: list.length ? 1 : 0 } };
      return new Response(JSON.stringify({ code: 0, message: 'OK', request_id: 'r', data }), { status: 200, headers: { 'content-type': 'application/json' } });
    },
  });
}

describe('tiktok-business: asset holder rows without user_id', () => {
  test('an ad account holder row without user_id fails the read, naming it, instead of listing the others as all', async () => {
    const c = connectorAnswering((endpoint) => (endpoint === 'bc/asset/member/get' ? [
      { user_id: S.standard[0], user_name: 'Eve', user_email: 'eve@example.com', user_role: 'STANDARD', relation_status: 'BOUND', advertiser_role: 'OPERATOR' },
      { user_name: 'Nobody', user_email: 'keyless@example.com', user_role: 'STANDARD', relation_status: 'BOUND', advertiser_role: 'ADMIN' },
      { user_name: 'Nobody else', user_email: 'keyless2@example.com', user_role: 'STANDARD', relation_status: 'BOUND', advertiser_role: 'ADMIN' },
    ] : []));
    await assert.rejects(c.listAssignments!([{ type: 'ad_account', id: S.adAccounts[0] }]), (err: Error & { kind?: string }) => {
      assert.equal(err.kind, 'unavailable');
      assert.match(err.message, /2 row\(s\) without user_id \(keyless@example\.com, keyless2@example\.com\)/);
      return true;
    });
  });

  test('a BOUND member without user_id fails the TikTok-account holdings read (its holdings cannot be asked for)', async () => {
    const c = connectorAnswering((endpoint) => (endpoint === 'bc/member/get' ? [
      { user_id: S.standard[0], user_name: 'Eve', user_email: 'eve@example.com', user_role: 'STANDARD', relation_status: 'BOUND' },
      { user_name: 'Nobody', user_email: 'keyless@example.com', user_role: 'STANDARD', relation_status: 'BOUND' },
    ] : []));
    await assert.rejects(c.listAssignments!([{ type: 'tiktok_account', id: S.tiktokAccountId }]), /1 row\(s\) without user_id \(keyless@example\.com\)/);
  });

  test("a check's read reports the assignments section as not read, with the reason, and still reads the rest", async () => {
    const eve = { user_id: S.standard[0], user_name: 'Eve', user_email: 'eve@example.com', user_role: 'STANDARD', relation_status: 'BOUND' };
    const c = connectorAnswering((endpoint) => {
      if (endpoint === 'bc/member/get') return [eve];
      if (endpoint === 'bc/asset/get') return [{ asset_type: 'ADVERTISER', asset_id: S.adAccounts[0], asset_name: 'Main', relation_type: 'OWNER_BC' }];
      if (endpoint === 'bc/asset/member/get') return [{ ...eve, advertiser_role: 'OPERATOR' }, { user_email: 'keyless@example.com', user_role: 'STANDARD', relation_status: 'BOUND', advertiser_role: 'ADMIN' }];
      return [];
    });
    const reading = await readApp(c, { assetTypes: ['ad_account'], partnersWithToken: [] });
    assert.deepEqual(reading.members.map((m) => m.id), [S.standard[0]]);
    assert.deepEqual(reading.assets.map((a) => a.id), [S.adAccounts[0]]);
    assert.deepEqual(reading.assignments, [], 'no holders taken from a listing that lost one');
    assert.equal(reading.unavailable.length, 1);
    assert.equal(reading.unavailable[0].section, 'assignments');
    assert.match(reading.unavailable[0].message, /1 row\(s\) without user_id \(keyless@example\.com\)/);
  });

  test('holder rows that all carry user_id are listed as before', async () => {
    const c = connectorAnswering((endpoint) => (endpoint === 'bc/asset/member/get' ? [
      { user_id: S.standard[0], user_name: 'Eve', user_email: 'eve@example.com', user_role: 'STANDARD', relation_status: 'BOUND', advertiser_role: 'OPERATOR' },
    ] : []));
    const found = await c.listAssignments!([{ type: 'ad_account', id: S.adAccounts[0] }]);
    assert.deepEqual(found.map((a) => [a.userId, a.tasks]), [[S.standard[0], ['OPERATOR']]]);
  });
});

describe('tiktok-business: asset rows without asset_id', () => {
  test('an asset listing page leaves a row without asset_id out and says the type is listed only in part', async () => {
    const c = connectorAnswering((endpoint) => (endpoint === 'bc/asset/get' ? [
      { asset_type: 'ADVERTISER', asset_id: S.adAccounts[0], asset_name: 'Main', relation_type: 'OWNER_BC' },
      { asset_type: 'ADVERTISER', asset_name: 'Nameless', relation_type: 'OWNER_BC' },
    ] : []));
    const page = await c.listAssets!('ad_account');
    assert.deepEqual(page.items.map((a) => a.id), [S.adAccounts[0]], 'no asset with the id "undefined"');
    assert.match(page.incomplete?.reason ?? '', /ad accounts: 1 row\(s\) without asset_id \("Nameless"\)/);
  });

  test("a partner's shared row without asset_id fails the partner read instead of listing an ad account \"undefined\"", async () => {
    const partner = '7000000000000000009';
    const c = connectorAnswering((endpoint) => {
      if (endpoint === 'bc/partner/get') return [{ bc_id: partner, bc_name: 'Agency' }];
      if (endpoint === 'bc/partner/asset/get') return [{ asset_type: 'ADVERTISER', asset_id: S.adAccounts[0], asset_name: 'Main' }, { asset_type: 'ADVERTISER', asset_name: 'Nameless' }];
      return [];
    }, [partner]);
    await assert.rejects(c.listPartners!(), /1 row\(s\) without asset_id/);
  });

  test("a member's TikTok account holding without asset_id fails the holdings read", async () => {
    const c = connectorAnswering((endpoint) => {
      if (endpoint === 'bc/member/get') return [{ user_id: S.standard[0], user_email: 'eve@example.com', user_role: 'STANDARD', relation_status: 'BOUND' }];
      if (endpoint === 'bc/asset/get') return [{ asset_type: 'TT_ACCOUNT', asset_name: 'Nameless', tt_account_roles: ['POST'] }];
      return [];
    });
    await assert.rejects(c.listAssignments!([{ type: 'tiktok_account', id: S.tiktokAccountId }]), /1 TikTok account row\(s\) of member \d+ without asset_id/);
  });

  test('an unassign whose read of the holdings has a row without asset_id fails instead of answering already-done', async () => {
    const posted: string[] = [];
    const c = createTikTokBusiness({
      businessCenterId: S.bcId, accessToken: S.token, apiBaseUrl: 'http://127.0.0.1:9', pace: { qps: 1000, qpm: 60_000 },
    }, {
      log: silentLog,
      fetch: async (input, init) => {
        const url = new URL(String(input instanceof Request ? input.url : input));
        const endpoint = url.pathname.replace(/^\/open_api\/v1\.3\//, '').replace(/\/$/, '');
        if (init?.method === 'POST') posted.push(endpoint);
        const list = endpoint === 'bc/asset/get' && url.searchParams.get('filtering')?.includes('user_id') ? [{ asset_type: 'ADVERTISER', asset_name: 'Nameless', advertiser_role: 'OPERATOR' }] : [];
        const data = init?.method === 'POST' ? {} : { list, page_info: { page: 1, page_size: 50, total_number: list.length, total_page: list.length ? 1 : 0 } };
        return new Response(JSON.stringify({ code: 0, message: 'OK', request_id: 'r', data }), { status: 200, headers: { 'content-type': 'application/json' } });
      },
    });
    await assert.rejects(c.unassignAsset!({ asset: { type: 'ad_account', id: S.adAccounts[0] }, userId: S.standard[0] }), /holdings include a row without asset_id/);
    assert.deepEqual(posted, [], 'nothing sent');
  });
});
