/**
 * The connector against a second, strict server of TikTok's Business Center endpoints
 * (strict-reference-server.test-double.ts), written apart from `emulator/`: every read and write the connector
 * exposes must go through without a parameter, path, method or header TikTok's tables do not name,
 * a throttle (40100) must pause the app scope rather than pass for an answer, a listing cut short
 * must never read as fewer members, and the token must appear in no error or log line.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorContext, HubConnector } from '../sdk/definition.ts';
import { isConnectorError } from '../sdk/connector-error.ts';
import { createTikTokBusiness } from './connector.ts';
import { startStrictServer, type StrictServer, type StrictWorld } from './strict-reference-server.test-double.ts';
import { readApp } from '../../agent/check-for-updates/read-app.ts';

const BC = '7000000000000000001';
const TOKEN = 'strict-TOKEN-5f3a9c';
const ME = '7200000000000000900';
const AD = ['7100000000000000001', '7100000000000000002'];
const CATALOG = '7100000000000000101';
const TT = '7100000000000000201';
const PARTNER = '7000000000000000009';

function world(): StrictWorld {
  const members: StrictWorld['members'] = [
    { user_id: ME, user_name: 'hubwarden automation', user_email: 'automation@acme.test', user_role: 'ADMIN', relation_status: 'BOUND' },
    { user_id: '7200000000000000101', user_name: 'Ada', user_email: 'Ada@Acme.test', user_role: 'ADMIN', relation_status: 'BOUND' },
  ];
  // 43 STANDARD members: three pages of 20 for the BOUND listing.
  for (let i = 0; i < 43; i++) members.push({ user_id: String(7200000000000001000n + BigInt(i)), user_name: `Member ${i}`, user_email: `m${i}@acme.test`, user_role: 'STANDARD', relation_status: 'BOUND' });
  members.push({ user_email: 'New.Hire@acme.test', user_role: 'STANDARD', relation_status: 'PENDING' });
  members.push({ user_email: 'declined@acme.test', user_role: 'STANDARD', relation_status: 'REJECTED' });
  return {
    bcId: BC, bcName: 'Acme', token: TOKEN, tokenUserId: ME, members,
    assets: [
      { asset_type: 'ADVERTISER', asset_id: AD[0], asset_name: 'Main ads', relation_type: 'OWNER_BC' },
      { asset_type: 'ADVERTISER', asset_id: AD[1], asset_name: 'Second ads', relation_type: 'OWNER_BC' },
      { asset_type: 'CATALOG', asset_id: CATALOG, asset_name: 'Products', relation_type: 'OWNER_BC' },
      { asset_type: 'TT_ACCOUNT', asset_id: TT, asset_name: '@acme', relation_type: 'OWNER_BC' },
    ],
    grants: [
      { user_id: '7200000000000001000', asset_type: 'ADVERTISER', asset_id: AD[0], role: 'OPERATOR' },
      { user_id: '7200000000000001001', asset_type: 'CATALOG', asset_id: CATALOG, role: 'AD_PROMOTE' },
      { user_id: '7200000000000001002', asset_type: 'TT_ACCOUNT', asset_id: TT, role: ['POST'] },
    ],
    partners: [{ bc_id: PARTNER, bc_name: 'Agency', sharing: [AD[0]], shared: ['7100000000000000901'] }],
  };
}

interface Bed { server: StrictServer; connector: HubConnector; lines: string[] }

async function bed(options: { qps?: number; token?: string } & Parameters<typeof startStrictServer>[1] = {}): Promise<Bed> {
  const server = await startStrictServer(world(), { ...options, qps: options.qps ?? 100_000 });
  const lines: string[] = [];
  const record = (level: string) => (msg: string, meta?: unknown) => void lines.push(`${level} ${msg} ${JSON.stringify(meta ?? {})}`);
  const log: ConnectorContext['log'] = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  const connector = createTikTokBusiness({
    businessCenterId: BC, accessToken: options.token ?? TOKEN, tokenUserId: ME, apiBaseUrl: server.url,
    pace: { qps: 100_000, qpm: 6_000_000 }, partners: [{ businessCenterId: PARTNER }],
  }, { log });
  return { server, connector, lines };
}

async function everyPage<T>(list: (cursor?: string) => Promise<{ items: T[]; next?: string; incomplete?: unknown }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    assert.equal(page.incomplete, undefined, 'no page marked incomplete');
    out.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return out;
}

function assertClean(b: Bed): void {
  assert.deepEqual(b.server.violations().map((c) => `${c.method} ${c.endpoint} ${c.code} ${c.message}`), [], 'nothing TikTok would refuse as sent');
  for (const c of b.server.calls) {
    assert.equal(c.headers['access-token'], TOKEN, 'the token travels in the Access-Token header');
    assert.equal(c.headers.authorization, undefined, 'never an Authorization header');
    assert.ok(!c.rawUrl.includes(TOKEN), 'never the token in the URL');
  }
}

describe('tiktok-business against a strict server written from TikTok\'s parameter tables', () => {
  test('the strict server refuses what TikTok does not name (so a clean run means something)', async () => {
    const server = await startStrictServer(world());
    try {
      const get = (path: string, headers: Record<string, string> = { 'Access-Token': TOKEN }) => fetch(`${server.url}${path}`, { headers });
      assert.equal((await get('/open_api/v1.3/bc/member/get')).status, 404, 'no trailing slash');
      assert.equal((await (await get(`/open_api/v1.3/bc/member/get/?bc_id=${BC}`, { Authorization: `Bearer ${TOKEN}` })).json()).code, 40104);
      assert.equal((await (await get(`/open_api/v1.3/bc/member/get/?bc_id=${BC}&page_size=21`)).json()).code, 40002);
      assert.equal((await (await get(`/open_api/v1.3/bc/member/get/?bc_id=${BC}&filtering=${encodeURIComponent('{"status":"BOUND"}')}`)).json()).code, 40002);
      assert.equal((await (await get(`/open_api/v1.3/bc/asset/get/?bc_id=${BC}&asset_type=ADVERTISER&access_token=${TOKEN}`)).json()).code, 40002);
      const post = await fetch(`${server.url}/open_api/v1.3/bc/member/invite/`, { method: 'POST', headers: { 'Access-Token': TOKEN, 'content-type': 'application/json' }, body: JSON.stringify({ bc_id: BC, emails: ['x@acme.test'] }) });
      assert.equal((await post.json()).code, 40002, 'asset_ids is required');
      assert.equal(server.violations().length, 6);
    } finally {
      await server.close();
    }
  });

  test('reads: members, invitations, assets, holders, partners and the credential', async () => {
    const b = await bed();
    try {
      const members = await everyPage((c) => b.connector.listMembers!(c));
      assert.equal(members.length, 45, 'every BOUND member over three pages of 20');
      assert.ok(b.server.calls.some((c) => c.endpoint === 'bc/member/get' && c.params.page_size === '20'));
      const invites = await everyPage((c) => b.connector.listInvites!(c));
      assert.deepEqual(invites.map((i) => [i.id, i.status]), [['new.hire@acme.test', 'pending'], ['declined@acme.test', 'declined']]);
      for (const type of ['ad_account', 'catalog', 'tiktok_account']) assert.ok((await everyPage((c) => b.connector.listAssets!(type, c))).length > 0, type);
      const held = await b.connector.listAssignments!([{ type: 'ad_account', id: AD[0] }, { type: 'catalog', id: CATALOG }, { type: 'tiktok_account', id: TT }]);
      assert.deepEqual(held.map((a) => [a.asset.id, a.userId, a.tasks]).sort(), [
        [AD[0], '7200000000000001000', ['OPERATOR']], [CATALOG, '7200000000000001001', ['AD_PROMOTE']], [TT, '7200000000000001002', ['POST']],
      ].sort());
      const partners = await b.connector.listPartners!();
      assert.deepEqual(partners.items.map((p) => [p.relation, p.assets?.map((a) => a.id)]), [['agency', [AD[0]]], ['client', ['7100000000000000901']]]);
      assert.equal((await b.connector.checkCredential!()).valid, true);
      assertClean(b);
    } finally {
      await b.server.close();
    }
  });

  test('writes: invite, retry, role changes, revoke, reinvite, asset grants, removal', async () => {
    const b = await bed();
    try {
      const c = b.connector;
      const ad = { asset: { type: 'ad_account', id: AD[1] }, tasks: ['ANALYST'] };
      assert.equal((await c.invite!({ email: 'bob@acme.test', role: 'STANDARD', assets: [ad], firstAttempt: true })).result, 'done');
      assert.equal((await c.invite!({ email: 'bob@acme.test', role: 'STANDARD', assets: [ad] })).result, 'already-done');
      assert.equal((await c.invite!({ email: 'carol@acme.test', role: 'ADMIN', firstAttempt: true })).result, 'done');
      assert.equal((await c.invite!({ email: 'declined@acme.test', role: 'STANDARD' })).result, 'done', 'a declined address is revoked, then invited');
      // Invites of one role and the same ad accounts may share a call (1 to 50 emails).
      const many = await Promise.all(['p1', 'p2', 'p3', 'P4'].map((n) => c.invite!({ email: `${n}@acme.test`, role: 'STANDARD', assets: [ad], firstAttempt: true })));
      assert.deepEqual(many.map((r) => r.result), ['done', 'done', 'done', 'done']);
      assert.equal(await c.changeInviteRole!('bob@acme.test', 'ADMIN', [ad]), 'done');
      assert.equal(await c.cancelInvite!('new.hire@acme.test'), 'done');
      assert.equal(await c.cancelInvite!('new.hire@acme.test'), 'already-done');
      assert.equal((await c.reinvite!({ inviteId: 'carol@acme.test', email: 'carol@acme.test', role: 'STANDARD' })).result, 'done');
      const eve = '7200000000000001003';
      assert.equal(await c.changeMemberRole!(eve, 'ADMIN'), 'done');
      assert.equal(await c.changeMemberRole!(eve, 'ADMIN'), 'already-done');
      assert.equal(await c.changeMemberRole!(eve, 'STANDARD'), 'done');
      assert.equal(await c.assignAsset!({ asset: { type: 'ad_account', id: AD[1] }, userId: eve, tasks: ['OPERATOR'] }), 'done');
      assert.equal(await c.assignAsset!({ asset: { type: 'ad_account', id: AD[1] }, userId: eve, tasks: ['OPERATOR'] }), 'already-done');
      assert.equal(await c.assignAsset!({ asset: { type: 'catalog', id: CATALOG }, userId: eve, tasks: ['ADMIN'] }), 'done');
      assert.equal(await c.assignAsset!({ asset: { type: 'tiktok_account', id: TT }, userId: eve, tasks: ['POST', 'LIVE'] }), 'done');
      assert.equal(await c.unassignAsset!({ asset: { type: 'tiktok_account', id: TT }, userId: eve }), 'done');
      assert.equal(await c.unassignAsset!({ asset: { type: 'tiktok_account', id: TT }, userId: eve }), 'already-done');
      assert.equal(await c.removeMember!(eve), 'done');
      assert.equal(await c.removeMember!(eve), 'already-done');
      const rows = b.server.world.members.filter((m) => m.relation_status === 'PENDING').map((m) => [m.user_email, m.user_role]);
      assert.deepEqual(rows.sort(), [['P4@acme.test', 'STANDARD'], ['bob@acme.test', 'ADMIN'], ['carol@acme.test', 'STANDARD'], ['declined@acme.test', 'STANDARD'], ['p1@acme.test', 'STANDARD'], ['p2@acme.test', 'STANDARD'], ['p3@acme.test', 'STANDARD']]);
      assert.deepEqual(b.server.world.grants.filter((g) => g.user_id === eve), [], 'the removed member holds nothing');
      assertClean(b);
    } finally {
      await b.server.close();
    }
  });

  test('a throttle (40100, HTTP 200, no headers) is rate-limited on the app scope and never an answer', async () => {
    const b = await bed({ qps: 3 });
    try {
      // The listing has three pages; the app allows three calls a second, and the connector reads ahead.
      // The server counts per wall-clock second: start just after one begins, or the calls may
      // straddle two seconds and stay under three in each (a throttle never met).
      await new Promise((r) => setTimeout(r, 1_005 - (Date.now() % 1_000)));
      let err: unknown;
      try {
        await everyPage((c) => b.connector.listMembers!(c));
        await b.connector.listAssignments!([{ type: 'ad_account', id: AD[0] }, { type: 'catalog', id: CATALOG }]);
      } catch (e) {
        err = e;
      }
      assert.ok(isConnectorError(err), String(err));
      assert.equal(err.kind, 'rate-limited');
      assert.equal(err.notApplied, true);
      assert.ok((err.retryAfterMs ?? 0) >= 1_000, 'waits at least a second (a QPS throttle clears after it)');
      assert.ok((b.connector.rateLimits!().blockedUntil.app ?? 0) > Date.now(), 'the whole app scope waits');
      const before = b.server.calls.length;
      await assert.rejects(b.connector.listMembers!(), /rate-limited/);
      assert.equal(b.server.calls.length, before, 'no call while the scope waits (hammering extends the block)');
    } finally {
      await b.server.close();
    }
  });

  test('a member listing cut short by a throttle on a later page fails the read, never passes as fewer members', async () => {
    const b = await bed();
    try {
      const first = await b.connector.listMembers!();
      assert.equal(first.items.length, 20);
      assert.ok(first.next, 'a next page');
      // Every later read of the member listing is throttled (pages read ahead included).
      b.server.inject('bc/member/get', 40100, 1_000);
      await assert.rejects(b.connector.listMembers!(first.next), (e: unknown) => isConnectorError(e) && e.kind === 'rate-limited');
      // The agent's read of the hub fails as a whole: no member listing, so no removal is planned from it.
      await assert.rejects(readApp(b.connector, { assetTypes: [], partnersWithToken: [] }), /rate-limited/);
    } finally {
      await b.server.close();
    }
  });

  test('the token appears in no error, credential problem or log line, even when TikTok quotes it back', async () => {
    const b = await bed({ token: `${TOKEN}-revoked` });
    try {
      const health = await b.connector.checkCredential!();
      assert.equal(health.valid, false);
      assert.match(health.problem ?? '', /invalid or has been revoked/);
      await assert.rejects(b.connector.removeMember!('7200000000000001003'), (e: Error) => !e.message.includes(TOKEN) && /unauthenticated/.test(e.message));
      assert.ok(b.lines.length > 0);
      for (const text of [health.problem ?? '', ...b.lines]) assert.ok(!text.includes(TOKEN), text);
    } finally {
      await b.server.close();
    }
  });
});

/**
 * A write TikTok refused (40002, or 40001 which may be about the token or about one asset or
 * member) is explained by a read before it is failed or the hub paused. When that read is itself
 * throttled (40100) or fails with a fault, it says nothing: the write must come back rate-limited
 * (the agent waits and retries, the retry reading first: TikTok "Rate limits",
 * https://business-api.tiktok.com/portal/docs/rate-limits/v1.3), not fail for good as the
 * refusal or pause the hub as permission-denied.
 */
