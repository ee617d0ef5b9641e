import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import { toCursor } from './graph-cursor.ts';
import type { HubConnector } from '../sdk/connector.ts';
import { all } from './alternative-fetch.test-double.ts';

// The connector against the sandbox fixture: the paths the contract suite does not walk.
const log = { debug() {}, info() {}, warn() {}, error() {} };

describe('meta-business connector on the sandbox fixture', () => {
  // Expired invites listed with their status (the emulator's looser 'keep-expired' reading).
  const server = listeningEmulator({ inviteVisibility: 'keep-expired', debugToken: true });
  const { emulator } = server;
  let c: HubConnector;
  const fresh = () => {
    emulator.control.seed(sandboxFixture());
    emulator.control.setFaults({});
    emulator.control.setGuards({});
    c = createMetaBusiness({
      businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url,
      partners: [{ businessId: SANDBOX.partner.businessId, token: SANDBOX.partner.token }],
    }, { log });
    return c;
  };

  test('a block another replica recorded is honoured: calls into it are refused without calling Meta, others go', async () => {
    const connector = fresh();
    // Another replica's instance was told "368" for this business (its runner recorded the block).
    connector.honourBlock!(`business:${SANDBOX.businessId}`, Date.now() + 60_000);
    emulator.control.clearCalls();
    await assert.rejects(connector.listMembers!(), (e: unknown) => e instanceof ConnectorError && e.kind === 'rate-limited' && e.providerCode === 'local' && e.notApplied === true);
    assert.equal(emulator.calls.length, 0, 'nothing sent into the throttle');
    assert.ok(Object.keys(connector.rateLimits!().blockedUntil).includes(`business:${SANDBOX.businessId}`));
    // A block already over is no block.
    const other = fresh();
    other.honourBlock!(`business:${SANDBOX.businessId}`, Date.now() - 1);
    assert.ok((await other.listMembers!()).items.length > 0);
  });

  test('expired invites stay visible with their status; pending ones are pending', async () => {
    fresh();
    const invites = await all((x) => c.listInvites!(x));
    assert.equal(invites.find((i) => i.id === SANDBOX.pendingInviteId)?.status, 'pending');
    assert.equal(invites.find((i) => i.id === SANDBOX.expiredInviteId)?.status, 'expired');
  });

  test('reinvite replaces an expired invite with a new pending one', async () => {
    fresh();
    const r = await c.reinvite!({ inviteId: SANDBOX.expiredInviteId, email: SANDBOX.expiredInviteEmail, role: 'EMPLOYEE' });
    assert.equal(r.result, 'done');
    assert.notEqual(r.inviteId, SANDBOX.expiredInviteId);
    const invites = (await all((x) => c.listInvites!(x))).filter((i) => i.email === SANDBOX.expiredInviteEmail);
    assert.deepEqual(invites.map((i) => [i.id, i.status]), [[r.inviteId, 'pending']]);
  });

  test('inviting a member is a conflict the caller must re-read (the plan missed a seat), without a new invite', async () => {
    fresh();
    for (const firstAttempt of [false, true]) {
      await assert.rejects(c.invite!({ email: 'Dan.Designer@sandbox.example', role: 'EMPLOYEE', firstAttempt }),
        (e: unknown) => e instanceof ConnectorError && e.kind === 'conflict' && e.notApplied === true && /already holds a seat/.test(e.message));
    }
    const dan = await c.readPerson!({ email: 'Dan.Designer@sandbox.example' });
    assert.deepEqual(dan.members.map((m) => m.id), ['1000000000000106'], 'found by email (no id known)');
    assert.deepEqual(dan.invites, []);
    assert.equal((await all((x) => c.listInvites!(x))).some((i) => i.email === 'dan.designer@sandbox.example'), false);
  });

  test('an invite accepted before the re-read returns the member\'s own id, never the invite\'s', async () => {
    fresh();
    let accepted: string | undefined;
    let requestId: string | undefined;
    // The person accepts right after Meta answers the POST, before the connector re-reads.
    const accepting = (async (input: URL | RequestInfo, init?: RequestInit) => {
      const res = await fetch(input, init);
      if ((init?.method ?? 'GET') === 'POST' && String(input).includes('/business_users')) {
        requestId = ((await res.clone().json()) as { id?: string }).id;
        if (requestId) accepted = emulator.control.acceptInvite(requestId).memberId;
      }
      return res;
    }) as typeof fetch;
    const ac = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log, fetch: accepting });
    const r = await ac.invite!({ email: 'Quick.Joiner@sandbox.example', role: 'EMPLOYEE' });
    assert.ok(accepted && requestId && accepted !== requestId);
    assert.equal(r.memberId, accepted);
    assert.equal(await ac.changeMemberRole!(r.memberId!, 'ADMIN'), 'done', 'the id names the member');
  });

  test('613 on POST business_users (X-App-Usage only, as on every business-node edge) waits 5 min, scope app', async () => {
    fresh();
    emulator.control.setFaults({ throttle: { code: 613, match: 'business_users', regainMinutes: 12 } });
    await assert.rejects(c.invite!({ email: 'slow.down@sandbox.example', role: 'EMPLOYEE', firstAttempt: true }),
      (e: unknown) => e instanceof ConnectorError && e.kind === 'rate-limited' && e.providerCode === '613' && e.limitScope === 'app' && e.retryAfterMs === 5 * 60_000);
  });

  test('a bad email is invalid-argument before any call', async () => {
    fresh();
    emulator.control.clearCalls();
    await assert.rejects(c.invite!({ email: 'not-an-email', role: 'EMPLOYEE' }), (e: unknown) => e instanceof ConnectorError && e.kind === 'invalid-argument' && e.field === 'email');
    assert.equal(emulator.calls.length, 0);
  });

  test('change an invite role and a member role; demoting one of two admins is allowed', async () => {
    fresh();
    assert.equal(await c.changeInviteRole!(SANDBOX.pendingInviteId, 'ADMIN'), 'done');
    assert.equal((await all((x) => c.listInvites!(x))).find((i) => i.id === SANDBOX.pendingInviteId)?.role, 'ADMIN');
    assert.equal(await c.changeMemberRole!('1000000000000103', 'ADMIN'), 'done');
    assert.equal(await c.changeMemberRole!('1000000000000103', 'ADMIN'), 'already-done');
    assert.equal(await c.changeMemberRole!('1000000000000102', 'EMPLOYEE'), 'done');
    const members = await all((x) => c.listMembers!(x));
    assert.equal(members.find((m) => m.id === '1000000000000103')?.role, 'ADMIN');
    assert.equal(members.find((m) => m.id === '1000000000000102')?.role, 'EMPLOYEE');
  });

  test('an add-on role (FINANCE_EDITOR) reads back as itself, and a repeat is already-done without a POST', async () => {
    fresh();
    const eve = SANDBOX.employees[0];
    assert.equal(await c.changeMemberRole!(eve, 'FINANCE_EDITOR'), 'done');
    const member = (await all((x) => c.listMembers!(x))).find((m) => m.id === eve);
    assert.equal(member?.role, 'FINANCE_EDITOR');
    assert.equal((await c.readPerson!({ memberId: eve })).members[0]?.role, 'FINANCE_EDITOR');
    emulator.control.clearCalls();
    assert.equal(await c.changeMemberRole!(eve, 'FINANCE_EDITOR'), 'already-done');
    assert.equal(emulator.calls.filter((x) => x.method === 'POST').length, 0);
    // Back to base access: the add-on is gone from tasks and the member reads EMPLOYEE again.
    assert.equal(await c.changeMemberRole!(eve, 'EMPLOYEE'), 'done');
    assert.equal((await all((x) => c.listMembers!(x))).find((m) => m.id === eve)?.role, 'EMPLOYEE');
    assert.equal(await c.changeMemberRole!(eve, 'EMPLOYEE'), 'already-done');
  });

  test('a finance role reported only in finance_permission (tasks without FINANCE_EDITOR) reads as that role; a demotion settles', async () => {
    fresh();
    // The sandbox's Frank: tasks [DEFAULT, FINANCE_EDIT], finance_permission EDITOR.
    const frank = SANDBOX.employees[1];
    assert.equal((await all((x) => c.listMembers!(x))).find((m) => m.id === frank)?.role, 'FINANCE_EDITOR');
    assert.equal((await c.readPerson!({ memberId: frank })).members[0]?.role, 'FINANCE_EDITOR');
    emulator.control.clearCalls();
    assert.equal(await c.changeMemberRole!(frank, 'FINANCE_EDITOR'), 'already-done');
    assert.equal(emulator.calls.filter((x) => x.method === 'POST').length, 0, 'no re-apply on every check');
    // His team wants EMPLOYEE: demoted once, then read EMPLOYEE and left alone.
    assert.equal(await c.changeMemberRole!(frank, 'EMPLOYEE'), 'done');
    assert.equal((await all((x) => c.listMembers!(x))).find((m) => m.id === frank)?.role, 'EMPLOYEE');
    emulator.control.clearCalls();
    assert.equal(await c.changeMemberRole!(frank, 'EMPLOYEE'), 'already-done');
    assert.equal(emulator.calls.filter((x) => x.method === 'POST').length, 0);
  });

  test('a Graph that keeps finance roles out of tasks (finance_permission only): a granted role settles', async () => {
    fresh();
    // Responses rewritten as a Graph following "finance roles live in finance_permission" would answer.
    const financeOutOfTasks = (async (input: URL | RequestInfo, init?: RequestInit) => {
      const res = await fetch(input, init);
      if ((init?.method ?? 'GET') !== 'GET') return res;
      const strip = (v: unknown): unknown => {
        if (Array.isArray(v)) return v.map(strip);
        if (!v || typeof v !== 'object') return v;
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'tasks' && Array.isArray(x) ? x.filter((t) => !/^FINANCE_(EDITOR|ANALYST)$/.test(t)) : strip(x)]));
      };
      const headers = new Headers(res.headers);
      headers.delete('content-length');
      return new Response(JSON.stringify(strip(await res.json())), { status: res.status, headers });
    }) as typeof fetch;
    const fc = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log, fetch: financeOutOfTasks });
    const eve = SANDBOX.employees[0];
    assert.equal(await fc.changeMemberRole!(eve, 'FINANCE_ANALYST'), 'done');
    assert.equal((await all((x) => fc.listMembers!(x))).find((m) => m.id === eve)?.role, 'FINANCE_ANALYST');
    emulator.control.clearCalls();
    assert.equal(await fc.changeMemberRole!(eve, 'FINANCE_ANALYST'), 'already-done');
    assert.equal(emulator.calls.filter((x) => x.method === 'POST').length, 0);
    assert.equal(await fc.changeMemberRole!(eve, 'EMPLOYEE'), 'done');
    assert.equal(await fc.changeMemberRole!(eve, 'EMPLOYEE'), 'already-done');
  });

  test('removing a member removes them from the listing; a repeat is already-done', async () => {
    fresh();
    assert.equal(await c.removeMember!('1000000000000104'), 'done');
    assert.equal((await all((x) => c.listMembers!(x))).some((m) => m.id === '1000000000000104'), false);
    assert.equal(await c.removeMember!('1000000000000104'), 'already-done');
  });

  test('partners: agencies with their permitted tasks per asset; assets list owned and client', async () => {
    fresh();
    const partners = await all((x) => c.listPartners!(x));
    const agency = partners.find((p) => p.businessId === SANDBOX.partner.businessId && p.relation === 'agency');
    assert.deepEqual(agency?.assets.find((a) => a.id === 'act_111'), { type: 'ad_account', id: 'act_111', permittedTasks: ['ADVERTISE', 'ANALYZE'], accessStatus: 'CONFIRMED' });
    const ads = await all((x) => c.listAssets!('ad_account', x));
    assert.deepEqual(ads.filter((a) => a.ownership === 'owned').map((a) => a.id).sort(), ['act_111', 'act_112']);
  });

  test('opaque cursors carry no token, are followed with it, and a forged one is refused', async () => {
    fresh();
    const next = `${server.url}/v25.0/${SANDBOX.businessId}/business_users?fields=id,role&limit=2&access_token=${SANDBOX.token}`;
    const cursor = toCursor(next);
    assert.doesNotMatch(Buffer.from(cursor, 'base64url').toString('utf8'), /access_token|sandbox-system-user-token/);
    const page = await c.listMembers!(cursor);
    assert.equal(page.items.length, 2);
    assert.ok(page.next);
    const forged = Buffer.from('https://evil.example/v25.0/x', 'utf8').toString('base64url');
    await assert.rejects(c.listMembers!(forged), (e: unknown) => e instanceof ConnectorError && e.kind === 'invalid-argument');
  });

  test('rateLimits() reports usage from X-App-Usage', async () => {
    fresh();
    await c.listSystemUsers!();
    assert.ok('app' in c.rateLimits!().usagePercent);
  });
  test('every log line and error is free of tokens, even when Graph fails', async () => {
    fresh();
    const lines: string[] = [];
    const capture = { debug: (m: string, meta?: object) => lines.push(m + JSON.stringify(meta ?? {})), info: (m: string) => lines.push(m), warn: (m: string, meta?: object) => lines.push(m + JSON.stringify(meta ?? {})), error: (m: string, meta?: object) => lines.push(m + JSON.stringify(meta ?? {})) };
    const bad = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: 'EAAB-revoked-secret-token', graphBaseUrl: server.url }, { log: capture });
    await assert.rejects(bad.listMembers!(), (e: unknown) => e instanceof ConnectorError && e.kind === 'unauthenticated' && !e.message.includes('EAAB-revoked-secret-token'));
    const good = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log: capture });
    emulator.control.setFaults({ errorRate: 1 });
    await assert.rejects(good.listInvites!(), (e: unknown) => e instanceof ConnectorError && e.kind === 'unavailable');
    assert.ok(lines.length >= 4);
    for (const l of lines) assert.doesNotMatch(l, /EAAB-revoked-secret-token|sandbox-system-user-token/);
  });
  test('a long token echoed back by Graph leaves no fragment in the error or any log line', async () => {
    fresh();
    const token = `EAAB${'x7Kq2ZpL9mW'.repeat(17)}`;
    const lines: string[] = [];
    const capture = { debug: (m: string, meta?: object) => lines.push(m + JSON.stringify(meta ?? {})), info: (m: string) => lines.push(m), warn: (m: string, meta?: object) => lines.push(m + JSON.stringify(meta ?? {})), error: (m: string, meta?: object) => lines.push(m + JSON.stringify(meta ?? {})) };
    const echoing = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: token, graphBaseUrl: server.url }, { log: capture });
    emulator.control.setFaults({ echoCredentials: true });
    let message = '';
    await assert.rejects(echoing.listMembers!(), (e: unknown) => { message = (e as Error).message; return e instanceof ConnectorError && e.kind === 'unauthenticated'; });
    assert.ok(lines.length > 0);
    for (const text of [message, ...lines]) {
      for (let i = 0; i + 20 <= token.length; i++) assert.ok(!text.includes(token.slice(i, i + 20)), `token fragment at ${i} leaked: ${text}`);
    }
  });
  test('token health names missing scopes for the asset types the hub manages', async () => {
    fresh();
    const f = sandboxFixture();
    f.tokens = f.tokens.map((t) => (t.value === SANDBOX.token ? { ...t, scopes: ['business_management', 'ads_management'] } : t));
    emulator.control.seed(f);
    const hc = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url, managedAssetTypes: ['ad_account', 'page', 'catalog'] }, { log });
    const health = await hc.checkCredential!();
    assert.equal(health.valid, true);
    assert.deepEqual(health.missingScopes, ['pages_manage_metadata', 'catalog_management']);
    assert.match(health.problem ?? '', /lacks pages_manage_metadata, catalog_management/);
  });

  test('an expired token is reported invalid, not thrown', async () => {
    fresh();
    const f = sandboxFixture();
    f.tokens = f.tokens.map((t) => (t.value === SANDBOX.token ? { ...t, expiresAt: '-1d' } : t));
    emulator.control.seed(f);
    const hc = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log });
    const health = await hc.checkCredential!();
    assert.equal(health.valid, false);
    assert.ok(health.problem);
    assert.doesNotMatch(health.problem!, /sandbox-system-user-token/);
  });

  test('partner users need the partner token', async () => {
    fresh();
    const noPartner = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log });
    await assert.rejects(noPartner.listPartnerUsers!(SANDBOX.partner.businessId), (e: unknown) => e instanceof ConnectorError && e.kind === 'permission-denied' && /no token configured/.test(e.message));
    const users = await c.listPartnerUsers!(SANDBOX.partner.businessId);
    assert.ok(users.every((u) => u.partnerBusinessId === SANDBOX.partner.businessId && u.assignments.length > 0));
    assert.ok(users.some((u) => u.userId === SANDBOX.partner.users[1] || u.userId === SANDBOX.partner.users[0]));
  });
  test("Meta's own 3914 surfaces as the same last-admin refusal when the local check is stale", async () => {
    fresh();
    // The local check sees a second admin who is gone by the time Meta decides (a stale read).
    const stale = (async (input: URL | RequestInfo, init?: RequestInit) => {
      const res = await fetch(input, init);
      if (!String(input).includes('/business_users')) return res;
      const body = await res.json() as { data: Array<Record<string, unknown>> };
      body.data.push({ id: '1000000000000999', role: 'ADMIN' });
      return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
    }) as typeof fetch;
    const sc = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log, fetch: stale });
    assert.equal(await sc.changeMemberRole!(SANDBOX.admins[0], 'EMPLOYEE'), 'done');
    await assert.rejects(sc.removeMember!(SANDBOX.admins[1]), (e: unknown) => e instanceof ConnectorError && e.kind === 'conflict' && e.providerCode === '3914' && /last admin/.test(e.message));
    assert.ok(emulator.calls.some((x) => x.method === 'DELETE' && x.code === 3914), 'Meta was asked and refused');
    const members = await all((x) => c.listMembers!(x));
    assert.equal(members.find((m) => m.id === SANDBOX.admins[1])?.role, 'ADMIN');
  });
  test('a pixel assignment cannot be removed through the API: a clear refusal, never already-done', async () => {
    fresh();
    const pixel = { type: 'pixel' as const, id: SANDBOX.pixelId };
    const holder = (await c.listAssignments!([pixel])).find((a) => a.userType === 'member');
    const userId = holder?.userId ?? '1000000000000103';
    if (!holder) assert.equal(await c.assignAsset!({ asset: pixel, userId, tasks: ['ANALYZE'] }), 'done');
    await assert.rejects(c.unassignAsset!({ asset: pixel, userId }), (e: unknown) => e instanceof ConnectorError && e.kind === 'invalid-argument' && /no API to remove a person from a pixel/.test(e.message));
    assert.ok((await c.listAssignments!([pixel])).some((a) => a.userId === userId));
  });

  test('unsharing a pixel is refused as unsupported, never already-done: the partner keeps access', async () => {
    fresh();
    const pixel = { type: 'pixel' as const, id: SANDBOX.pixelId };
    const partner = SANDBOX.partner.businessId;
    assert.equal(await c.shareAsset!({ asset: pixel, partnerBusinessId: partner, tasks: ['ANALYZE'] }), 'done');
    emulator.control.clearCalls();
    await assert.rejects(c.unshareAsset!({ asset: pixel, partnerBusinessId: partner }),
      (e: unknown) => e instanceof ConnectorError && e.kind === 'invalid-argument' && e.notApplied === true && /no API to stop sharing a pixel/.test(e.message));
    assert.ok(!emulator.calls.some((x) => x.method === 'DELETE'), 'no DELETE sent');
    const shared = (await all((x) => c.listPartners!(x))).find((p) => p.businessId === partner && p.relation === 'agency');
    assert.ok(emulator.control.state().shares.some((s) => s.assetId === SANDBOX.pixelId && s.partnerBusinessId === partner), 'still shared');
    assert.ok(shared);
    // A pixel that is not shared is already unshared.
    assert.equal(await c.unshareAsset!({ asset: pixel, partnerBusinessId: '3000000000000003' }), 'already-done');
  });

  test('a share Meta answers with requires_admin_approval is reported pending approval, not done', async () => {
    fresh();
    emulator.control.setGuards({ shareNeedsAdminApproval: true });
    const asset = { type: 'ad_account' as const, id: 'act_112' };
    await assert.rejects(c.shareAsset!({ asset, partnerBusinessId: SANDBOX.partner.businessId, tasks: ['ANALYZE'] }),
      (e: unknown) => e instanceof ConnectorError && e.kind === 'invalid-argument' && e.providerCode === 'requires_admin_approval' && /pending approval/.test(e.message));
    assert.ok(!emulator.control.state().shares.some((s) => s.assetId === 'act_112' && s.partnerBusinessId === SANDBOX.partner.businessId));
  });

  test('a clean first attempt is one POST with a provisional id, resolved by email when first needed; a retry looks first', async () => {
    fresh();
    emulator.control.clearCalls();
    const email = 'fresh.person@sandbox.example';
    const r = await c.invite!({ email, role: 'EMPLOYEE', firstAttempt: true });
    assert.deepEqual(r, { result: 'done', inviteId: `pending:${email}` });
    assert.deepEqual(emulator.calls.map((x) => `${x.method} ${x.path}`), [`POST /${SANDBOX.businessId}/business_users`]);
    // A retry (no firstAttempt) finds the invite the first attempt made: no second POST.
    const again = await c.invite!({ email, role: 'EMPLOYEE' });
    assert.equal(again.result, 'already-done');
    const real = (await all((x) => c.listInvites!(x))).find((i) => i.email === email)!;
    assert.equal(again.inviteId, real.id);
    assert.equal(emulator.calls.filter((x) => x.method === 'POST' && x.path === `/${SANDBOX.businessId}/business_users`).length, 1);
    // The provisional id works wherever an invite id is taken.
    assert.equal(await c.changeInviteRole!(r.inviteId, 'ADMIN'), 'done');
    assert.equal((await all((x) => c.listInvites!(x))).find((i) => i.id === real.id)?.role, 'ADMIN');
    assert.equal(await c.cancelInvite!(r.inviteId), 'done');
    assert.equal((await all((x) => c.listInvites!(x))).some((i) => i.email === email && i.status === 'pending'), false);
    assert.equal(await c.cancelInvite!(r.inviteId), 'already-done', 'nothing pending any more');
    await assert.rejects(c.changeInviteRole!(r.inviteId, 'EMPLOYEE'), (e: unknown) => e instanceof ConnectorError && e.kind === 'not-found');
  });
});
