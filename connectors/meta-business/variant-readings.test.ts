import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaBusiness } from './connector.ts';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { all, alternativeFetch, log, type Reading } from './alternative-fetch.test-double.ts';
import { ConnectorError } from '../sdk/connector-error.ts';

/**
 * Answers Meta's documentation allows (https://developers.facebook.com/docs/graph-api/) that our
 * emulator never gives, read by the connector as another Graph would send them (README [INF]).
 */
describe('meta-business reads of answers the documentation allows', () => {
  const server = listeningEmulator();
  const connector = (reading?: Reading) => {
    server.emulator.control.seed(sandboxFixture());
    server.emulator.control.setFaults({});
    return createMetaBusiness({
      businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url,
      partners: [{ businessId: SANDBOX.partner.businessId, token: SANDBOX.partner.token }],
    }, { log, ...(reading ? { fetch: alternativeFetch(reading) } : {}) });
  };
  const clientEdge = /^\d+\/client_(ad_accounts|pages|product_catalogs|pixels)$/;
  const rewriteClientRows = (f: (row: Record<string, any>) => void): Reading => async (op, forward) => {
    const a = await forward();
    if (op.method === 'GET' && clientEdge.test(op.path) && Array.isArray(a.body?.data)) a.body.data.forEach(f);
    return a;
  };
  const summary = (users: Array<{ userId: string; assignments: Array<{ asset: { id: string } }> }>) =>
    users.map((u) => `${u.userId}:${u.assignments.map((x) => x.asset.id).sort().join(',')}`).sort();

  test('partner people: a client asset whose owner business id comes as a number is still ours', async () => {
    const expected = summary(await connector().listPartnerUsers!(SANDBOX.partner.businessId));
    assert.ok(expected.length > 0);
    const got = summary(await connector(rewriteClientRows((r) => {
      for (const k of ['business', 'owner_business']) if (r[k]?.id) r[k].id = Number(r[k].id);
    })).listPartnerUsers!(SANDBOX.partner.businessId));
    assert.deepEqual(got, expected);
  });

  test('partner people: a client asset answered without its owner business is not dropped as "not ours": the read says it is incomplete', async () => {
    const c = connector(rewriteClientRows((r) => { delete r.business; delete r.owner_business; }));
    await assert.rejects(c.listPartnerUsers!(SANDBOX.partner.businessId),
      (e: unknown) => e instanceof ConnectorError && e.kind === 'unavailable' && e.providerCode === 'field-missing' && !e.message.includes(SANDBOX.partner.token));
  });

  const stringCodes: Reading = async (_op, forward) => {
    const a = await forward();
    const e = a.body?.error;
    if (e) for (const k of ['code', 'error_subcode']) if (typeof e[k] === 'number') e[k] = String(e[k]);
    return a;
  };

  test('error codes sent as numeric strings: a member already gone (100/33) is already-done, never a failed removal', async () => {
    const c = connector(stringCodes);
    const member = SANDBOX.employees[3];
    assert.equal(await c.removeMember!(member), 'done');
    assert.equal(await c.removeMember!(member), 'already-done');
  });

  test('error codes sent as numeric strings: the app request limit ("4") is a wait, never a bad request failed for good', async () => {
    const c = connector(async (op, forward) => {
      if (op.method === 'GET' && op.path.endsWith('/business_users')) {
        return { status: 400, body: { error: { message: '(#4) Application request limit reached', type: 'OAuthException', code: '4', error_subcode: null, fbtrace_id: 'alt' } } };
      }
      return forward();
    });
    await assert.rejects(c.listMembers!(), (e: unknown) => e instanceof ConnectorError && e.kind === 'rate-limited' && e.limitScope === 'app' && e.providerCode === '4');
  });

  /** Every listing the check for updates reads, order-free. */
  const readAll = async (c: ReturnType<typeof connector>) => {
    const sorted = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x, (k, v) => (k === 'createdAt' || k === 'expiresAt' ? undefined : v))).sort();
    const assets = [];
    for (const t of ['ad_account', 'page', 'catalog', 'pixel']) assets.push(...await all((x) => c.listAssets!(t, x)));
    const refs = assets.map((a) => ({ type: a.type, id: a.id }));
    return {
      members: sorted(await all((x) => c.listMembers!(x))),
      invites: sorted(await all((x) => c.listInvites!(x))),
      systemUsers: sorted(await all((x) => c.listSystemUsers!(x))),
      assets: sorted(assets),
      assignments: sorted(await c.listAssignments!(refs)),
      partners: sorted(await all((x) => c.listPartners!(x))),
      partnerUsers: sorted(await c.listPartnerUsers!(SANDBOX.partner.businessId)),
    };
  };

  test('paging.next carrying only limit and after (as the results guide\'s example shows it): later pages are read with the fields, filter and business asked for', async () => {
    const expected = await readAll(connector());
    const got = await readAll(connector(async (op, forward) => {
      if (op.method !== 'GET') return forward();
      let a;
      if (op.query.has('limit') && !op.query.has('after')) {
        const q = new URLSearchParams(op.query);
        q.set('limit', '1');
        a = await forward(q);
      } else {
        a = await forward();
      }
      const next = a.body?.paging?.next;
      if (typeof next === 'string') {
        const url = new URL(next);
        for (const k of [...url.searchParams.keys()]) if (k !== 'limit' && k !== 'after' && k !== 'access_token') url.searchParams.delete(k);
        a.body.paging.next = url.toString();
      }
      return a;
    }));
    assert.deepEqual(got, expected);
  });
});