describe('tiktok-business: a refusal whose explaining read is throttled waits and retries', () => {
  const eve = '7200000000000001003';
  const cases: Array<{ name: string; setup: (s: StrictServer) => void; run: (c: HubConnector) => Promise<unknown> }> = [
    {
      name: 'an invite refused 40002 (TikTok may refuse an address invited before), look-up throttled',
      setup: (s) => { s.inject('bc/member/invite', 40002, 1, { message: 'emails[0]: already invited' }); s.inject('bc/member/get', 40100, 1_000); },
      run: (c) => c.invite!({ email: 'new.hire@acme.test', role: 'STANDARD', firstAttempt: true }),
    },
    {
      name: 'a role change refused 40002, re-read of the member throttled',
      setup: (s) => { s.inject('bc/member/update', 40002, 1, { message: 'user_role: unchanged' }); s.inject('bc/member/get', 40100, 1_000, { after: 1 }); },
      run: (c) => c.changeMemberRole!(eve, 'ADMIN'),
    },
    {
      name: 'a removal refused 40002, re-read of the member throttled',
      setup: (s) => { s.inject('bc/member/delete', 40002, 1, { message: 'user_id: bad' }); s.inject('bc/member/get', 40100, 1_000, { after: 1 }); },
      run: (c) => c.removeMember!(eve),
    },
    {
      name: 'an assign refused 40001, re-check of the token throttled',
      setup: (s) => { s.inject('bc/asset/assign', 40001, 1, { message: 'No permission' }); s.inject('bc/get', 40100, 1_000); },
      run: (c) => c.assignAsset!({ asset: { type: 'ad_account', id: AD[1] }, userId: eve, tasks: ['ANALYST'] }),
    },
    {
      name: 'an invite with an ad account refused 40001, re-check of the token throttled',
      setup: (s) => { s.inject('bc/member/invite', 40001, 1, { message: 'No permission' }); s.inject('bc/get', 40100, 1_000); },
      run: (c) => c.invite!({ email: 'dan@acme.test', role: 'STANDARD', assets: [{ asset: { type: 'ad_account', id: AD[1] }, tasks: ['ANALYST'] }], firstAttempt: true }),
    },
    {
      name: 'a revoke refused 40001, re-check of the token throttled',
      setup: (s) => { s.inject('bc/member/delete', 40001, 1, { message: 'No permission' }); s.inject('bc/get', 40100, 1_000); },
      run: (c) => c.cancelInvite!('new.hire@acme.test'),
    },
  ];
  for (const { name, setup, run } of cases) {
    test(name, async () => {
      const b = await bed();
      try {
        setup(b.server);
        await assert.rejects(run(b.connector), (e: unknown) => {
          assert.ok(isConnectorError(e), String(e));
          assert.equal(e.kind, 'rate-limited', e.message);
          assert.equal(e.notApplied, true);
          assert.match(e.message, /TikTok refused it \(4000[12]\) and the read to tell why did not go through/);
          return true;
        });
        assert.ok(b.server.calls.some((c) => c.code === 40100), 'the explaining read was throttled');
      } finally {
        await b.server.close();
      }
    });
  }
});

