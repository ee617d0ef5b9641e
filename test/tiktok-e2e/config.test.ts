import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../config/load.ts';
import { connectorBlock } from '../../config/schema.ts';

/**
 * The config contract of a TikTok hub (connector: tiktok-business, the tiktok: block, appRole
 * ADMIN/STANDARD, asset grants {type, id, role}, partners {businessCenterId}), as the loader built
 * from the registry enforces it: every bad value is refused with its path.
 */
const hub = (over: Record<string, unknown> = {}, tiktok: Record<string, unknown> = {}) => JSON.stringify({
  hubs: [{
    id: 'tiktok-main', connector: 'tiktok-business',
    tiktok: { businessCenterId: '7000000000000000001', accessToken: 'env:TIKTOK_TOKEN', ...tiktok },
    teams: [
      { group: 'TikTok Admins', hubRole: 'owner', appRole: 'ADMIN' },
      { group: 'TikTok Advertisers', appRole: 'STANDARD', assets: [
        { type: 'ad_account', id: '7100000000000000001', role: 'OPERATOR' },
        { type: 'catalog', id: '7100000000000000101', role: 'AD_PROMOTE' },
        { type: 'tiktok_account', id: '7100000000000000201', role: ['POST', 'LIVE'] },
      ] },
    ],
    partners: [{ businessCenterId: '7000000000000000009' }],
    ...over,
  }],
});
const load = (text: string) => parseConfig(text, '/virtual/hubwarden.yaml', { TIKTOK_TOKEN: 't' });
const problems = (text: string): string[] => {
  try {
    load(text);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  assert.fail('the config was accepted');
};

test('the documented TikTok hub loads, with defaults for apiBaseUrl and apiVersion', () => {
  const file = load(hub()).file;
  const block = connectorBlock(file.hubs[0]!) as { apiBaseUrl: string; apiVersion: string };
  assert.deepEqual([block.apiBaseUrl, block.apiVersion], ['https://business-api.tiktok.com', 'v1.3']);
  assert.ok(load(hub({}, { apiBaseUrl: 'sandbox', accessToken: undefined })).file.hubs[0]);
  for (const local of ['http://127.0.0.1:4010', 'http://localhost:4010']) assert.ok(load(hub({}, { apiBaseUrl: local })).file.hubs[0], local);
  // The largest int64 is still an id.
  assert.ok(load(hub({ teams: [{ group: 'G', appRole: 'STANDARD', assets: [{ type: 'ad_account', id: '9223372036854775807', role: 'ADMIN' }] }] })).file.hubs[0]);
});

test('bad values are refused, each naming its path', () => {
  const cases: Array<[string, RegExp]> = [
    [hub({}, { businessCenterId: 7000000000000000001 }), /hubs\[0\]\.tiktok\.businessCenterId/],
    [hub({}, { apiBaseUrl: 'https://business-api.tiktok.com/open_api' }), /hubs\[0\]\.tiktok\.apiBaseUrl: expected an origin/],
    [hub({}, { apiVersion: '1.3' }), /hubs\[0\]\.tiktok\.apiVersion/],
    // The token travels in a header on every call: https only (plain http to loopback only).
    [hub({}, { apiBaseUrl: 'ftp://business-api.tiktok.com' }), /hubs\[0\]\.tiktok\.apiBaseUrl: expected an https origin/],
    [hub({}, { apiBaseUrl: 'http://business-api.tiktok.com' }), /hubs\[0\]\.tiktok\.apiBaseUrl: expected an https origin/],
    [hub({}, { typo: 1 }), /hubs\[0\]\.tiktok.*typo|Unrecognized key.*typo/],
    [hub({ teams: [{ group: 'G', appRole: 'EMPLOYEE' }] }), /hubs\[0\]\.teams\[0\]\.appRole/],
    [hub({ teams: [{ group: 'G', appRole: 'STANDARD', assets: [{ type: 'ad_account', id: '1', role: 'AD_PROMOTE' }] }] }), /hubs\[0\]\.teams\[0\]\.assets\[0\]\.role/],
    [hub({ teams: [{ group: 'G', appRole: 'STANDARD', assets: [{ type: 'page', id: '1', role: 'ADMIN' }] }] }), /hubs\[0\]\.teams\[0\]\.assets\[0\]\.type/],
    [hub({ teams: [{ group: 'G', appRole: 'STANDARD', assets: [{ type: 'tiktok_account', id: '1', role: [] }] }] }), /hubs\[0\]\.teams\[0\]\.assets\[0\]\.role/],
    [hub({ teams: [{ group: 'G', appRole: 'STANDARD', assets: [{ type: 'ad_account', id: 'act_1', role: 'ADMIN' }] }] }), /hubs\[0\]\.teams\[0\]\.assets\[0\]\.id/],
    // TikTok takes ids as int64 (`x-open-convert: int64(%s)`): one past 2^63 - 1 is refused at start, at its path.
    [hub({ teams: [{ group: 'G', appRole: 'STANDARD', assets: [{ type: 'ad_account', id: '9223372036854775808', role: 'ADMIN' }] }] }), /hubs\[0\]\.teams\[0\]\.assets\[0\]\.id: .*2\^63 - 1/],
    [hub({ teams: [{ group: 'G', appRole: 'STANDARD', assets: [{ type: 'catalog', id: '99999999999999999999', role: 'ADMIN' }] }] }), /hubs\[0\]\.teams\[0\]\.assets\[0\]\.id: .*2\^63 - 1/],
    [hub({}, { businessCenterId: '9223372036854775808' }), /hubs\[0\]\.tiktok\.businessCenterId: .*2\^63 - 1/],
    [hub({}, { tokenUserId: '99999999999999999999' }), /hubs\[0\]\.tiktok\.tokenUserId: .*2\^63 - 1/],
    [hub({ partners: [{ businessCenterId: '9223372036854775808' }] }), /hubs\[0\]\.partners\[0\]\.businessCenterId: .*2\^63 - 1/],
    [hub({ partners: [{ businessId: '7000000000000000009' }] }), /hubs\[0\]\.partners\[0\]/],
    [hub({ meta: { businessId: '1' } }), /meta/],
  ];
  for (const [text, expected] of cases) {
    const found = problems(text);
    assert.ok(found.some((p) => expected.test(p)), `${expected}: got ${JSON.stringify(found)}`);
  }
});

test('a TikTok hub without a token is refused when its connector is built, naming the key', async () => {
  const { createHubConnector } = await import('../../agent/hub-connector.ts');
  const config = load(hub({}, { accessToken: undefined }));
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  assert.throws(() => createHubConnector(config.file.hubs[0]!, config, { log: silent }), (err: Error & { field?: string }) => err.field === 'tiktok.accessToken' && /tiktok\.accessToken is not set/.test(err.message));
});

test('a TikTok hub configured as TikTok\'s contract shows (no tokenUserId) runs and warns; a named token user is a system user; a sandbox hub defaults to the fixture\'s token user', async () => {
  const { createHubConnector } = await import('../../agent/hub-connector.ts');
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const warnings: string[] = [];
  const config = load(hub());
  const plain = createHubConnector(config.file.hubs[0]!, config, { log: { ...silent, warn: (m: string) => warnings.push(m) } });
  assert.deepEqual((await plain.listSystemUsers!()).items, [], 'no system user is guessed');
  assert.ok(warnings.some((w) => /tiktok\.tokenUserId is not set/.test(w)), `warned: ${JSON.stringify(warnings)}`);
  const named = load(hub({}, { tokenUserId: '7200000000000000900' }));
  assert.deepEqual((await createHubConnector(named.file.hubs[0]!, named, { log: silent }).listSystemUsers!()).items.map((u) => u.id), ['7200000000000000900']);
  const sandbox = load(hub({}, { apiBaseUrl: 'sandbox', accessToken: undefined }));
  const c = createHubConnector(sandbox.file.hubs[0]!, sandbox, { log: silent, sandboxUrls: { 'tiktok-business': 'http://127.0.0.1:9' } });
  assert.deepEqual((await c.listSystemUsers!()).items.map((u) => u.id), ['7200000000000000900']);
});