/**
 * `/bc/asset/get/` with `filtering.user_id` lists what a BOUND member holds, and TikTok gives no
 * code for someone who is not one: as a parameter error it is 40002 (the project's emulator
 * answers 40007, README [INF] #23). Either way a member who
 * left holds nothing: the connector must not fail the whole TikTok-account read, or an unassign,
 * on a 40002 for a member the BOUND listing no longer has.
 */
describe('tiktok-business: a holdings read refused 40002 for someone no longer a member', () => {
  const gone = '7200000000000009999';
  test('an unassign of a member who left is already-done, and nothing is sent', async () => {
    const b = await bed({ nonMemberFilterCode: 40002 });
    try {
      assert.equal(await b.connector.unassignAsset!({ asset: { type: 'ad_account', id: AD[0] }, userId: gone }), 'already-done');
      assert.ok(!b.server.calls.some((c) => c.method === 'POST'), 'no unassign sent');
    } finally {
      await b.server.close();
    }
  });
  test('an assign to a member who left is not-found naming the member', async () => {
    const b = await bed({ nonMemberFilterCode: 40002 });
    try {
      await assert.rejects(b.connector.assignAsset!({ asset: { type: 'ad_account', id: AD[0] }, userId: gone, tasks: ['ANALYST'] }), (e: unknown) => {
        assert.ok(isConnectorError(e), String(e));
        assert.equal(e.kind, 'not-found', e.message);
        assert.match(e.message, new RegExp(gone));
        return true;
      });
    } finally {
      await b.server.close();
    }
  });
  test('a member removed while the TikTok-account holdings are read holds nothing; the others are still read', async () => {
    let removed = false;
    const b: Bed = await bed({
      nonMemberFilterCode: 40002,
      // Once the BOUND listing is read whole and the first member's holdings answered, 1003 is removed by hand.
      afterCall: (call) => {
        if (removed || call.endpoint !== 'bc/asset/get') return;
        removed = true;
        b.server.world.members = b.server.world.members.filter((m) => m.user_id !== '7200000000000001003');
      },
    });
    try {
      const held = await b.connector.listAssignments!([{ type: 'tiktok_account', id: TT }]);
      assert.deepEqual(held.map((a) => [a.userId, a.tasks]), [['7200000000000001002', ['POST']]]);
      assert.ok(b.server.calls.some((c) => c.code === 40002 && String(c.params.filtering).includes('7200000000000001003')), 'the race happened');
    } finally {
      await b.server.close();
    }
  });
});

/**
 * The agent counts an assign that may have reached TikTok as the grant's maker (agent/app-state/
 * grant-maker.ts): one that failed on the read before its POST sent nothing and must say so.
 */
test('tiktok-business: an assign whose holdings read fails sends nothing and says it made nothing', async () => {
  const b = await bed();
  try {
    b.server.inject('bc/asset/get', 50000, 1_000);
    await assert.rejects(b.connector.assignAsset!({ asset: { type: 'ad_account', id: AD[1] }, userId: '7200000000000001003', tasks: ['ANALYST'] }), (e: unknown) => {
      assert.ok(isConnectorError(e), String(e));
      assert.equal(e.kind, 'unavailable', e.message);
      assert.equal(e.notApplied, true);
      return true;
    });
    assert.ok(!b.server.calls.some((c) => c.endpoint.includes('bc/asset/assign')), 'no assign was sent');
  } finally {
    await b.server.close();
  }
});
